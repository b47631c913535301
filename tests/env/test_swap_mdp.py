"""The swap MDP: it starts from every region's first unit, a swap replaces a region's unit by its next, every
region stays represented, and the rewards telescope from the start's score."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.synthetic import planted_clusters
from rlsel.env.rollouts import greedy_choice, max_episode_length, random_choice, rollout
from rlsel.env.selection import SelectionEnv, SelectionEnvConfig
from rlsel.proxy import ProxyConfig, make_proxy_data


def make_env(swap_fraction=0.5, proxy=ProxyConfig(dim=0)):
    p = planted_clusters(seed=0)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=4, val_size=300,
                      seed=0, x=p.train_x, chunk_size=1)
    data, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=0)
    config = SelectionEnvConfig(mdp="swap", swap_fraction=swap_fraction, proxy=proxy)
    env = SelectionEnv(config, pool.num_clusters, 2, num_chunks=pool.units.num_chunks)
    return env, env.make_params(pool, data), pool


@pytest.fixture(scope="module")
def swap_env():
    return make_env()


def first_units(pool) -> np.ndarray:
    return np.sort(pool.units.rows[:, 0][pool.units.mask[:, 0]])


def test_every_episode_starts_from_each_regions_first_unit_and_its_score(swap_env):
    env, params, pool = swap_env
    obs, state = env.reset_env(jax.random.key(0), params)
    np.testing.assert_array_equal(pool.units.expand(np.asarray(state.selected)), first_units(pool))
    fresh = env.proxy.fit_mask(state.selected, params.data)
    assert float(state.score) == pytest.approx(float(env.proxy.score_weights(fresh, params.data)), abs=1e-5)
    assert bool(obs.action_mask.all()) and max_episode_length(params) == 6  # half of 12 regions


def test_a_swap_replaces_the_regions_unit_by_its_next_and_the_proxy_refits_exactly(swap_env):
    env, params, pool = swap_env
    _, state = env.reset_env(jax.random.key(0), params)
    _, state, reward, done, _ = env.step_env(jax.random.key(1), state, 3, params)
    held = np.asarray(state.selected).reshape(12, -1)
    assert held[3].tolist() == [False, True, False, False] and held.sum() == 12 and not bool(done)
    fresh = env.proxy.fit_mask(state.selected, params.data)
    np.testing.assert_allclose(np.asarray(state.carry.weights), np.asarray(fresh), atol=1e-4)
    assert float(reward) == pytest.approx(float(state.score) - float(params.empty_score), abs=1e-6)


def test_any_policy_keeps_one_unit_per_region_and_the_rewards_telescope(swap_env):
    env, params, pool = swap_env
    for choose in (random_choice, greedy_choice(env, params)):
        state, ret, _ = rollout(env, params, jax.random.key(2), choose, max_episode_length(params))
        assert (np.asarray(state.selected).reshape(12, -1).sum(1) == 1).all() and int(state.step) == 6
        assert float(ret) == pytest.approx(float(state.score) - float(params.empty_score), abs=1e-5)
    assert float(ret) >= 0.0  # greedy's best swaps


def test_a_region_whose_units_ran_out_is_masked():
    env, params, _ = make_env(swap_fraction=1.0)
    _, state = env.reset_env(jax.random.key(0), params)
    for step in range(3):
        obs, state, _, _, _ = env.step_env(jax.random.key(step), state, 0, params)
    assert not bool(obs.action_mask[0]) and bool(obs.action_mask[1:].all())


def test_no_swaps_keeps_the_start():
    env, params, pool = make_env(swap_fraction=0.0)
    state, ret, _ = rollout(env, params, jax.random.key(0), random_choice, max_episode_length(params))
    np.testing.assert_array_equal(pool.units.expand(np.asarray(state.selected)), first_units(pool))
    assert float(ret) == 0.0


def test_a_proxy_a_unit_cannot_leave_is_a_clear_error():
    with pytest.raises(ValueError, match="proxy.kind='ridge'"):
        make_env(proxy=ProxyConfig(dim=0, kind="linear"))
    with pytest.raises(ValueError, match="swap_fraction"):
        SelectionEnvConfig(mdp="swap", swap_fraction=1.5)
    with pytest.raises(ValueError, match="pick='order'"):
        SelectionEnvConfig(mdp="swap", pick="gain", proxy=ProxyConfig(coverage_weight=1.0))
