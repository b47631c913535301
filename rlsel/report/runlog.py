"""A run's metric series, read from its metrics.jsonl stream (`rlsel.metrics_log`) or, for older runs, from
selection.json's `curve`; null (non-finite) values are left out.
"""

from __future__ import annotations

import pathlib

from rlsel.metrics_log import read_metrics as read_lines

Series = dict[str, tuple[list[float], list[float]]]  # metric name -> (steps, values)

_RESERVED = ("stage", "step", "time")
FIRST = ("episode_return", "proxy_score", "reward", "entropy", "approx_kl", "clip_frac", "value_loss")


def read_metrics(workdir: pathlib.Path) -> dict[str, Series]:
    """Per stage, every numeric metric as (steps, values) in file order; {} without a metrics.jsonl."""
    stages: dict[str, Series] = {}
    for row in read_lines(workdir):
        if not isinstance(row.get("step"), (int, float)):
            continue
        series = stages.setdefault(str(row.get("stage", "run")), {})
        for name, value in row.items():
            if name not in _RESERVED and isinstance(value, (int, float)) and not isinstance(value, bool):
                steps, ys = series.setdefault(name, ([], []))
                steps.append(float(row["step"]))
                ys.append(float(value))
    return {stage: series for stage, series in stages.items() if series}


def curve_series(record: dict) -> Series:
    """selection.json's per-update `curve` (episode return, proxy score) as series over updates."""
    curve = record.get("curve") or {}
    out = {}
    for name, values in curve.items():
        if isinstance(values, list) and values:
            out[name] = ([float(i + 1) for i in range(len(values))], [float(v) for v in values])
    return out


def finetune_history(result: dict) -> Series:
    """finetune.json's `history` (one entry per evaluation) as series over steps."""
    out: Series = {}
    for entry in result.get("history") or []:
        for name, value in entry.items():
            if name != "step" and isinstance(value, (int, float)):
                steps, values = out.setdefault(name, ([], []))
                steps.append(float(entry["step"]))
                values.append(float(value))
    return out


def learning_series(record: dict, metrics: dict[str, Series]) -> tuple[Series, str]:
    """The selection stage's series and where they came from: metrics.jsonl's non-finetune stages when
    present, else selection.json's curve; ({}, "") when the run logged neither."""
    logged = {f"{stage}/{name}" if len(metrics) > 1 else name: s for stage, series in metrics.items()
              if stage != "finetune" for name, s in series.items()}
    if logged:
        rank = lambda name: FIRST.index(name.rsplit("/", 1)[-1]) if name.rsplit("/", 1)[-1] in FIRST else len(FIRST)
        return {name: logged[name] for name in sorted(logged, key=rank)}, "metrics.jsonl"
    curve = curve_series(record)
    return (curve, "selection.json's curve") if curve else ({}, "")
