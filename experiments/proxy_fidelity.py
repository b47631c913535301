"""How well does the MDP's proxy reward rank subsets? Score K random valid episodes three ways and correlate.

  python experiments/proxy_fidelity.py --config=experiments/configs/proxy_fidelity.py --workdir=runs/fid \
      --config.dataset=movie_sentences --config.proxy.kind=ridge

For each final subset of a random episode: the env's own proxy score (xi-subsampled members where the proxy
subsamples, validation subsample), (a) the same proxy fitted on every member row and scored on the full
validation split, and (b) scikit-learn's LogisticRegression on the full-dimensional embeddings of every
member row, scored on the full validation split; optionally (c) the target finetune's test accuracy on the
first `finetune_subsets` subsets (experiments/configs/finetune.py settings under `config.finetune`).
Writes DIR/fidelity.json with the Spearman correlations.
"""

from absl import app, flags
from ml_collections import config_flags

from rlsel.cli import parse_flags, quiet_library_logs, run_or_exit
from rlsel.jobs.fidelity import run_fidelity

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Proxy fidelity config file.", lock_config=True)
flags.DEFINE_string("workdir", None, "Output folder for fidelity.json.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    del argv
    quiet_library_logs()
    record = run_or_exit(lambda: run_fidelity(FLAGS.config, FLAGS.workdir))
    fmt = lambda v: "undefined" if v is None else f"{v:.3f}"
    print(f"{record['dataset']} / {record['proxy']}: K={record['K']} spearman_full_subset "
          f"{fmt(record['spearman_full_subset'])}, spearman_strong {fmt(record['spearman_strong'])}; "
          f"wrote {FLAGS.workdir}/fidelity.json")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
