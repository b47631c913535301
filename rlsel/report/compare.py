"""The comparison table: one row per (method, seed) run, summarised per method with 95% CIs."""

from __future__ import annotations

import csv
import io
import json
import math
import pathlib
from typing import Iterator

from rlsel.io import write_text
from rlsel.report.stats import mean_ci95

COLUMNS = ("dataset", "label_noise", "method", "variant", "seed", "budget", "num_selected", "proxy_val_score",
           "proxy_heldout_score", "val_accuracy", "test_accuracy", "test_macro_f1", "select_wall_s",
           "finetune_wall_s", "run")
SUMMARISED = ("val_accuracy", "test_accuracy", "test_macro_f1", "proxy_val_score", "proxy_heldout_score",
              "select_wall_s", "finetune_wall_s")


def subset_runs(roots: list[pathlib.Path]) -> Iterator[tuple[pathlib.Path, dict, dict | None]]:
    """Every METHOD/seedS-HASH run under the comparison workdirs `roots` that made a subset: its folder, its
    selection record and its finetune record (None until the finetune has finished), in path order."""
    for path in sorted(f for root in roots for f in pathlib.Path(root).glob("*/seed*/selection.json")):
        tuned = path.with_name("finetune.json")
        yield path.parent, json.loads(path.read_text()), json.loads(tuned.read_text()) if tuned.exists() else None


def write_csv(path: pathlib.Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


def read_csv(path: pathlib.Path) -> list[dict]:
    """The rows of a results.csv (numbers stay strings; the summaries convert what they read)."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def method_label(row: dict) -> str:
    """The method's name, with the config variant it ran under when one was named."""
    return f"{row['method']} ({row['variant']})" if row.get("variant") else row["method"]


def group_key(row: dict) -> tuple:
    """Rows of one table line: the same dataset, label noise and method (variant included)."""
    return row.get("dataset", ""), float(row.get("label_noise") or 0.0), method_label(row)


def summarise(rows: list[dict]) -> dict[tuple, dict]:
    """Per (dataset, label_noise, method): number of seeds and (mean, ci95) of each summarised column."""
    out = {}
    for key in dict.fromkeys(group_key(r) for r in rows):
        mine = [r for r in rows if group_key(r) == key]
        stats = {"seeds": len(mine), "num_selected": mean_ci95([float(r["num_selected"]) for r in mine])[0]}
        for column in SUMMARISED:
            values = [float(r[column]) for r in mine if r.get(column) not in (None, "")]
            if values:
                stats[column] = mean_ci95(values)
        out[key] = stats
    return out


def _fmt(stat, digits: int = 4) -> str:
    if stat is None:
        return "–"
    mean, ci = stat
    return f"{mean:.{digits}f}" if math.isnan(ci) else f"{mean:.{digits}f} ± {ci:.{digits}f}"


def markdown_table(rows: list[dict]) -> str:
    """One line per (dataset, noise, method): examples, validation and test accuracy, macro-F1, the proxy's
    reward and held-out scores (mean ± 95% CI) and mean wall times. Choose settings by the validation
    column; the test columns are the final numbers."""
    lines = ["| dataset | noise | method | seeds | examples | val accuracy | test accuracy | test macro-F1 "
             "| proxy reward score | proxy held-out | select s | finetune s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for (dataset, noise, method), s in summarise(rows).items():
        wall = lambda c: f"{s[c][0]:.1f}" if c in s else "–"
        lines.append(
            f"| {dataset} | {noise:g} | {method} | {s['seeds']} | {s['num_selected']:.0f} | "
            f"{_fmt(s.get('val_accuracy'))} | {_fmt(s.get('test_accuracy'))} | {_fmt(s.get('test_macro_f1'))} | "
            f"{_fmt(s.get('proxy_val_score'))} | {_fmt(s.get('proxy_heldout_score'))} | "
            f"{wall('select_wall_s')} | {wall('finetune_wall_s')} |"
        )
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: pathlib.Path) -> None:
    """Test accuracy per method (mean and 95% CI) beside its total cost (selection + finetune seconds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = {" ".join(str(k) for k in key if k != 0.0): v for key, v in summarise(rows).items()}
    methods = [m for m in summary if "test_accuracy" in summary[m]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    means = [summary[m]["test_accuracy"][0] for m in methods]
    errs = [0 if math.isnan(summary[m]["test_accuracy"][1]) else summary[m]["test_accuracy"][1] for m in methods]
    left.bar(methods, means, yerr=errs, capsize=4, color="tab:blue")
    left.tick_params(axis="x", labelrotation=30, labelsize=7)
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
