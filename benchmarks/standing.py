"""Where every selector stands, from the one results table: the README's lead table.

  python benchmarks/standing.py --results=results/results.csv --out=results/standing.md

One line per dataset, label noise and cell of rlsel.report.standing.CELLS (full data, random, the heuristics,
greedy on the reward, the default PPO, the later rounds' variants, the swap design's start and PPO edits) that
ran: seeds, mean validation accuracy on the model-choice half, mean test accuracy, selection plus finetune time
over the full finetune's, and the seed-paired test gain over random with its 95% t-interval (bold where the
interval is above zero).
"""

import pathlib

from absl import app, flags

from rlsel.outputs import write_text
from rlsel.report.compare import read_csv
from rlsel.report.standing import standing_table

_RESULTS = flags.DEFINE_string("results", "results/results.csv", "experiments/compare.py results table.")
_OUT = flags.DEFINE_string("out", "results/standing.md", "Output markdown.")


def main(argv):
    del argv
    path = pathlib.Path(_RESULTS.value)
    if not path.is_file():
        raise app.UsageError(f"no results table at {path}; pass --results=PATH (experiments/compare.py writes one)")
    table = standing_table(read_csv(path))
    write_text(_OUT.value, table)
    print(table)


if __name__ == "__main__":
    app.run(main)
