"""Double DQN with masked actions, the whole training run as one pure, jittable function.

`make_train(config, env, env_params, start)` returns `train(key, hparams) -> (state, metrics)`: vmapped
environments, a uniform replay buffer, epsilon-greedy over valid actions only, a double-DQN target
with a masked max over the next state's valid actions, and a Polyak/hard target network. Metrics
are reduced inside the program to one scalar each per logging period. Observations are either a
`SelectionObs` (the network sees `concat(selected, budget_left)` and obeys `action_mask`) or a
plain array (flattened; every action valid).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax
from flax import struct

from rlsel.agents import replay
from rlsel.env.base import Environment
from rlsel.env.obs import SelectionObs


@dataclasses.dataclass(frozen=True)
class DQNConfig:
    """Static settings (shapes and loop lengths). Step counts are env transitions summed over envs,
    except `train_frequency` (vectorised env steps per gradient update) and `target_update_interval`
    (gradient updates per target update)."""

    num_envs: int = 8
    total_timesteps: int = 20_000
    buffer_size: int = 10_000
    batch_size: int = 64
    learning_starts: int = 500
    train_frequency: int = 1
    target_update_interval: int = 50
    hidden_sizes: tuple[int, ...] = (64, 64)
    num_log_periods: int = 10

    @property
    def steps_per_update(self) -> int:
        return self.num_envs * self.train_frequency

    @property
    def updates_per_period(self) -> int:
        return self.total_timesteps // (self.steps_per_update * self.num_log_periods)


@struct.dataclass
class DQNHparams:
    """Traced settings (can vary per vmapped run). Epsilon decays linearly from `epsilon_start` to
    `epsilon_end` over `epsilon_decay_fraction` of `total_timesteps`; `tau=1` is a hard target copy."""

    lr: float = 1e-3
    gamma: float = 0.99
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    epsilon_decay_fraction: float = 0.5
    tau: float = 1.0


@struct.dataclass
class QInput:
    """What the Q-network sees of one observation: flat features [D] and the valid actions [A]."""

    features: jax.Array
    action_mask: jax.Array


@struct.dataclass
class Transition:
    """One stored step; `next_obs` of a terminal step belongs to the next episode and is ignored."""

    obs: QInput
    action: jax.Array
    reward: jax.Array
    done: jax.Array
    next_obs: QInput


@struct.dataclass
class DQNState:
    """Everything the training loop carries; `params` is the learned online Q-network."""

    params: Any
    target_params: Any
    opt_state: Any
    buffer: replay.ReplayBuffer
    env_state: Any
    obs: Any
    episode_return: jax.Array
    timesteps: jax.Array
    updates: jax.Array
    key: jax.Array


def q_input(obs: Any, num_actions: int) -> QInput:
    """The compact network input of one unbatched observation (drops per-cluster features)."""
    if isinstance(obs, SelectionObs):
        features = jnp.concatenate([obs.selected, obs.budget_left[None]]).astype(jnp.float32)
        return QInput(features=features, action_mask=obs.action_mask.astype(bool))
    return QInput(jnp.ravel(obs).astype(jnp.float32), jnp.ones((num_actions,), bool))


def init_q_params(key: jax.Array, in_dim: int, hidden_sizes: tuple[int, ...], num_actions: int) -> list:
    """MLP weights as a list of {"w", "b"} layers (He-normal hidden layers, small-scale output layer)."""
    sizes = (in_dim, *hidden_sizes, num_actions)
    keys = jax.random.split(key, len(sizes) - 1)
    layers = []
    for i, (k, fan_in, fan_out) in enumerate(zip(keys, sizes[:-1], sizes[1:])):
        scale = jnp.sqrt(2.0 / fan_in) if i < len(sizes) - 2 else 0.1 / jnp.sqrt(fan_in)
        layers.append({"w": scale * jax.random.normal(k, (fan_in, fan_out)), "b": jnp.zeros((fan_out,))})
    return layers


def q_values(params: list, features: jax.Array) -> jax.Array:
    """Q-values [..., A] of features [..., D] through the ReLU MLP."""
    x = features
    for layer in params[:-1]:
        x = jax.nn.relu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def masked_argmax(q: jax.Array, mask: jax.Array) -> jax.Array:
    """Index of the largest Q-value among valid actions (last axis)."""
    return jnp.argmax(jnp.where(mask, q, -jnp.inf), axis=-1)


def greedy_action(params: list, obs: Any) -> jax.Array:
    """The learned policy's action for one unbatched observation: argmax Q over valid actions."""
    x = q_input(obs, params[-1]["b"].shape[0])
    return masked_argmax(q_values(params, x.features), x.action_mask)


