"""Which cheap score predicts the finetune? Spearman of each candidate with finetune validation accuracy.

  python benchmarks/finetune_fidelity.py --runs=runs/compare_movie,runs/compare_movie_cov,runs/compare_newsgroups20,\
runs/compare_reuters8,runs/compare_tweet,runs/compare_noise,runs/compare_noise_reuters8 \
      --out=results/fidelity_finetune_all.json

Reads every finished run of experiments/compare.py under each of RUNS (selection.json + finetune.json), and for
each subset compares the finetune's accuracy on the model-choice half of validation (`val_accuracy`) with cheap
scores of the subset:
- the reward's own score (`proxy_val_score`, which differs between reward designs);
- the ridge proxy's accuracy on the model-choice half (`proxy_heldout_score`), on the validation half the reward
  may read (`proxy_reward_accuracy`) and on the reward's own rows, that half's sample plus the held-out train
  rows (`proxy_reward_rows_accuracy`: what `proxy.metric=accuracy` scores);
- the class-conditional coverage of the reward rows (`coverage`, rlsel.proxy.coverage's mean matching);
- logistic regression on the subset's frozen MiniLM features, trained on its labels as the finetune sees them
  (label noise included), scored on the model-choice half (`lr_choice`) and on the reward's half (`lr_reward`);
- the statistics of rlsel.report.signals: 1-nearest-neighbour accuracy on the reward's half (`nn_reward`),
  `label_balance`, `typicality` and `redundancy`.
Spearman correlations with a 95% bootstrap interval per dataset and noise level, and pooled over them on ranks
taken within each (`all`, `clean`, and `near_random`: the subsets whose finetune validation accuracy is within
NEAR points of the mean of the random subsets of their dataset and noise level, since bad subsets make any
score look faithful). Writes a json and a scatter plot beside it. The test split is not read.
"""

import dataclasses
import json
import pathlib

import numpy as np
from absl import app, flags
from sklearn.linear_model import LogisticRegression

from rlsel.cli import load_config_file, quiet_library_logs
from rlsel.jobs.select import context_from_config, reward_coverage
from rlsel.outputs import write_json
from rlsel.proxy.evaluate import subset_scores
from rlsel.report import signals
from rlsel.report.compare import subset_runs
from rlsel.report.stats import ranks_within_groups, spearman_interval

MIN_SUBSETS = 4  # fewer pairs give no meaningful rank correlation or bootstrap

_RUNS = flags.DEFINE_list("runs", ["runs/compare_movie"], "experiments/compare.py workdirs.")
_OUT = flags.DEFINE_string("out", "results/fidelity_finetune_movie_sentences.json", "Output json (png beside).")
_BOOTSTRAP = flags.DEFINE_integer("bootstrap", 2000, "Bootstrap resamples of the subsets.")
_NEAR = flags.DEFINE_float("near", 0.03, "Half-width of the near-random band of finetune validation accuracy.")

CONFIG = pathlib.Path(__file__).resolve().parent.parent / "experiments" / "configs" / "select_coverage.py"
CANDIDATES = ("proxy_val_score", "proxy_heldout_score", "proxy_reward_accuracy", "proxy_reward_rows_accuracy",
              "coverage", "lr_choice", "lr_reward", "nn_reward",
              "label_balance", "typicality", "redundancy")


def label(selection: dict) -> str:
    """The method, with the reward design and the noise level where they are not the defaults'."""
    text = selection["method"]
    if selection["config"].get("proxy", {}).get("coverage_weight", 0.0) > 0:
        text += " (coverage)"
    return text + (f" noise {selection['label_noise']:g}" if selection["label_noise"] else "")


def group_of(subset: dict) -> str:
    return f"{subset['dataset']} noise {subset['label_noise']:g}"


def within_group_ranks(subsets: list[dict], name: str) -> np.ndarray:
    """Each subset's `name` ranked among the subsets of its dataset and noise level."""
    return ranks_within_groups([s[name] for s in subsets], [group_of(s) for s in subsets])


def correlations(subsets: list[dict], resamples: int) -> dict:
    """Spearman of every candidate with the finetune's validation accuracy over `subsets`, on ranks within
    each dataset and noise level (just the count when there are fewer than MIN_SUBSETS)."""
    if len(subsets) < MIN_SUBSETS:
        return {"num_subsets": len(subsets)}
    target = within_group_ranks(subsets, "val_accuracy")
    return {"num_subsets": len(subsets), **{
        name: spearman_interval(within_group_ranks(subsets, name), target, resamples) for name in CANDIDATES}}


