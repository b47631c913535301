"""The main job on the built-in default, as `make demo` runs it, in about 5 minutes on a 2-core CPU.

Prepare movie_sentences (MiniLM embeddings, stratified K-Means); select 5% with PPO, at random and with herding;
finetune MiniLM on each subset; print the comparison table beside the full-size runs' (results/results.csv) and
write the PPO run's report. PPO and the finetunes run on the smaller budgets of experiments/configs/demo.py
(the finetunes test on a fixed half of the test split), which the demo prints; experiments/compare.py runs the
full-size comparison.
"""

import csv
import json
import pathlib
import time

import jax
from absl import app, flags
from ml_collections import config_flags

from rlsel.cli import load_config_file, parse_flags, quiet_library_logs, run_or_exit
from rlsel.data.prepare import default_cache_dir, prepare
from rlsel.io import write_text
from rlsel.jobs.compare import run_dir, select_and_finetune
from rlsel.jobs.select import context_from_config
from rlsel.jobs.settings import prepare_config
from rlsel.report import compare
from rlsel.report.clusters import cluster_summary
from rlsel.report.run_report import context_problem, read_record, write_report

CONFIGS = pathlib.Path(__file__).parent / "configs"
FULL_RESULTS = pathlib.Path(__file__).resolve().parents[1] / "results" / "results.csv"
FULL_COMMAND = ("python experiments/compare.py --workdir=runs/compare --methods={methods} --seeds=0,1,2 "
                "--select_config=experiments/configs/select.py --finetune_config=experiments/configs/finetune.py")

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", str(CONFIGS / "demo.py"), "Demo config file (--config_help lists its "
                                "fields).", lock_config=True)
flags.DEFINE_string("workdir", "runs/demo", "Where the demo writes its runs, results.csv, results.md and the report.")


