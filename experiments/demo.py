"""The main job on the built-in default, as `make demo` runs it.

Prepare movie_sentences (MiniLM embeddings, stratified K-Means), print a cluster summary, select 5% with
PPO and 5% at random, finetune MiniLM on each subset, and print the comparison as a table.
"""

import os
import pathlib
import sys

# experiments/select.py shadows the standard library's `select` module: keep this folder off the path.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

from absl import app, flags

from rlsel.cli import load_config_file, quiet_library_logs
from rlsel.data.prepare import prepare
from rlsel.report.clusters import cluster_summary
from rlsel.selectors.run import prepare_config, run_selection

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", "runs/demo", "Where the demo writes its runs.")
flags.DEFINE_integer("seed", 0, "Seed for clustering, PPO and the random baseline.")


def main(argv):
    del argv
    quiet_library_logs()
    workdir = pathlib.Path(FLAGS.workdir)
    base = load_config_file(pathlib.Path(__file__).parent / "configs" / "select.py")
    base.seed = FLAGS.seed
    print(cluster_summary(prepare(prepare_config(base))), flush=True)
    rows = []
    for method in ("ppo", "random"):
        config = base.copy_and_resolve_references()
        config.method = method
        record = run_selection(config, workdir / method)
        rows.append((method, record["num_selected"], record["proxy_val_score"], record["timings"]["select_s"]))
    print(f"\n{'method':<10} {'selected':>8} {'proxy_val':>9} {'select_s':>8}")
    for method, n, score, secs in rows:
        print(f"{method:<10} {n:>8} {score:>9.4f} {secs:>8.1f}")


if __name__ == "__main__":
    app.run(main)
