"""What each finetuned subset of a comparison is made of: its share of flipped labels, its label mix, its spread.

  python benchmarks/subset_profile.py --runs=runs/compare_noise --out=results/subset_profile_noise.json

For every METHOD/seedS-HASH run under each --runs folder with a selection.json: the share of its rows whose train
label was flipped by `label_noise` (the clean labels are reloaded with the noise off), its largest label's share,
the number of distinct clusters its record names (MDP methods), and the finetune's validation and test accuracy
when finetune.json exists. It explains a table of finetunes (a subset can be cleaner and still lose on coverage);
it chooses nothing.
"""

import dataclasses
import json
import pathlib
import shlex
import sys

import numpy as np
from absl import app, flags

from rlsel.cli import quiet_library_logs
from rlsel.data.sources import spec_from_config

_RUNS = flags.DEFINE_list("runs", None, "Comparison workdirs (each holds METHOD/seedS-HASH runs).", required=True)
_OUT = flags.DEFINE_string("out", None, "Output json.", required=True)


def profile(indices: np.ndarray, labels: np.ndarray, clean_labels: np.ndarray) -> dict:
    """A subset's flipped share (rows whose label differs from the clean one) and its largest label's share."""
    indices = np.asarray(indices, np.int64)
    counts = np.bincount(labels[indices], minlength=int(labels.max()) + 1)
    return {"num_selected": int(len(indices)),
            "flipped_share": round(float(np.mean(labels[indices] != clean_labels[indices])), 4),
            "largest_label_share": round(float(counts.max() / max(len(indices), 1)), 4)}


def train_labels(spec) -> np.ndarray:
    return np.asarray(spec.load()["train"]["label"], np.int64)


def profile_runs(roots: list[pathlib.Path]) -> list[dict]:
    """One row per run with a selection, labels loaded once per dataset spec."""
    cache, rows = {}, []
    for root in roots:
        for selection_file in sorted(root.glob("*/seed*/selection.json")):
            record = json.loads(selection_file.read_text())
            spec = spec_from_config(record["config"])
            if spec not in cache:
                cache[spec] = (train_labels(spec), train_labels(dataclasses.replace(spec, label_noise=0.0)))
            labels, clean = cache[spec]
            row = {"run": str(selection_file.parent), "method": record["method"], "seed": record["config"]["seed"],
                   "dataset": spec.dataset, "label_noise": spec.label_noise,
                   **profile(record["indices"], labels, clean),
                   "clusters_touched": len(set(record["clusters"])) if record.get("clusters") else None}
            finetune_file = selection_file.with_name("finetune.json")
            if finetune_file.exists():
                tuned = json.loads(finetune_file.read_text())
                row.update(val_accuracy=round(tuned["val_accuracy"], 4), test_accuracy=round(tuned["test_accuracy"], 4))
            rows.append(row)
    return rows


def main(argv):
    del argv
    roots = [pathlib.Path(r) for r in _RUNS.value]
    missing = [str(r) for r in roots if not r.is_dir()]
    if missing:
        raise app.UsageError(f"--runs folders not found: {', '.join(missing)}")
    quiet_library_logs()
    rows = profile_runs(roots)
    if not rows:
        raise app.UsageError(f"no METHOD/seedS-HASH/selection.json under {', '.join(map(str, roots))}")
    out = pathlib.Path(_OUT.value)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": shlex.join(["python", *sys.argv]), "runs": rows}, indent=2) + "\n")
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    app.run(main)
