"""The finetune's own noise: a method x subset seed x finetune seed grid split into the subset's share and the
finetune seed's, how well any score could then rank subsets by a finetune, and the seeds a one-finetune-per-subset
comparison needs to see a gain."""

from __future__ import annotations

import itertools
import math
from typing import Iterable

import numpy as np

from rlsel.report.stats import mean_ci95, seeds_needed


def _grid(cells: list[dict], method: str, metric: str) -> dict[tuple[int, int], float]:
    return {(c["subset_seed"], c["finetune_seed"]): 100.0 * c[metric] for c in cells if c["method"] == method}


def variance_split(grid: dict[tuple[int, int], float]) -> dict:
    """One method's grid {(subset seed, finetune seed): points}: the finetune seed's SD (same subset, pooled), the
    subsets' SD (their means' spread less what the finetune noise explains, floored at 0) and its share."""
    by_subset: dict[int, list[float]] = {}
    for (subset, _), value in sorted(grid.items()):
        by_subset.setdefault(subset, []).append(value)
    rows = [np.asarray(v) for v in by_subset.values()]
    dof = sum(len(r) - 1 for r in rows)
    within_var = sum(float(((r - r.mean()) ** 2).sum()) for r in rows) / dof if dof else float("nan")
    means = np.asarray([r.mean() for r in rows])
    per_subset = np.mean([len(r) for r in rows])
    between_var = max(float(means.var(ddof=1)) - within_var / per_subset, 0.0) if len(means) > 1 else float("nan")
    total = within_var + between_var
    return {"mean": round(float(np.mean(list(grid.values()))), 2), "subsets": len(rows),
            "finetune_sd": round(math.sqrt(within_var), 2), "subset_sd": round(math.sqrt(between_var), 2),
            "finetune_share": round(within_var / total, 3) if total > 0 else float("nan")}


def pair_gain(a: dict[tuple[int, int], float], b: dict[tuple[int, int], float]) -> dict:
    """Method a minus b: per subset seed, the difference of their means over the finetune seeds both ran (its mean
    and 95% t-interval over subset seeds), and the SD of one finetune's difference (same subset and finetune seed)."""
    common = sorted(set(a) & set(b))
    subsets = sorted({s for s, _ in common})
    averaged = [float(np.mean([a[c] - b[c] for c in common if c[0] == s])) for s in subsets]
    mean, half = mean_ci95(averaged)
    single = [a[c] - b[c] for c in common]
    sd = float(np.std(single, ddof=1)) if len(single) > 1 else float("nan")
    return {"subset_seeds": subsets, "averaged_differences": [round(d, 2) for d in averaged], "mean": round(mean, 2),
            "ci95": [round(mean - half, 2), round(mean + half, 2)], "one_finetune_sd": round(sd, 2),
            "seeds_for_1_point": seeds_needed(sd, 1.0), "seeds_for_2_points": seeds_needed(sd, 2.0)}


def seed_grid_summary(cells: Iterable[dict], metric: str) -> dict:
    """Per method its `variance_split`; the same over every subset of every method (`pooled`), whose subset share
    caps how well any score of a subset can correlate with one finetune of it (`correlation_ceiling`, the square
    root of that share); and for every pair of methods their `pair_gain`, random as the baseline where it is one
    (cells carry `method`, `subset_seed`, `finetune_seed` and `metric` as a fraction)."""
    cells = list(cells)
    methods = sorted({c["method"] for c in cells})
    grids = {m: _grid(cells, m, metric) for m in methods}
    pooled = variance_split({((c["method"], c["subset_seed"]), c["finetune_seed"]): 100.0 * c[metric] for c in cells})
    share = pooled["finetune_share"]
    return {"methods": {m: variance_split(g) for m, g in grids.items()},
            "pooled": {**pooled, "correlation_ceiling": round(math.sqrt(1.0 - share), 3) if share == share else None},
            "pairs": {f"{a} - {b}": pair_gain(grids[a], grids[b]) for a, b in itertools.permutations(methods, 2)
                      if ((b == "random") if "random" in (a, b) else a < b)}}
