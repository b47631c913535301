"""The arrays a proxy reads, built once on the host from embeddings and the cluster pool."""

from __future__ import annotations

import jax
import numpy as np
from flax import struct

from rlsel.data.pool import ClusterPool
from rlsel.proxy.coverage import CoverageData, coverage_data


@struct.dataclass
class ProxyData:
    """Static-shape proxy inputs for U units (C whole clusters, or C * J chunks), m subsampled rows per unit,
    d features (+1 bias), K classes, V reward rows."""

    x_sub: jax.Array  # [U, m, d] features of the subsampled rows (xi)
    y_sub: jax.Array  # [U, m] int32 labels
    w_sub: jax.Array  # [U, m] float32 example weights, 0 on padding
    gram: jax.Array  # [U, d+1, d+1] sum over ALL rows of the unit of w * [x,1][x,1]^T
    moment: jax.Array  # [U, d+1, K] sum over ALL rows of the unit of w * [x,1] onehot(y)^T
    unit_x: jax.Array  # [U, d] mean features of each unit's rows (0 for an empty unit)
    unit_y: jax.Array  # [U, K] mean one-hot label of each unit's rows
    x_val: jax.Array  # [V, d] reward rows: validation rows the reward may read, then held-out train rows
    y_val: jax.Array  # [V] int32
    coverage: CoverageData  # per-unit statistics of the coverage term (empty arrays when unused)

    @property
    def num_classes(self) -> int:
        return self.moment.shape[-1]


@struct.dataclass
class Projection:
    """PCA whitening fitted on the train embeddings: z = (x - mean) @ components / scale."""

    mean: np.ndarray
    components: np.ndarray
    scale: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) @ self.components / self.scale).astype(np.float32)


def fit_projection(x: np.ndarray, dim: int) -> Projection:
    """Top-`dim` principal directions of `x`, whitened; `dim=0` or `dim>=D` keeps all directions."""
    x = np.asarray(x, np.float64)
    mean = x.mean(0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    keep = len(s) if dim <= 0 else min(dim, len(s))
    scale = np.maximum(s[:keep] / np.sqrt(max(len(x) - 1, 1)), 1e-6)
    return Projection(mean=mean.astype(np.float32), components=vt[:keep].T.astype(np.float32),
                      scale=scale.astype(np.float32))


def class_weights(labels: np.ndarray, num_classes: int, balanced: bool) -> np.ndarray:
    """Inverse-frequency weights N / (K n_k) when balanced, else ones."""
    if not balanced:
        return np.ones(num_classes, np.float32)
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    return (len(labels) / (num_classes * np.maximum(counts, 1))).astype(np.float32)


def reward_rows(pool: ClusterPool, train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray,
                val_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The raw embeddings and labels of the rows the reward reads: its validation rows, then held-out train rows."""
    x = np.concatenate([np.asarray(val_x)[pool.val_index], np.asarray(train_x)[pool.reward_train_index]])
    y = np.concatenate([np.asarray(val_y)[pool.val_index], np.asarray(train_y)[pool.reward_train_index]])
    return x, y.astype(np.int32)


def make_proxy_data(
    pool: ClusterPool,
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    num_classes: int,
    *,
    dim: int,
    class_balanced: bool = False,
    coverage: str | None = None,
    budget: float = 0.0,
) -> tuple[ProxyData, Projection]:
    """Project embeddings, compute per-unit sufficient statistics over every row, gather xi and val; with
    `coverage` (a kind in rlsel.proxy.coverage), also each unit's coverage statistics of the reward rows for a
    budget of `budget` examples."""
    projection = fit_projection(train_x, dim)
    z = projection(train_x)
    train_y = np.asarray(train_y, np.int32)
    weights = class_weights(train_y, num_classes, class_balanced)[train_y]
    z1 = np.concatenate([z, np.ones((len(z), 1), np.float32)], axis=1)
    onehot = np.eye(num_classes, dtype=np.float32)[train_y]
    unit_rows = pool.units.rows.reshape(-1, pool.units.rows.shape[-1])
    unit_mask = pool.units.mask.reshape(unit_rows.shape)
    gram = np.zeros((len(unit_rows), z1.shape[1], z1.shape[1]), np.float32)
    moment = np.zeros((len(unit_rows), z1.shape[1], num_classes), np.float32)
    unit_x = np.zeros((len(unit_rows), z.shape[1]), np.float32)
    unit_y = np.zeros((len(unit_rows), num_classes), np.float32)
    for u, (rows, keep) in enumerate(zip(unit_rows, unit_mask)):
        rows = rows[keep]
        if len(rows):
            unit_x[u], unit_y[u] = z[rows].mean(0), onehot[rows].mean(0)
        zw = z1[rows] * weights[rows, None]
        gram[u] = zw.T @ z1[rows]
        moment[u] = zw.T @ onehot[rows]
    chunked = pool.units.chunked
    target_x, target_y = reward_rows(pool, train_x, train_y, val_x, val_y)
    cover = coverage_data(coverage, unit_rows, unit_mask, train_x, train_y, target_x, target_y, num_classes,
                          budget)
    sub_index, sub_mask = (unit_rows, unit_mask) if chunked else (pool.member_index, pool.member_mask)
    data = ProxyData(
        x_sub=z[sub_index],
        y_sub=train_y[sub_index],
        w_sub=(sub_mask * weights[sub_index]).astype(np.float32),
        gram=gram,
        moment=moment,
        unit_x=unit_x,
        unit_y=unit_y,
        x_val=np.concatenate([projection(np.asarray(val_x)[pool.val_index]), z[pool.reward_train_index]]),
        y_val=target_y,
        coverage=cover,
    )
    return jax.tree_util.tree_map(np.asarray, data), projection
