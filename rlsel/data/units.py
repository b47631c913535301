"""The MDP's selectable units: each cluster's members, most typical first, cut into chunks of b examples.

An action adds a cluster's next chunk, so a 5% budget spreads over many regions instead of a dozen whole
clusters. Orders: `typical` (TypiClust's typicality, the inverse mean cosine distance to a member's k nearest
neighbours within its cluster), `herding` (each next member keeps the mean of the members so far closest to
the cluster's mean, so every prefix stands for the whole cluster), `agree` (members whose label most of their
nearest neighbours in the whole train set share come first, typical first among equal votes: flipped labels
come last), `agree_only` (`agree` without the disputed members: a cluster offers only rows whose label most
of their neighbours share, so a region of flipped rows offers nothing), `agree_random` (the members most
neighbours agree with in random order, then the disputed ones: `knn_agree`'s sample, cluster by cluster),
`typical_far` (the most typical member, then the most typical member of the cluster's other mode, then the rest
by typicality: a swap from the first row to the second moves to the other mode instead of to the first row's
neighbour), `random`. `chunk_size=0` keeps whole clusters as single units (one chunk per cluster).
"""

from __future__ import annotations

import numpy as np
from flax import struct

from rlsel.data.agreement import agreeing_first, label_agreement

ORDERS = ("typical", "typical_far", "herding", "agree", "agree_only", "agree_random", "random")


@struct.dataclass
class Units:
    """C clusters, J chunks each, w rows per chunk (b when chunked, the largest cluster when whole)."""

    rows: np.ndarray  # [C, J, w] int32 train indices (0 where padded)
    mask: np.ndarray  # [C, J, w] bool, True for real rows
    chunked: bool = struct.field(pytree_node=False, default=True)  # False: one whole cluster per unit

    @property
    def num_chunks(self) -> int:
        return int(self.rows.shape[1])

    @property
    def cost(self) -> np.ndarray:
        """[C, J] examples in each chunk (0 for chunks a small cluster does not have)."""
        return self.mask.sum(-1).astype(np.float32)

    def expand(self, selected: np.ndarray) -> np.ndarray:
        """Sorted train indices of the units in a [C * J] (or [C, J]) selection mask."""
        chosen = np.asarray(selected, bool).reshape(self.rows.shape[:2])
        return np.sort(self.rows[chosen][self.mask[chosen]])


def typicality(x: np.ndarray, k: int = 20) -> np.ndarray:
    """[n] inverse mean cosine distance to the k nearest other rows (all rows when n <= k)."""
    n = len(x)
    if n <= 1:
        return np.ones(n, np.float32)
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    dist = 1.0 - unit @ unit.T
    np.fill_diagonal(dist, np.inf)
    kk = min(k, n - 1)
    nearest = np.partition(dist, kk - 1, axis=1)[:, :kk]
    return (1.0 / np.maximum(nearest.mean(1), 1e-6)).astype(np.float32)


def herding_order(x: np.ndarray, count: int) -> np.ndarray:
    """[min(count, n)] positions in `x` such that the mean of each prefix stays closest to the mean of `x`."""
    x = np.asarray(x, np.float64)
    target, sq = x.mean(0), np.sum(x * x, axis=1)
    total, free, picks = np.zeros(x.shape[1]), np.ones(len(x), bool), []
    for t in range(min(count, len(x))):
        residual = total - (t + 1) * target  # ||residual + x_j||^2 = (t+1)^2 ||new prefix mean - target||^2
        j = int(np.argmin(np.where(free, sq + 2.0 * x @ residual, np.inf)))
        picks.append(j)
        total, free[j] = total + x[j], False
    return np.asarray(picks, np.int64)


def typical_far_order(x: np.ndarray, iterations: int = 5) -> np.ndarray:
    """[n] positions in `x`: the most typical row, then the most typical row of the cluster's other mode (a 2-means
    split seeded at that row and the row farthest from it), then the rest by typicality."""
    by_typicality = np.argsort(-typicality(x), kind="stable")
    if len(x) < 2:
        return by_typicality
    first = by_typicality[0]
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    centres = unit[[first, np.argmin(unit @ unit[first])]]
    for _ in range(iterations):
        other = np.argmax(unit @ centres.T, axis=1) == 1
        other[first] = False
        if not other.any():  # one mode only
            return by_typicality
        centres = np.stack([unit[~other].mean(0), unit[other].mean(0)])
    second = by_typicality[np.argmax(other[by_typicality])]
    rest = by_typicality[(by_typicality != first) & (by_typicality != second)]
    return np.concatenate([[first, second], rest])


def order_members(members: np.ndarray, x: np.ndarray, order: str, rng: np.random.Generator,
                  count: int, agreement: np.ndarray | None = None) -> np.ndarray:
    """One cluster's train indices in `order`, at least the first `count` of them (`agree` reads the
    neighbour vote of every train row, `agreement`)."""
    if order == "typical":
        return members[np.argsort(-typicality(x[members]), kind="stable")]
    if order == "typical_far":
        return members[typical_far_order(x[members])]
    if order in ("agree", "agree_only"):
        ordered = members[np.lexsort((-typicality(x[members]), -np.round(agreement[members], 6)))]
        return ordered[agreement[ordered] > 0.5] if order == "agree_only" else ordered
    if order == "herding":
        return members[herding_order(x[members], count)]
    if order == "agree_random":
        return members[np.argsort(agreeing_first(agreement[members], rng.random(len(members))), kind="stable")]
    return rng.permutation(members)


def build_units(x: np.ndarray, assignments: np.ndarray, num_clusters: int, *, chunk_size: int, max_chunks: int,
                order: str, seed: int, labels: np.ndarray | None = None) -> Units:
    """Chunk every cluster's first `chunk_size * max_chunks` ordered members; whole clusters when chunk_size=0.
    `labels` (every train row's) are needed by the orders that vote (`agree`, `agree_only`, `agree_random`)."""
    if order not in ORDERS:
        raise ValueError(f"unit order '{order}' is not one of {ORDERS}")
    votes = order in ("agree", "agree_only", "agree_random") and chunk_size > 0
    if votes and labels is None:
        raise ValueError(f"unit order '{order}' votes on labels: pass labels")
    if chunk_size < 0 or max_chunks < 1:
        raise ValueError(f"chunk_size must be >= 0 and max_chunks >= 1; got {chunk_size}, {max_chunks}")
    members = [np.flatnonzero(assignments == c) for c in range(num_clusters)]
    if chunk_size == 0:
        width, chunks = max(max(len(m) for m in members), 1), 1
    else:
        width, chunks = chunk_size, max_chunks
    rows = np.zeros((num_clusters, chunks * width), np.int32)
    mask = np.zeros((num_clusters, chunks * width), bool)
    rng = np.random.default_rng(seed)
    agreement = np.asarray(label_agreement(x, labels)) if votes else None
    for c, m in enumerate(members):
        kept = m if chunk_size == 0 else order_members(m, x, order, rng, chunks * width, agreement)
        kept = kept[: chunks * width]
        rows[c, : len(kept)] = kept
        mask[c, : len(kept)] = True
    return Units(rows=rows.reshape(num_clusters, chunks, width), mask=mask.reshape(num_clusters, chunks, width),
                 chunked=chunk_size > 0)
