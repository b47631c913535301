"""End-to-end wall times: select.py on every built-in dataset, the demo, and a full-data finetune.

  python benchmarks/end_to_end.py --out=results/end_to_end.json

Everything runs as the user would run it (fresh processes, default configs) against a fresh embedding
cache under --workdir: the first select.py run of a dataset includes its MiniLM embedding, the later ones
show the cached cost on one device and on one device per core. Then the demo (PPO and random 5% subsets,
each finetuned) and one finetune on the full train split give the cost of selection + subset finetune
relative to full data.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

from absl import app, flags

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rlsel.outputs import versions, write_json  # noqa: E402

_OUT = flags.DEFINE_string("out", None, "Write the JSON report here.")
_WORKDIR = flags.DEFINE_string("workdir", "runs/end_to_end", "Runs and the fresh cache go here; a folder this "
                                "script made before is wiped first, any other non-empty folder is refused.")
_DATASETS = flags.DEFINE_list("datasets", ["movie_sentences", "tweet_sentiment", "newsgroups20", "reuters8"],
                              "Built-in datasets to time select.py on.")
_DEMO = flags.DEFINE_bool("demo", True, "Also time the demo and a full-data finetune (movie_sentences).")


def timed(args: list[str], cache: pathlib.Path) -> float:
    """Wall seconds of one script run from a fresh interpreter; raises with its output if it fails."""
    env = {**os.environ, "RLSEL_CACHE": str(cache)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return wall


def select_runs(dataset: str, workdir: pathlib.Path, cache: pathlib.Path) -> dict:
    """select.py with the default PPO config: first run (embedding and clustering), cached, and cached with
    the CPU split into one device per core (`--host_devices=0`)."""
    row = {"dataset": dataset}
    for run, devices in (("first", 1), ("cached", 1), ("cached_all_cores", 0)):
        out = workdir / dataset / run
        wall = timed(["experiments/select.py", "--config=experiments/configs/select.py", f"--workdir={out}",
                      f"--config.dataset={dataset}", f"--host_devices={devices}"], cache)
        selection = json.loads((out / "selection.json").read_text())
        row[run] = {"wall_s": round(wall, 1), "timings": selection["timings"],
                    "num_devices": selection["num_devices"], "proxy_val_score": selection["proxy_val_score"]}
        row.update(num_train=selection["num_train"], num_selected=selection["num_selected"])
    print(json.dumps(row), flush=True)
    return row


def demo_and_full(workdir: pathlib.Path, cache: pathlib.Path) -> dict:
    """The demo's wall time and per-method costs, and the full-data finetune's, on movie_sentences."""
    demo_dir = workdir / "demo"
    demo_wall = timed(["experiments/demo.py", f"--workdir={demo_dir}"], cache)
    full_dir = workdir / "full"
    full_wall = timed(["experiments/finetune.py", "--config=experiments/configs/finetune.py",
                       f"--workdir={full_dir}", "--config.selection=full", "--config.dataset=movie_sentences"],
                      cache)
    full = json.loads((full_dir / "finetune.json").read_text())
    methods = {}
    for method in ("ppo", "random"):
        selection = json.loads((demo_dir / method / "selection.json").read_text())
        tuned = json.loads((demo_dir / method / "finetune.json").read_text())
        select_s = sum(selection["timings"].values())
        methods[method] = {
            "select_s": round(select_s, 1), "finetune_s": round(tuned["wall_s"], 1),
            "finetune_steps": tuned.get("steps"), "test_accuracy": tuned["test_accuracy"],
            "cost_vs_full_finetune": round((select_s + tuned["wall_s"]) / full["wall_s"], 3),
        }
    report = {"demo_wall_s": round(demo_wall, 1), "full_finetune_process_wall_s": round(full_wall, 1),
              "full_finetune_s": round(full["wall_s"], 1), "full_finetune_steps": full.get("steps"),
              "full_test_accuracy": full["test_accuracy"], "methods": methods}
    print(json.dumps(report), flush=True)
    return report


MARKER = ".end_to_end"  # marks a workdir as this script's, so that a rerun may wipe it


def fresh_workdir(path: pathlib.Path) -> pathlib.Path:
    """`path` emptied for a new run: only a folder this script made (it holds MARKER) is ever deleted."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise app.UsageError(f"--workdir {path} is not empty and was not made by this script; pass a new folder")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()
    return path


def main(argv):
    del argv
    workdir = fresh_workdir((ROOT / _WORKDIR.value).resolve())
    cache = workdir / "cache"
    report = {"select": [select_runs(d, workdir, cache) for d in _DATASETS.value]}
    if _DEMO.value:
        report["movie_sentences_demo"] = demo_and_full(workdir, cache)
    report["versions"] = versions()
    if _OUT.value:
        write_json(_OUT.value, report)


if __name__ == "__main__":
    app.run(main)
