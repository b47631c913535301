"""experiments/demo.py runs the whole main job (prepare, three selections, their finetunes, the table, the PPO
run's report) on planted text with hash embeddings, a tiny PPO and a tiny BERT; its own config only shrinks
the PPO and finetune budgets of the full-size runs."""

import csv
import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest

from rlsel.cli import load_config_file

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "experiments" / "configs"
TINY_SELECT = {"budget": 0.1, "prepare.embedder": "hash", "prepare.num_clusters": 12, "prepare.per_cluster": 8,
               "prepare.val_size": 64, "prepare.reward_train": 32, "proxy.dim": 16, "ppo.num_envs": 4,
               "ppo.num_steps": 8, "ppo.total_timesteps": 4 * 8 * 6, "ppo.num_minibatches": 2,
               "ppo.update_epochs": 2, "ppo.hidden_size": 16, "ppo.chunk_updates": 3, "ppo.decode_samples": 0}
TINY_TRAIN = {"min_steps": 4, "max_steps": 4, "batch_size": 8, "eval_every": 2, "max_length": 16, "test_rows": 10}


def _planted_text():
    spec = importlib.util.spec_from_file_location("planted_text", ROOT / "tests" / "finetune" / "planted_text.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(completed process, workdir) of one tiny demo run."""
    root = tmp_path_factory.mktemp("demo")
    planted = _planted_text()
    overrides = {"dataset": planted.write_jsonl(root / "planted.jsonl", 300, 0), "cache_dir": root / "cache",
                 **TINY_SELECT}
    flags = [f"--config.select.{k}={v}" for k, v in overrides.items()]
    flags += [f"--config.finetune.model={planted.write_tiny_bert_folder(root / 'bert')}"]
    flags += [f"--config.finetune.train.{k}={v}" for k, v in TINY_TRAIN.items()]
    cmd = [sys.executable, str(ROOT / "experiments" / "demo.py"), f"--workdir={root / 'runs'}", "--quiet", *flags]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600), root / "runs"


@pytest.mark.slow
def test_demo_prints_its_budgets_the_table_and_the_stage_times(demo):
    done, _ = demo
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "select.ppo.total_timesteps = 192 (default 512000)" in out
    assert "finetune.train.max_steps = 4 (default 2000)" in out
    assert "finetune.train.test_rows = 10 (default 0)" in out and "fixed stratified subset of 10 of the" in out
    assert "python experiments/compare.py" in out  # the full-size command
    table = [line for line in out.splitlines() if line.startswith("| ") and "planted.jsonl" in line]
    assert [line.split(" | ")[2] for line in table] == ["ppo", "random", "herding"]
    assert "Stage wall times:" in out and "herding finetune:" in out and "report:" in out


@pytest.mark.slow
def test_demo_writes_results_each_runs_logs_and_the_ppo_report(demo):
    _, workdir = demo
    with (workdir / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["method"] for r in rows] == ["ppo", "random", "herding"]
    runs = {r["method"]: pathlib.Path(r["run"]) for r in rows}
    for method, run in runs.items():
        tuned = json.loads((run / "finetune.json").read_text())
        assert tuned["steps"] == 4 and tuned["num_test_examples"] == 10
        assert (run / "metrics.jsonl").stat().st_size > 0
    report = runs["ppo"] / "report.md"
    assert "## Finetune" in report.read_text() and (runs["ppo"] / "report.html").is_file()
    assert len(list((runs["ppo"] / "report_plots").glob("*.png"))) >= 3
    assert not (runs["random"] / "report.md").exists()


def test_demo_config_shrinks_only_the_ppo_and_finetune_budgets():
    def flat(tree, prefix=""):
        out = {}
        for key, value in tree.items():
            out.update(flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
        return out

    demo = load_config_file(CONFIGS / "demo.py")
    changed = {part: {k for k, v in flat(demo[part].to_dict()).items()
                      if flat(load_config_file(CONFIGS / f"{part}.py").to_dict())[k] != v}
               for part in ("select", "finetune")}
    assert changed["select"] == {"ppo.total_timesteps"}  # same data, clusters and reward as the full-size runs
    assert changed["finetune"] and all(k.startswith("train.") for k in changed["finetune"])
    assert demo.report_method in demo.methods.split(",")
