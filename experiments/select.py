"""Select a subset of a labelled dataset with RL (or a baseline) and write it to --workdir.

  python experiments/select.py --config=experiments/configs/select.py --workdir=runs/sel \
      --config.dataset=movie_sentences --config.method=ppo --config.seed=0
"""

import sys

if __name__ == "select":  # A script in this folder runs with the folder first on sys.path, so its `import select`
    # (subprocess makes one) finds this file: stand in the standard library's module for it.
    import importlib.machinery
    import importlib.util
    import os

    _folder = os.path.dirname(os.path.abspath(__file__))
    _spec = importlib.machinery.PathFinder.find_spec(
        __name__, [p for p in sys.path if os.path.abspath(p or ".") != _folder])
    sys.modules[__name__] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[__name__])
else:
    import jax
    from absl import app, flags
    from ml_collections import config_flags

    from rlsel import parallel
    from rlsel.cli import parse_flags, quiet_library_logs, run_or_exit
    from rlsel.jobs.select import run_selection
    from rlsel.selectors.registry import METHODS

    FLAGS = flags.FLAGS
    config_flags.DEFINE_config_file("config", None, "Selection config file; --config.method is one of: "
                                    f"{', '.join(METHODS)}.", lock_config=True)
    flags.DEFINE_string("workdir", None, "Output folder for selection.json, subset.jsonl and subset/.")
    flags.DEFINE_bool("resume", False, "Resume PPO training from the latest checkpoint in workdir.")
    flags.DEFINE_integer("host_devices", 1, "On a CPU, split the host into this many devices (0: one per core); "
                         "PPO then splits its environments over them (as many as divide num_envs). Accelerators "
                         "are unaffected.")
    flags.DEFINE_string("coordinator_address", None, "Multi-host: host:port of process 0 (with the next two flags, "
                        "calls jax.distributed.initialize; the env batch then spans every process's devices).")
    flags.DEFINE_integer("num_processes", None, "Multi-host: number of processes.")
    flags.DEFINE_integer("process_id", None, "Multi-host: this process's index.")
    flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    del argv
    quiet_library_logs()
    if FLAGS.host_devices != 1:
        run_or_exit(lambda: parallel.use_host_devices(FLAGS.host_devices))
    run_or_exit(lambda: parallel.maybe_initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes,
                                                              FLAGS.process_id))
    record = run_or_exit(lambda: run_selection(FLAGS.config, FLAGS.workdir, resume=FLAGS.resume))
    if jax.process_index() > 0:
        print(f"process {jax.process_index()}: {record['method']} selected {record['num_selected']} examples; "
              f"process 0 writes {FLAGS.workdir}")
        return
    print(f"{record['method']}: selected {record['num_selected']} of {record['num_train']} train examples; "
          f"proxy_val_score {record['proxy_val_score']:.4f}; wrote {FLAGS.workdir}/selection.json")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
