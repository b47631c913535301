"""Seed-paired gains of one method over another: same seed = same splits and finetune seed."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from rlsel.report.stats import mean_ci95, seeds_needed


def paired_gains(rows: Iterable[dict], method: str, baseline: str, metric: str = "val_accuracy",
                 variant: str = "", baseline_variant: str = "") -> dict[tuple[str, float], dict]:
    """For each (dataset, label_noise) where both ran: per-seed differences of `metric` (method minus baseline, in
    points), their mean, its 95% t-interval, their SD, and the seeds that SD needs to show a 1-point gain (80%
    power). `rows` are results.csv rows (strings or numbers)."""
    by_cell: dict[tuple, dict[str, dict[int, float]]] = {}
    for row in rows:
        side = ("method" if (row["method"], row.get("variant", "")) == (method, variant) else
                "baseline" if (row["method"], row.get("variant", "")) == (baseline, baseline_variant) else None)
        if side:
            cell = by_cell.setdefault((row["dataset"], float(row["label_noise"])), {"method": {}, "baseline": {}})
            cell[side][int(row["seed"])] = 100.0 * float(row[metric])
    gains = {}
    for cell, sides in sorted(by_cell.items()):
        seeds = sorted(set(sides["method"]) & set(sides["baseline"]))
        if not seeds:
            continue
        differences = [sides["method"][s] - sides["baseline"][s] for s in seeds]
        mean, half = mean_ci95(differences)
        sd = float(np.std(differences, ddof=1)) if len(seeds) > 1 else float("nan")
        gains[cell] = {"seeds": seeds, "differences": [round(d, 2) for d in differences], "mean": round(mean, 2),
                       "ci95": [round(mean - half, 2), round(mean + half, 2)], "sd": round(sd, 2),
                       "seeds_for_1_point": seeds_needed(sd, 1.0) if len(seeds) > 1 else None}
    return gains
