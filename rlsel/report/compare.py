"""The comparison table: one row per (method, seed) run, summarised per method with 95% CIs."""

from __future__ import annotations

import csv
import io
import math
import pathlib

from rlsel.io import write_text
from rlsel.report.stats import mean_ci95

COLUMNS = ("dataset", "method", "seed", "budget", "num_selected", "proxy_val_score", "val_accuracy",
           "test_accuracy", "test_macro_f1", "select_wall_s", "finetune_wall_s")
SUMMARISED = ("val_accuracy", "test_accuracy", "test_macro_f1", "proxy_val_score", "select_wall_s",
              "finetune_wall_s")


def write_csv(path: pathlib.Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


def summarise(rows: list[dict]) -> dict[str, dict]:
    """Per method: number of seeds and (mean, ci95) of each summarised column that has values."""
    out = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        stats = {"seeds": len(mine), "num_selected": mean_ci95([r["num_selected"] for r in mine])[0]}
        for column in SUMMARISED:
            values = [r[column] for r in mine if r.get(column) not in (None, "")]
            if values:
                stats[column] = mean_ci95(values)
        out[method] = stats
    return out


def _fmt(stat, digits: int = 4) -> str:
    if stat is None:
        return "–"
    mean, ci = stat
    return f"{mean:.{digits}f}" if math.isnan(ci) else f"{mean:.{digits}f} ± {ci:.{digits}f}"


def markdown_table(rows: list[dict]) -> str:
    """Methods as rows: examples, validation and test accuracy, macro-F1, proxy score and costs (mean ± 95%
    CI). Choose settings by the validation column; the test columns are the final numbers."""
    lines = ["| method | seeds | examples | val accuracy | test accuracy | test macro-F1 | proxy val score | select s "
             "| finetune s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for method, s in summarise(rows).items():
        lines.append(
            f"| {method} | {s['seeds']} | {s['num_selected']:.0f} | {_fmt(s.get('val_accuracy'))} | "
            f"{_fmt(s.get('test_accuracy'))} | "
            f"{_fmt(s.get('test_macro_f1'))} | {_fmt(s.get('proxy_val_score'))} | "
            f"{_fmt(s.get('select_wall_s'), 1)} | {_fmt(s.get('finetune_wall_s'), 1)} |"
        )
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: pathlib.Path) -> None:
    """Test accuracy per method (mean and 95% CI) beside its total cost (selection + finetune seconds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarise(rows)
    methods = [m for m in summary if "test_accuracy" in summary[m]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    means = [summary[m]["test_accuracy"][0] for m in methods]
    errs = [0 if math.isnan(summary[m]["test_accuracy"][1]) else summary[m]["test_accuracy"][1] for m in methods]
    left.bar(methods, means, yerr=errs, capsize=4, color="tab:blue")
    left.set_ylim(min(means) - 0.05, max(means) + 0.03)
    left.set_ylabel("test accuracy (95% CI)")
    for m in methods:
        cost = sum(summary[m][c][0] for c in ("select_wall_s", "finetune_wall_s") if c in summary[m])
        right.scatter(cost, summary[m]["test_accuracy"][0], label=m)
    right.set_xscale("log")
    right.set_xlabel("selection + finetune seconds (log)")
    right.set_ylabel("test accuracy")
    right.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
