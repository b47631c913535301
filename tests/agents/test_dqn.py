"""DQN and its replay buffer: buffer mechanics, masking, and learning on tiny probe environments."""

from __future__ import annotations

import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import struct

from rlsel.agents import dqn, replay
from rlsel.env.base import Environment
from rlsel.env.obs import SelectionObs

BANDIT_REWARDS = (0.1, 0.9, 0.3, 0.5)
# Choose 2 of 6 clusters. Cluster 0 is never allowed yet pays most; the best allowed set {4, 1} returns 1.9,
# the next best 1.5. Any action outside the mask (cluster 0 or a re-pick) would pay INVALID_BONUS.
PICK_REWARDS = (5.0, 0.9, 0.1, 0.5, 1.0, 0.3)
PICK_ALLOWED = (False, True, True, True, True, True)
PICK_K = 2
PICK_OPTIMAL = 1.9
INVALID_BONUS = 1e6
SEEDS = 3


@struct.dataclass
class PickState:
    selected: jax.Array
    steps: jax.Array


class Bandit(Environment):
    """One-step bandit with a constant array observation; params = reward per action."""

    num_actions = len(BANDIT_REWARDS)

    def reset_env(self, key, params):
        return jnp.ones((2,)), jnp.int32(0)

    def step_env(self, key, state, action, params):
        return jnp.ones((2,)), state, params[action], jnp.bool_(True), {}


class PickK(Environment):
    """Choose PICK_K clusters one at a time; reward = additive per-cluster value (params [C])."""

    num_actions = len(PICK_REWARDS)

    def _obs(self, state):
        mask = (state.selected == 0) & jnp.array(PICK_ALLOWED)
        budget_left = 1.0 - state.steps / PICK_K
        return SelectionObs(state.selected, mask, budget_left, jnp.zeros((self.num_actions, 3)))

    def reset_env(self, key, params):
        state = PickState(jnp.zeros((self.num_actions,)), jnp.int32(0))
        return self._obs(state), state

    def step_env(self, key, state, action, params):
        reward = params[action] + INVALID_BONUS * ~self._obs(state).action_mask[action]
        new = PickState(state.selected.at[action].set(1.0), state.steps + 1)
        return self._obs(new), new, reward, new.steps >= PICK_K, {}


BANDIT_CONFIG = dqn.DQNConfig(
    num_envs=8, total_timesteps=1600, buffer_size=512, batch_size=32, learning_starts=64,
    train_frequency=1, target_update_interval=10, hidden_sizes=(32,), num_log_periods=4,
)
PICK_CONFIG = dqn.DQNConfig(
    num_envs=8, total_timesteps=6400, buffer_size=2048, batch_size=64, learning_starts=128,
    train_frequency=1, target_update_interval=20, hidden_sizes=(64,), num_log_periods=4,
)
HPARAMS = dqn.DQNHparams(lr=3e-3, gamma=0.9, epsilon_start=1.0, epsilon_end=0.05, epsilon_decay_fraction=0.5)


def _stacked(hparams, seeds):
    return jax.tree_util.tree_map(lambda v: np.full((seeds,), v, np.float32), hparams)


@pytest.fixture(scope="module")
def bandit_train():
    """The bandit run vmapped over seeds (and hparams), jitted once for the whole module."""
    chex.clear_trace_counter()
    train = dqn.make_train(BANDIT_CONFIG, Bandit(), jnp.array(BANDIT_REWARDS))
    return jax.jit(jax.vmap(chex.assert_max_traces(train, n=1)))


@pytest.fixture(scope="module")
def bandit_result(bandit_train):
    hparams = _stacked(HPARAMS, SEEDS).replace(lr=np.array([3e-3, 2e-3, 3e-3], np.float32))
    return bandit_train(jax.random.split(jax.random.key(0), SEEDS), hparams)


@pytest.fixture(scope="module")
def pick_result():
    table = jnp.array(PICK_REWARDS)
    return jax.jit(dqn.make_train(PICK_CONFIG, PickK(), table))(jax.random.key(2), HPARAMS)


# ---------------------------------------------------------------- replay buffer