def epsilon_greedy(key: jax.Array, q: jax.Array, mask: jax.Array, epsilon: jax.Array) -> jax.Array:
    """Per row of q [N, A]: with probability epsilon a uniform valid action, else the masked greedy one.

    Every row of `mask` needs at least one valid action (environments end episodes before that)."""
    key_explore, key_action = jax.random.split(key)
    random_action = jax.random.categorical(key_action, jnp.where(mask, 0.0, -jnp.inf))
    explore = jax.random.uniform(key_explore, q.shape[:-1]) < epsilon
    return jnp.where(explore, random_action, masked_argmax(q, mask))


def td_target(params: list, target_params: list, batch: Transition, gamma: jax.Array) -> jax.Array:
    """Double-DQN target: online net picks the best valid next action, target net values it;
    no bootstrap at terminal steps or when the next state has no valid action."""
    next_mask = batch.next_obs.action_mask
    best = masked_argmax(q_values(params, batch.next_obs.features), next_mask)
    next_q = jnp.take_along_axis(q_values(target_params, batch.next_obs.features), best[:, None], -1)[:, 0]
    bootstrap = jnp.logical_and(~batch.done, next_mask.any(-1))
    return batch.reward + gamma * jnp.where(bootstrap, next_q, 0.0)


def epsilon_at(hparams: DQNHparams, timesteps: jax.Array, total_timesteps: int) -> jax.Array:
    """Linearly decayed exploration rate after `timesteps` transitions."""
    decay_steps = jnp.maximum(hparams.epsilon_decay_fraction * total_timesteps, 1.0)
    frac = jnp.clip(timesteps / decay_steps, 0.0, 1.0)
    return hparams.epsilon_start + frac * (hparams.epsilon_end - hparams.epsilon_start)


