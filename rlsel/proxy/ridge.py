"""Closed-form least-squares proxy: one solve per env step from summed per-cluster sufficient statistics.

The carry holds the running sums G = sum_c G_c and B = sum_c B_c over the chosen clusters, so adding a
cluster costs one (d+1)^2 add plus a Cholesky solve, whatever the subset size, and every member of every
chosen cluster is used.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import jax
import jax.numpy as jnp
from flax import struct

from rlsel.proxy import metrics
from rlsel.proxy.config import ProxyConfig
from rlsel.proxy.data import ProxyData


@struct.dataclass
class RidgeCarry:
    gram: jax.Array  # [d+1, d+1]
    moment: jax.Array  # [d+1, K]
    weights: jax.Array  # [d+1, K] the head fitted on the chosen set (zeros, solved, before the first unit)


def _with_bias(x: jax.Array) -> jax.Array:
    return jnp.concatenate([x, jnp.ones(x.shape[:-1] + (1,), x.dtype)], axis=-1)


def cholesky_solve(gram: jax.Array, moment: jax.Array, ridge_lambda: float) -> jax.Array:
    """W = (G + lambda I)^-1 B by Cholesky (lambda shrinks the bias weight too); vmap makes it one batched
    LAPACK call."""
    eye = jnp.eye(gram.shape[-1], dtype=gram.dtype)
    factor = jax.scipy.linalg.cho_factor(gram + ridge_lambda * eye, lower=True)
    return jax.scipy.linalg.cho_solve(factor, moment)


def broadcast_unbatched(axis_size: int, in_batched, *xs: jax.Array) -> tuple[jax.Array, ...]:
    """The arguments of a `custom_vmap` rule, each with the batch axis leading (unbatched ones broadcast)."""
    return tuple(x if batched else jnp.broadcast_to(x, (axis_size, *x.shape)) for x, batched in zip(xs, in_batched))


@functools.lru_cache(maxsize=None)
def _one_matrix_per_device(ridge_lambda: float) -> Callable:
    """`cholesky_solve` whose vmap, on CPU, is a `lax.map` over the batch taking gcd(B, D) matrices per
    LAPACK call for D devices in the process: one per device when the batch is sharded over all of them.

    The batched CPU LAPACK kernel splits its batch over XLA's intra-op threads and can deadlock there when
    several host devices (one per core) run it at once (jaxlib 0.10.2); one matrix per call per device never
    waits on another, keeps each matrix in cache while it is factored, and an env batch sharded over the
    devices stays sharded (row i of every device's block forms one call). Accelerators keep the batched
    kernel. Under nested vmaps the outer axes join each call's batch."""
    raw = functools.partial(cholesky_solve, ridge_lambda=ridge_lambda)

    @jax.custom_batching.custom_vmap
    def one(gram, moment):
        return raw(gram, moment)

    @one.def_vmap
    def _mapped(axis_size, in_batched, gram, moment):
        gram, moment = broadcast_unbatched(axis_size, in_batched, gram, moment)
        if jax.default_backend() != "cpu":
            return jax.vmap(raw)(gram, moment), True
        devices = math.gcd(axis_size, jax.device_count())

        def split(x):  # [B, ...] -> [B / devices, devices, ...]; column i = device i's block
            return x.reshape(devices, axis_size // devices, *x.shape[1:]).swapaxes(0, 1)

        out = jax.lax.map(lambda gm: jax.vmap(raw)(*gm), (split(gram), split(moment)))
        return out.swapaxes(0, 1).reshape(axis_size, *out.shape[2:]), True

    return one


def solve(gram: jax.Array, moment: jax.Array, ridge_lambda: float) -> jax.Array:
    """W = (G + lambda I)^-1 B, exact; on CPU, under vmap, one LAPACK call per matrix and device (see above)."""
    return _one_matrix_per_device(float(ridge_lambda))(gram, moment)


class RidgeProxy:
    """Least-squares head on the projected embeddings, solved exactly; see module docstring."""

    def __init__(self, config: ProxyConfig):
        self.config = config

    def init_carry(self, key: jax.Array, data: ProxyData) -> RidgeCarry:
        del key
        gram, moment = jnp.zeros_like(data.gram[0]), jnp.zeros_like(data.moment[0])
        # Zero weights, solved rather than written as a constant: XLA CPU (jaxlib 0.10.2) can leave a dot with a
        # constant zero operand and 11 or more output columns unwritten, which made the empty head's errors garbage.
        return RidgeCarry(gram=gram, moment=moment, weights=self.solve(gram, moment))

    def empty_score(self, data: ProxyData) -> jax.Array:
        zeros = jnp.zeros((data.x_val.shape[0], data.num_classes), data.x_val.dtype)
        return metrics.score(self.config.metric, zeros, data.y_val, least_squares=True)

    def predict(self, weights: jax.Array, x: jax.Array) -> jax.Array:
        return _with_bias(x) @ weights

    def solve(self, gram: jax.Array, moment: jax.Array) -> jax.Array:
        """Weights from summed statistics (the one place the linear solve is chosen)."""
        return solve(gram, moment, self.config.ridge_lambda)

    def add(self, key: jax.Array, carry: RidgeCarry, selected: jax.Array, action: jax.Array,
            data: ProxyData) -> tuple[jax.Array, RidgeCarry]:
        """Score of the subset after `action` joins it (`selected` already includes it), and the new carry."""
        del key, selected
        return self.refit(carry.gram + data.gram[action], carry.moment + data.moment[action], data)

    def swap(self, key: jax.Array, carry: RidgeCarry, selected: jax.Array, removed: jax.Array, added: jax.Array,
             data: ProxyData) -> tuple[jax.Array, RidgeCarry]:
        """Score of the subset after unit `added` replaces `removed` (`selected` already says so), and the new
        carry: the sums are exact, so a unit leaves as cheaply as it joins."""
        del key, selected
        return self.refit(carry.gram - data.gram[removed] + data.gram[added],
                          carry.moment - data.moment[removed] + data.moment[added], data)

    def refit(self, gram: jax.Array, moment: jax.Array, data: ProxyData) -> tuple[jax.Array, RidgeCarry]:
        """The score and carry of the head solved from new summed statistics."""
        weights = self.solve(gram, moment)
        return self.score_weights(weights, data), RidgeCarry(gram=gram, moment=moment, weights=weights)

    def unit_error(self, carry: RidgeCarry, units: jax.Array, data: ProxyData) -> jax.Array:
        """[n] squared error of the current head at the mean of each given unit, against its mean label."""
        return ((self.predict(carry.weights, data.unit_x[units]) - data.unit_y[units]) ** 2).sum(-1)

    def score_weights(self, weights: jax.Array, data: ProxyData) -> jax.Array:
        return metrics.score(self.config.metric, self.predict(weights, data.x_val), data.y_val, least_squares=True)

    def fit_mask(self, selected: jax.Array, data: ProxyData) -> jax.Array:
        """Weights for an arbitrary cluster mask, from scratch (used outside the env loop)."""
        gram = jnp.einsum("c,cij->ij", selected.astype(data.gram.dtype), data.gram)
        moment = jnp.einsum("c,cik->ik", selected.astype(data.moment.dtype), data.moment)
        return self.solve(gram, moment)
