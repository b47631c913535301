"""Generalized advantage estimation (Schulman et al., 2016) as a reverse `lax.scan`."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def generalized_advantages(
    rewards: jax.Array,
    values: jax.Array,
    dones: jax.Array,
    last_value: jax.Array,
    gamma: jax.Array | float,
    gae_lambda: jax.Array | float,
) -> tuple[jax.Array, jax.Array]:
    """GAE over time-major `[T, ...]` arrays; returns `(advantages, value_targets)`.

    `dones[t]` marks that transition t ended its episode, so neither the value of the next state nor
    later advantages are bootstrapped across it (the env auto-resets, as in `rlsel.env.base`).
    """
    not_done = 1.0 - dones.astype(values.dtype)

    def backward(carry, step):
        next_advantage, next_value = carry
        reward, value, cont = step
        delta = reward + gamma * next_value * cont - value
        advantage = delta + gamma * gae_lambda * cont * next_advantage
        return (advantage, value), advantage

    init = (jnp.zeros_like(last_value), last_value)
    _, advantages = jax.lax.scan(backward, init, (rewards, values, not_done), reverse=True)
    return advantages, advantages + values
