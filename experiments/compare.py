"""Compare selection methods at one budget over several seeds, against full-data finetuning.

  python experiments/compare.py --workdir=runs/compare --methods=ppo,random,random_clusters,greedy \
      --seeds=0,1,2 --select_config=experiments/configs/select.py \
      --finetune_config=experiments/configs/finetune.py --select_config.dataset=movie_sentences

Each (method, seed) selects into WORKDIR/METHOD/seedS-HASH and finetunes on the subset there; `full`
finetunes on the whole train split once per seed. HASH covers every setting that decides the result
(dataset, label noise, selection and finetune config, seed), so a finished run (a finetune.json present) is
reused only under exactly its own settings. Writes
WORKDIR/results.csv, results.md and results.png.
"""

import pathlib
import sys

from absl import app, flags
from ml_collections import config_flags

from rlsel.cli import parse_flags, quiet_library_logs, run_or_exit
from rlsel.io import write_text
from rlsel.jobs.compare import run_dir, select_and_finetune
from rlsel.report import compare
from rlsel.selectors.registry import METHODS

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("select_config", None, "Selection config file.", lock_config=True)
config_flags.DEFINE_config_file("finetune_config", None, "Finetune config file.", lock_config=True)
flags.DEFINE_string("workdir", None, "Output folder.")
flags.DEFINE_list("methods", ["ppo", "random", "random_clusters"], f"Any of {METHODS}, plus 'full'.")
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds (selection and finetune).")
flags.DEFINE_string("variant", "", "A name for this select config's variant, shown beside the method in the tables "
                    "(e.g. 'coverage' for a config file that changes the reward).")
flags.DEFINE_list("include", [], "results.csv files of other comparisons whose rows join this one's tables "
                  "(rows of the same run are kept once).")
flags.mark_flags_as_required(["select_config", "finetune_config", "workdir"])


def main(argv):
    del argv
    quiet_library_logs()
    unknown = [m for m in FLAGS.methods if m not in METHODS + ("full",)]
    if unknown:
        print(f"error: unknown methods {unknown}; choose from {METHODS + ('full',)}", file=sys.stderr)
        sys.exit(2)
    root = pathlib.Path(FLAGS.workdir)
    rows = []
    for method in FLAGS.methods:
        for seed in map(int, FLAGS.seeds):
            workdir = run_dir(root, FLAGS.select_config, FLAGS.finetune_config, method, seed)
            print(f"== {method} seed {seed}: {workdir}", flush=True)
            row = run_or_exit(lambda: select_and_finetune(FLAGS.select_config, FLAGS.finetune_config, method, seed,
                                                          workdir, progress=True))
            rows.append({**row, "variant": FLAGS.variant})
            print(f"{method} seed {seed}: {row['num_selected']} examples, test accuracy "
                  f"{row['test_accuracy']:.4f}", flush=True)
    mine = {r["run"] for r in rows}
    for path in FLAGS.include:
        rows.extend(r for r in compare.read_csv(pathlib.Path(path)) if r["run"] not in mine)
    compare.write_csv(root / "results.csv", rows)
    table = compare.markdown_table(rows)
    write_text(root / "results.md", table)
    compare.plot(rows, root / "results.png")
    print(table)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
