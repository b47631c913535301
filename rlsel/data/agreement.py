"""The neighbour vote on a label: how many of an example's nearest neighbours in embedding space share it.

A flipped label usually disagrees with the labels of the examples nearest it, so the vote is the standard
signal for unreliable labels (kNN label cleaning); `knn_agree` and the `agree` unit orders read it.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

AGREE_NEIGHBOURS = 20  # k of the neighbour vote
BLOCK = 512  # query rows per similarity block


@functools.partial(jax.jit, static_argnames="k")
def neighbour_agreement(x: jax.Array, y: jax.Array, k: int) -> jax.Array:
    """[N] share of each row's k nearest other rows (cosine, x [N, D]) that carry its label y [N]."""
    n = x.shape[0]
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True)
    queries = jnp.arange(-(-n // BLOCK) * BLOCK).reshape(-1, BLOCK)

    def block(rows):
        rows_in = jnp.minimum(rows, n - 1)
        similarity = jnp.dot(x[rows_in], x.T, precision=jax.lax.Precision.HIGHEST)
        similarity = jnp.where(rows[:, None] == jnp.arange(n)[None, :], -jnp.inf, similarity)
        _, neighbours = jax.lax.top_k(similarity, k)
        return jnp.mean(y[neighbours] == y[rows_in][:, None], axis=1)

    return jax.lax.map(block, queries).reshape(-1)[:n]


def label_agreement(x, y) -> jax.Array:
    """[N] the vote of AGREE_NEIGHBOURS neighbours (fewer when the set is smaller)."""
    return neighbour_agreement(jnp.asarray(x), jnp.asarray(y), min(AGREE_NEIGHBOURS, len(y) - 1))


def agreeing_first(agreement: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Sort keys (ascending) that put rows whose label most neighbours share first, in the order of the uniform
    `draw`, then the disputed rows by falling vote: a random sample of the trusted rows, with a fallback."""
    agreement = np.asarray(agreement)
    return np.where(agreement > 0.5, draw, 2.0 - agreement)
