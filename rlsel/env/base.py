"""A small gymnax-shaped functional environment API: stateless objects, explicit state and params.

`reset(key, params) -> (obs, state)` and `step(key, state, action, params) -> (obs, state, reward,
done, info)`. `step` auto-resets finished episodes so that vmapped rollouts inside `lax.scan` keep
static shapes; the observation returned at a terminal step is the first observation of the next
episode, as in gymnax. Static sizes (number of actions, shapes) live on the environment object, never
in traced params.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import jax
import jax.numpy as jnp

State = TypeVar("State")
Params = TypeVar("Params")


class Environment(Generic[State, Params]):
    """Base class. Subclasses implement `reset_env`, `step_env`, `num_actions`, `default_params`."""

    @property
    def num_actions(self) -> int:
        raise NotImplementedError

    @property
    def default_params(self) -> Params:
        raise NotImplementedError

    def reset_env(self, key: jax.Array, params: Params) -> tuple[Any, State]:
        raise NotImplementedError

    def step_env(
        self, key: jax.Array, state: State, action: jax.Array, params: Params
    ) -> tuple[Any, State, jax.Array, jax.Array, dict]:
        raise NotImplementedError

    def reset(self, key: jax.Array, params: Params | None = None) -> tuple[Any, State]:
        params = self.default_params if params is None else params
        return self.reset_env(key, params)

    def step(
        self, key: jax.Array, state: State, action: jax.Array, params: Params | None = None
    ) -> tuple[Any, State, jax.Array, jax.Array, dict]:
        """One transition; on `done`, the returned obs/state are those of a fresh episode."""
        params = self.default_params if params is None else params
        key_step, key_reset = jax.random.split(key)
        obs_st, state_st, reward, done, info = self.step_env(key_step, state, action, params)
        obs_re, state_re = self.reset_env(key_reset, params)
        state = jax.tree_util.tree_map(lambda r, s: jnp.where(done, r, s), state_re, state_st)
        obs = jax.tree_util.tree_map(lambda r, s: jnp.where(done, r, s), obs_re, obs_st)
        return obs, state, reward, done, info
