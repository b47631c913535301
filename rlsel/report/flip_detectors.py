"""Flipped-label detectors compared on the subsets they would choose: the share of each label's quota that is
clean when taken from the rows a score trusts most. Reads only train embeddings and (noisy) labels."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

FOLDS = 5


def cross_fitted_confidence(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """[N] each row's probability of its own label under a logistic regression fitted on the other folds."""
    confidence = np.zeros(len(y))
    for fit, held in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(x, y):
        model = LogisticRegression(max_iter=500).fit(x[fit], y[fit])
        columns = np.searchsorted(model.classes_, y[held])
        confidence[held] = model.predict_proba(x[held])[np.arange(len(held)), columns]
    return confidence


def quotas(y: np.ndarray, budget: float) -> dict[int, int]:
    """Each label's share of the budget, proportional to its train count."""
    return {int(c): int(round(budget * np.sum(y == c))) for c in np.unique(y)}


def top_per_label(score: np.ndarray, y: np.ndarray, budget: float) -> np.ndarray:
    """Each label's quota of its highest-scoring rows."""
    return np.concatenate([np.flatnonzero(y == c)[np.argsort(-score[y == c], kind="stable")][:k]
                           for c, k in quotas(y, budget).items()])


def draw_per_label(trusted: np.ndarray, y: np.ndarray, budget: float, rng: np.random.Generator) -> np.ndarray:
    """Each label's quota drawn uniformly from its trusted rows (all of them when too few)."""
    picks = []
    for c, k in quotas(y, budget).items():
        rows = np.flatnonzero((y == c) & trusted)
        picks.append(rng.choice(rows, min(k, len(rows)), replace=False))
    return np.concatenate(picks)
