"""Candidate rewards of a subset, scored on the reward's rows: what benchmarks/margin_fidelity.py compares with
the finetune on small edits."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from rlsel.proxy.config import ProxyConfig
from rlsel.proxy.data import Projection, ProxyData
from rlsel.proxy.evaluate import fit_subset, reward_score


def prototype_accuracy(x: np.ndarray, y: np.ndarray, idx: np.ndarray, tx: np.ndarray, ty: np.ndarray,
                       num_classes: int) -> float:
    """Accuracy on the target rows of the nearest class mean of the subset (cosine; a class without rows never
    wins)."""
    means = np.zeros((num_classes, x.shape[1]))
    np.add.at(means, y[idx], x[idx])
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    sims = tx @ (means / np.maximum(norms, 1e-12)).T
    sims[:, norms[:, 0] == 0] = -np.inf
    return float(np.mean(np.argmax(sims, axis=1) == ty))


def candidate_scores(projection: Projection, x: np.ndarray, y: np.ndarray, idx: np.ndarray, data: ProxyData,
                     tx: np.ndarray, ty: np.ndarray, num_classes: int, lambdas: Sequence[float]) -> dict[str, float]:
    """Reward-row accuracy of ridge heads of each strength in `lambdas` on the proxy's features (`data.x_val`
    holds the reward rows projected), the default reward (`ridge_loss`: minus the squared error at strength 1),
    and the accuracy of a nearest-class-mean classifier and a logistic regression on the raw embeddings of the
    same rows (`tx`, `ty`)."""
    fit = lambda strength: fit_subset(ProxyConfig(ridge_lambda=strength), projection, x, y, idx, num_classes)
    heads = {strength: fit(strength) for strength in dict.fromkeys([ProxyConfig().ridge_lambda, *lambdas])}
    out = {"ridge_loss": reward_score("neg_loss", heads[ProxyConfig().ridge_lambda], data)}
    for strength in lambdas:
        out[f"ridge_l{strength:g}"] = reward_score("accuracy", heads[strength], data)
    out["prototype"] = prototype_accuracy(x, y, idx, tx, ty, num_classes)
    if len(np.unique(y[idx])) > 1:
        out["lr"] = float(np.mean(LogisticRegression(max_iter=1000).fit(x[idx], y[idx]).predict(tx) == ty))
    return out
