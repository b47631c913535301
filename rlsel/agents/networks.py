"""Actor-critic networks returning `(logits, value)`, and the masked categorical policy over them."""

from __future__ import annotations

from typing import Any, Callable

import distrax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from rlsel.env.obs import SelectionObs

# Finite stand-in for -inf on invalid actions: their probability underflows to exactly zero while
# log-probabilities and gradients stay finite.
MASKED_LOGIT = -1e9

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {"tanh": nn.tanh, "relu": nn.relu}


def _dense(features: int, scale: float) -> nn.Dense:
    """Dense layer with PureJaxRL's init: orthogonal weights with gain `scale`, zero bias."""
    return nn.Dense(features, kernel_init=nn.initializers.orthogonal(scale), bias_init=nn.initializers.zeros)


def _tower(x: jax.Array, hidden_size: int, num_layers: int, activation: str) -> jax.Array:
    """`num_layers` hidden Dense layers with the named activation."""
    for _ in range(num_layers):
        x = ACTIVATIONS[activation](_dense(hidden_size, np.sqrt(2))(x))
    return x


def flat_features(obs: Any) -> jax.Array:
    """Flat input vector: the array itself, or `concat(selected, [cluster_error,] [cluster_gain,] budget_left)`
    for a `SelectionObs`."""
    if isinstance(obs, SelectionObs):
        return jnp.concatenate([obs.selected, *cluster_signals(obs), obs.budget_left[..., None]], axis=-1)
    return jnp.asarray(obs, jnp.float32)


def masked_logits(logits: jax.Array, obs: Any) -> jax.Array:
    """Replace the logits of invalid actions by a large negative when `obs` carries an `action_mask`."""
    mask = getattr(obs, "action_mask", None)
    return logits if mask is None else jnp.where(mask, logits, MASKED_LOGIT)


def action_distribution(logits: jax.Array, obs: Any) -> distrax.Categorical:
    """The policy: a categorical over the valid actions of `obs`."""
    return distrax.Categorical(logits=masked_logits(logits, obs))


def greedy_policy_choice(network: nn.Module, params: Any) -> Callable:
    """The policy `(key, obs, state) -> action` taking the most probable valid action of `network` at `params`."""

    def choose(key, obs, state):
        del key, state
        logits, _ = network.apply(params, jax.tree_util.tree_map(lambda x: x[None], obs))
        return jnp.argmax(masked_logits(logits[0], obs))

    return choose


def sampled_policy_choice(network: nn.Module, params: Any) -> Callable:
    """The policy `(key, obs, state) -> action` sampling a valid action from `network`'s distribution."""

    def choose(key, obs, state):
        del state
        logits, _ = network.apply(params, jax.tree_util.tree_map(lambda x: x[None], obs))
        return action_distribution(logits[0], obs).sample(seed=key)

    return choose


def _masked_mean(x: jax.Array, weights: jax.Array) -> jax.Array:
    """Mean of `x[..., C, H]` over clusters weighted by `weights[..., C]`; zeros when all weights are 0."""
    total = jnp.sum(x * weights[..., None], axis=-2)
    return total / jnp.maximum(jnp.sum(weights, axis=-1, keepdims=True), 1.0)


def cluster_signals(obs: Any) -> list[jax.Array]:
    """The per-cluster signals a `SelectionObs` carries ([..., C] each): proxy error and coverage gain."""
    if not isinstance(obs, SelectionObs):
        return []
    return [s for s in (obs.cluster_error, obs.cluster_gain) if s is not None]


class MLPActorCritic(nn.Module):
    """Separate actor and critic MLPs on a flat observation vector (the paper's mask policy). With
    `signal_skip`, each cluster's logit also gets a learned linear function of that cluster's own signals
    (shared over clusters, zero at init), which a flat MLP cannot express cheaply for hundreds of clusters."""

    num_actions: int
    hidden_size: int = 64
    num_layers: int = 2
    activation: str = "tanh"
    signal_skip: bool = False

    @nn.compact
    def __call__(self, obs: Any) -> tuple[jax.Array, jax.Array]:
        x = flat_features(obs)
        actor = _tower(x, self.hidden_size, self.num_layers, self.activation)
        logits = _dense(self.num_actions, 0.01)(actor)
        signals = cluster_signals(obs)
        if self.signal_skip and signals:
            weigh = nn.Dense(1, use_bias=False, kernel_init=nn.initializers.zeros, name="signal_skip")
            logits = logits + weigh(jnp.stack(signals, axis=-1))[..., 0]
        critic = _tower(x, self.hidden_size, self.num_layers, self.activation)
        value = _dense(1, 1.0)(critic)[..., 0]
        return logits, value


class ClusterScorerActorCritic(nn.Module):
    """Permutation-equivariant scorer for `SelectionObs`: one logit per cluster, any number of clusters.

    Each cluster is embedded from `[cluster_features, selected, cluster_error, cluster_gain (when observed)]`;
    the masked
    means of the embeddings of the chosen and of the unchosen clusters, with `budget_left`, form a summary
    that is broadcast back to every cluster to score it, and from which the critic predicts the value.
    """

    hidden_size: int = 64
    num_layers: int = 2
    activation: str = "tanh"

    @nn.compact
    def __call__(self, obs: Any) -> tuple[jax.Array, jax.Array]:
        if not isinstance(obs, SelectionObs):
            raise ValueError(
                f"ClusterScorerActorCritic needs SelectionObs observations, got {type(obs).__name__}; "
                "use the 'mlp' network for flat array observations."
            )
        signals = [s[..., None] for s in cluster_signals(obs)]
        per_cluster = jnp.concatenate([obs.cluster_features, obs.selected[..., None], *signals], axis=-1)
        emb = _tower(per_cluster, self.hidden_size, self.num_layers, self.activation)
        summary = jnp.concatenate(
            [
                _masked_mean(emb, obs.selected),
                _masked_mean(emb, 1.0 - obs.selected),
                obs.budget_left[..., None],
            ],
            axis=-1,
        )
        context = jnp.broadcast_to(summary[..., None, :], emb.shape[:-1] + summary.shape[-1:])
        scorer = _tower(jnp.concatenate([emb, context], axis=-1), self.hidden_size, 1, self.activation)
        logits = _dense(1, 0.01)(scorer)[..., 0]
        critic = _tower(summary, self.hidden_size, self.num_layers, self.activation)
        value = _dense(1, 1.0)(critic)[..., 0]
        return logits, value


NETWORKS = ("mlp", "mlp_signals", "cluster_scorer")
SIZE_FIELDS = ("hidden_size", "num_layers", "activation")


def make_network(name: str, num_actions: int, **sizes: Any) -> nn.Module:
    """Build a network by name (`mlp`, `mlp_signals`: mlp with the signal skip, or `cluster_scorer`) with sizes
    `hidden_size`, `num_layers`, `activation`."""
    unknown = sorted(set(sizes) - set(SIZE_FIELDS))
    if unknown:
        raise ValueError(f"Unknown network sizes {unknown}; allowed: {SIZE_FIELDS}.")
    activation = sizes.get("activation", "tanh")
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}.")
    if name in ("mlp", "mlp_signals"):
        return MLPActorCritic(num_actions=num_actions, signal_skip=name == "mlp_signals", **sizes)
    if name == "cluster_scorer":
        return ClusterScorerActorCritic(**sizes)
    raise ValueError(f"Unknown network {name!r}; choose one of {NETWORKS}.")
