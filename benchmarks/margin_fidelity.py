"""Which cheap score agrees with the finetune at the margin, where an editing policy works?

  python benchmarks/margin_fidelity.py --out=results/screen/exploration/tenth/margin_fidelity.json

PPO's swaps raise the ridge reward and lower the finetune's validation accuracy against their start, so a reward
must be judged on small edits, not only across unlike subsets. For every clean finished run of results.csv on a
dataset and seed that has a swap-design start, scores the subset with candidate rewards on that start's reward
rows (validation rows the reward may read and held-out train rows; the model-choice half and test are not read):
ridge heads at several strengths (`ridge_l*`), a nearest-class-mean classifier (`prototype`), logistic regression
(`lr`), the mean cross-fitted pool confidence in the subset's own labels (`confidence`), `typicality` and
`label_balance`. Then, against the finetune's validation accuracy (model-choice half):
- `margin`: each swap run's gain over its start (PPO, the random policy, other orders) against each candidate's
  gain; Spearman with a bootstrap interval and the share of pairs whose signs agree, over all pairs and per kind
  of edit (`margin_by_kind`), and the mean gains per kind and dataset;
- `within`: Spearman over all subsets, on ranks taken within each dataset and seed; `within_by_dataset` the same
  over each dataset's subsets alone.
`--scored=` an earlier output reuses its scored subsets and recomputes only the statistics.
It chooses the next reward to test with finetunes; it decides nothing by itself.
"""

import collections
import json
import pathlib
import shlex
import sys

import ml_collections
import numpy as np
from absl import app, flags

from rlsel.cli import quiet_library_logs
from rlsel.jobs.select import context_from_config
from rlsel.outputs import write_json
from rlsel.proxy.data import reward_rows
from rlsel.report import signals
from rlsel.report.compare import read_csv
from rlsel.report.flip_detectors import cross_fitted_confidence
from rlsel.report.margin import candidate_scores
from rlsel.report.stats import ranks_within_groups, spearman_interval
from rlsel.report.swap_edits import pairs

_RESULTS = flags.DEFINE_string("results", "results/results.csv", "experiments/compare.py results table.")
_OUT = flags.DEFINE_string("out", None, "Output json.", required=True)
_LAMBDAS = flags.DEFINE_list("lambdas", ["1", "30", "1000", "30000"], "Ridge strengths to score.")
_BOOTSTRAP = flags.DEFINE_integer("bootstrap", 2000, "Bootstrap resamples.")
_SCORED = flags.DEFINE_string("scored", None, "An earlier output of this script: its scored subsets are reused, not "
                              "rescored, and the statistics recomputed.")

EDITS = (("ppo", "swap"), ("random_clusters", "swap"), ("ppo", "swap_far"))
START = "swap_start"


def score_subsets(rows: list[dict]) -> list[dict]:
    """Every clean run of `rows` on a dataset and seed with a swap-design start, scored on that start's reward rows."""
    starts = {(r["dataset"], r["seed"]): r for r in rows if r["method"] == "greedy" and r["variant"] == START}
    if not starts:
        raise app.UsageError(f"no greedy '{START}' run in {_RESULTS.value}: the screen scores on its reward rows")
    lambdas = [float(v) for v in _LAMBDAS.value]
    scored = []
    for (dataset, seed), start in sorted(starts.items()):
        record = json.loads((pathlib.Path(start["run"]) / "selection.json").read_text())
        ctx = context_from_config(ml_collections.ConfigDict(record["config"]))[0]
        p = ctx.prepared
        targets = reward_rows(p.pool, p.train_x, p.train_y, p.val_x, p.val_y)
        confidence = cross_fitted_confidence(p.train_x, p.train_y, seed=int(seed))
        for row in rows:
            if (row["dataset"], row["seed"]) != (dataset, seed):
                continue
            idx = np.asarray(json.loads((pathlib.Path(row["run"]) / "selection.json").read_text())["indices"])
            scores = candidate_scores(ctx.projection, p.train_x, p.train_y, idx, ctx.env_params.data, *targets,
                                      p.num_classes, lambdas)
            scores |= {"confidence": float(confidence[idx].mean()), "typicality": signals.typicality(p.train_x, idx),
                       "label_balance": signals.label_balance(p.train_y, idx, p.num_classes)}
            scored.append({**{k: row[k] for k in ("dataset", "seed", "method", "variant", "run")},
                           "val_accuracy": float(row["val_accuracy"]), **scores})
            print(json.dumps(scored[-1]))
    return scored


