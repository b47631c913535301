"""Decoding a policy into a subset: the one episode it plays from the empty selection, or the best of that
episode and some sampled ones."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

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


def decode_best(ctx: SelectionContext, greedy: Policy, sampled: Policy, key: jax.Array, num_samples: int,
                extra: dict | None = None) -> Selection:
    """The highest-return subset among the greedy episode and `num_samples` episodes sampled from the policy
    (the reward's own rows judge them; the extras say which won and how far apart they were)."""
    greedy_key, sample_key = jax.random.split(key)
    play = lambda policy, k: decode_episode(ctx.env, ctx.env_params, policy, k)
    first, first_ret = jax.jit(lambda k: play(greedy, k))(greedy_key)
    states, rets = jax.jit(jax.vmap(lambda k: play(sampled, k)))(jax.random.split(sample_key, num_samples))
    best = int(jnp.argmax(rets))
    won = bool(rets[best] > first_ret)
    selected = states.selected[best] if won else first.selected
    decode_info = {"greedy_return": float(first_ret), "sampled_returns_mean": float(rets.mean()),
                   "sampled_returns_max": float(rets.max()), "winner": "sampled" if won else "greedy"}
    return from_unit_mask(ctx, selected, {"episode_return": float(max(rets[best], first_ret)),
                                          "decode": decode_info, **(extra or {})})
