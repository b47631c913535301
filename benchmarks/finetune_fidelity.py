"""Which cheap score predicts the finetune? Spearman of each candidate with finetune validation accuracy.

  python benchmarks/finetune_fidelity.py --runs=runs/compare_movie,runs/compare_movie_cov,runs/compare_noise \
      --out=results/fidelity_finetune_movie_sentences.json

Reads every finished run of experiments/compare.py under each of RUNS (selection.json + finetune.json), and for
each subset compares the finetune's accuracy on the model-choice half of validation (`val_accuracy`) with four
cheap scores: the reward's own score (`proxy_val_score`, which differs between reward designs), the ridge
proxy on the model-choice half (`proxy_heldout_score`), the class-conditional coverage of the reward rows
(`coverage`, rlsel.proxy.coverage's mean matching, the coverage design's term) and logistic regression on
the subset's frozen MiniLM features, scored on the same half (`lr_choice`; trained on the subset's labels as
the finetune sees them, label noise included). Spearman correlations with a 95% bootstrap interval, over
all subsets, per label-noise level, and over the near-random subsets alone: those whose finetune validation
accuracy is within NEAR points of the mean of the same noise level's random subsets (bad subsets make any
score look faithful). Writes a json and a scatter plot beside it. The test split is not read.
"""

import json
import pathlib

import numpy as np
from absl import app, flags
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

from rlsel.cli import load_config_file, quiet_library_logs
from rlsel.jobs.select import context_from_config, reward_coverage
from rlsel.outputs import write_json
from rlsel.report.compare import subset_runs

MIN_SUBSETS = 4  # fewer pairs give no meaningful rank correlation or bootstrap

_RUNS = flags.DEFINE_list("runs", ["runs/compare_movie"], "experiments/compare.py workdirs.")
_OUT = flags.DEFINE_string("out", "results/fidelity_finetune_movie_sentences.json", "Output json (png beside).")
_BOOTSTRAP = flags.DEFINE_integer("bootstrap", 2000, "Bootstrap resamples of the subsets.")
_NEAR = flags.DEFINE_float("near", 0.03, "Half-width of the near-random band of finetune validation accuracy.")

CONFIG = pathlib.Path(__file__).resolve().parent.parent / "experiments" / "configs" / "select_coverage.py"
CANDIDATES = ("proxy_val_score", "proxy_heldout_score", "coverage", "lr_choice")


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


def label(selection: dict) -> str:
    """The method, with the reward design and the noise level where they are not the defaults'."""
    text = selection["method"]
    if selection["config"].get("proxy", {}).get("coverage_weight", 0.0) > 0:
        text += " (coverage)"
    return text + (f" noise {selection['label_noise']:g}" if selection["label_noise"] else "")


def correlations(subsets: list[dict], resamples: int) -> dict:
    """Spearman of every candidate with the finetune's validation accuracy over `subsets` (just the count when
    there are fewer than MIN_SUBSETS, e.g. an empty near-random band)."""
    if len(subsets) < MIN_SUBSETS:
        return {"num_subsets": len(subsets)}
    target = np.array([s["val_accuracy"] for s in subsets])
    return {"num_subsets": len(subsets), **{
        name: spearman_ci(np.array([s[name] for s in subsets]), target, resamples) for name in CANDIDATES}}


def near_random(subsets: list[dict], width: float) -> list[dict]:
    """Subsets whose finetune val accuracy is within `width` of their noise level's random subsets' mean."""
    centre = {}
    for noise in {s["label_noise"] for s in subsets}:
        randoms = [s["val_accuracy"] for s in subsets if s["label_noise"] == noise and s["method"] == "random"]
        centre[noise] = np.mean(randoms) if randoms else np.nan
    return [s for s in subsets if abs(s["val_accuracy"] - centre[s["label_noise"]]) <= width]


def main(argv):
    del argv
    quiet_library_logs()
    subsets, contexts = [], {}
    for run, selection, tuned in subset_runs([pathlib.Path(r) for r in _RUNS.value]):
        if tuned is None:
            continue  # not finetuned yet
        setting = (selection["dataset"], selection["seed"], selection["label_noise"])
        if setting not in contexts:
            config = load_config_file(CONFIG)
            config.update(dataset=selection["dataset"], seed=selection["seed"], label_noise=selection["label_noise"])
            contexts[setting] = context_from_config(config)[0]
        ctx, idx = contexts[setting], np.asarray(selection["indices"])
        p = ctx.prepared
        model = LogisticRegression(max_iter=2000).fit(p.train_x[idx], p.train_y[idx])
        subsets.append({
            "method": label(selection), "seed": selection["seed"], "label_noise": selection["label_noise"],
            "run": str(run), "val_accuracy": tuned["val_accuracy"],
            "proxy_val_score": selection["proxy_val_score"], "proxy_heldout_score": selection["proxy_heldout_score"],
            "coverage": reward_coverage(ctx, idx),
            "lr_choice": float(np.mean(model.predict(p.val_x[p.choice_rows]) == p.val_y[p.choice_rows])),
        })
    if len(subsets) < MIN_SUBSETS:
        raise app.UsageError(f"{len(subsets)} finetuned subsets under {', '.join(_RUNS.value)}; the fidelity needs "
                             f"at least {MIN_SUBSETS}")
    resamples = _BOOTSTRAP.value
    record = {"runs": _RUNS.value, "num_subsets": len(subsets), "near_width": _NEAR.value,
              "methods": sorted({s["method"] for s in subsets}), "subsets": subsets,
              "spearman_with_finetune_val_accuracy": {
                  "all": correlations(subsets, resamples),
                  **{f"noise {noise:g}": correlations([s for s in subsets if s["label_noise"] == noise], resamples)
                     for noise in sorted({s["label_noise"] for s in subsets})},
                  "near_random": correlations(near_random(subsets, _NEAR.value), resamples)}}
    out = pathlib.Path(_OUT.value)
    write_json(out, record)
    plot(subsets, record["spearman_with_finetune_val_accuracy"]["all"], out.with_suffix(".png"))
    for group, rhos in record["spearman_with_finetune_val_accuracy"].items():
        print(group, json.dumps(rhos))


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