def main(argv):
    del argv
    quiet_library_logs()
    rows = [r for r in read_csv(pathlib.Path(_RESULTS.value)) if float(r["label_noise"]) == 0 and r["method"] != "full"]
    scored = json.loads(pathlib.Path(_SCORED.value).read_text())["subsets"] if _SCORED.value else score_subsets(rows)
    names = [k for k in scored[0] if k not in ("dataset", "seed", "method", "variant", "run", "val_accuracy")]
    by_run = {s["run"]: s for s in scored}
    margin, kinds = [], collections.defaultdict(list)
    for method, variant in EDITS:
        for edited, start in pairs(rows, method, variant, START):
            gain = {k: by_run[edited["run"]][k] - by_run[start["run"]][k] for k in ("val_accuracy", *names)}
            margin.append({"kind": f"{method} {variant}", "dataset": edited["dataset"], "seed": edited["seed"], **gain})
            kinds[(f"{method} {variant}", edited["dataset"])].append(gain)
    record = {
        "command": shlex.join(["python", *sys.argv]), "num_subsets": len(scored), "num_pairs": len(margin),
        "margin": agreement(margin, names, _BOOTSTRAP.value),
        "margin_by_kind": {kind: agreement([m for m in margin if m["kind"] == kind], names, _BOOTSTRAP.value)
                           for kind in sorted({m["kind"] for m in margin})},
        "within": within(scored, names),
        "within_by_dataset": {dataset: within([s for s in scored if s["dataset"] == dataset], names)
                              for dataset in sorted({s["dataset"] for s in scored})},
        "mean_gain": {f"{kind} / {dataset}": {k: round(float(np.mean([g[k] for g in gains])), 4)
                                              for k in ("val_accuracy", *names)}
                      for (kind, dataset), gains in sorted(kinds.items())},
        "pairs": margin, "subsets": scored}
    write_json(_OUT.value, record)
    for name in names:
        print(name, "margin", json.dumps(record["margin"][name]), "within", json.dumps(record["within"][name]))


def within(scored: list[dict], names: list[str]) -> dict:
    """Per candidate, Spearman with the finetune's validation accuracy over `scored`, on ranks taken within each
    dataset and seed."""
    groups = [f"{s['dataset']} {s['seed']}" for s in scored]
    val_rank = ranks_within_groups([s["val_accuracy"] for s in scored], groups)
    return {name: spearman_interval(ranks_within_groups([s[name] for s in scored], groups), val_rank, _BOOTSTRAP.value)
            for name in names}


def agreement(margin: list[dict], names: list[str], resamples: int) -> dict:
    """Per candidate, how its gains over the pairs in `margin` follow the finetune's validation gains."""
    val_gain = np.array([m["val_accuracy"] for m in margin])
    return {name: {**spearman_interval(np.array([m[name] for m in margin]), val_gain, resamples),
                   "sign_agreement": sign_agreement(np.array([m[name] for m in margin]), val_gain)}
            for name in names}


def sign_agreement(score_gain: np.ndarray, val_gain: np.ndarray) -> float | None:
    """Share of pairs where the score and the finetune move the same way (pairs where either is level left out)."""
    moved = (score_gain != 0) & (val_gain != 0)
    return round(float(np.mean(np.sign(score_gain[moved]) == np.sign(val_gain[moved]))), 3) if moved.any() else None


if __name__ == "__main__":
    app.run(main)
