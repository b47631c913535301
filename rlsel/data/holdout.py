"""Validation is split in two: rows the proxy reward may read, and rows only model choice may read.

The split depends on the dataset's labels and `split_seed` alone (never on a selection seed), so a finetune
can recover the model-choice rows of any selection from its dataset settings.
"""

from __future__ import annotations

import numpy as np

from rlsel.data.splits import stratified_split


def validation_halves(labels: np.ndarray, split_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(reward_rows, choice_rows): sorted indices into the validation split, stratified by label, half each."""
    reward, choice = stratified_split(np.asarray(labels), 0.5, split_seed * 1000 + 3)
    return reward, choice
