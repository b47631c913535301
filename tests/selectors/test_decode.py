"""Decoding a policy: the greedy episode, or the best of it and episodes sampled from the policy."""

import jax
import jax.numpy as jnp
import numpy as np

from rlsel.data.pool import build_pool
from rlsel.data.prepare import PrepareConfig, Prepared
from rlsel.data.synthetic import planted_clusters
from rlsel.env.rollouts import random_choice
from rlsel.env.selection import SelectionEnvConfig
from rlsel.proxy import ProxyConfig
from rlsel.proxy.evaluate import subset_scores
from rlsel.selectors.context import make_context
from rlsel.selectors.decode import decode, decode_best


def chunked_context():
    p = planted_clusters(seed=1)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=16, val_size=300,
                      seed=0, x=p.train_x, chunk_size=4)
    prepared = Prepared(config=PrepareConfig(), splits=None, fingerprint="planted", class_names=["a", "b"],
                        train_x=p.train_x, train_y=p.train_y, val_x=p.val_x, val_y=p.val_y, pool=pool, timings={})
    return make_context(prepared, SelectionEnvConfig(budget=0.1, proxy=ProxyConfig(dim=0, metric="neg_loss")))


def first_valid(key, obs, state):
    """A poor fixed policy: always the lowest-numbered cluster that still has a chunk that fits."""
    return jnp.argmax(obs.action_mask)


def test_the_best_of_greedy_and_sampled_episodes_wins_and_is_the_subset_returned():
    ctx = chunked_context()
    plain = decode(ctx, first_valid, jax.random.key(0))
    best = decode_best(ctx, first_valid, random_choice, jax.random.key(0), num_samples=16)
    info = best.extra["decode"]
    assert info["winner"] == "sampled" and info["sampled_returns_max"] > info["greedy_return"]
    assert best.extra["episode_return"] == info["sampled_returns_max"]
    assert info["greedy_return"] == plain.extra["episode_return"]
    p = ctx.prepared
    score = lambda s: subset_scores(ctx.env_config.proxy, ctx.projection, p.train_x, p.train_y, s.indices,
                                    ctx.env_params.data, p.val_x, p.val_y)[0]
    assert score(best) > score(plain)
    np.testing.assert_array_equal(best.indices, decode_best(ctx, first_valid, random_choice, jax.random.key(0),
                                                            num_samples=16).indices)
