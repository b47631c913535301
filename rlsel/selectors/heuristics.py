"""Cheap baseline selectors on the frozen embeddings: stratified and cluster-balanced random, TypiClust,
nearest-to-validation (RDS-like) and the middle loss band of a ridge proxy (dataset-cartography-like).

Each takes exactly `ctx.budget_examples` train examples and is deterministic given its key. The coverage
selectors (k-center, facility location, herding) live in `rlsel.selectors.coverage`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from rlsel.data.kmeans import stratified_kmeans
from rlsel.proxy.evaluate import fit_subset
from rlsel.selectors.base import Selection
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.quota import label_quota, numpy_rng, proportional, rank_in_group, take_per_group

TYPICALITY_NEIGHBOURS = 20  # k of TypiClust's typicality
LOSS_FIT_FRACTION = 0.2  # share of the train split the loss_band proxy is fitted on
TYPICLUST_KMEANS_ITERS = 20  # Lloyd iterations of TypiClust's own clustering (budget-many clusters)


def select_stratified_random(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Uniform within each label, with the train split's label proportions: random without label drift."""
    y = ctx.prepared.train_y
    return Selection(indices=take_per_group(y, label_quota(ctx), numpy_rng(key).random(len(y))), clusters=None)


def select_balanced_random(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Uniform within each pool cluster, cluster counts proportional to size: random spread over the space.
    `clusters` lists the pool clusters it drew from."""
    pool = ctx.prepared.pool
    counts = proportional(pool.sizes, ctx.budget_examples)
    indices = take_per_group(pool.assignments, counts, numpy_rng(key).random(len(pool.assignments)))
    return Selection(indices=indices, clusters=np.flatnonzero(counts))


@jax.jit
def _max_cosine(x: jax.Array, refs: jax.Array) -> jax.Array:
    """Each row's highest cosine similarity to any reference row."""
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True)
    refs = refs / jnp.linalg.norm(refs, axis=1, keepdims=True)
    return jnp.max(jnp.dot(x, refs.T, precision=jax.lax.Precision.HIGHEST), axis=1)


def select_val_similarity(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Per label, the train examples most similar (max cosine) to the reward's validation rows: RDS-like
    targeting of the validation distribution; reads only `pool.val_index` rows, and no key."""
    del key
    p = ctx.prepared
    similarity = np.asarray(_max_cosine(p.train_x, p.val_x[p.pool.val_index]))
    return Selection(indices=take_per_group(p.train_y, label_quota(ctx), -similarity), clusters=None)


def _ridge_losses(ctx: SelectionContext, fit_rows: np.ndarray) -> np.ndarray:
    """Squared error to the one-hot label of every train row, under the ridge proxy fitted on `fit_rows`."""
    p = ctx.prepared
    weights = fit_subset(ctx.env_config.proxy, ctx.projection, p.train_x, p.train_y, fit_rows, p.num_classes)
    z = ctx.projection(p.train_x)
    z1 = np.concatenate([z, np.ones((len(z), 1), np.float32)], axis=1)
    onehot = np.eye(p.num_classes, dtype=np.float32)[p.train_y]
    return np.sum((z1 @ np.asarray(weights) - onehot) ** 2, axis=1)


def select_loss_band(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Uniform within each label's middle third by proxy loss (widened to the label's quota if that is more),
    the proxy fitted on a random 20%: skips the hardest third, where flipped labels sit, and the easiest."""
    y, rng = ctx.prepared.train_y, numpy_rng(key)
    fit_rows = rng.choice(len(y), max(int(np.ceil(LOSS_FIT_FRACTION * len(y))), 1), replace=False)
    quota = label_quota(ctx)
    sizes = np.bincount(y, minlength=len(quota))
    width = np.maximum(-(-sizes // 3), quota)
    low = (sizes - width) // 2
    rank = rank_in_group(y, _ridge_losses(ctx, fit_rows))
    in_band = (rank >= low[y]) & (rank < low[y] + width[y])
    return Selection(indices=take_per_group(y, quota, np.where(in_band, rng.random(len(y)), 2.0)), clusters=None)


def _typicality(x: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """[c, p] typicality of padded cluster members [c, p, d]: 1 / mean distance to the min(k, size - 1)
    nearest other members; -inf on padding."""
    sq = np.sum(x * x, axis=-1)
    dist = np.sqrt(np.maximum(sq[:, :, None] + sq[:, None, :] - 2.0 * x @ x.transpose(0, 2, 1), 0.0))
    width = valid.shape[1]
    dist = np.where(valid[:, None, :] & ~np.eye(width, dtype=bool), dist, np.inf)
    k = min(k, width - 1)
    near = np.partition(dist, max(k - 1, 0), axis=-1)[..., :k]
    finite = np.isfinite(near)
    mean = np.where(finite, near, 0.0).sum(-1) / np.maximum(finite.sum(-1), 1)
    return np.where(valid, 1.0 / (mean + 1e-12), -np.inf)


def most_typical(x: np.ndarray, assignments: np.ndarray, num_clusters: int,
                 k: int = TYPICALITY_NEIGHBOURS) -> np.ndarray:
    """The most typical member of every cluster [num_clusters]; clusters go in batches padded to the next power
    of two of their size, so the distance work is a few batched matmuls whatever the number of clusters."""
    order = np.argsort(assignments, kind="stable")
    sizes = np.bincount(assignments, minlength=num_clusters)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    padded = 2 ** np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    best = np.empty(num_clusters, np.int64)
    for width in np.unique(padded):
        clusters = np.flatnonzero(padded == width)
        valid = np.arange(width) < sizes[clusters, None]
        rows = order[np.minimum(starts[clusters, None] + np.arange(width), len(order) - 1)]
        typicality = _typicality(x[rows].astype(np.float64), valid, k)
        best[clusters] = rows[np.arange(len(clusters)), np.argmax(typicality, axis=1)]
    return best


def select_typiclust(ctx: SelectionContext, key: jax.Array) -> Selection:
    """TypiClust: label-stratified K-Means with one cluster per budget example, then each cluster's most typical
    member: dense, representative points spread over the space. `clusters` is None (its own clustering)."""
    p = ctx.prepared
    fit = stratified_kmeans(key, p.train_x, p.train_y, ctx.budget_examples, num_classes=p.num_classes,
                            max_iters=TYPICLUST_KMEANS_ITERS)
    best = most_typical(p.train_x, np.asarray(fit.assignments), ctx.budget_examples)
    return Selection(indices=np.sort(best), clusters=None)