def _flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        out.update(_flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


def smaller_budget(config) -> list[str]:
    """Every select or finetune field where the demo departs from experiments/configs, as `field = demo (default)`."""
    lines = []
    for part in ("select", "finetune"):
        full = _flat(load_config_file(CONFIGS / f"{part}.py").to_dict())
        lines += [f"  {part}.{k} = {v!r} (default {full.get(k)!r})" for k, v in _flat(config[part].to_dict()).items()
                  if full.get(k) != v]
    return lines


def full_size_table(dataset: str, methods: list[str], budget: float) -> str:
    """The comparison table of the full-size runs in results/results.csv for these methods ("" when none)."""
    if not FULL_RESULTS.is_file():
        return ""
    with FULL_RESULTS.open() as f:
        rows = [r for r in csv.DictReader(f) if r["dataset"] == dataset and r["method"] in methods
                and float(r["budget"]) == budget and float(r["label_noise"] or 0) == 0]
    for row in rows:
        row["num_selected"] = float(row["num_selected"])
    return compare.markdown_table(rows) if rows else ""


def header(config, select, methods: list[str]) -> str:
    """What the demo runs, every setting where it departs from the full-size runs, and their command."""
    return "\n".join([
        f"rlsel demo: {select.dataset}, {select.budget:.0%} budget, seed {config.seed}, methods {', '.join(methods)}.",
        "PPO and the finetunes run on smaller budgets than the documented full-size runs: these fields of "
        "experiments/configs/demo.py differ from select.py's and finetune.py's defaults:", *smaller_budget(config),
        f"Full size: {FULL_COMMAND.format(methods=','.join(methods))}"])


def tested_on(rows: list[dict], test_size: int) -> str:
    """Which test rows the finetunes were tested on (their finetune.json's count against the whole split's)."""
    counts = {json.loads((pathlib.Path(r["run"]) / "finetune.json").read_text()).get("num_test_examples", test_size)
              for r in rows}
    if counts == {test_size}:
        return f"test accuracy on the whole test split ({test_size} rows)"
    return (f"test accuracy on a fixed stratified subset of {'/'.join(map(str, sorted(counts)))} of the {test_size} "
            f"test rows, the same for every method (finetune.train.test_rows); the full-size runs test on all")


def run_methods(config, select, methods: list[str], root: pathlib.Path) -> tuple[list[dict], list[tuple]]:
    """Select and finetune with each method (a finished run under the same settings is reused): the results rows
    and each stage's wall time."""
    rows, stages = [], []
    for method in methods:
        workdir = run_dir(root, select, config.finetune, method, config.seed)
        reused = (workdir / "finetune.json").exists()
        print(f"\n== {method}: select {select.budget:.0%} and finetune {config.finetune.model} in {workdir}"
              f"{' (reusing the finished run)' if reused else ''}", flush=True)
        row = run_or_exit(lambda: select_and_finetune(select, config.finetune, method, config.seed, workdir,
                                                      progress=True))
        rows.append(row)
        print(f"{method}: {row['num_selected']} examples, test accuracy {row['test_accuracy']:.4f}", flush=True)
        note = " (earlier run)" if reused else ""
        stages += [(f"{method} select{note}", row["select_wall_s"]), (f"{method} finetune{note}", row["finetune_wall_s"])]
    return rows, stages


def report(select, method: str, workdir: pathlib.Path) -> list[pathlib.Path]:
    """The run's report.md, report.html and report_plots/, its finetune being in the same folder (as report.py
    writes them)."""
    record = read_record(workdir / "selection.json", "the select run did not finish")
    chosen = select.copy_and_resolve_references()
    chosen.method = method
    ctx, _ = context_from_config(chosen)
    problem = context_problem(ctx, record)
    return write_report(workdir, record, None if problem else ctx, problem, workdir)


def main(argv):
    del argv
    start = time.perf_counter()
    quiet_library_logs()
    config, root = FLAGS.config, pathlib.Path(FLAGS.workdir)
    methods = [m.strip() for m in config.methods.split(",") if m.strip()]
    select = config.select.copy_and_resolve_references()
    select.seed = config.seed
    # Finetunes of one shape compile once: the second and third load the first's program from disk.
    jax.config.update("jax_compilation_cache_dir", str(pathlib.Path(select.cache_dir or default_cache_dir()) / "jax"))
    jax.config.update("jax_compilation_cache_max_size", 512 * 2**20)  # least recently used programs go first
    print(header(config, select, methods), flush=True)

    tick = time.perf_counter()
    prepared = run_or_exit(lambda: prepare(prepare_config(select)))
    print(cluster_summary(prepared, num_clusters=4), flush=True)
    parts = ", ".join(f"{k.removesuffix('_s')} {v:.0f}s" for k, v in prepared.timings.items())
    stages = [(f"prepare ({parts})", time.perf_counter() - tick)]

    rows, run_stages = run_methods(config, select, methods, root)
    stages += run_stages
    compare.write_csv(root / "results.csv", rows)
    table = compare.markdown_table(rows)
    write_text(root / "results.md", table)
    print(f"\nDemo results (smaller budgets; {tested_on(rows, prepared.splits['test'].num_rows)}):\n{table}")
    full = full_size_table(select.dataset, methods, select.budget)
    if full:
        print(f"Full-size runs for reference ({FULL_RESULTS.parent.name}/{FULL_RESULTS.name}):\n{full}")

    if config.report_method in methods:
        tick = time.perf_counter()
        workdir = pathlib.Path(rows[methods.index(config.report_method)]["run"])
        pngs = run_or_exit(lambda: report(select, config.report_method, workdir))
        print(f"report: {workdir / 'report.html'} ({workdir / 'report.md'}, {len(pngs)} plots)")
        stages.append(("report", time.perf_counter() - tick))

    stages.append(("total (after Python's imports)", time.perf_counter() - start))
    print("\nStage wall times:", *(f"  {name}: {seconds:.0f}s" for name, seconds in stages), sep="\n")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
