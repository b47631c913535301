"""knn_agree: a random subset of the examples whose label agrees with most of their nearest neighbours'.

The standard filter for unreliable labels (kNN label cleaning): a flipped label usually disagrees with the
labels of the examples nearest it in embedding space. Reads only train embeddings and train labels.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from rlsel.selectors.base import Selection
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.quota import label_quota, numpy_rng, take_per_group

AGREE_NEIGHBOURS = 20  # k of the neighbour vote
BLOCK = 512  # query rows per similarity block


@functools.partial(jax.jit, static_argnames="k")
def neighbour_agreement(x: jax.Array, y: jax.Array, k: int) -> jax.Array:
    """[N] share of each row's k nearest other rows (cosine, x [N, D]) that carry its label y [N]."""
    n = x.shape[0]
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True)
    padded = -(-n // BLOCK) * BLOCK
    queries = jnp.arange(padded).reshape(-1, BLOCK)

    def block(rows):
        similarity = jnp.dot(x[jnp.minimum(rows, n - 1)], x.T, precision=jax.lax.Precision.HIGHEST)
        similarity = jnp.where(rows[:, None] == jnp.arange(n)[None, :], -jnp.inf, similarity)
        _, neighbours = jax.lax.top_k(similarity, k)
        return jnp.mean(y[neighbours] == y[jnp.minimum(rows, n - 1)][:, None], axis=1)

    return jax.lax.map(block, queries).reshape(-1)[:n]


def select_knn_agree(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Uniform within each label's quota among rows whose label most of their 20 neighbours share; if a label
    has too few, its most agreed-with rows fill the rest."""
    p = ctx.prepared
    k = min(AGREE_NEIGHBOURS, len(p.train_y) - 1)
    agreement = np.asarray(neighbour_agreement(jnp.asarray(p.train_x), jnp.asarray(p.train_y), k))
    draw = numpy_rng(key).random(len(p.train_y))
    scores = np.where(agreement > 0.5, draw, 2.0 - agreement)
    return Selection(indices=take_per_group(p.train_y, label_quota(ctx), scores), clusters=None,
                     extra={"agreeing_rows": int(np.sum(agreement > 0.5))})
