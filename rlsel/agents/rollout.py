"""Rollouts of a policy over vmapped environments inside `lax.scan`, with episode-return tracking."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from flax import struct

from rlsel.env.base import Environment

# policy(key, batched_obs) -> (actions [N], extras: dict of [N, ...] arrays stored with the transition)
Policy = Callable[[jax.Array, Any], tuple[jax.Array, dict]]


@struct.dataclass
class EpisodeTracker:
    """Per-env return of the episode in progress and of the most recently finished one."""

    running: jax.Array
    last: jax.Array


@struct.dataclass
class EnvCarry:
    """What a rollout carries between steps: env states, the current observations, episode returns."""

    env_state: Any
    obs: Any
    episodes: EpisodeTracker


@struct.dataclass
class Transition:
    """One vmapped step: the observation acted on, the action, its reward and done, policy extras."""

    obs: Any
    action: jax.Array
    reward: jax.Array
    done: jax.Array
    extras: dict


def reset_envs(env: Environment, env_params: Any, key: jax.Array, num_envs: int) -> EnvCarry:
    """Reset `num_envs` environments with independent keys."""
    obs, env_state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(key, num_envs), env_params)
    zeros = jnp.zeros((num_envs,), jnp.float32)
    return EnvCarry(env_state=env_state, obs=obs, episodes=EpisodeTracker(running=zeros, last=zeros))


def track_episodes(tracker: EpisodeTracker, reward: jax.Array, done: jax.Array) -> EpisodeTracker:
    """Add `reward` to the running returns; on `done`, record the return and start from zero."""
    total = tracker.running + reward
    return EpisodeTracker(running=jnp.where(done, 0.0, total), last=jnp.where(done, total, tracker.last))


def scalar_info_means(info: dict) -> dict:
    """Average over steps and envs every info entry that is one scalar per env step (`[T, N]`)."""
    return {k: jnp.mean(v.astype(jnp.float32)) for k, v in info.items() if jnp.ndim(v) == 2}


def collect(
    env: Environment, env_params: Any, policy: Policy, carry: EnvCarry, key: jax.Array, num_steps: int
) -> tuple[EnvCarry, Transition, dict]:
    """Run `policy` for `num_steps` vmapped steps; return the new carry, time-major transitions and
    the step-and-env means of the scalar info entries."""
    step_envs = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def one_step(carry: EnvCarry, step_key: jax.Array):
        policy_key, env_key = jax.random.split(step_key)
        action, extras = policy(policy_key, carry.obs)
        env_keys = jax.random.split(env_key, action.shape[0])
        obs, env_state, reward, done, info = step_envs(env_keys, carry.env_state, action, env_params)
        reward = reward.astype(jnp.float32)
        transition = Transition(obs=carry.obs, action=action, reward=reward, done=done, extras=extras)
        episodes = track_episodes(carry.episodes, reward, done)
        return EnvCarry(env_state=env_state, obs=obs, episodes=episodes), (transition, info)

    carry, (transitions, info) = jax.lax.scan(one_step, carry, jax.random.split(key, num_steps))
    return carry, transitions, scalar_info_means(info)
