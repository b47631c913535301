"""The main job on the built-in default, as `make demo` runs it.

Prepare movie_sentences (MiniLM embeddings, stratified K-Means) and print a cluster summary; select 5%
with PPO and 5% at random; finetune MiniLM on each subset; print the comparison as a table.
"""

import pathlib

from absl import app, flags

from rlsel.cli import load_config_file, parse_flags, quiet_library_logs, run_or_exit
from rlsel.data.prepare import prepare
from rlsel.io import write_text
from rlsel.jobs.compare import select_and_finetune
from rlsel.jobs.settings import prepare_config
from rlsel.report import compare
from rlsel.report.clusters import cluster_summary

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", "runs/demo", "Where the demo writes its runs.")
flags.DEFINE_integer("seed", 0, "Seed for clustering, PPO, the random baseline and the finetunes.")
flags.DEFINE_list("methods", ["ppo", "random"], "Selection methods to compare.")

CONFIGS = pathlib.Path(__file__).parent / "configs"


def main(argv):
    del argv
    quiet_library_logs()
    workdir = pathlib.Path(FLAGS.workdir)
    select_config = load_config_file(CONFIGS / "select.py")
    finetune_config = load_config_file(CONFIGS / "finetune.py")
    select_config.seed = FLAGS.seed
    print(run_or_exit(lambda: cluster_summary(prepare(prepare_config(select_config)))), flush=True)
    rows = []
    for method in FLAGS.methods:
        print(f"\n== {method}: select {select_config.budget:.0%} and finetune MiniLM", flush=True)
        rows.append(run_or_exit(lambda: select_and_finetune(select_config, finetune_config, method, FLAGS.seed,
                                                            workdir / method, progress=True)))
    compare.write_csv(workdir / "results.csv", rows)
    table = compare.markdown_table(rows)
    write_text(workdir / "results.md", table)
    print("\n" + table)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
