"""Flax heads for the trained proxies: a linear classifier and a one-hidden-layer MLP."""

from __future__ import annotations

import flax.linen as nn
import jax


class LinearHead(nn.Module):
    num_classes: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return nn.Dense(self.num_classes)(x)


class MLPHead(nn.Module):
    num_classes: int
    hidden: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return nn.Dense(self.num_classes)(nn.relu(nn.Dense(self.hidden)(x)))
