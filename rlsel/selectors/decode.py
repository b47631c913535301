"""Decoding a policy into a subset: the one episode it plays from the empty selection."""

from __future__ import annotations

from typing import Any, Callable

import jax

from rlsel.env.rollouts import max_episode_length, rollout
from rlsel.env.selection import SelectionEnv, SelectionParams, SelectionState
from rlsel.selectors.base import Selection, from_unit_mask
from rlsel.selectors.context import SelectionContext

Policy = Callable[[jax.Array, Any, SelectionState], jax.Array]  # (key, obs, state) -> action


def decode_episode(env: SelectionEnv, params: SelectionParams, policy: Policy,
                   key: jax.Array) -> tuple[SelectionState, jax.Array]:
    """The final state and return of the episode `policy` plays. Traceable in the policy (vmap it over trained
    weights); `params` must be concrete, since the episode length is read from them."""
    state, ret, _ = rollout(env, params, key, policy, max_episode_length(params))
    return state, ret


def decode(ctx: SelectionContext, policy: Policy, key: jax.Array, extra: dict | None = None) -> Selection:
    """The subset `policy` chooses in one episode; its `episode_return`, then `extra`, go in the extras."""
    state, ret = jax.jit(lambda k: decode_episode(ctx.env, ctx.env_params, policy, k))(key)
    return from_unit_mask(ctx, state.selected, {"episode_return": float(ret), **(extra or {})})
