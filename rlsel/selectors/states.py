"""States of the selection MDP outside an episode: `taken` [C] (chunks per cluster, a prefix of each cluster's
chunks), drawn by the MDP's random policy or mutated from another state, always within the budget.

Nothing here calls the proxy: a state costs one proxy call only when it is scored (`rlsel.selectors.statemodel`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from rlsel.data.units import Units
from rlsel.env.rollouts import MASKED_LOGIT
from rlsel.env.selection import SelectionEnv, SelectionParams


def require_fixed_order(env: SelectionEnv, method: str) -> None:
    """These states name a subset only when each cluster's chunks come in a fixed order."""
    if env.config.pick != "order":
        raise ValueError(f"{method} searches states that hold each cluster's first chunks, which needs "
                         f"pick='order'; with pick='{env.config.pick}' the chunks depend on the path taken")


def budget_used(env: SelectionEnv, params: SelectionParams, taken: jax.Array) -> jax.Array:
    """[...] budget a state spends."""
    return (env.held_units(taken) * params.cost).sum(-1)


def fill(env: SelectionEnv, params: SelectionParams, key: jax.Array, taken: jax.Array, length: int) -> jax.Array:
    """Add uniformly random valid chunks until none fits (at most `length`): where the random policy would end."""

    def body(carry, key):
        taken, used = carry
        mask = env.action_mask(taken, used, params)
        action = jax.random.categorical(key, jnp.where(mask, 0.0, MASKED_LOGIT))
        grow = mask.any()
        unit = env.next_unit(taken)[action]
        return (jnp.where(grow, taken.at[action].add(1), taken),
                used + jnp.where(grow, params.cost[unit], 0.0)), None

    (taken, _), _ = jax.lax.scan(body, (taken, budget_used(env, params, taken)), jax.random.split(key, length))
    return taken


def random_state(env: SelectionEnv, params: SelectionParams, key: jax.Array, length: int) -> jax.Array:
    """A final state of the MDP's random policy (uniform over valid actions from the empty selection)."""
    return fill(env, params, key, jnp.zeros(env.num_clusters, jnp.int32), length)


def mutate(env: SelectionEnv, params: SelectionParams, key: jax.Array, taken: jax.Array, max_moves: int,
           length: int) -> jax.Array:
    """Drop the last chunk of 1..`max_moves` random clusters that hold one, then refill at random."""
    k_moves, k_drop, k_fill = jax.random.split(key, 3)
    moves = jax.random.randint(k_moves, (), 1, max_moves + 1)

    def drop(taken, step):
        i, key = step
        held = taken > 0
        cluster = jax.random.categorical(key, jnp.where(held, 0.0, MASKED_LOGIT))
        return jnp.where((i < moves) & held.any(), taken.at[cluster].add(-1), taken), None

    taken, _ = jax.lax.scan(drop, taken, (jnp.arange(max_moves), jax.random.split(k_drop, max_moves)))
    return fill(env, params, k_fill, taken, length)


def taken_from_indices(units: Units, indices: np.ndarray) -> np.ndarray:
    """[C] the longest prefix of each cluster's chunks whose rows all lie in `indices` (exact for a subset the
    MDP chose; a subset of single examples keeps only the chunks it covers whole)."""
    whole = (np.isin(units.rows, indices) | ~units.mask).all(-1) & units.mask.any(-1)
    return np.cumprod(whole, axis=1).sum(1).astype(np.int32)