def test_replay_wraps_around_and_caps_size():
    buf = replay.init({"x": np.int32(0), "v": np.zeros((2,), np.float32)}, capacity=5)
    add = jax.jit(replay.add_batch)
    buf = add(buf, {"x": np.arange(3), "v": np.ones((3, 2))})
    assert (int(buf.pointer), int(buf.size)) == (3, 3)
    buf = add(buf, {"x": np.arange(3, 7), "v": np.full((4, 2), 2.0)})
    np.testing.assert_array_equal(buf.data["x"], [5, 6, 2, 3, 4])
    np.testing.assert_array_equal(buf.data["v"][:, 0], [2, 2, 1, 2, 2])
    assert (int(buf.pointer), int(buf.size)) == (2, 5)


def test_replay_samples_uniformly_from_filled_slots_only():
    buf = replay.init(np.int32(0), capacity=16)
    fill_and_sample = jax.jit(lambda b, k: replay.sample(replay.add_batch(b, np.arange(1, 6)), k, 20_000))
    draws = np.asarray(fill_and_sample(buf, jax.random.key(0)))  # slots 0..4 hold 1..5, slots 5..15 hold 0
    assert set(np.unique(draws)) == {1, 2, 3, 4, 5}
    np.testing.assert_allclose(np.bincount(draws, minlength=6)[1:] / draws.size, 0.2, atol=0.015)


