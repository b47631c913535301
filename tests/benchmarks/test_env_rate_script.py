"""benchmarks/env_rate.py times two MDP designs side by side on a tiny hash-embedded dataset and reports
consistent rates and ratios; a design it does not know is a usage error."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORDS = {"pos": "good great fine superb lovely", "neg": "bad awful dull poor weak"}


def run_script(*args):
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    return subprocess.run([sys.executable, "benchmarks/env_rate.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("env_rate")
    rng = np.random.default_rng(0)
    rows = [{"text": " ".join(rng.choice(WORDS[label].split(), 3)) + f" film {i}", "label": label}
            for i, label in enumerate(["pos", "neg"] * 150)]
    (tmp / "d.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    override = (f"dataset={tmp / 'd.jsonl'},cache_dir={tmp / 'cache'},prepare.embedder=hash,prepare.num_clusters=16,"
                "prepare.per_cluster=8,prepare.val_size=32,prepare.reward_train=32,proxy.dim=16,budget=0.1")
    proc = run_script(f"--out={tmp / 'r.json'}", f"--override={override}", "--designs=whole,chunked",
                      "--num_envs=2", "--scan_steps=4", "--repeats=2", "--episodes=2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((tmp / "r.json").read_text())


def test_rates_and_ratios_agree(report):
    whole, chunked = report["designs"]["whole"], report["designs"]["chunked"]
    for design in (whole, chunked):
        row = design["per_num_envs"]["2"]
        assert len(row["call_s"]) == 2
        assert row["steps_per_s"] == pytest.approx(2 * 4 / np.median(row["call_s"]), rel=1e-3)
        assert row["episodes_per_s"] == pytest.approx(row["steps_per_s"] / design["mean_episode_length"])
    assert chunked["vs_whole"]["2"]["steps_per_s"] == pytest.approx(
        chunked["per_num_envs"]["2"]["steps_per_s"] / whole["per_num_envs"]["2"]["steps_per_s"])
    assert whole["vs_whole"]["2"] == {"steps_per_s": 1.0, "episodes_per_s": 1.0}


def test_each_design_builds_its_own_mdp(report):
    whole, chunked = report["designs"]["whole"], report["designs"]["chunked"]
    assert whole["units_per_cluster"] == 1 and chunked["units_per_cluster"] == 4  # per_cluster 8 in chunks of 2
    assert 1 <= whole["mean_episode_length"] < chunked["mean_episode_length"] <= chunked["max_episode_length"]


def test_unknown_design_is_a_usage_error(tmp_path):
    proc = run_script(f"--out={tmp_path / 'r.json'}", "--designs=whole,quotas")
    assert proc.returncode == 2 and "error: --designs must name designs" in proc.stderr
    assert not (tmp_path / "r.json").exists()
