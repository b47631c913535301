"""Summaries over seeds (mean and a 95% confidence interval from Student's t, the seeds a gain needs) and ranks
that pool groups."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy.stats import rankdata, spearmanr
from scipy.stats import t as student_t


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """(mean, half-width of the 95% CI); the half-width is nan for a single value."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, float("nan")
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)


def ranks_within_groups(values: Sequence[float], groups: Sequence[str]) -> np.ndarray:
    """Each value's rank in [0, 1] among the values of its group (ties averaged; a lone value ranks 0), so that
    groups on different scales (datasets, noise levels) pool into one rank correlation; within one group the
    Spearman correlation is unchanged."""
    values, groups = np.asarray(values, float), np.asarray(groups)
    ranks = np.zeros(len(values))
    for group in np.unique(groups):
        mine = groups == group
        ranks[mine] = (rankdata(values[mine]) - 1) / max(int(mine.sum()) - 1, 1)
    return ranks


def seeds_needed(sd: float, gain: float, power: float = 0.8, limit: int = 1000) -> int | None:
    """Fewest paired seeds for which a two-sided 95% t-test detects a true mean `gain` with `power`, when one
    seed's difference has standard deviation `sd` (None beyond `limit`)."""
    for n in range(2, limit + 1):
        t_sum = student_t.ppf(0.975, n - 1) + student_t.ppf(power, n - 1)
        if t_sum * sd / math.sqrt(n) <= gain:
            return n
    return None


def spearman_interval(x: np.ndarray, y: np.ndarray, resamples: int, seed: int = 0) -> dict:
    """Spearman rho and a percentile bootstrap 95% interval over the pairs (resamples with ties skipped); None
    for both when there are fewer than two pairs or either side is constant."""
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"rho": None, "ci95": None}
    rng = np.random.default_rng(seed)
    rhos = []
    for _ in range(resamples):
        pick = rng.integers(0, len(x), len(x))
        if np.ptp(x[pick]) > 0 and np.ptp(y[pick]) > 0:
            rhos.append(spearmanr(x[pick], y[pick]).statistic)
    low, high = np.percentile(rhos, [2.5, 97.5])
    return {"rho": round(float(spearmanr(x, y).statistic), 3), "ci95": [round(float(low), 3), round(float(high), 3)]}
