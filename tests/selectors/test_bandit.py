"""EXP3 over clusters on planted data whose noisy clusters have the lowest mean proxy reward."""

import jax
import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.prepare import PrepareConfig, Prepared
from rlsel.data.synthetic import planted_clusters
from rlsel.env.rollouts import max_episode_length, random_choice, rollout
from rlsel.env.selection import SelectionEnvConfig
from rlsel.proxy import ProxyConfig
from rlsel.selectors.bandit import EPISODES, learn_weights, select_exp3
from rlsel.selectors.context import SelectionContext, make_context

SEED = 2  # on this planting every noisy cluster's mean reward under random play is below every clean one's


@pytest.fixture(scope="module")
def planted() -> tuple[SelectionContext, np.ndarray]:
    """12 clusters of 16 kept members in chunks of 4, 4 of them noisy; the budget is 12 chunks."""
    p = planted_clusters(seed=SEED)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=16, val_size=300,
                      seed=SEED, x=p.train_x, chunk_size=4)
    prepared = Prepared(config=PrepareConfig(), splits=None, fingerprint="planted", class_names=["a", "b"],
                        train_x=p.train_x, train_y=p.train_y, val_x=p.val_x, val_y=p.val_y, pool=pool, timings={})
    ctx = make_context(prepared, SelectionEnvConfig(budget=0.1, proxy=ProxyConfig(dim=0, metric="neg_loss")))
    return ctx, p.noisy


def test_learned_weights_rank_clean_clusters_above_noisy_ones(planted):
    """With 4x the default episodes: most clean-noisy pairs are ordered, the top four arms are clean and the
    bottom one noisy (the mildest noisy cluster's mean reward is close to the weakest clean ones')."""
    ctx, noisy = planted
    learn = jax.jit(lambda k: learn_weights(ctx.env, ctx.env_params, k, max_episode_length(ctx.env_params),
                                            4 * EPISODES))
    log_w, returns, bound = learn(jax.random.key(0))
    log_w = np.asarray(log_w)
    order = np.argsort(-log_w)
    assert (log_w[~noisy][:, None] > log_w[noisy][None, :]).mean() >= 0.85, (log_w.round(2), noisy)
    assert not noisy[order[:4]].any() and noisy[order[-1]], (log_w.round(2), noisy)
    assert np.isfinite(np.asarray(returns)).all() and float(bound) > 0


def test_the_subset_avoids_noisy_clusters_and_beats_the_random_policy(planted):
    ctx, noisy = planted
    selection = select_exp3(ctx, jax.random.key(0))
    assert noisy[ctx.prepared.pool.assignments[selection.indices]].mean() <= 0.25
    length = max_episode_length(ctx.env_params)
    random_returns = jax.jit(jax.vmap(lambda k: rollout(ctx.env, ctx.env_params, k, random_choice, length)[1]))(
        jax.random.split(jax.random.key(1), 64))
    assert selection.extra["episode_return"] > float(random_returns.mean())


def test_budget_uniqueness_and_same_key_same_indices(planted):
    ctx, _ = planted
    first = select_exp3(ctx, jax.random.key(3))
    assert len(first.indices) <= ctx.budget_examples
    assert len(np.unique(first.indices)) == len(first.indices)
    np.testing.assert_array_equal(first.indices, select_exp3(ctx, jax.random.key(3)).indices)
