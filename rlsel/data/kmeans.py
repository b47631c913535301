"""K-Means in JAX: greedy k-means++ seeding and Lloyd iterations, plain or stratified by label.

Plain K-Means is the one-group case of a grouped problem: every point has a group (its label), every
cluster an owner group, and a point may only join clusters of its own group. Stratified K-Means is
the same compiled program with one group per label, so both share one compile per (n, d, k); max_iters
and tol are traced, so changing them never recompiles.

Memory: besides x, a Lloyd step holds a few [n, k] float32 temporaries (distances, one-hot), about
20 MB each for n=50k, k=100. Distances are not chunked, so keep 3 * n * k * 4 bytes well below device
memory (n * k up to ~1e8 on a 16 GB accelerator).
"""

from __future__ import annotations

from typing import Callable

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np

from rlsel import progress

_HIGHEST = jax.lax.Precision.HIGHEST


@flax.struct.dataclass
class KMeansResult:
    """Centroids [k, d], assignments [n] int32, inertia (sum of squared distances), iterations run,
    and whether Lloyd stopped by tolerance (or unchanged assignments) rather than by max_iters."""

    centroids: jax.Array
    assignments: jax.Array
    inertia: jax.Array
    num_iters: jax.Array
    converged: jax.Array


@flax.struct.dataclass
class _Plan:
    """Per cluster: owner group, the group's first cluster slot and first point in group order."""

    owner: jax.Array
    slot_start: jax.Array
    point_start: jax.Array


def _plan(groups: np.ndarray, counts_per_group: np.ndarray) -> _Plan:
    """Cluster layout for contiguous per-group cluster ids (group 0's clusters first)."""
    owner = np.repeat(np.arange(counts_per_group.size), counts_per_group)
    slot_offsets = np.concatenate([[0], np.cumsum(counts_per_group)[:-1]])
    sizes = np.bincount(groups, minlength=counts_per_group.size)
    point_offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    layout = (owner, slot_offsets[owner], point_offsets[owner])
    return _Plan(*(jnp.asarray(a, jnp.int32) for a in layout))


def _sq_dists(x: jax.Array, x_sq: jax.Array, c: jax.Array) -> jax.Array:
    """Squared distances [n, m] as ||x||^2 - 2 x c^T + ||c||^2, one full-precision matmul."""
    cross = jnp.dot(x, c.T, precision=_HIGHEST)
    return jnp.maximum(x_sq[:, None] - 2.0 * cross + jnp.sum(c * c, axis=1)[None, :], 0.0)


def _sample(key: jax.Array, weight: jax.Array, num: int) -> jax.Array:
    """`num` indices drawn proportionally to `weight` (inverse CDF); needs some weight > 0."""
    cdf = jnp.cumsum(weight)
    picks = jnp.searchsorted(cdf, jax.random.uniform(key, (num,)) * cdf[-1], side="right")
    last_positive = jnp.max(jnp.where(weight > 0, jnp.arange(weight.shape[0]), 0))
    return jnp.minimum(picks, last_positive)


def _seed(key: jax.Array, x: jax.Array, x_sq: jax.Array, groups: jax.Array, plan: _Plan) -> jax.Array:
    """Greedy k-means++ (as sklearn): per slot, D^2-sample 2+log(k) candidates in the owner group and
    keep the one that lowers the group's potential most; a group's first centroid is uniform."""
    k, n = plan.owner.shape[0], x.shape[0]
    n_trials = 2 + int(np.log(k))

    def body(j, carry):
        centroids, closest = carry
        member = groups == plan.owner[j]
        first = j == plan.slot_start[j]
        weight = jnp.where(member, closest, 0.0)
        uniform = first | (jnp.sum(weight) <= 0.0)
        weight = jnp.where(uniform, member.astype(x.dtype), weight)
        cand = _sample(jax.random.fold_in(key, j), weight, n_trials)
        trial = jnp.minimum(closest[:, None], _sq_dists(x, x_sq, x[cand]))
        potential = jnp.sum(jnp.where(member[:, None], trial, 0.0), axis=0)
        potential = jnp.where(first & (jnp.arange(n_trials) > 0), jnp.inf, potential)
        best = jnp.argmin(potential)
        return centroids.at[j].set(x[cand[best]]), jnp.where(member, trial[:, best], closest)

    init = (jnp.zeros((k, x.shape[1]), x.dtype), jnp.full((n,), jnp.inf, x.dtype))
    return jax.lax.fori_loop(0, k, body, init)[0]


