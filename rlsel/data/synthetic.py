"""Planted datasets with known answers, for tests and sanity checks of the selection pipeline."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Planted:
    """Train/val embeddings and labels, the cluster of every train row, and which clusters are noisy."""

    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    assignments: np.ndarray
    centroids: np.ndarray
    noisy: np.ndarray  # [C] bool, clusters whose labels were shuffled


def planted_clusters(
    seed: int = 0,
    num_clusters: int = 12,
    per_cluster: int = 40,
    dim: int = 8,
    num_noisy: int = 4,
    num_val: int = 400,
    spread: float = 0.6,
) -> Planted:
    """Gaussian blobs labelled by a fixed linear rule; `num_noisy` clusters get randomly relabelled labels."""
    rng = np.random.default_rng(seed)
    rule = rng.normal(size=dim)
    centroids = rng.normal(size=(num_clusters, dim)) * 2.0
    assignments = np.repeat(np.arange(num_clusters), per_cluster).astype(np.int32)
    train_x = centroids[assignments] + spread * rng.normal(size=(len(assignments), dim))
    train_y = (train_x @ rule > 0).astype(np.int32)
    noisy = np.zeros(num_clusters, bool)
    noisy[rng.permutation(num_clusters)[:num_noisy]] = True
    for c in np.flatnonzero(noisy):
        rows = assignments == c
        train_y[rows] = rng.integers(0, 2, rows.sum())
    val_x = centroids[rng.integers(0, num_clusters, num_val)] + spread * rng.normal(size=(num_val, dim))
    val_y = (val_x @ rule > 0).astype(np.int32)
    return Planted(
        train_x=train_x.astype(np.float32),
        train_y=train_y,
        val_x=val_x.astype(np.float32),
        val_y=val_y,
        assignments=assignments,
        centroids=centroids.astype(np.float32),
        noisy=noisy,
    )
