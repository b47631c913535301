"""Tiny probe environments with known answers, for tests only.

One-step probes isolate the value head, the policy head and action masking; `PlantedSelection` is a
miniature selection MDP (choose 3 of 8 clusters, additive rewards) whose best subset is known.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlsel.env.base import Environment
from rlsel.env.obs import SelectionObs


@struct.dataclass
class TableParams:
    rewards: jax.Array  # reward of each action


@struct.dataclass
class Counter:
    count: jax.Array


def _invalid(mask: jax.Array, action: jax.Array) -> jax.Array:
    return 1.0 - mask[action].astype(jnp.float32)


class OneStepProbe(Environment[Counter, TableParams]):
    """Every episode is one step; the reward is `params.rewards[action]`; the observation is constant
    or, with `noisy_obs`, irrelevant Gaussian noise."""

    def __init__(self, rewards: tuple[float, ...], noisy_obs: bool, obs_dim: int = 2):
        self.rewards = rewards
        self.noisy_obs = noisy_obs
        self.obs_dim = obs_dim

    @property
    def num_actions(self) -> int:
        return len(self.rewards)

    @property
    def default_params(self) -> TableParams:
        return TableParams(jnp.asarray(self.rewards, jnp.float32))

    def reset_env(self, key, params):
        noise = jax.random.normal(key, (self.obs_dim,))
        obs = noise if self.noisy_obs else jnp.ones((self.obs_dim,))
        return obs, Counter(jnp.zeros((), jnp.int32))

    def step_env(self, key, state, action, params):
        obs, state = self.reset_env(key, params)
        return obs, state, params.rewards[action], jnp.ones((), bool), {}


def constant_reward_probe() -> OneStepProbe:
    """(a) Reward 1 whatever happens: the value of every state is 1."""
    return OneStepProbe((1.0, 1.0), noisy_obs=False)


def action_reward_probe() -> OneStepProbe:
    """(b) Reward depends on the action only (the observation is noise); action 1 is best."""
    return OneStepProbe((0.0, 1.0, 0.3), noisy_obs=True)


class MaskedProbe(Environment[Counter, TableParams]):
    """(c) One step over 4 actions; action 0 pays most but is always masked, action 2 is best allowed.

    info["invalid_action"] is 1.0 whenever a masked action was taken.
    """

    mask = (False, True, True, True)

    @property
    def num_actions(self) -> int:
        return 4

    @property
    def default_params(self) -> TableParams:
        return TableParams(jnp.asarray([2.0, 0.2, 1.0, 0.5], jnp.float32))

    def reset_env(self, key, params):
        obs = SelectionObs(
            selected=jnp.zeros((4,), jnp.float32),
            action_mask=jnp.asarray(self.mask),
            budget_left=jnp.ones((), jnp.float32),
            cluster_features=jnp.zeros((4, 1), jnp.float32),
        )
        return obs, Counter(jnp.zeros((), jnp.int32))

    def step_env(self, key, state, action, params):
        obs, state = self.reset_env(key, params)
        info = {"invalid_action": _invalid(obs.action_mask, action)}
        return obs, state, params.rewards[action], jnp.ones((), bool), info


@struct.dataclass
class PlantedState:
    selected: jax.Array
    count: jax.Array


class PlantedSelection(Environment[PlantedState, TableParams]):
    """Choose `budget` of C clusters; adding cluster c pays `rewards[c]`. One-hot cluster features."""

    rewards = (0.1, 0.9, 0.2, 0.8, 0.05, 0.7, 0.3, 0.15)
    budget = 3

    @property
    def num_actions(self) -> int:
        return len(self.rewards)

    @property
    def default_params(self) -> TableParams:
        return TableParams(jnp.asarray(self.rewards, jnp.float32))

    @property
    def optimal_return(self) -> float:
        return sum(sorted(self.rewards)[-self.budget :])

    def _obs(self, state: PlantedState) -> SelectionObs:
        return SelectionObs(
            selected=state.selected,
            action_mask=state.selected < 0.5,
            budget_left=(1.0 - state.count / self.budget).astype(jnp.float32),
            cluster_features=jnp.eye(self.num_actions, dtype=jnp.float32),
        )

    def reset_env(self, key, params):
        state = PlantedState(jnp.zeros((self.num_actions,), jnp.float32), jnp.zeros((), jnp.int32))
        return self._obs(state), state

    def step_env(self, key, state, action, params):
        info = {"invalid_action": _invalid(state.selected < 0.5, action)}
        state = PlantedState(state.selected.at[action].set(1.0), state.count + 1)
        return self._obs(state), state, params.rewards[action], state.count >= self.budget, info
