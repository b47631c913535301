"""PureJaxRL-style PPO: the whole training run is one pure, jittable function of (key, hparams).

`PPOConfig` fixes every shape (static); `PPOHparams` holds the traced scalars, so `jax.vmap` over seeds
and over hyperparameters needs no code change. The chunked mode (`init` + `update_chunk`) runs the same
update step, so k chunks reproduce the single-program run bit for bit.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any, Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct

from rlsel.agents.gae import generalized_advantages
from rlsel.agents.networks import action_distribution, make_network
from rlsel.agents.rollout import EnvCarry, collect, reset_envs
from rlsel.env.base import Environment


@dataclasses.dataclass(frozen=True)
class PPOConfig:
    """Static, shape-defining settings (changing one recompiles)."""

    num_envs: int = 4
    num_steps: int = 128
    total_timesteps: int = 500_000
    update_epochs: int = 4
    num_minibatches: int = 4
    network: str = "mlp"
    hidden_size: int = 64
    num_layers: int = 2
    activation: str = "tanh"
    anneal_lr: bool = True

    def __post_init__(self):
        for name in ("num_envs", "num_steps", "total_timesteps", "update_epochs", "num_minibatches", "hidden_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"PPOConfig.{name} must be >= 1, got {getattr(self, name)}.")
        if self.num_layers < 0:
            raise ValueError(f"PPOConfig.num_layers must be >= 0, got {self.num_layers}.")
        if self.total_timesteps < self.batch_size:
            raise ValueError(
                f"PPOConfig.total_timesteps={self.total_timesteps} is below one update of num_envs * "
                f"num_steps = {self.batch_size} steps; raise total_timesteps or shrink the rollout."
            )
        if self.batch_size % self.num_minibatches:
            raise ValueError(
                f"num_envs * num_steps = {self.batch_size} is not divisible by num_minibatches="
                f"{self.num_minibatches}; pick a divisor."
            )

    @property
    def batch_size(self) -> int:
        return self.num_envs * self.num_steps

    @property
    def minibatch_size(self) -> int:
        return self.batch_size // self.num_minibatches

    @property
    def num_updates(self) -> int:
        return self.total_timesteps // self.batch_size

    @property
    def network_sizes(self) -> dict:
        return {"hidden_size": self.hidden_size, "num_layers": self.num_layers, "activation": self.activation}


@struct.dataclass
class PPOHparams:
    """Traced scalar hyperparameters (PureJaxRL's CartPole values by default); vmappable leaves."""

    lr: jax.Array | float = 2.5e-4
    gamma: jax.Array | float = 0.99
    gae_lambda: jax.Array | float = 0.95
    clip_eps: jax.Array | float = 0.2
    ent_coef: jax.Array | float = 0.01
    vf_coef: jax.Array | float = 0.5
    max_grad_norm: jax.Array | float = 0.5


@struct.dataclass
class RunnerState:
    """Everything a run carries between updates (and what a checkpoint holds)."""

    params: Any
    opt_state: Any
    env: EnvCarry
    rng: jax.Array
    update_step: jax.Array


@struct.dataclass
class Batch:
    """Flattened rollout data the PPO loss trains on."""

    obs: Any
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array
    advantage: jax.Array
    target: jax.Array


class PPO(NamedTuple):
    """The pure functions of one PPO setup; jit them at the call site."""

    network: nn.Module
    init: Callable[[jax.Array, PPOHparams], RunnerState]
    update_chunk: Callable[[RunnerState, PPOHparams, int], tuple[RunnerState, dict]]
    train: Callable[[jax.Array, PPOHparams], tuple[RunnerState, dict]]


def make_optimizer(config: PPOConfig, hparams: PPOHparams) -> optax.GradientTransformation:
    """Adam after global-norm clipping; the learning rate decays linearly to 0 over the run if `anneal_lr`."""
    steps_per_update = config.update_epochs * config.num_minibatches

    def schedule(count: jax.Array) -> jax.Array:
        return hparams.lr * (1.0 - (count // steps_per_update) / config.num_updates)

    lr = schedule if config.anneal_lr else hparams.lr
    return optax.chain(optax.clip_by_global_norm(hparams.max_grad_norm), optax.adam(lr, eps=1e-5))


def ppo_loss(network: nn.Module, params: Any, batch: Batch, hparams: PPOHparams) -> tuple[jax.Array, dict]:
    """Clipped-surrogate policy loss + clipped value loss - entropy bonus, with diagnostics."""
    logits, value = network.apply(params, batch.obs)
    dist = action_distribution(logits, batch.obs)
    log_ratio = dist.log_prob(batch.action) - batch.log_prob
    ratio = jnp.exp(log_ratio)
    adv = (batch.advantage - batch.advantage.mean()) / (batch.advantage.std() + 1e-8)
    clipped_ratio = jnp.clip(ratio, 1.0 - hparams.clip_eps, 1.0 + hparams.clip_eps)
    actor_loss = -jnp.mean(jnp.minimum(ratio * adv, clipped_ratio * adv))
    value_clipped = batch.value + jnp.clip(value - batch.value, -hparams.clip_eps, hparams.clip_eps)
    value_loss = 0.5 * jnp.mean(
        jnp.maximum(jnp.square(value - batch.target), jnp.square(value_clipped - batch.target))
    )
    entropy = jnp.mean(dist.entropy())
    total = actor_loss + hparams.vf_coef * value_loss - hparams.ent_coef * entropy
    aux = {
        "total_loss": total,
        "actor_loss": actor_loss,
        "value_loss": value_loss,
        "entropy": entropy,
        "approx_kl": jnp.mean((ratio - 1.0) - log_ratio),
        "clip_frac": jnp.mean(jnp.abs(ratio - 1.0) > hparams.clip_eps),
    }
    return total, aux


def _act(network: nn.Module, params: Any, key: jax.Array, obs: Any) -> tuple[jax.Array, dict]:
    """Sample actions from the masked policy, keeping value and log-prob for the update."""
    logits, value = network.apply(params, obs)
    dist = action_distribution(logits, obs)
    action = dist.sample(seed=key)
    return action, {"value": value, "log_prob": dist.log_prob(action)}


def _minibatches(batch: Batch, key: jax.Array, config: PPOConfig) -> Batch:
    """Shuffle the flat batch and split it into `[num_minibatches, minibatch_size, ...]`."""
    perm = jax.random.permutation(key, config.batch_size)
    shape = (config.num_minibatches, config.minibatch_size)
    return jax.tree_util.tree_map(lambda x: jnp.take(x, perm, axis=0).reshape(shape + x.shape[1:]), batch)


def make_ppo(config: PPOConfig, env: Environment, env_params: Any, probe: Callable[[Any], Any] | None = None) -> PPO:
    """Build the PPO functions for `env`: `init`, `update_chunk` (chunked mode) and `train` (one program).
    `probe`, if given, maps the batched env states after each update's rollout to a small pytree, returned as
    `metrics["probe"]` (a sample of visited states); it changes nothing PPO computes."""
    network = make_network(config.network, env.num_actions, **config.network_sizes)
    flatten = partial(jax.tree_util.tree_map, lambda x: x.reshape((config.batch_size,) + x.shape[2:]))

    def init(key: jax.Array, hparams: PPOHparams) -> RunnerState:
        net_key, env_key, rng = jax.random.split(key, 3)
        env_carry = reset_envs(env, env_params, env_key, config.num_envs)
        params = network.init(net_key, env_carry.obs)
        opt_state = make_optimizer(config, hparams).init(params)
        return RunnerState(params, opt_state, env_carry, rng, jnp.zeros((), jnp.int32))

    def update(runner: RunnerState, hparams: PPOHparams, tx: optax.GradientTransformation):
        rng, rollout_key, epochs_key = jax.random.split(runner.rng, 3)
        policy = partial(_act, network, runner.params)
        env_carry, traj, info = collect(env, env_params, policy, runner.env, rollout_key, config.num_steps)
        _, last_value = network.apply(runner.params, env_carry.obs)
        advantage, target = generalized_advantages(
            traj.reward, traj.extras["value"], traj.done, last_value, hparams.gamma, hparams.gae_lambda
        )
        batch = flatten(
            Batch(traj.obs, traj.action, traj.extras["log_prob"], traj.extras["value"], advantage, target)
        )

        def minibatch_step(carry, minibatch: Batch):
            params, opt_state = carry
            grads, aux = jax.grad(ppo_loss, argnums=1, has_aux=True)(network, params, minibatch, hparams)
            updates, opt_state = tx.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), aux

        def epoch(carry, key: jax.Array):
            return jax.lax.scan(minibatch_step, carry, _minibatches(batch, key, config))

        epoch_keys = jax.random.split(epochs_key, config.update_epochs)
        (params, opt_state), aux = jax.lax.scan(epoch, (runner.params, runner.opt_state), epoch_keys)
        metrics = {k: jnp.mean(v) for k, v in aux.items()}
        metrics["episode_return"] = jnp.mean(env_carry.episodes.last)
        metrics["reward"] = jnp.mean(traj.reward)
        metrics.update({f"info/{k}": v for k, v in info.items()})
        if probe is not None:
            metrics["probe"] = probe(env_carry.env_state)
        runner = RunnerState(params, opt_state, env_carry, rng, runner.update_step + 1)
        return runner, metrics

    def update_chunk(runner: RunnerState, hparams: PPOHparams, num_updates: int) -> tuple[RunnerState, dict]:
        tx = make_optimizer(config, hparams)
        return jax.lax.scan(lambda r, _: update(r, hparams, tx), runner, None, length=num_updates)

    def train(key: jax.Array, hparams: PPOHparams) -> tuple[RunnerState, dict]:
        return update_chunk(init(key, hparams), hparams, config.num_updates)

    return PPO(network=network, init=init, update_chunk=update_chunk, train=train)


def make_train(config: PPOConfig, env: Environment, env_params: Any) -> Callable:
    """`train(key, hparams) -> (runner_state, metrics)`: the whole run as one pure function.

    Metrics hold one scalar per update: the losses, entropy, approx-KL and clip fraction averaged over
    epochs and minibatches; `episode_return` (mean over envs of each env's latest finished episode, 0
    before any finishes); `reward` (mean per step); and `info/<name>` for every scalar env info entry.
    """
    return make_ppo(config, env, env_params).train
