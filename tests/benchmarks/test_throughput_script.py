"""benchmarks/throughput.py runs from a clean checkout and writes a consistent report (tiny settings)."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIELDS = ("fused_env_steps_per_s", "loop_env_steps_per_s", "sklearn_env_steps_per_s", "speedup_vs_loop",
          "speedup_vs_sklearn", "fused_proxy_accuracy", "sklearn_proxy_accuracy", "achieved_gflops", "peak_gflops",
          "fraction_of_peak")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("throughput")
    out = tmp / "t.json"
    cmd = [sys.executable, "benchmarks/throughput.py", f"--out={out}", "--embedder=hash", "--env_counts=2,4",
           "--env_steps=64", "--repeats=1", "--num_states=8", "--variants=false", "--scaling=false",
           "--devices_4=false", "--op_profile=false", "--host_devices=2"]
    env = {**os.environ, "RLSEL_CACHE": str(tmp / "cache"), "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.with_suffix(".png").stat().st_size > 0
    return json.loads(out.read_text())


def test_report_has_the_contract_fields_and_consistent_ratios(report):
    assert all(field in report for field in FIELDS)
    assert report["speedup_vs_loop"] == pytest.approx(report["fused_env_steps_per_s"] / report["loop_env_steps_per_s"])
    assert report["speedup_vs_loop_one_device"] == pytest.approx(
        report["one_device_env_steps_per_s"] / report["loop_env_steps_per_s"])
    assert report["fraction_of_peak"] == pytest.approx(report["achieved_gflops"] / report["peak_gflops"])
    assert report["proxy_only_fraction_of_peak"] == pytest.approx(report["proxy_only_gflops"] / report["peak_gflops"])
    assert report["proxy_only_gflops"] == pytest.approx(
        report["flops_per_env_step"]["total"] * report["proxy_only_steps_per_s"] / 1e9)
    assert report["loop_vs_fused_max_abs_score_diff"] < 1e-5  # the loop scores the same states alike


def test_series_covers_one_device_and_both_host_devices(report):
    layouts = {(row["num_envs"], row["num_devices"]) for row in report["per_env_count"]}
    assert layouts == {(2, 1), (4, 1), (2, 2), (4, 2)}
    best = max(report["per_env_count"], key=lambda row: row["env_steps_per_s"])
    assert report["fused_env_steps_per_s"] == best["env_steps_per_s"]
    assert report["best_num_devices"] == best["num_devices"]
    assert all(row["proxy_only_steps_per_s"] > 0 for row in report["per_env_count"])


def test_lanes_solve_prototype_is_exact():
    """The JAX-ops Cholesky variant (batch in the last axis) solves what LAPACK solves."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from throughput import lanes_solve

    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 9, 20)).astype(np.float32)
    a = x @ x.transpose(0, 2, 1) / 20 + np.eye(9, dtype=np.float32)
    b = rng.normal(size=(5, 9, 3)).astype(np.float32)
    got = np.asarray(lanes_solve(a.transpose(1, 2, 0), b.transpose(1, 2, 0))).transpose(2, 0, 1)
    np.testing.assert_allclose(got, np.linalg.solve(a, b), rtol=1e-4, atol=1e-4)
