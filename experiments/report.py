"""Turn a select run (and its finetune, if any) into DIR/report.md, DIR/report.html and DIR/report_plots/.

  python experiments/report.py --workdir=runs/sel [--finetune_dir=runs/ft]

The run's data is rebuilt from selection.json's config (embeddings and clusters come from the cache).
"""

import pathlib

import ml_collections
from absl import app, flags

from rlsel.cli import load_config_file, parse_flags, quiet_library_logs, run_or_exit
from rlsel.jobs.select import context_from_config
from rlsel.report.run_report import context_problem, read_record, write_report

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "A select run's folder (holds selection.json); the report is written there.")
flags.DEFINE_string("finetune_dir", None, "Folder of a finetune run on this selection (default: --workdir, when it "
                    "holds finetune.json).")
flags.DEFINE_bool("data", True, "Rebuild the run's prepared data for the subset sections (score per step, 2-D "
                  "picture, label mix, regions); --nodata skips them.")
flags.mark_flags_as_required(["workdir"])

SELECT_CONFIG = pathlib.Path(__file__).parent / "configs" / "select.py"


def rebuild(record: dict):
    """(context, "") for the run's data, or (None, why not)."""
    if not FLAGS.data:
        return None, "--nodata was given"
    if not isinstance(record.get("config"), dict):
        return None, "selection.json holds no config"
    config = load_config_file(SELECT_CONFIG)
    config.update(ml_collections.ConfigDict(record["config"]))
    try:
        ctx, _ = context_from_config(config)
    except (ValueError, OSError, KeyError, AttributeError) as err:
        return None, f"{type(err).__name__}: {err}"
    problem = context_problem(ctx, record)
    return (None, problem) if problem else (ctx, "")


def main(argv):
    del argv
    quiet_library_logs()
    workdir = pathlib.Path(FLAGS.workdir)
    finetune_dir = pathlib.Path(FLAGS.finetune_dir) if FLAGS.finetune_dir else None
    record = run_or_exit(lambda: read_record(workdir / "selection.json", "pass a select run's --workdir"))
    if finetune_dir is not None:
        run_or_exit(lambda: read_record(finetune_dir / "finetune.json", "pass a finetune run's folder"))
    ctx, reason = rebuild(record)
    if ctx is None:
        print(f"report: subset sections skipped: {reason}")
    pngs = run_or_exit(lambda: write_report(workdir, record, ctx, reason, finetune_dir))
    print(f"report: wrote {workdir / 'report.md'}, {workdir / 'report.html'} and {len(pngs)} plots in "
          f"{workdir / 'report_plots'}")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
