"""Which cheap score predicts the finetune? Spearman of each candidate with finetune validation accuracy.

  python benchmarks/finetune_fidelity.py --runs=runs/compare_movie \
      --out=results/fidelity_finetune_movie_sentences.json

Reads every finished run of experiments/compare.py under RUNS (selection.json + finetune.json), and for each
subset compares the finetune's accuracy on the model-choice half of validation (`val_accuracy`) with three
cheap scores: the reward's own score (`proxy_val_score`), the ridge proxy on the model-choice half
(`proxy_heldout_score`) and logistic regression on the subset's frozen MiniLM features, scored on the same
half (`lr_choice`). Spearman correlations with a 95% bootstrap interval over subsets; writes a json and a
scatter plot beside it. The test split is not read.
"""

import json
import pathlib

import numpy as np
from absl import app, flags
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

from rlsel.cli import load_config_file, quiet_library_logs
from rlsel.jobs.select import context_from_config
from rlsel.outputs import write_json

_RUNS = flags.DEFINE_string("runs", "runs/compare_movie", "experiments/compare.py workdir.")
_OUT = flags.DEFINE_string("out", "results/fidelity_finetune_movie_sentences.json", "Output json (png beside).")
_BOOTSTRAP = flags.DEFINE_integer("bootstrap", 2000, "Bootstrap resamples of the subsets.")

CONFIG = pathlib.Path(__file__).resolve().parent.parent / "experiments" / "configs" / "select.py"
CANDIDATES = ("proxy_val_score", "proxy_heldout_score", "lr_choice")


def spearman_ci(x: np.ndarray, y: np.ndarray, resamples: int, seed: int = 0) -> dict:
    """Spearman rho and a percentile bootstrap 95% interval over the pairs (resamples with ties skipped)."""
    rng = np.random.default_rng(seed)
    rhos = []
    for _ in range(resamples):
        pick = rng.integers(0, len(x), len(x))
        if np.ptp(x[pick]) > 0 and np.ptp(y[pick]) > 0:
            rhos.append(spearmanr(x[pick], y[pick]).statistic)
    low, high = np.percentile(rhos, [2.5, 97.5])
    return {"rho": round(float(spearmanr(x, y).statistic), 3), "ci95": [round(float(low), 3), round(float(high), 3)]}


def main(argv):
    del argv
    quiet_library_logs()
    subsets, contexts = [], {}
    for finetuned in sorted(pathlib.Path(_RUNS.value).glob("*/seed*/finetune.json")):
        selection_path = finetuned.parent / "selection.json"
        if not selection_path.exists():
            continue  # `full` has no subset
        selection, tuned = json.loads(selection_path.read_text()), json.loads(finetuned.read_text())
        if selection["seed"] not in contexts:
            config = load_config_file(CONFIG)
            config.update(dataset=selection["dataset"], seed=selection["seed"])
            contexts[selection["seed"]] = context_from_config(config)[0].prepared
        p, idx = contexts[selection["seed"]], np.asarray(selection["indices"])
        model = LogisticRegression(max_iter=2000).fit(p.train_x[idx], p.train_y[idx])
        subsets.append({
            "method": selection["method"], "seed": selection["seed"], "val_accuracy": tuned["val_accuracy"],
            "proxy_val_score": selection["proxy_val_score"], "proxy_heldout_score": selection["proxy_heldout_score"],
            "lr_choice": float(np.mean(model.predict(p.val_x[p.choice_rows]) == p.val_y[p.choice_rows])),
        })
    target = np.array([s["val_accuracy"] for s in subsets])
    record = {"runs": _RUNS.value, "num_subsets": len(subsets),
              "methods": sorted({s["method"] for s in subsets}), "subsets": subsets,
              "spearman_with_finetune_val_accuracy": {
                  name: spearman_ci(np.array([s[name] for s in subsets]), target, _BOOTSTRAP.value)
                  for name in CANDIDATES}}
    out = pathlib.Path(_OUT.value)
    write_json(out, record)
    plot(subsets, record["spearman_with_finetune_val_accuracy"], out.with_suffix(".png"))
    print(json.dumps(record["spearman_with_finetune_val_accuracy"]), f"over {len(subsets)} subsets")


def plot(subsets: list[dict], rhos: dict, path: pathlib.Path) -> None:
    """One panel per candidate score against finetune validation accuracy, points coloured by method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = sorted({s["method"] for s in subsets})
    fig, axes = plt.subplots(1, len(CANDIDATES), figsize=(4 * len(CANDIDATES), 3.6))
    for ax, name in zip(axes, CANDIDATES):
        for i, method in enumerate(methods):
            mine = [s for s in subsets if s["method"] == method]
            ax.scatter([s[name] for s in mine], [s["val_accuracy"] for s in mine], label=method, color=f"C{i}")
        ax.set_xlabel(name)
        ax.set_ylabel("finetune val accuracy")
        ax.set_title(f"Spearman {rhos[name]['rho']:.2f} {rhos[name]['ci95']}", fontsize=9)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    app.run(main)
