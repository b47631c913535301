"""The MDP's spreading masks: a per-cluster cap on chunks, and each label held to its train share of the budget."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.synthetic import planted_clusters
from rlsel.env.rollouts import MASKED_LOGIT, max_episode_length, rollout
from rlsel.env.selection import SelectionEnv, SelectionEnvConfig
from rlsel.proxy import ProxyConfig, make_proxy_data


def make_env(budget=0.1, label_pure=False, **config):
    p = planted_clusters(seed=0)
    assignments, centroids = p.assignments, p.centroids
    if label_pure:  # split every cluster by label, as prepare.stratified does
        assignments = np.unique(p.assignments * 2 + p.train_y, return_inverse=True)[1]
        centroids = np.stack([p.train_x[assignments == c].mean(0) for c in range(assignments.max() + 1)])
    pool = build_pool(assignments, p.train_y, centroids, 2, len(p.val_y), per_cluster=16, val_size=300,
                      seed=0, x=p.train_x, chunk_size=2)
    data, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=0)
    env = SelectionEnv(SelectionEnvConfig(budget=budget, proxy=ProxyConfig(dim=0), **config), pool.num_clusters, 2,
                       num_chunks=pool.units.num_chunks)
    return env, env.make_params(pool, data), pool, p


def lowest_valid(key, obs, state):
    """Always the valid cluster with the lowest id: a policy that would pile into one cluster."""
    return jnp.argmax(jnp.where(obs.action_mask, -jnp.arange(obs.action_mask.shape[0]), MASKED_LOGIT))


def test_a_capped_cluster_closes_after_cap_chunks_and_the_budget_spreads_over_clusters():
    env, params, _, _ = make_env(cluster_cap=3)  # 48 of 480 examples: 24 chunks of 2, at most 3 per cluster
    state, _, _ = rollout(env, params, jax.random.key(0), lowest_valid, max_episode_length(params))
    np.testing.assert_array_equal(np.asarray(state.taken), [3] * 8 + [0] * 4)
    assert float(state.used) == 48


def test_without_a_cap_the_same_policy_takes_whole_clusters():
    env, params, _, _ = make_env()
    state, _, _ = rollout(env, params, jax.random.key(0), lowest_valid, max_episode_length(params))
    assert int(state.taken[0]) == 8 and int((np.asarray(state.taken) > 0).sum()) == 3


def test_a_cap_too_small_for_the_budget_is_raised_to_the_smallest_that_fills_it():
    env, params, _, _ = make_env(cluster_cap=1)  # 12 clusters x 1 chunk of 2 = 24 examples < the budget of 48
    np.testing.assert_array_equal(np.asarray(params.num_chunks), [2] * 12)
    state, _, _ = rollout(env, params, jax.random.key(0), lowest_valid, max_episode_length(params))
    assert float(state.used) == 48 and int(np.asarray(state.taken).max()) == 2


def test_label_balance_holds_each_label_to_its_share_of_the_budget_plus_one_chunk():
    env, params, pool, p = make_env(label_balance=True)
    state, _, _ = rollout(env, params, jax.random.key(0), lowest_valid, max_episode_length(params))
    chosen = pool.units.expand(np.asarray(state.selected))
    share = np.bincount(p.train_y, minlength=2) / len(p.train_y)
    counts = np.bincount(p.train_y[chosen], minlength=2)
    assert (counts <= share * 48 + 2 + 1e-6).all()
    unbalanced_env, unbalanced_params, _, _ = make_env()
    free, _, _ = rollout(unbalanced_env, unbalanced_params, jax.random.key(0), lowest_valid,
                         max_episode_length(unbalanced_params))
    free_counts = np.bincount(p.train_y[pool.units.expand(np.asarray(free.selected))], minlength=2)
    assert np.abs(free_counts - share * 48).max() > np.abs(counts - share * 48).max()


def test_the_mask_of_a_fixed_order_state_matches_the_episode_that_reached_it():
    env, params, _, _ = make_env(label_balance=True, cluster_cap=4)
    obs, state = env.reset_env(jax.random.key(0), params)
    for step, action in enumerate([0, 0, 5, 7, 7, 7]):
        obs, state, _, _, _ = env.step_env(jax.random.key(step), state, action, params)
    from_taken = env.action_mask(state.taken, state.used, params)
    np.testing.assert_array_equal(np.asarray(from_taken), np.asarray(obs.action_mask))


def test_exact_shares_fill_every_label_to_its_whole_chunk_share_whatever_the_policy_prefers():
    env, params, pool, p = make_env(label_balance=True, exact_shares=True, label_pure=True)
    state, _, _ = rollout(env, params, jax.random.key(0), lowest_valid, max_episode_length(params))
    counts = np.bincount(p.train_y[pool.units.expand(np.asarray(state.selected))], minlength=2)
    np.testing.assert_array_equal(counts, np.asarray(params.label_budget))
    assert counts.sum() == 48
    share = np.bincount(p.train_y, minlength=2) / len(p.train_y)
    assert np.abs(counts - share * 48).max() <= 2


def test_exact_shares_on_regions_that_mix_labels_are_refused():
    with pytest.raises(ValueError, match="label-pure"):
        make_env(label_balance=True, exact_shares=True)


def test_exact_shares_without_label_balance_is_refused():
    with pytest.raises(ValueError, match="label_balance=True"):
        SelectionEnvConfig(exact_shares=True)