def _assign(x, x_sq, groups, plan: _Plan, centroids):
    """Nearest allowed centroid of every point and the squared distance to it."""
    d2 = jnp.where(groups[:, None] == plan.owner[None, :], _sq_dists(x, x_sq, centroids), jnp.inf)
    assign = jnp.argmin(d2, axis=1).astype(jnp.int32)
    return assign, jnp.take_along_axis(d2, assign[:, None], axis=1)[:, 0]


def _repair_empty(assign, dist, groups, plan: _Plan):
    """Move into each empty cluster a point of its group farthest from its centroid: the r-th empty
    cluster of a group takes the r-th farthest point (ties by index), so repair is deterministic."""
    k, n = plan.owner.shape[0], assign.shape[0]
    empty = jnp.bincount(assign, length=k) == 0

    def repair():
        seen = jnp.cumsum(empty)
        rank = seen - 1 - (seen[plan.slot_start] - empty[plan.slot_start])
        order = jnp.lexsort((-dist, groups))
        donor = order[jnp.clip(plan.point_start + rank, 0, n - 1)]
        target = jnp.where(empty, donor, n)
        return assign.at[target].set(jnp.arange(k, dtype=jnp.int32), mode="drop")

    return jax.lax.cond(jnp.any(empty), repair, lambda: assign)


def _means(x, assign, old):
    """Cluster means by one one-hot matmul (deterministic on accelerators); empty ones keep `old`."""
    onehot = jax.nn.one_hot(assign, old.shape[0], dtype=x.dtype)
    sums = jnp.dot(onehot.T, x, precision=_HIGHEST)
    counts = jnp.sum(onehot, axis=0)[:, None]
    return jnp.where(counts > 0, sums / jnp.maximum(counts, 1.0), old)


def _lloyd(x, x_sq, groups, plan: _Plan, centroids, max_iters, tol) -> KMeansResult:
    """Lloyd iterations until squared centroid shift <= tol * mean feature variance, unchanged
    assignments, or max_iters; then a final assignment so labels match the returned centroids."""
    tol_abs = tol * jnp.mean(jnp.var(x, axis=0))

    def cond(state):
        i, _, _, done = state
        return (i < max_iters) & ~done

    def body(state):
        i, c, prev, _ = state
        assign = _repair_empty(*_assign(x, x_sq, groups, plan, c), groups, plan)
        new = _means(x, assign, c)
        done = (jnp.sum((new - c) ** 2) <= tol_abs) | jnp.all(assign == prev)
        return i + 1, new, assign, done

    start = (jnp.int32(0), centroids, jnp.full(x.shape[:1], -1, jnp.int32), jnp.bool_(False))
    iters, centroids, _, done = jax.lax.while_loop(cond, body, start)
    assign, dist = _assign(x, x_sq, groups, plan, centroids)
    return KMeansResult(centroids, assign, jnp.sum(dist), iters, done)


@jax.jit
def _fit(key, x, groups, plan: _Plan, max_iters, tol) -> KMeansResult:
    """Seed then refine: the whole fit as one compiled program per (n, d, k)."""
    x_sq = jnp.sum(x * x, axis=1)
    return _lloyd(x, x_sq, groups, plan, _seed(key, x, x_sq, groups, plan), max_iters, tol)


@jax.jit
def _refine(x, groups, plan: _Plan, centroids, max_iters, tol) -> KMeansResult:
    """Lloyd from given centroids, compiled."""
    return _lloyd(x, jnp.sum(x * x, axis=1), groups, plan, centroids, max_iters, tol)


def _check_points(x) -> jax.Array:
    """x as float32 [n, d]; ValueError on a wrong rank, no points or non-finite values."""
    x = jnp.asarray(x, jnp.float32)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"x must be a non-empty [n, d] array, got shape {x.shape}; reshape it")
    if not bool(jnp.all(jnp.isfinite(x))):
        raise ValueError("x contains NaN or inf; drop or impute those rows before clustering.")
    return x


