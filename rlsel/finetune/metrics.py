"""Classification metrics on integer labels (numpy, computed once per evaluation on the host)."""

from __future__ import annotations

import numpy as np


def accuracy(labels: np.ndarray, preds: np.ndarray) -> float:
    """Fraction of predictions equal to the labels."""
    labels, preds = np.asarray(labels), np.asarray(preds)
    if labels.shape != preds.shape or labels.size == 0:
        raise ValueError(f"labels {labels.shape} and preds {preds.shape} must be equal, non-empty shapes.")
    return float(np.mean(labels == preds))


def macro_f1(labels: np.ndarray, preds: np.ndarray) -> float:
    """Unweighted mean of per-class F1 over classes seen in labels or predictions (sklearn's default).

    A class with no true positives scores 0, so always predicting the majority class is penalised.
    """
    labels, preds = np.asarray(labels), np.asarray(preds)
    accuracy(labels, preds)  # same shape checks
    scores = []
    for c in np.union1d(labels, preds):
        tp = np.sum((preds == c) & (labels == c))
        denom = np.sum(preds == c) + np.sum(labels == c)
        scores.append(2.0 * tp / denom)
    return float(np.mean(scores))


def classification_metrics(labels: np.ndarray, preds: np.ndarray) -> dict[str, float]:
    """`{"accuracy", "macro_f1"}` of predictions against labels."""
    return {"accuracy": accuracy(labels, preds), "macro_f1": macro_f1(labels, preds)}
