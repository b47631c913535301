"""Where every selector stands: one line per dataset, noise level and method, with its cost against the full
finetune and its seed-paired test gain over a random subset of the same size."""

from __future__ import annotations

import numpy as np

from rlsel.report.paired import paired_gains

# (method, variant, label): the issue's cells, the later rounds' variants, and the swap design's start and edits
CELLS = (("full", "", "full data"), ("random", "", "random"), ("typiclust", "", "TypiClust"),
         ("herding", "", "herding"), ("knn_agree", "", "knn_agree (neighbour vote)"),
         ("greedy", "", "greedy on the reward"), ("ppo", "", "**ppo (default)**"),
         ("ppo", "agree_only", "ppo, agree_only order"), ("ppo", "exact_shares", "ppo, exact label shares"),
         ("random", "steps100", "random, finetuned >= 100 steps"),
         ("greedy", "swap_start", "swap design's start (no RL)"), ("ppo", "swap", "ppo, swap design"))


def _cost(rows: list[dict], full: list[dict]) -> str:
    """Selection plus finetune wall time over the full finetune's ('–' without a full run)."""
    if not full:
        return "–"
    total = np.mean([float(r["select_wall_s"] or 0) + float(r["finetune_wall_s"]) for r in rows])
    return f"{total / float(full[0]['finetune_wall_s']):.2f}"


def standing_table(rows: list[dict], cells=CELLS) -> str:
    """Markdown: per (dataset, noise) and cell that ran, the seeds, mean validation (model-choice half) and test
    accuracy, the cost ratio, and the test gain over random in points with its seed-paired 95% t-interval."""
    lines = ["| dataset | noise | method | seeds | val | test | cost vs full | test - random, paired |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    settings = list(dict.fromkeys((r["dataset"], float(r["label_noise"])) for r in rows))
    for dataset, noise in settings:
        here = [r for r in rows if (r["dataset"], float(r["label_noise"])) == (dataset, noise)]
        full = [r for r in here if r["method"] == "full"]
        for method, variant, label in cells:
            mine = [r for r in here if (r["method"], r.get("variant", "")) == (method, variant)]
            if not mine:
                continue
            baseline = (method, variant) in (("random", ""), ("full", ""))
            gain = None if baseline else paired_gains(here, method, "random", "test_accuracy", variant).get(
                (dataset, noise))
            shown = "–" if gain is None else f"{gain['mean']:+.1f} [{gain['ci95'][0]:+.1f}, {gain['ci95'][1]:+.1f}]"
            if gain and gain["ci95"][0] > 0:
                shown = f"**{shown}**"
            mean = lambda column: f"{np.mean([float(r[column]) for r in mine]):.3f}"
            lines.append(f"| {dataset} | {noise:g} | {label} | {len(mine)} | {mean('val_accuracy')} | "
                         f"{mean('test_accuracy')} | {_cost(mine, full)} | {shown} |")
    return "\n".join(lines) + "\n"
