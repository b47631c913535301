"""Fixed-length rollouts of the selection MDP for reference policies (random, greedy by reward)."""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from rlsel.env.selection import SelectionEnv, SelectionParams

MASKED_LOGIT = -1e9


def max_episode_length(params: SelectionParams) -> int:
    """Most steps any episode can take: the swap MDP's swaps, or the count of cheapest units that fit the budget
    together."""
    if params.start_carry is not None:
        return max(int(params.swaps), 1)
    cost = np.asarray(params.cost)
    cost = np.sort(cost[cost > 0])
    return max(int(np.searchsorted(np.cumsum(cost), float(params.budget) + 1e-6, side="right")), 1)


def rollout(env: SelectionEnv, params: SelectionParams, key: jax.Array, choose: Callable, length: int):
    """Run one episode of at most `length` steps; `choose(key, obs, state) -> action`. Frozen after done.

    Returns (final state, total return, per-step scores [length]).
    """

    def body(carry, key):
        obs, state, ret, done = carry
        k_act, k_step = jax.random.split(key)
        action = choose(k_act, obs, state)
        obs2, state2, reward, done2, _ = env.step_env(k_step, state, action, params)
        keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(done, b, a), new, old)
        carry = (keep(obs2, obs), keep(state2, state), ret + jnp.where(done, 0.0, reward), done | done2)
        return carry, jnp.where(done, state.score, state2.score)

    k_reset, k_run = jax.random.split(key)
    obs, state = env.reset_env(k_reset, params)
    (obs, state, ret, _), scores = jax.lax.scan(
        body, (obs, state, jnp.zeros(()), ~obs.action_mask.any()), jax.random.split(k_run, length)
    )
    return state, ret, scores


def random_choice(key, obs, state):
    """Uniform over valid actions."""
    return jax.random.categorical(key, jnp.where(obs.action_mask, 0.0, MASKED_LOGIT))


def greedy_choice(env: SelectionEnv, params: SelectionParams) -> Callable:
    """The valid action with the largest immediate reward (every candidate scored by the proxy)."""

    def choose(key, obs, state):
        actions = jnp.arange(env.num_actions)
        rewards = jax.vmap(lambda a: env.step_env(key, state, a, params)[2])(actions)
        return jnp.argmax(jnp.where(obs.action_mask, rewards, MASKED_LOGIT))

    return choose
