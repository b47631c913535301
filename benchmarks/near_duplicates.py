"""Near-duplicate rate between train and validation, and between train and test, of each dataset (built-in or a file).

  nice -n 19 python benchmarks/near_duplicates.py --datasets=movie_sentences,reuters8 --threshold=0.9

The splits are the project's own (`DatasetSpec(dataset).load()`, split_seed 0), which already drops exact copies.
Each validation and test row is matched to its most similar train row by cosine similarity of TF-IDF word
unigram+bigram vectors fitted on train texts (cheap, and sensitive to copied wording, which is what leaks). So a
selection method's score cannot be explained by held-out rows that are near-copies of the rows it picked.
"""

import json
import pathlib
import shlex
import sys

from absl import app, flags

from rlsel.cli import quiet_library_logs
from rlsel.data.builtin import BUILTIN
from rlsel.data.near_duplicates import LOOSE, overlap
from rlsel.data.sources import DatasetSpec

_DATASETS = flags.DEFINE_list("datasets", list(BUILTIN), "Built-in datasets or local data files (text and label "
                               "columns) to check.")
_THRESHOLD = flags.DEFINE_float("threshold", 0.9, "Max cosine at or above which a held-out row counts as a "
                                "near-duplicate of train.")
_OUT = flags.DEFINE_string("out", "results/near_duplicates.json", "Output json.")


def dataset_overlap(name: str, threshold: float) -> dict:
    """Train-vs-validation and train-vs-test overlap of one dataset (built-in or a local file), split as the project
    splits it."""
    splits = DatasetSpec(dataset=name).load()
    train = splits["train"]["text"]
    return {"train_rows": len(train),
            **{split: overlap(train, splits[split]["text"], threshold) for split in ("validation", "test")}}


def markdown(report: dict) -> str:
    """One table row per (dataset, held-out split)."""
    t = report["threshold"]
    lines = [f"| dataset | split | rows | exact dup | max cos >= {t} | max cos >= {LOOSE} | median max cos |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, entry in report["datasets"].items():
        for split in ("validation", "test"):
            s = entry[split]
            lines.append(f"| {name} | {split} | {s['rows']} | {s['exact_duplicates']} | "
                         f"{s['frac_ge_threshold']:.2%} | {s[f'frac_ge_{LOOSE}']:.2%} | {s['median_max_cosine']:.3f} |")
    return "\n".join(lines)


def main(argv):
    del argv
    unknown = [d for d in _DATASETS.value if d not in BUILTIN and not pathlib.Path(d).is_file()]
    if unknown or not _DATASETS.value:
        raise app.UsageError(f"--datasets must name built-in datasets ({', '.join(BUILTIN)}) or local data files; "
                             f"not found: {', '.join(unknown) or '(none given)'}")
    if not 0.0 < _THRESHOLD.value <= 1.0:
        raise app.UsageError(f"--threshold must lie in (0, 1]; got {_THRESHOLD.value}")
    quiet_library_logs()
    report = {"threshold": _THRESHOLD.value, "split_seed": DatasetSpec().split_seed,
              "similarity": "max cosine to any train row, TF-IDF word 1-2 grams fitted on train",
              "command": shlex.join(["python", *sys.argv]), "datasets": {}}
    for name in _DATASETS.value:
        report["datasets"][name] = dataset_overlap(name, _THRESHOLD.value)
        print(name, json.dumps(report["datasets"][name]), flush=True)
    out = pathlib.Path(_OUT.value)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))


if __name__ == "__main__":
    app.run(main)
