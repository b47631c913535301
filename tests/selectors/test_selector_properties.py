"""Property tests of every registered selector (except the slow learners PPO, DQN and dyna_ppo): on a tiny planted
context, whatever the budget and seed, the indices are sorted, unique, in range and within the budget."""

from __future__ import annotations

import functools

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlsel.data.pool import build_pool
from rlsel.data.prepare import PrepareConfig, Prepared
from rlsel.data.synthetic import planted_clusters
from rlsel.env.selection import SelectionEnvConfig
from rlsel.proxy import ProxyConfig
from rlsel.selectors.context import SelectionContext, make_context
from rlsel.selectors.registry import METHODS, get_selector
from rlsel.selectors.settings import SelectorSettings

SLOW = ("ppo", "dqn", "dyna_ppo")
BUDGETS = (12, 30)  # examples of 120: 6 and 15 chunks of 2


@functools.lru_cache(maxsize=None)
def tiny_context(examples: int) -> SelectionContext:
    """6 clusters of 20 planted examples, 8 kept per cluster in chunks of 2; one context per budget."""
    p = planted_clusters(seed=0, num_clusters=6, per_cluster=20)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=8, val_size=100, seed=0,
                      x=p.train_x, chunk_size=2)
    prepared = Prepared(config=PrepareConfig(), splits=None, fingerprint="planted", class_names=["a", "b"],
                        train_x=p.train_x, train_y=p.train_y, val_x=p.val_x, val_y=p.val_y, pool=pool, timings={})
    budget = (examples + 0.5) / len(p.train_y)
    return make_context(prepared, SelectionEnvConfig(budget=budget, proxy=ProxyConfig(dim=0)))


@pytest.mark.parametrize("method", [m for m in METHODS if m not in SLOW])
@settings(max_examples=4, deadline=None, database=None)
@given(examples=st.sampled_from(BUDGETS), seed=st.integers(0, 2**16))
def test_indices_are_sorted_unique_in_range_and_within_budget(method, examples, seed):
    ctx = tiny_context(examples)
    indices = np.asarray(get_selector(method)(ctx, jax.random.key(seed), SelectorSettings()).indices)
    assert indices.ndim == 1 and np.issubdtype(indices.dtype, np.integer)
    assert (np.diff(indices) > 0).all(), "sorted and unique"
    assert len(indices) and indices.min() >= 0 and indices.max() < len(ctx.prepared.train_y)
    assert len(indices) <= ctx.budget_examples == examples
