"""Reference methods: uniform random examples, random clusters, and greedy by immediate reward."""

from __future__ import annotations

import jax
import numpy as np

from rlsel.env.rollouts import greedy_choice, random_choice
from rlsel.selectors.base import Selection
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.decode import decode
from rlsel.selectors.quota import numpy_rng


def select_random(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Uniform over train examples, exactly the example budget."""
    n = len(ctx.prepared.train_y)
    indices = np.sort(numpy_rng(key).choice(n, ctx.budget_examples, replace=False))
    return Selection(indices=indices, clusters=None)


def select_random_clusters(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Uniform over clusters that still fit, until the budget is spent (the random policy of the MDP)."""
    return decode(ctx, random_choice, key)


def select_greedy(ctx: SelectionContext, key: jax.Array) -> Selection:
    """At each step the cluster with the largest immediate proxy reward."""
    return decode(ctx, greedy_choice(ctx.env, ctx.env_params), key)
