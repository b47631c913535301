"""Validation scores f for the proxy reward; f(empty set) is the score of all-zero logits."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def tie_aware_accuracy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Accuracy where a k-way tie for the top logit earns 1/k: zero logits score exactly 1/K."""
    is_top = logits >= logits.max(-1, keepdims=True)
    credit = jnp.take_along_axis(is_top, labels[:, None], axis=-1)[:, 0] / is_top.sum(-1)
    return credit.mean()


def neg_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    return -optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def neg_squared_error(outputs: jax.Array, labels: jax.Array) -> jax.Array:
    """The least-squares head's own loss: squared distance of its outputs to the one-hot targets."""
    onehot = jax.nn.one_hot(labels, outputs.shape[-1])
    return -((outputs - onehot) ** 2).sum(-1).mean()


def score(metric: str, logits: jax.Array, labels: jax.Array, least_squares: bool = False) -> jax.Array:
    """f on the validation subsample: accuracy, or the negative of the head's own loss."""
    if metric == "accuracy":
        return tie_aware_accuracy(logits, labels)
    return neg_squared_error(logits, labels) if least_squares else neg_cross_entropy(logits, labels)