def make_train(config: DQNConfig, env: Environment, env_params: Any,
               start: Callable[[list, DQNHparams], list] | None = None) -> Callable:
    """Build `train(key, hparams) -> (DQNState, metrics)`, one pure function to jit and vmap over seeds.

    metrics: [num_log_periods] arrays of timesteps, epsilon, episodes (finished in the period),
    episode_return (their mean, 0 if none), updates, loss and q_value (means over the period's updates).
    `start(params, hparams)`, when given, turns the freshly initialised Q-network into the one training starts
    from (online and target), e.g. one pre-trained on demonstrations, inside the same program.
    """
    _validate(config)
    num_actions = env.num_actions
    example = jax.eval_shape(lambda k: q_input(env.reset(k, env_params)[0], num_actions), jax.random.key(0))
    if example.action_mask.shape != (num_actions,):
        raise ValueError(
            f"action_mask has shape {example.action_mask.shape} but env.num_actions={num_actions}; "
            "the mask needs one entry per action"
        )
    reset = jax.vmap(env.reset, in_axes=(0, None))
    step = jax.vmap(env.step, in_axes=(0, 0, 0, None))
    to_input = jax.vmap(lambda o: q_input(o, num_actions))

    def env_step(state: DQNState, hparams: DQNHparams) -> tuple[DQNState, jax.Array]:
        key, key_act, key_step = jax.random.split(state.key, 3)
        x = to_input(state.obs)
        epsilon = epsilon_at(hparams, state.timesteps, config.total_timesteps)
        action = epsilon_greedy(key_act, q_values(state.params, x.features), x.action_mask, epsilon)
        keys = jax.random.split(key_step, config.num_envs)
        obs, env_state, reward, done, _ = step(keys, state.env_state, action, env_params)
        # With auto-reset the next obs of a terminal step is a fresh episode; the target ignores it.
        transition = Transition(x, action, reward.astype(jnp.float32), done, to_input(obs))
        episode_return = state.episode_return + reward
        finished = jnp.stack([jnp.sum(jnp.where(done, episode_return, 0.0)), jnp.sum(done)])
        state = state.replace(
            buffer=replay.add_batch(state.buffer, transition),
            env_state=env_state,
            obs=obs,
            episode_return=jnp.where(done, 0.0, episode_return),
            timesteps=state.timesteps + config.num_envs,
            key=key,
        )
        return state, finished

    def learn(state: DQNState, hparams: DQNHparams, tx: optax.GradientTransformation):
        key, key_sample = jax.random.split(state.key)
        batch = replay.sample(state.buffer, key_sample, config.batch_size)
        target = jax.lax.stop_gradient(td_target(state.params, state.target_params, batch, hparams.gamma))

        def loss_fn(params):
            q = jnp.take_along_axis(q_values(params, batch.obs.features), batch.action[:, None], -1)[:, 0]
            return optax.huber_loss(q, target).mean(), q.mean()

        (loss, q_mean), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
        updates, opt_state = tx.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        n = state.updates + 1
        sync = n % config.target_update_interval == 0
        target_params = jax.tree_util.tree_map(
            lambda p, t: jnp.where(sync, hparams.tau * p + (1.0 - hparams.tau) * t, t), params, state.target_params
        )
        state = state.replace(params=params, target_params=target_params, opt_state=opt_state, updates=n, key=key)
        return state, (loss, q_mean)

    def train(key: jax.Array, hparams: DQNHparams) -> tuple[DQNState, dict]:
        key_net, key_env, key_run = jax.random.split(key, 3)
        tx = optax.adam(hparams.lr)
        params = init_q_params(key_net, example.features.shape[0], config.hidden_sizes, num_actions)
        params = params if start is None else start(params, hparams)
        obs, env_state = reset(jax.random.split(key_env, config.num_envs), env_params)
        slot = Transition(example, jnp.int32(0), jnp.float32(0), jnp.bool_(False), example)
        slot = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), slot)
        state = DQNState(
            params=params,
            target_params=params,
            opt_state=tx.init(params),
            buffer=replay.init(slot, config.buffer_size),
            env_state=env_state,
            obs=obs,
            episode_return=jnp.zeros((config.num_envs,), jnp.float32),
            timesteps=jnp.int32(0),
            updates=jnp.int32(0),
            key=key_run,
        )

        def iteration(state, _):
            state, finished = jax.lax.scan(lambda s, _: env_step(s, hparams), state, None, config.train_frequency)
            ready = state.timesteps >= config.learning_starts
            state, (loss, q_mean) = jax.lax.cond(
                ready, lambda s: learn(s, hparams, tx), lambda s: (s, (jnp.float32(0), jnp.float32(0))), state
            )
            return state, (finished.sum(0), ready, loss, q_mean)

        def period(state, _):
            state, (finished, ready, loss, q_mean) = jax.lax.scan(iteration, state, None, config.updates_per_period)
            n_updates = jnp.maximum(ready.sum(), 1)
            episodes = finished[:, 1].sum()
            return state, {
                "timesteps": state.timesteps,
                "epsilon": epsilon_at(hparams, state.timesteps, config.total_timesteps),
                "episodes": episodes,
                "episode_return": finished[:, 0].sum() / jnp.maximum(episodes, 1),
                "updates": ready.sum(),
                "loss": loss.sum() / n_updates,
                "q_value": q_mean.sum() / n_updates,
            }

        return jax.lax.scan(period, state, None, config.num_log_periods)

    return train


def _validate(config: DQNConfig) -> None:
    """Raise ValueError naming the bad field and how to fix it."""
    positive = ("num_envs", "total_timesteps", "buffer_size", "batch_size", "train_frequency",
                "target_update_interval", "num_log_periods")
    for name in positive:
        value = getattr(config, name)
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"DQNConfig.{name} must be a positive int, got {value!r}")
    if not isinstance(config.learning_starts, int) or config.learning_starts < 0:
        raise ValueError(f"DQNConfig.learning_starts must be a non-negative int, got {config.learning_starts!r}")
    sizes = config.hidden_sizes
    if not sizes or any(not isinstance(h, int) or h < 1 for h in sizes):
        raise ValueError(f"DQNConfig.hidden_sizes must be a non-empty tuple of positive ints, got {sizes!r}")
    if config.buffer_size < config.num_envs:
        raise ValueError(f"DQNConfig.buffer_size={config.buffer_size} must be >= num_envs={config.num_envs}")
    chunk = config.steps_per_update * config.num_log_periods
    if config.total_timesteps % chunk:
        raise ValueError(
            f"DQNConfig.total_timesteps={config.total_timesteps} must be a multiple of num_envs * train_frequency"
            f" * num_log_periods = {chunk}; try {max(chunk, config.total_timesteps // chunk * chunk)}"
        )
