"""Validation is split in two: rows the proxy reward may read, and rows only model choice may read; a quick
run (the demo) may test on a fixed subset of the test split.

Both depend on the dataset's labels and `split_seed` alone (never on a selection or finetune seed), so every
method and seed of a comparison is chosen and tested on the same rows.
"""

from __future__ import annotations

import numpy as np

from rlsel.data.splits import stratified_split


def validation_halves(labels: np.ndarray, split_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(reward_rows, choice_rows): sorted indices into the validation split, stratified by label, half each."""
    reward, choice = stratified_split(np.asarray(labels), 0.5, split_seed * 1000 + 3)
    return reward, choice


def seeded_test_rows(labels: np.ndarray, rows: int, split_seed: int) -> np.ndarray:
    """Sorted indices of about `rows` test rows, stratified by label; every row when `rows` is 0 or covers them
    (FinetuneConfig refuses a negative `rows`)."""
    labels = np.asarray(labels)
    if rows == 0 or rows >= len(labels):
        return np.arange(len(labels))
    return stratified_split(labels, rows / len(labels), split_seed * 1000 + 5)[1]
