"""Screen selection designs cheaply on validation: select, then score each subset without a finetune.

  python benchmarks/screen.py --dataset=movie_sentences --seeds=0,1,2 --out=results/screen/movie.csv \
      --cells='random;typiclust;ppo:prepare.chunk_size=4,proxy.metric=neg_loss'

A cell is `METHOD[:FIELD=VALUE,...]`, overrides of experiments/configs/select.py. Each (cell, seed) runs
`run_selection` into RUNS/DATASET/CELL/seedS (reused when its selection.json exists) and is scored by
`proxy_heldout_score` (the ridge proxy's accuracy on the model-choice half of validation), `lr_choice`:
logistic regression on the frozen embeddings of the subset, accuracy on the same model-choice half, and
`lr_pool`: the same model's accuracy on every train row outside the subset that no reward reads (many
more than the choice half, so a steadier screen on clean labels, and a noisy-label one under label_noise).
The test split is never read. Writes a csv with one row per (cell, seed) and prints the per-cell means.
"""

import csv
import json
import pathlib
import re

import numpy as np
from absl import app, flags
from sklearn.linear_model import LogisticRegression

from rlsel.cli import load_config_file, parse_override, quiet_library_logs
from rlsel.jobs.select import context_from_config, run_selection

_DATASET = flags.DEFINE_string("dataset", "movie_sentences", "Dataset (built-in name, file or hf:ID).")
_SEEDS = flags.DEFINE_list("seeds", ["0", "1", "2"], "Selection seeds.")
_CELLS = flags.DEFINE_string("cells", "random;ppo", "Cells separated by ';' (see module docstring).")
_OUT = flags.DEFINE_string("out", "runs/screen/screen.csv", "Output csv; runs go beside it.")
_RUNS = flags.DEFINE_string("runs", "runs/screen", "Folder for the selection runs (they hold dataset texts: keep "
                             "them out of the repository).")
_LABEL_NOISE = flags.DEFINE_float("label_noise", 0.0, "Passed to every cell as config.label_noise.")

CONFIG = pathlib.Path(__file__).resolve().parent.parent / "experiments" / "configs" / "select.py"


def cell_config(cell: str, dataset: str, seed: int):
    method, _, overrides = cell.partition(":")
    config = load_config_file(CONFIG)
    config.dataset, config.method, config.seed = dataset, method, seed
    if "label_noise" in config:
        config.label_noise = _LABEL_NOISE.value
    items = filter(None, overrides.split(","))
    config.update_from_flattened_dict(dict(parse_override(item, config) for item in items))
    return config


def lr_accuracies(x, y, evaluations) -> list[float]:
    """Frozen-feature logistic regression fitted on (x, y), accuracy on each (x_eval, y_eval) pair."""
    if len(np.unique(y)) == 1:
        return [float(np.mean(y_eval == y[0])) for _, y_eval in evaluations]
    model = LogisticRegression(max_iter=2000, C=1.0).fit(x, y)
    return [float(np.mean(model.predict(x_eval) == y_eval)) for x_eval, y_eval in evaluations]


def main(argv):
    del argv
    quiet_library_logs()
    out = pathlib.Path(_OUT.value)
    rows = []
    for cell in filter(None, (c.strip() for c in _CELLS.value.split(";"))):
        for seed in map(int, _SEEDS.value):
            config = cell_config(cell, _DATASET.value, seed)
            name = re.sub(r"[^A-Za-z0-9_.=-]+", "_", cell)
            workdir = pathlib.Path(_RUNS.value) / _DATASET.value / name / f"seed{seed}"
            path = workdir / "selection.json"
            record = json.loads(path.read_text()) if path.exists() else run_selection(config, workdir, progress=False)
            ctx, _ = context_from_config(config)
            p, idx = ctx.prepared, np.asarray(record["indices"])
            choice = p.choice_rows
            rest = np.setdiff1d(np.arange(len(p.train_y)), np.concatenate([idx, p.pool.reward_train_index]))
            lr_choice, lr_pool = lr_accuracies(p.train_x[idx], p.train_y[idx], [
                (p.val_x[choice], p.val_y[choice]), (p.train_x[rest], p.train_y[rest])])
            rows.append({
                "cell": cell, "seed": seed, "num_selected": len(idx),
                "clusters_touched": len(np.unique(p.pool.assignments[idx])),
                "proxy_val_score": round(record["proxy_val_score"], 4),
                "proxy_heldout_score": round(record["proxy_heldout_score"], 4),
                "reward_coverage": round(record.get("reward_coverage") or float("nan"), 4),
                "lr_choice": round(lr_choice, 4),
                "lr_pool": round(lr_pool, 4),
                "select_s": round(record["timings"]["select_s"], 2),
            })
            print(rows[-1], flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for cell in dict.fromkeys(r["cell"] for r in rows):
        part = [r for r in rows if r["cell"] == cell]
        mean = lambda k: np.mean([r[k] for r in part])
        print(f"{cell:60s} lr_choice {mean('lr_choice'):.4f}  lr_pool {mean('lr_pool'):.4f}  "
              f"heldout {mean('proxy_heldout_score'):.4f}  reward {mean('proxy_val_score'):.4f}  "
              f"clusters {mean('clusters_touched'):.0f}  n {mean('num_selected'):.0f}")


if __name__ == "__main__":
    app.run(main)