def test_replay_rejects_bad_batches():
    buf = replay.init({"x": np.zeros((2,))}, capacity=3)
    with pytest.raises(ValueError, match="exceeds the buffer capacity"):
        replay.add_batch(buf, {"x": np.zeros((4, 2))})
    with pytest.raises(ValueError, match="does not fit a slot"):
        replay.add_batch(buf, {"x": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="structure"):
        replay.add_batch(buf, {"y": np.zeros((1, 2))})
    with pytest.raises(ValueError, match="capacity"):
        replay.init({"x": np.zeros(2)}, capacity=0)


# ---------------------------------------------------------------- masking


VALID = np.array([True, False, True, True, False])


def _constant_q(q_values, in_dim):
    """A Q-network whose output is `q_values` whatever the input (zero weights, biases as given)."""
    hidden = 8
    return [
        {"w": np.zeros((in_dim, hidden), np.float32), "b": np.zeros(hidden, np.float32)},
        {"w": np.zeros((hidden, len(q_values)), np.float32), "b": np.array(q_values, np.float32)},
    ]


PREFER_MASKED = (0.0, 100.0, 0.0, 50.0, 100.0)  # masked actions 1 and 4 have the largest Q; valid best is 3


@jax.jit
def _choices(params, key):
    """Greedy action on a SelectionObs, then 4000 exploring and 4000 exploiting epsilon-greedy draws."""
    n = VALID.shape[0]
    greedy = dqn.greedy_action(params, SelectionObs(jnp.zeros((n,)), VALID, jnp.float32(1.0), jnp.zeros((n, 1))))
    q = dqn.q_values(params, jnp.zeros((4000, n + 1)))
    rows = jnp.broadcast_to(VALID, q.shape)
    key_explore, key_exploit = jax.random.split(key)
    explore = dqn.epsilon_greedy(key_explore, q, rows, jnp.float32(1.0))
    exploit = dqn.epsilon_greedy(key_exploit, q, rows, jnp.float32(0.0))
    return greedy, explore, exploit


def test_masked_actions_never_chosen_even_with_largest_q():
    greedy, explore, exploit = _choices(_constant_q(PREFER_MASKED, VALID.shape[0] + 1), jax.random.key(0))
    assert int(greedy) == 3
    counts = np.bincount(np.asarray(explore), minlength=VALID.shape[0])
    assert counts[1] == counts[4] == 0
    np.testing.assert_allclose(counts[[0, 2, 3]] / explore.size, 1 / 3, atol=0.04)
    np.testing.assert_array_equal(exploit, 3)


def test_td_target_uses_masked_double_q_and_stops_at_terminal():
    online = _constant_q(PREFER_MASKED, 2)  # the online net picks action 3 among the valid ones
    target = _constant_q((60.0, 100.0, 0.0, -7.0, 100.0), 2)  # the target net values action 3 at -7
    x = dqn.QInput(np.zeros((3, 2), np.float32), np.stack([VALID, VALID, np.zeros_like(VALID)]))
    done = np.array([False, True, False])
    batch = dqn.Transition(x, np.zeros(3, np.int32), np.array([1.0, 2.0, 3.0], np.float32), done, x)
    out = jax.jit(dqn.td_target)(online, target, batch, np.float32(0.5))
    np.testing.assert_allclose(out, [1.0 - 0.5 * 7.0, 2.0, 3.0], rtol=1e-6)  # last row: no valid next action


def test_training_never_takes_masked_actions(pick_result):
    _, metrics = pick_result
    assert np.all(np.asarray(metrics["episodes"]) > 0)
    assert np.all(np.asarray(metrics["episode_return"]) <= PICK_OPTIMAL + 1e-5)  # one invalid action adds 1e6


# ---------------------------------------------------------------- learning


def test_bandit_greedy_picks_best_action(bandit_result):
    state, metrics = bandit_result
    obs = np.ones((2,), np.float32)
    actions, q = jax.jit(jax.vmap(lambda p: (dqn.greedy_action(p, obs), dqn.q_values(p, obs))))(state.params)
    np.testing.assert_array_equal(actions, [np.argmax(BANDIT_REWARDS)] * SEEDS)
    np.testing.assert_allclose(q, np.broadcast_to(BANDIT_REWARDS, q.shape), atol=0.1)
    np.testing.assert_array_equal(metrics["timesteps"][:, -1], BANDIT_CONFIG.total_timesteps)
    np.testing.assert_allclose(metrics["epsilon"][:, -1], HPARAMS.epsilon_end, rtol=1e-6)
    assert np.all(metrics["episode_return"][:, -1] > metrics["episode_return"][:, 0])


@jax.jit
def _greedy_rollout(params):
    """Return, end flag and whether every action was valid, for one greedy episode of PickK."""
    env, table = PickK(), jnp.array(PICK_REWARDS)
    obs, state = env.reset(jax.random.key(0), table)
    total, done, valid = 0.0, False, True
    for _ in range(PICK_K):
        action = dqn.greedy_action(params, obs)
        valid = valid & obs.action_mask[action] & ~done
        obs, state, reward, done, _ = env.step_env(jax.random.key(0), state, action, table)
        total += reward
    return total, done, valid


def test_selection_env_greedy_rollout_near_optimal(pick_result):
    total, done, valid = _greedy_rollout(pick_result[0].params)
    assert bool(done) and bool(valid)
    assert float(total) >= 0.95 * PICK_OPTIMAL


def test_compiles_once_across_keys_and_hparams(bandit_train, bandit_result):
    other = _stacked(HPARAMS.replace(lr=1e-3, gamma=0.5, tau=0.5), SEEDS)
    _, metrics = bandit_train(jax.random.split(jax.random.key(7), SEEDS), other)  # raises if traced again
    assert metrics["loss"].shape == (SEEDS, BANDIT_CONFIG.num_log_periods)


def test_vmap_runs_independent_seeds(bandit_result):
    state, metrics = bandit_result
    assert metrics["episode_return"].shape == (SEEDS, BANDIT_CONFIG.num_log_periods)
    w = state.params[0]["w"]
    assert not np.allclose(w[0], w[1]) and not np.allclose(w[0], w[2])
    assert not np.allclose(metrics["loss"][0], metrics["loss"][2])  # same lr, different seed


def test_training_starts_from_the_network_start_returns():
    """`start` gets the fresh network and the hparams; before any update, online and target are what it returns."""
    config = dataclasses.replace(BANDIT_CONFIG, learning_starts=BANDIT_CONFIG.total_timesteps + 1)
    start = lambda params, hparams: jax.tree_util.tree_map(lambda p: jnp.full_like(p, hparams.lr), params)
    train = dqn.make_train(config, Bandit(), jnp.array(BANDIT_REWARDS), start)
    state, metrics = jax.jit(train)(jax.random.key(0), HPARAMS)
    assert int(metrics["updates"].sum()) == 0
    for leaf in jax.tree_util.tree_leaves((state.params, state.target_params)):
        np.testing.assert_allclose(leaf, HPARAMS.lr)


def test_config_errors_are_explicit():
    env, table = Bandit(), jnp.array(BANDIT_REWARDS)
    with pytest.raises(ValueError, match="multiple of"):
        dqn.make_train(dqn.DQNConfig(num_envs=8, total_timesteps=1000, num_log_periods=3), env, table)
    with pytest.raises(ValueError, match="batch_size"):
        dqn.make_train(dqn.DQNConfig(batch_size=0), env, table)
    with pytest.raises(ValueError, match="buffer_size"):
        dqn.make_train(dqn.DQNConfig(num_envs=8, buffer_size=4, total_timesteps=800), env, table)
