"""The selection MDP: shapes, budget, telescoping reward, vmap == loop, compile once, planted noise."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.synthetic import planted_clusters
from rlsel.env.rollouts import greedy_choice, max_episode_length, random_choice, rollout
from rlsel.env.selection import SelectionEnv, SelectionEnvConfig
from rlsel.proxy import ProxyConfig, make_proxy_data


def make_env(budget=0.25, budget_mode="examples", proxy=ProxyConfig(dim=0), seed=0, **planted):
    p = planted_clusters(seed=seed, **planted)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=16,
                      val_size=300, seed=seed)
    data, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=proxy.dim,
                              class_balanced=proxy.class_balanced)
    env = SelectionEnv(SelectionEnvConfig(budget=budget, budget_mode=budget_mode, proxy=proxy),
                       pool.num_clusters, 2)
    return env, env.make_params(pool, data), p


@pytest.fixture(scope="module")
def planted():
    return make_env()


def test_reset_observation(planted):
    env, params, _ = planted
    obs, state = env.reset_env(jax.random.key(0), params)
    assert obs.selected.shape == (12,) and obs.cluster_features.shape[0] == 12
    assert bool(obs.action_mask.all()) and float(obs.budget_left) == 1.0
    assert float(state.score) == pytest.approx(0.5)  # f(empty) of a binary task: zero logits


def test_rewards_telescope_and_budget_holds(planted):
    env, params, _ = planted
    length = max_episode_length(params)
    state, ret, _ = jax.jit(lambda k: rollout(env, params, k, random_choice, length))(jax.random.key(1))
    assert float(ret) == pytest.approx(float(state.score) - float(params.empty_score), abs=1e-5)
    assert float(state.used) <= float(params.budget)
    # 25% of 12 equal clusters of 40: exactly three fit.
    assert int(state.selected.sum()) == 3 and length == 3


def test_cluster_budget_mode_ends_at_budget():
    env, params, _ = make_env(budget=0.5, budget_mode="clusters")
    obs, state = env.reset_env(jax.random.key(0), params)
    for action in range(6):
        obs, state, _, done, _ = env.step_env(jax.random.key(action), state, action, params)
        assert bool(done) == (action == 5)
    assert not bool(obs.action_mask.any())


def test_too_small_budget_is_a_clear_error():
    with pytest.raises(ValueError, match="no cluster fits the budget"):
        make_env(budget=0.01)


def test_vmapped_step_equals_python_loop_and_compiles_once(planted):
    env, params, _ = planted
    num_envs = 5
    keys = jax.random.split(jax.random.key(3), num_envs)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def batched_step(keys, states, actions):
        return jax.vmap(env.step, in_axes=(0, 0, 0, None))(keys, states, actions, params)

    obs, states = jax.vmap(env.reset, in_axes=(0, None))(keys, params)
    for t in range(3):
        actions = jnp.array([(2 * i + t) % 12 for i in range(num_envs)])
        step_keys = jax.random.split(jax.random.key(10 + t), num_envs)
        obs_b, states_b, rew_b, done_b, _ = batched_step(step_keys, states, actions)
        for i in range(num_envs):
            state_i = jax.tree_util.tree_map(lambda x: x[i], states)
            _, s_i, r_i, d_i, _ = env.step(step_keys[i], state_i, actions[i], params)
            np.testing.assert_allclose(rew_b[i], r_i, atol=1e-6)
            assert bool(done_b[i]) == bool(d_i)
            np.testing.assert_array_equal(states_b.selected[i], s_i.selected)
        states = states_b
    again = batched_step(step_keys, states, actions)  # same inputs, same key: same result, no retrace
    chex.assert_trees_all_close(again[2], batched_step(step_keys, states, actions)[2])


def test_noisy_clusters_have_negative_mean_reward_and_greedy_avoids_them():
    env, params, p = make_env(budget=0.34, seed=1)
    rng = np.random.default_rng(0)
    clean = np.flatnonzero(~p.noisy)
    rewards = {c: [] for c in range(12)}
    for _ in range(20):  # random clean starting states of size 1..2
        start = rng.choice(clean, size=rng.integers(1, 3), replace=False)
        _, state = env.reset_env(jax.random.key(0), params)
        for a in start:
            _, state, _, _, _ = env.step_env(jax.random.key(0), state, a, params)
        for c in set(range(12)) - set(start):
            rewards[c].append(float(env.step_env(jax.random.key(0), state, c, params)[2]))
    noisy_mean = np.mean([np.mean(rewards[c]) for c in np.flatnonzero(p.noisy)])
    clean_mean = np.mean([np.mean(rewards[c]) for c in clean])
    assert noisy_mean < 0 < clean_mean
    length = max_episode_length(params)
    state, _, _ = rollout(env, params, jax.random.key(0), greedy_choice(env, params), length)
    chosen = np.flatnonzero(np.asarray(state.selected))
    assert len(chosen) == 4 and not p.noisy[chosen].any()


def make_chunked_env(budget=0.1, chunk_size=4, seed=0):
    p = planted_clusters(seed=seed)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=16, val_size=300,
                      seed=seed, x=p.train_x, chunk_size=chunk_size)
    data, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=0)
    env = SelectionEnv(SelectionEnvConfig(budget=budget, proxy=ProxyConfig(dim=0)), pool.num_clusters, 2,
                       num_chunks=pool.units.num_chunks)
    return env, env.make_params(pool, data), pool


def test_a_chunked_action_adds_its_clusters_next_chunk_until_the_cluster_is_spent():
    env, params, pool = make_chunked_env(budget=0.2)
    obs, state = env.reset_env(jax.random.key(0), params)
    for step in range(4):  # 16 members per cluster in 4 chunks of 4
        assert bool(obs.action_mask[5])
        obs, state, _, _, _ = env.step_env(jax.random.key(step), state, 5, params)
        assert int(state.taken[5]) == step + 1 and float(obs.selected[5]) == (step + 1) / 4
    assert not bool(obs.action_mask[5]) and float(state.used) == 16
    np.testing.assert_array_equal(np.flatnonzero(state.selected), np.arange(20, 24))
    np.testing.assert_array_equal(pool.units.expand(state.selected), np.sort(pool.units.rows[5].ravel()))


def test_chunked_episodes_spread_the_budget_and_telescope():
    env, params, pool = make_chunked_env(budget=0.1)  # 48 of 480 examples: 12 chunks of 4
    length = max_episode_length(params)
    state, ret, _ = jax.jit(lambda k: rollout(env, params, k, random_choice, length))(jax.random.key(2))
    assert length == 12 and int(state.selected.sum()) == 12 and float(state.used) == 48
    assert int((state.taken > 0).sum()) > 3  # a random policy touches many clusters, not 1-2 whole ones
    assert float(ret) == pytest.approx(float(state.score) - float(params.empty_score), abs=1e-5)


def test_cluster_budget_mode_needs_whole_clusters():
    with pytest.raises(ValueError, match="budget_mode 'clusters' counts whole clusters"):
        p = planted_clusters()
        pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=16, val_size=300,
                          seed=0, x=p.train_x, chunk_size=4)
        data, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=0)
        env = SelectionEnv(SelectionEnvConfig(budget=0.5, budget_mode="clusters", proxy=ProxyConfig(dim=0)),
                           pool.num_clusters, 2, num_chunks=pool.units.num_chunks)
        env.make_params(pool, data)


def test_the_reward_comes_from_the_proxy_given():
    """A proxy passed to the constructor scores every step (here: the default ridge, plus one)."""
    env, params, p = make_env()

    class PlusOne(type(env.proxy)):
        def add(self, key, carry, selected, action, data):
            score, carry = super().add(key, carry, selected, action, data)
            return score + 1.0, carry

    shifted = SelectionEnv(env.config, env.num_clusters, 2, proxy=PlusOne(env.config.proxy))
    start = env.reset_env(jax.random.key(0), params)[1]
    score = lambda e: float(e.step_env(jax.random.key(1), start, 0, params)[1].score)
    assert score(shifted) == pytest.approx(score(env) + 1.0)


def test_observed_error_is_the_current_heads_loss_at_each_next_chunk_and_drops_where_data_was_added():
    p = planted_clusters(seed=0)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=16, val_size=300,
                      seed=0, x=p.train_x, chunk_size=4)
    data, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=0)
    env = SelectionEnv(SelectionEnvConfig(budget=0.1, proxy=ProxyConfig(dim=0), observe_error=True),
                       pool.num_clusters, 2, num_chunks=pool.units.num_chunks)
    params = env.make_params(pool, data)
    obs, state = env.reset_env(jax.random.key(0), params)
    np.testing.assert_allclose(obs.cluster_error, (np.asarray(data.unit_y)[::4] ** 2).sum(-1), rtol=1e-6)
    obs, state, _, _, _ = env.step_env(jax.random.key(0), state, 3, params)
    unit = 3 * 4 + 1  # cluster 3's next chunk
    outputs = np.append(np.asarray(data.unit_x)[unit], 1.0) @ np.asarray(state.carry.weights)
    np.testing.assert_allclose(obs.cluster_error[3], ((outputs - np.asarray(data.unit_y)[unit]) ** 2).sum(),
                               rtol=1e-4)
    assert float(obs.cluster_error[3]) < 0.1 < float(obs.cluster_error.max())
