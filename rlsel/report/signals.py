"""Cheap statistics of a chosen subset that a reward could use, to test which ones predict the finetune.

Each takes the train embeddings `x` [N, D] (rows L2-normalised, as the embedders return them), labels `y` [N],
the subset `idx` [n] and, where it scores a prediction, labelled target rows (`tx` [M, D], `ty` [M]) that the
reward may read. Larger is better for every signal except `redundancy`.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 20  # train neighbours that define a row's density (TypiClust's typicality)


def nearest_label_accuracy(x: np.ndarray, y: np.ndarray, idx: np.ndarray, tx: np.ndarray, ty: np.ndarray) -> float:
    """1-nearest-neighbour accuracy of the subset on the target rows (cosine): label-aware coverage."""
    nearest = np.argmax(tx @ x[idx].T, axis=1)
    return float(np.mean(y[idx][nearest] == ty))


def label_balance(y: np.ndarray, idx: np.ndarray, num_classes: int) -> float:
    """Minus the KL divergence of the subset's label shares from the train split's (0: the same shares)."""
    train = np.bincount(y, minlength=num_classes) / len(y)
    subset = np.bincount(y[idx], minlength=num_classes) / len(idx)
    present = subset > 0
    return float(-np.sum(subset[present] * np.log(subset[present] / train[present])))


def typicality(x: np.ndarray, idx: np.ndarray, neighbours: int = NEIGHBOURS) -> float:
    """Mean over the subset of each row's mean cosine similarity to its `neighbours` nearest train rows."""
    top = -np.partition(-(x[idx] @ x.T), neighbours, axis=1)[:, : neighbours + 1]  # unsorted; the row itself too
    return float(np.mean((top.sum(1) - top.max(1)) / neighbours))


def redundancy(x: np.ndarray, idx: np.ndarray) -> float:
    """Mean over the subset of each row's highest cosine similarity to another subset row (1: duplicates)."""
    sims = x[idx] @ x[idx].T
    np.fill_diagonal(sims, -np.inf)
    return float(np.mean(np.max(sims, axis=1)))