def near_random(subsets: list[dict], width: float) -> list[dict]:
    """Subsets whose finetune val accuracy is within `width` of the mean of the random subsets of their dataset
    and noise level."""
    centre = {}
    for g in {group_of(s) for s in subsets}:
        randoms = [s["val_accuracy"] for s in subsets if group_of(s) == g and s["method"].split()[0] == "random"]
        centre[g] = np.mean(randoms) if randoms else np.nan
    return [s for s in subsets if abs(s["val_accuracy"] - centre[group_of(s)]) <= width]


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
        reward = np.setdiff1d(np.arange(len(p.val_y)), p.choice_rows)
        accuracy = dataclasses.replace(ctx.env_config.proxy, metric="accuracy")
        rows_accuracy, reward_accuracy = subset_scores(accuracy, ctx.projection, p.train_x, p.train_y, idx,
                                                       ctx.env_params.data, p.val_x[reward], p.val_y[reward])
        subsets.append({
            "dataset": selection["dataset"], "method": label(selection), "seed": selection["seed"],
            "label_noise": selection["label_noise"], "run": str(run), "val_accuracy": tuned["val_accuracy"],
            "proxy_val_score": selection["proxy_val_score"], "proxy_heldout_score": selection["proxy_heldout_score"],
            "proxy_reward_accuracy": reward_accuracy, "proxy_reward_rows_accuracy": rows_accuracy,
            "coverage": reward_coverage(ctx, idx),
            "lr_choice": float(np.mean(model.predict(p.val_x[p.choice_rows]) == p.val_y[p.choice_rows])),
            "lr_reward": float(np.mean(model.predict(p.val_x[reward]) == p.val_y[reward])),
            "nn_reward": signals.nearest_label_accuracy(p.train_x, p.train_y, idx, p.val_x[reward], p.val_y[reward]),
            "label_balance": signals.label_balance(p.train_y, idx, p.num_classes),
            "typicality": signals.typicality(p.train_x, idx),
            "redundancy": signals.redundancy(p.train_x, idx),
        })
    if len(subsets) < MIN_SUBSETS:
        raise app.UsageError(f"{len(subsets)} finetuned subsets under {', '.join(_RUNS.value)}; the fidelity needs "
                             f"at least {MIN_SUBSETS}")
    resamples = _BOOTSTRAP.value
    record = {"runs": _RUNS.value, "num_subsets": len(subsets), "near_width": _NEAR.value,
              "methods": sorted({s["method"] for s in subsets}), "subsets": subsets,
              "spearman_with_finetune_val_accuracy": {
                  "all": correlations(subsets, resamples),
                  "clean": correlations([s for s in subsets if s["label_noise"] == 0], resamples),
                  **{g: correlations([s for s in subsets if group_of(s) == g], resamples)
                     for g in sorted({group_of(s) for s in subsets})},
                  "near_random": correlations(near_random(subsets, _NEAR.value), resamples)}}
    out = pathlib.Path(_OUT.value)
    write_json(out, record)
    plot(subsets, record["spearman_with_finetune_val_accuracy"]["all"], out.with_suffix(".png"))
    for group, rhos in record["spearman_with_finetune_val_accuracy"].items():
        print(group, json.dumps(rhos))


def plot(subsets: list[dict], rhos: dict, path: pathlib.Path) -> None:
    """One panel per candidate score against finetune validation accuracy, both as ranks within each dataset
    and noise level, points coloured by method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = sorted({s["method"] for s in subsets})
    target = within_group_ranks(subsets, "val_accuracy")
    cols = 3
    rows = -(-len(CANDIDATES) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.4 * rows), squeeze=False)
    for ax, name in zip(axes.flat, CANDIDATES):
        score = within_group_ranks(subsets, name)
        for i, method in enumerate(methods):
            mine = np.array([s["method"] == method for s in subsets])
            ax.scatter(score[mine], target[mine], label=method, color=f"C{i % 10}", s=12)
        ax.set_xlabel(f"{name} (rank within dataset)")
        ax.set_ylabel("finetune val accuracy (rank)")
        ax.set_title(f"Spearman {rhos[name]['rho']:.2f} {rhos[name]['ci95']}", fontsize=9)
    for ax in axes.flat[len(CANDIDATES):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    app.run(main)
