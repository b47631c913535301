"""The cluster pool: fixed-shape tensors that describe the clustered train set for the selection MDP.

Every cluster keeps at most `per_cluster` example indices (the paper's subsampling xi) padded to a static
width with a validity mask, so that everything jitted downstream has a static shape. All draws are fixed
by the seed.
"""

from __future__ import annotations

import numpy as np
from flax import struct

from rlsel.data.units import Units, build_units


@struct.dataclass
class ClusterPool:
    """Per-cluster tensors for C clusters, K classes, d embedding dims, m examples per cluster, V val rows."""

    member_index: np.ndarray  # [C, m] int32 indices into the train split (0 where padded)
    member_mask: np.ndarray  # [C, m] bool, True for real members
    sizes: np.ndarray  # [C] int32, full cluster sizes (not subsampled)
    label_hist: np.ndarray  # [C, K] int32, label counts over the full cluster
    centroids: np.ndarray  # [C, d] float32
    assignments: np.ndarray  # [N] int32 cluster of every train example
    val_index: np.ndarray  # [V] int32 indices into the validation split (rows the reward reads)
    units: Units  # what one action adds: a chunk of a cluster, or a whole cluster
    reward_train_index: np.ndarray  # [R] int32 train rows the reward also reads (in no unit, never chosen)

    @property
    def num_clusters(self) -> int:
        return int(self.sizes.shape[0])

    def members(self, cluster: int) -> np.ndarray:
        """All train indices of one cluster (the full cluster, not the subsample)."""
        return np.flatnonzero(self.assignments == cluster)

    def expand(self, clusters) -> np.ndarray:
        """Sorted train indices of every example in the given clusters."""
        return np.flatnonzero(np.isin(self.assignments, np.asarray(clusters, dtype=np.int64)))


def build_pool(
    assignments: np.ndarray,
    labels: np.ndarray,
    centroids: np.ndarray,
    num_classes: int,
    num_val: int,
    *,
    per_cluster: int,
    val_size: int,
    seed: int,
    reward_rows: np.ndarray | None = None,
    x: np.ndarray | None = None,
    chunk_size: int = 0,
    order: str = "typical",
    reward_train: int = 0,
) -> ClusterPool:
    """Subsample `per_cluster` members of every cluster and `val_size` of the validation `reward_rows` (all
    rows when None), deterministically. With `chunk_size` b > 0 a cluster's first `per_cluster` members in
    `order` (which needs the embeddings `x`) are its selectable chunks of b; else whole clusters are.
    `reward_train` random train rows (at most a quarter of them) are held out of every chunk for the reward
    to score on."""
    assignments = np.asarray(assignments, dtype=np.int32)
    labels = np.asarray(labels, dtype=np.int32)
    if assignments.shape != labels.shape:
        raise ValueError(f"assignments {assignments.shape} and labels {labels.shape} must have the same shape")
    if per_cluster < 1 or val_size < 1:
        raise ValueError(f"per_cluster and val_size must be positive; got {per_cluster}, {val_size}")
    num_clusters = centroids.shape[0]
    rng = np.random.default_rng(seed)
    member_index = np.zeros((num_clusters, per_cluster), np.int32)
    member_mask = np.zeros((num_clusters, per_cluster), bool)
    for c in range(num_clusters):
        members = np.flatnonzero(assignments == c)
        if len(members) > per_cluster:
            members = np.sort(rng.choice(members, per_cluster, replace=False))
        member_index[c, : len(members)] = members
        member_mask[c, : len(members)] = True
    sizes = np.bincount(assignments, minlength=num_clusters).astype(np.int32)
    label_hist = np.zeros((num_clusters, num_classes), np.int32)
    np.add.at(label_hist, (assignments, labels), 1)
    rows = np.arange(num_val) if reward_rows is None else np.asarray(reward_rows)
    val_index = np.sort(rng.permutation(rows)[: min(val_size, len(rows))]).astype(np.int32)
    if chunk_size and x is None:
        raise ValueError("chunked units order members by their embeddings: pass x")
    if reward_train and not chunk_size:
        raise ValueError("prepare.reward_train holds train rows out of chunks, and whole clusters "
                         "(prepare.chunk_size=0) have none: set prepare.reward_train=0 with them")
    held_count = min(reward_train, len(labels) // 4)  # at most a quarter of the pool leaves the chunks
    held = np.sort(np.random.default_rng([seed, 1]).permutation(len(labels))[:held_count]).astype(np.int32)
    unit_assignments = assignments.copy()
    unit_assignments[held] = -1
    units = build_units(x, unit_assignments, num_clusters, chunk_size=chunk_size,
                        max_chunks=max(-(-per_cluster // max(chunk_size, 1)), 1), order=order, seed=seed,
                        labels=labels)
    return ClusterPool(
        member_index=member_index,
        member_mask=member_mask,
        sizes=sizes,
        label_hist=label_hist,
        centroids=np.asarray(centroids, np.float32),
        assignments=assignments,
        val_index=val_index,
        units=units,
        reward_train_index=held,
    )
