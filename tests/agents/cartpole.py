"""CartPole-v1 (classic-control dynamics, 500-step limit) on our `Environment` API, for tests only."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlsel.env.base import Environment


@struct.dataclass
class CartPoleParams:
    gravity: float = 9.8
    masscart: float = 1.0
    masspole: float = 0.1
    half_length: float = 0.5
    force_mag: float = 10.0
    tau: float = 0.02
    theta_threshold: float = 12 * 2 * jnp.pi / 360
    x_threshold: float = 2.4
    max_steps: int = 500


@struct.dataclass
class CartPoleState:
    x: jax.Array
    x_dot: jax.Array
    theta: jax.Array
    theta_dot: jax.Array
    time: jax.Array


def _obs(s: CartPoleState) -> jax.Array:
    return jnp.stack([s.x, s.x_dot, s.theta, s.theta_dot])


class CartPole(Environment[CartPoleState, CartPoleParams]):
    """Reward 1 per step; the episode ends when the pole falls, the cart leaves, or at 500 steps."""

    @property
    def num_actions(self) -> int:
        return 2

    @property
    def default_params(self) -> CartPoleParams:
        return CartPoleParams()

    def reset_env(self, key, params):
        x, x_dot, theta, theta_dot = jax.random.uniform(key, (4,), minval=-0.05, maxval=0.05)
        state = CartPoleState(x, x_dot, theta, theta_dot, jnp.zeros((), jnp.int32))
        return _obs(state), state

    def step_env(self, key, state, action, params):
        force = jnp.where(action == 1, params.force_mag, -params.force_mag)
        total_mass = params.masscart + params.masspole
        polemass_length = params.masspole * params.half_length
        cos, sin = jnp.cos(state.theta), jnp.sin(state.theta)
        temp = (force + polemass_length * state.theta_dot**2 * sin) / total_mass
        theta_acc = (params.gravity * sin - cos * temp) / (
            params.half_length * (4.0 / 3.0 - params.masspole * cos**2 / total_mass)
        )
        x_acc = temp - polemass_length * theta_acc * cos / total_mass
        state = CartPoleState(
            x=state.x + params.tau * state.x_dot,
            x_dot=state.x_dot + params.tau * x_acc,
            theta=state.theta + params.tau * state.theta_dot,
            theta_dot=state.theta_dot + params.tau * theta_acc,
            time=state.time + 1,
        )
        done = (
            (jnp.abs(state.x) > params.x_threshold)
            | (jnp.abs(state.theta) > params.theta_threshold)
            | (state.time >= params.max_steps)
        )
        return _obs(state), state, jnp.ones((), jnp.float32), done, {}