def _check_options(k: int, n: int, max_iters: int, tol: float) -> None:
    """ValueError unless 1 <= k <= n, max_iters >= 1 and tol >= 0."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= n:
        raise ValueError(f"number of clusters must be an int in [1, n={n}], got {k!r}; lower it")
    if max_iters < 1 or tol < 0:
        raise ValueError(f"need max_iters >= 1 and tol >= 0, got max_iters={max_iters}, tol={tol}.")


def _reported(desc: str, fit: Callable[[], KMeansResult]) -> KMeansResult:
    """Run `fit` under a one-line progress report: one compiled program has no steps to count on a bar."""
    with progress.stage(desc) as info:
        result = jax.block_until_ready(fit())
        info["result"] = f"{int(result.num_iters)} iterations{'' if bool(result.converged) else ', not converged'}"
    return result


def kmeans(key: jax.Array, x, k: int, *, max_iters: int = 100, tol: float = 1e-4) -> KMeansResult:
    """Cluster x [n, d] into k clusters: greedy k-means++ then Lloyd; deterministic per key."""
    x = _check_points(x)
    _check_options(k, x.shape[0], max_iters, tol)
    groups = np.zeros(x.shape[0], np.int32)
    plan = _plan(groups, np.array([k]))
    return _reported(f"kmeans: {k} clusters of {x.shape[0]:,} points",
                     lambda: _fit(key, x, jnp.asarray(groups), plan, jnp.int32(max_iters), jnp.float32(tol)))


def lloyd(x, centroids, *, max_iters: int = 100, tol: float = 1e-4) -> KMeansResult:
    """Lloyd iterations from given centroids [k, d] (warm start, custom seeding), repairing empties."""
    x = _check_points(x)
    centroids = jnp.asarray(centroids, jnp.float32)
    if centroids.ndim != 2 or centroids.shape[1] != x.shape[1]:
        raise ValueError(f"centroids must be [k, {x.shape[1]}], got shape {centroids.shape}.")
    _check_options(centroids.shape[0], x.shape[0], max_iters, tol)
    groups = np.zeros(x.shape[0], np.int32)
    plan = _plan(groups, np.array([centroids.shape[0]]))
    return _refine(x, jnp.asarray(groups), plan, centroids, jnp.int32(max_iters), jnp.float32(tol))


def _check_labels(labels, n: int, num_classes: int | None) -> tuple[np.ndarray, int]:
    """labels as int [n] in [0, num_classes); num_classes defaults to max label + 1."""
    labels = np.asarray(labels)
    if labels.shape != (n,) or n == 0 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be ints of shape ({n},), got {labels.dtype} {labels.shape}")
    if labels.min() < 0:
        raise ValueError(f"labels must be >= 0, got min {labels.min()}; map classes to 0..C-1 first.")
    num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
    if labels.max() >= num_classes:
        raise ValueError(f"label {labels.max()} >= num_classes={num_classes}; raise num_classes")
    return labels.astype(np.int32), num_classes


def allocate_clusters(labels, num_clusters: int, *, num_classes: int | None = None) -> np.ndarray:
    """Clusters per class [num_classes], proportional to class frequency by largest remainder, at least
    one per present class, never more than its points; absent classes get none."""
    labels, num_classes = _check_labels(labels, np.size(labels), num_classes)
    sizes = np.bincount(labels, minlength=num_classes)
    present = int(np.count_nonzero(sizes))
    if not isinstance(num_clusters, (int, np.integer)) or not present <= num_clusters <= labels.size:
        raise ValueError(
            f"num_clusters must be an int in [{present} (one per present label), n={labels.size}], "
            f"got {num_clusters!r}."
        )
    quota = num_clusters * sizes / labels.size
    counts = np.minimum(np.maximum(np.floor(quota), sizes > 0), sizes).astype(np.int64)
    while counts.sum() < num_clusters:
        counts[np.argmax(np.where(counts < sizes, quota - counts, -np.inf))] += 1
    while counts.sum() > num_clusters:
        counts[np.argmin(np.where(counts > 1, quota - counts, np.inf))] -= 1
    return counts


def cluster_labels(labels, num_clusters: int, *, num_classes: int | None = None) -> np.ndarray:
    """The label owning each cluster id [num_clusters] of `stratified_kmeans` (ids grouped by label)."""
    counts = allocate_clusters(labels, num_clusters, num_classes=num_classes)
    return np.repeat(np.arange(counts.size, dtype=np.int32), counts)


def stratified_kmeans(
    key: jax.Array,
    x,
    labels,
    num_clusters: int,
    *,
    num_classes: int | None = None,
    max_iters: int = 100,
    tol: float = 1e-4,
) -> KMeansResult:
    """K-Means inside each label, so every cluster is label-pure; clusters per label follow
    `allocate_clusters` and ids are contiguous per label (owners from `cluster_labels`)."""
    x = _check_points(x)
    labels, num_classes = _check_labels(labels, x.shape[0], num_classes)
    counts = allocate_clusters(labels, num_clusters, num_classes=num_classes)
    _check_options(num_clusters, x.shape[0], max_iters, tol)
    plan = _plan(labels, counts)
    desc = f"kmeans: {num_clusters} clusters of {x.shape[0]:,} points within {np.count_nonzero(counts)} labels"
    return _reported(desc, lambda: _fit(key, x, jnp.asarray(labels), plan, jnp.int32(max_iters), jnp.float32(tol)))
