"""What the swap MDP's edits change: the rows a policy swapped in against the start's rows they replaced.

  python benchmarks/swap_edits.py --results=results/results.csv --out=results/swap_edits.json
  python benchmarks/swap_edits.py --method=random_clusters --out=results/swap_edits_random.json  # random swaps

Pairs every --method run of the swap design (--variant; `ppo`, or `random_clusters` for the MDP's random policy)
with the `greedy` run of its start (--start_variant: the same design with swap_fraction=0) on the same dataset,
label noise and seed, and reports per pair: the share of the start kept, the TypiClust typicality
(rlsel.report.signals) of the rows swapped in and of the rows they replaced, and the edits' effect on the
held-out proxy accuracy and on the finetune's validation and test accuracy; then the means per dataset. It
explains the gain over start; it chooses nothing.
"""

import collections
import json
import pathlib
import shlex
import sys

import numpy as np
from absl import app, flags

from rlsel.cli import quiet_library_logs
from rlsel.data.prepare import default_cache_dir
from rlsel.data.sources import spec_from_config
from rlsel.data.vectors import split_embeddings
from rlsel.outputs import write_json
from rlsel.report.compare import read_csv
from rlsel.report.swap_edits import edit_profile, pairs

_RESULTS = flags.DEFINE_string("results", "results/results.csv", "experiments/compare.py results table.")
_METHOD = flags.DEFINE_string("method", "ppo", "Method whose edits are profiled.")
_VARIANT = flags.DEFINE_string("variant", "swap", "Variant label of the swap design's runs of --method.")
_START = flags.DEFINE_string("start_variant", "swap_start", "Variant label of its start's greedy runs.")
_OUT = flags.DEFINE_string("out", None, "Output json.", required=True)

DELTAS = ("proxy_heldout_score", "val_accuracy", "test_accuracy")


def main(argv):
    del argv
    quiet_library_logs()
    found = pairs(read_csv(pathlib.Path(_RESULTS.value)), _METHOD.value, _VARIANT.value, _START.value)
    if not found:
        raise app.UsageError(f"no dataset and seed in {_RESULTS.value} has both a {_METHOD.value} '{_VARIANT.value}' "
                             f"run and a greedy '{_START.value}' run")
    embeddings, out = {}, []
    for edited, start in found:
        record = json.loads((pathlib.Path(edited["run"]) / "selection.json").read_text())
        spec = spec_from_config(record["config"])
        if spec not in embeddings:
            cache = record["config"].get("cache_dir") or default_cache_dir()  # where the selection's embeddings are
            embeddings[spec] = split_embeddings(record["config"]["prepare"]["embedder"], spec.load(), ("train",),
                                                pathlib.Path(cache) / "embeddings")[0]
        start_record = json.loads((pathlib.Path(start["run"]) / "selection.json").read_text())
        row = {"dataset": edited["dataset"], "label_noise": float(edited["label_noise"]), "seed": int(edited["seed"]),
               **edit_profile(embeddings[spec], np.asarray(record["indices"]), np.asarray(start_record["indices"])),
               **{f"{name}_gain": round(float(edited[name]) - float(start[name]), 4) for name in DELTAS}}
        out.append(row)
        print(json.dumps(row))
    by_dataset = collections.defaultdict(list)
    for row in out:
        by_dataset[(row["dataset"], row["label_noise"])].append(row)
    summary = {f"{d} noise {n:g}": {field: round(float(np.mean([r[field] for r in group])), 4)
                                    for field in ("kept", "typicality_in", "typicality_out",
                                                  *(f"{name}_gain" for name in DELTAS))} | {"seeds": len(group)}
               for (d, n), group in sorted(by_dataset.items())}
    write_json(_OUT.value, {"command": shlex.join(["python", *sys.argv]), "pairs": out, "mean": summary})
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    app.run(main)
