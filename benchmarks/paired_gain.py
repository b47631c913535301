"""Seed-paired gain of one method over another in a results table, per dataset and noise level (points).

  python benchmarks/paired_gain.py --results=results/results.csv --method=ppo --baseline=random

Prints each cell's per-seed differences of --metric (val_accuracy by default: what design choices read), their
mean and its 95% t-interval (an interval above zero is the beat-random issue's seed-paired criterion), and the
seeds their spread needs for a true 1-point gain to show that way 80% of the time.
"""

import csv
import pathlib

from absl import app, flags

from rlsel.cli import parse_flags, run_or_exit
from rlsel.report.paired import paired_gains

_RESULTS = flags.DEFINE_string("results", "results/results.csv", "A results.csv written by experiments/compare.py.")
_METHOD = flags.DEFINE_string("method", "ppo", "The method whose gain is reported.")
_VARIANT = flags.DEFINE_string("variant", "", "Its variant label ('' for the default config's runs).")
_BASELINE = flags.DEFINE_string("baseline", "random", "The method it is compared with, seed by seed.")
_BASELINE_VARIANT = flags.DEFINE_string("baseline_variant", "", "The baseline's variant label.")
_METRIC = flags.DEFINE_enum("metric", "val_accuracy", ["val_accuracy", "test_accuracy", "test_macro_f1"],
                            "The column compared.")


def report() -> list[str]:
    """One line per dataset and noise level; a missing table or no paired seed is bad input (exit 2)."""
    path = pathlib.Path(_RESULTS.value)
    if not path.is_file():
        raise ValueError(f"no results table at {path}; pass --results=PATH (experiments/compare.py writes one)")
    with path.open() as f:
        gains = paired_gains(csv.DictReader(f), _METHOD.value, _BASELINE.value, _METRIC.value, _VARIANT.value,
                             _BASELINE_VARIANT.value)
    if not gains:
        raise ValueError(f"no seed that both {_METHOD.value!r} (variant {_VARIANT.value!r}) and "
                         f"{_BASELINE.value!r} (variant {_BASELINE_VARIANT.value!r}) ran in {path}")
    return [f"{dataset} noise {noise}: seeds {gain['seeds']} differences {gain['differences']} "
            f"mean {gain['mean']:+.2f} 95% CI [{gain['ci95'][0]:+.2f}, {gain['ci95'][1]:+.2f}] points; "
            f"sd {gain['sd']:.2f}, seeds to show a 1-point gain: {needed(gain)}"
            for (dataset, noise), gain in gains.items()]


def needed(gain: dict) -> str:
    """The seeds for a 1-point gain as text: none can be said from one seed, and past 1000 there is no bound."""
    if len(gain["seeds"]) < 2:
        return "unknown from one seed"
    return str(gain["seeds_for_1_point"] or "more than 1000")


def main(argv):
    del argv
    print("\n".join(run_or_exit(report)))


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
