"""PPO end to end: probes with known answers, vmap over seeds and hparams, chunked and resumed runs
equal to one program, the planted selection instance, and CartPole against PureJaxRL's result."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from cartpole import CartPole
from probes import MaskedProbe, PlantedSelection, action_reward_probe, constant_reward_probe

from rlsel.agents.gae import generalized_advantages
from rlsel.agents.ppo import PPOConfig, PPOHparams, make_ppo, make_train
from rlsel.checkpoint import restore_checkpoint, save_checkpoint

PROBE = PPOConfig(
    num_envs=4, num_steps=16, total_timesteps=4 * 16 * 30, update_epochs=2, num_minibatches=2, hidden_size=16
)
PROBE_HP = PPOHparams(lr=1e-2, ent_coef=0.0)


def _stack(*trees):
    return jax.tree_util.tree_map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *trees)


def _assert_trees_equal(a, b):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_gae_matches_a_python_loop():
    rng = np.random.default_rng(0)
    rewards, values = rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=(6, 3)).astype(np.float32)
    dones = rng.random((6, 3)) < 0.3
    last_value = rng.normal(size=3).astype(np.float32)
    gamma, lam = 0.9, 0.8
    expected, next_adv, next_value = np.zeros_like(rewards), np.zeros(3), last_value
    for t in reversed(range(6)):
        cont = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * cont - values[t]
        next_adv = delta + gamma * lam * cont * next_adv
        expected[t], next_value = next_adv, values[t]
    adv, targets = generalized_advantages(rewards, values, dones, last_value, gamma, lam)
    np.testing.assert_allclose(adv, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(targets, expected + values, rtol=1e-5, atol=1e-6)


def test_value_learns_a_constant_reward():
    env = constant_reward_probe()
    ppo = make_ppo(PROBE, env, env.default_params)
    runner, _ = jax.jit(ppo.train)(jax.random.key(0), PROBE_HP)
    _, value = ppo.network.apply(runner.params, runner.env.obs)
    np.testing.assert_allclose(value, 1.0, atol=0.02)


@pytest.fixture(scope="module")
def seeds_by_hparams():
    """The action probe vmapped over 2 seeds x 2 hparams (the second with lr = 0): one program."""
    env = action_reward_probe()
    train = make_train(PROBE, env, env.default_params)
    grid = jax.jit(jax.vmap(jax.vmap(train, in_axes=(None, 0)), in_axes=(0, None)))
    hparams = _stack(PROBE_HP, PROBE_HP.replace(lr=0.0))
    _, metrics = grid(jax.random.split(jax.random.key(0), 2), hparams)
    return jax.tree_util.tree_map(np.asarray, metrics)


def test_policy_learns_the_best_action_for_every_seed(seeds_by_hparams):
    reward = seeds_by_hparams["reward"]
    assert reward.shape == (2, 2, PROBE.num_updates)
    # Only action 1 pays 1.0 (others 0 and 0.3): a mean reward near 1 means it is picked almost always.
    assert np.all(reward[:, 0, -3:] > 0.95)
    assert not np.allclose(reward[0, 0], reward[1, 0])  # the seeds are different runs


def test_hparams_are_per_vmap_element(seeds_by_hparams):
    # lr = 0 leaves the policy where it started: probability ratios stay exactly 1, the policy uniform.
    assert np.all(seeds_by_hparams["approx_kl"][:, 1] == 0.0)
    assert np.all(seeds_by_hparams["reward"][:, 1, -3:] < 0.8)
    assert np.all(seeds_by_hparams["approx_kl"][:, 0].max(axis=-1) > 0.0)


def test_masked_actions_are_never_taken_and_best_valid_action_is_learned():
    env = MaskedProbe()
    _, metrics = jax.jit(make_train(PROBE, env, env.default_params))(jax.random.key(0), PROBE_HP)
    # Masked action 0 pays 2.0: any sample of it would show as an invalid action or a reward above 1.
    np.testing.assert_array_equal(metrics["info/invalid_action"], 0.0)
    assert np.all(metrics["reward"] <= 1.0)
    assert np.all(metrics["reward"][-3:] > 0.95)


CHUNKS = 3


@pytest.fixture(scope="module")
def chunked_runs(tmp_path_factory):
    """One-program run; the same run in chunks, checkpointed after the first; and a resumed run."""
    env = action_reward_probe()
    ppo = make_ppo(PROBE, env, env.default_params)
    train = jax.jit(chex.assert_max_traces(ppo.train, n=1))
    single = train(jax.random.key(1), PROBE_HP)
    train(jax.random.key(2), PROBE_HP.replace(lr=3e-3))  # a new key and new hparams reuse the program

    init = jax.jit(ppo.init)
    update_chunk = jax.jit(ppo.update_chunk, static_argnums=2)
    per_chunk = PROBE.num_updates // CHUNKS
    workdir = str(tmp_path_factory.mktemp("ppo_ckpt"))
    runner, chunk_metrics = init(jax.random.key(1), PROBE_HP), []
    for i in range(CHUNKS):
        runner, metrics = update_chunk(runner, PROBE_HP, per_chunk)
        chunk_metrics.append(metrics)
        if i == 0:
            save_checkpoint(workdir, per_chunk, runner, {"num_updates": per_chunk})
    chunked = (runner, jax.tree_util.tree_map(lambda *m: jnp.concatenate(m), *chunk_metrics))

    like = jax.eval_shape(ppo.init, jax.random.key(0), PROBE_HP)
    resumed, config, step = restore_checkpoint(workdir, like)
    assert step == per_chunk and config == {"num_updates": per_chunk}
    for _ in range(CHUNKS - 1):
        resumed, _ = update_chunk(resumed, PROBE_HP, per_chunk)
    return single, chunked, resumed


def test_chunks_equal_one_program_bit_for_bit(chunked_runs):
    single, chunked, _ = chunked_runs
    assert int(chunked[0].update_step) == PROBE.num_updates
    _assert_trees_equal(chunked, single)


def test_resumed_run_equals_uninterrupted(chunked_runs):
    single, _, resumed = chunked_runs
    _assert_trees_equal(resumed, single[0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_minibatches": 3}, "not divisible by num_minibatches=3"),
        ({"total_timesteps": 10}, "below one update"),
        ({"num_envs": 0}, "num_envs must be >= 1"),
    ],
)
def test_bad_config_is_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PPOConfig(num_envs=kwargs.pop("num_envs", 4), num_steps=16, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("network", ["mlp", "cluster_scorer"])
def test_planted_selection_reaches_the_best_subset(network):
    env = PlantedSelection()
    config = PPOConfig(
        num_envs=8, num_steps=12, total_timesteps=8 * 12 * 40, num_minibatches=2, hidden_size=32, network=network
    )
    train = jax.jit(jax.vmap(make_train(config, env, env.default_params), in_axes=(0, None)))
    _, metrics = train(jax.random.split(jax.random.key(0), 2), PPOHparams(lr=3e-3, gamma=1.0))
    np.testing.assert_array_equal(metrics["info/invalid_action"], 0.0)
    final = np.asarray(metrics["episode_return"])[:, -5:].mean(axis=1)
    assert np.all(final >= 0.95 * env.optimal_return), (final, env.optimal_return)


@pytest.mark.slow
def test_cartpole_matches_purejaxrl():
    """PureJaxRL's CartPole setup (the PPOConfig/PPOHparams defaults) solves CartPole in 5e5 steps."""
    env = CartPole()
    config = PPOConfig()
    assert config.total_timesteps == 500_000
    _, metrics = jax.jit(make_train(config, env, env.default_params))(jax.random.key(0), PPOHparams())
    returns = np.asarray(metrics["episode_return"])
    assert returns.shape == (config.num_updates,)
    smoothed = np.convolve(returns, np.ones(10) / 10, mode="valid")  # 10 updates = 5120 steps
    assert smoothed.max() >= 475, smoothed[::50]
