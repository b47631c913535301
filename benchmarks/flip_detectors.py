"""How clean a 5% subset each flipped-label detector finds: the neighbour vote against a pool-trained classifier.

  python benchmarks/flip_detectors.py --dataset=movie_sentences --label_noise=0.3 \
      --out=results/screen/exploration/ninth/flip_detectors_movie_sentences.json

Scores every train row (labels as the selector sees them, with `label_noise` flipped) by
- `vote`: the share of its 20 nearest neighbours that carry its label (rlsel.data.agreement, what `knn_agree` and
  the `agree` unit order read);
- `classifier`: a 5-fold cross-fitted logistic regression's probability of its label, trained on the frozen
  MiniLM features of the whole noisy train split (each row scored by the model that did not see it);
and reports the share of flipped rows among subsets of the budget's size: each label's quota of its top rows by
each score, and a uniform draw from the rows above a threshold (`knn_agree`'s rule is the vote above 0.5). The
clean labels are reloaded with the noise off; they choose nothing. A screen for what a selector could read.
"""

import dataclasses
import json
import shlex
import sys

import numpy as np
from absl import app, flags

from rlsel.cli import quiet_library_logs
from rlsel.data.agreement import label_agreement
from rlsel.data.prepare import PrepareConfig, prepare
from rlsel.data.sources import DatasetSpec
from rlsel.outputs import write_json
from rlsel.report.flip_detectors import cross_fitted_confidence, draw_per_label, top_per_label

_DATASET = flags.DEFINE_string("dataset", "movie_sentences", "Built-in dataset name or local file.")
_NOISE = flags.DEFINE_float("label_noise", 0.3, "Share of train labels flipped (seeded by the dataset split).")
_BUDGET = flags.DEFINE_float("budget", 0.05, "Subset size as a share of the train rows.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the folds and of the uniform draws.")
_OUT = flags.DEFINE_string("out", None, "Output json.", required=True)


def main(argv):
    del argv
    quiet_library_logs()
    spec = DatasetSpec(dataset=_DATASET.value, label_noise=_NOISE.value)
    prepared = prepare(PrepareConfig(data=spec))
    x, y = prepared.train_x, prepared.train_y
    flipped = y != np.asarray(dataclasses.replace(spec, label_noise=0.0).load()["train"]["label"])
    rng = np.random.default_rng(_SEED.value)
    vote = np.asarray(label_agreement(x, y))
    classifier = cross_fitted_confidence(x, y, _SEED.value)
    tie = 1e-6 * rng.random(len(y))  # the vote takes 21 values: ties broken at random, not by row order
    subsets = {
        "random": draw_per_label(np.ones(len(y), bool), y, _BUDGET.value, rng),
        "vote above 0.5, uniform (knn_agree)": draw_per_label(vote > 0.5, y, _BUDGET.value, rng),
        "vote, top": top_per_label(vote + tie, y, _BUDGET.value),
        "classifier above 0.5, uniform": draw_per_label(classifier > 0.5, y, _BUDGET.value, rng),
        "classifier above 0.7, uniform": draw_per_label(classifier > 0.7, y, _BUDGET.value, rng),
        "classifier, top": top_per_label(classifier, y, _BUDGET.value),
    }
    report = {"command": shlex.join(["python", *sys.argv]), "dataset": spec.dataset, "label_noise": spec.label_noise,
              "num_train": int(len(y)), "flipped_share_train": round(float(flipped.mean()), 4),
              "trusted_rows": {"vote above 0.5": int(np.sum(vote > 0.5)),
                               "classifier above 0.5": int(np.sum(classifier > 0.5)),
                               "classifier above 0.7": int(np.sum(classifier > 0.7))},
              "subsets": {name: {"size": int(len(rows)), "flipped_share": round(float(flipped[rows].mean()), 4)}
                          for name, rows in subsets.items()}}
    write_json(_OUT.value, report)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    app.run(main)
