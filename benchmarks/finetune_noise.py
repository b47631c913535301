"""How much of a 5% finetune's accuracy is the subset, and how much the finetune's own seed?

  python benchmarks/finetune_noise.py --runs=runs/compare_movie/random/seed0-038f62e689,... \
      --finetune_seeds=0,1,2 --workdir=runs/finetune_noise --out=results/finetune_noise_movie_sentences.json

Each of RUNS is a finished experiments/compare.py run (selection.json + finetune.json). Every subset is finetuned
again with each of FINETUNE_SEEDS, with the run's own finetune config and only its seed changed (a run's own
seed is reused, not rerun), so the grid is method x subset seed x finetune seed. The json splits each method's
variance into the finetune seed's share (same subset, other seed) and the subset's share
(`rlsel.report.noise`), gives every pair of methods' gain averaged over the finetune seeds, and the seeds the
compare protocol (one finetune per subset) needs to see a gain of 1 or 2 points. Finetunes are kept under
WORKDIR, so a rerun only trains what is missing.
"""

import json
import pathlib

import ml_collections
from absl import app, flags

from rlsel.cli import load_config_file, parse_flags, quiet_library_logs, run_or_exit
from rlsel.jobs.finetune import run_finetune
from rlsel.outputs import write_json
from rlsel.report.noise import seed_grid_summary

_RUNS = flags.DEFINE_list("runs", None, "experiments/compare.py run folders (selection.json + finetune.json).")
_SEEDS = flags.DEFINE_list("finetune_seeds", ["0", "1", "2"], "Finetune seeds of every subset.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/finetune_noise", "Where the extra finetunes go.")
_OUT = flags.DEFINE_string("out", "results/finetune_noise_movie_sentences.json", "Output json.")
METRICS = ("val_accuracy", "test_accuracy")
FINETUNE_CONFIG = pathlib.Path(__file__).resolve().parent.parent / "experiments" / "configs" / "finetune.py"


def merge(config: ml_collections.ConfigDict, saved: dict) -> None:
    """Overwrite the default finetune config with a run's saved values (fields added since keep their defaults)."""
    for name, value in saved.items():
        if isinstance(value, dict):
            merge(config[name], value)
        else:
            config[name] = value


def finetune_with_seed(run: pathlib.Path, seed: int) -> dict:
    """The run's finetune.json for its own seed; otherwise the same finetune with `seed`, trained once."""
    own = json.loads((run / "finetune.json").read_text())
    if int(own["config"]["seed"]) == seed:
        return own
    workdir = pathlib.Path(_WORKDIR.value) / f"{run.parent.name}-{run.name}" / f"finetune_seed{seed}"
    if (workdir / "finetune.json").exists():
        return json.loads((workdir / "finetune.json").read_text())
    config = load_config_file(FINETUNE_CONFIG)
    merge(config, own["config"])
    config.selection, config.seed = str(run / "selection.json"), seed
    return run_finetune(config, workdir)


def measure() -> dict:
    runs = [pathlib.Path(r) for r in _RUNS.value or []]
    missing = [str(r) for r in runs if not ((r / "selection.json").exists() and (r / "finetune.json").exists())]
    if not runs or missing:
        raise ValueError(f"--runs must name finished compare runs (selection.json + finetune.json); not: {missing}")
    cells = []
    for run in runs:
        selection = json.loads((run / "selection.json").read_text())
        for seed in map(int, _SEEDS.value):
            tuned = finetune_with_seed(run, seed)
            cells.append({"dataset": selection["dataset"], "method": selection["method"], "subset_seed":
                          int(selection["seed"]), "finetune_seed": seed, "run": str(run),
                          **{m: tuned[m] for m in METRICS}})
    summary = {metric: seed_grid_summary(cells, metric) for metric in METRICS}
    out = {"runs": [str(r) for r in runs], "finetune_seeds": list(map(int, _SEEDS.value)), "cells": cells,
           "summary": summary}
    write_json(pathlib.Path(_OUT.value), out)
    return summary


def main(argv):
    del argv
    quiet_library_logs()
    print(json.dumps(run_or_exit(measure), indent=1))


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
