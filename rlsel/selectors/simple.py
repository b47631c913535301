"""Reference methods: uniform random examples, random clusters, and greedy by immediate reward."""

from __future__ import annotations

import jax
import numpy as np

from rlsel.env.rollouts import greedy_choice, max_episode_length, random_choice, rollout
from rlsel.selectors.base import Selection, from_unit_mask
from rlsel.selectors.context import SelectionContext


def select_random(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Uniform over train examples, exactly the example budget."""
    seed = int(jax.random.randint(key, (), 0, 2**31 - 1))
    n = len(ctx.prepared.train_y)
    indices = np.sort(np.random.default_rng(seed).choice(n, ctx.budget_examples, replace=False))
    return Selection(indices=indices, clusters=None)


def _rollout_selection(ctx: SelectionContext, key: jax.Array, choose) -> Selection:
    length = max_episode_length(ctx.env_params)
    state, ret, _ = jax.jit(lambda k: rollout(ctx.env, ctx.env_params, k, choose, length))(key)
    return from_unit_mask(ctx, state.selected, {"episode_return": float(ret)})


def select_random_clusters(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Uniform over clusters that still fit, until the budget is spent (the random policy of the MDP)."""
    return _rollout_selection(ctx, key, random_choice)


def select_greedy(ctx: SelectionContext, key: jax.Array) -> Selection:
    """At each step the cluster with the largest immediate proxy reward."""
    return _rollout_selection(ctx, key, greedy_choice(ctx.env, ctx.env_params))
