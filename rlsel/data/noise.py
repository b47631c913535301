"""Seeded label noise on the train split (the paper's unreliable-data regime); validation and test stay clean."""

from __future__ import annotations

import datasets
import numpy as np


def flip_labels(labels: np.ndarray, num_classes: int, fraction: float, seed: int) -> np.ndarray:
    """A copy of `labels` where round(fraction * n) rows, chosen by `seed`, take a different class uniformly."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"label_noise must be a fraction in [0, 1); got {fraction}")
    labels = np.asarray(labels, np.int64).copy()
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(labels))[: int(round(fraction * len(labels)))]
    labels[rows] = (labels[rows] + rng.integers(1, num_classes, len(rows))) % num_classes
    return labels


def with_label_noise(splits: datasets.DatasetDict, fraction: float, seed: int) -> datasets.DatasetDict:
    """`splits` with the train labels flipped per `flip_labels` (unchanged when fraction is 0)."""
    if fraction == 0.0:
        return splits
    train = splits["train"]
    noisy = flip_labels(np.asarray(train["label"]), train.features["label"].num_classes, fraction, seed)
    train = train.remove_columns("label").add_column("label", noisy.tolist(), feature=train.features["label"])
    return datasets.DatasetDict({**splits, "train": train})
