"""benchmarks/end_to_end.py refuses to wipe a folder it did not make, and reuses one it did."""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(workdir, out):
    cmd = [sys.executable, "benchmarks/end_to_end.py", f"--workdir={workdir}", f"--out={out}", "--datasets=",
           "--nodemo"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_foreign_folder_is_refused_and_left_alone(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = run(tmp_path, tmp_path / "out.json")
    assert result.returncode != 0
    assert "was not made by this script" in result.stderr + result.stdout
    assert (tmp_path / "keep.txt").read_text() == "mine" and not (tmp_path / "out.json").exists()


def test_own_folder_is_wiped_and_reused(tmp_path):
    workdir = tmp_path / "e2e"
    assert run(workdir, tmp_path / "a.json").returncode == 0
    (workdir / "stale.txt").write_text("old run")
    assert run(workdir, tmp_path / "b.json").returncode == 0
    assert not (workdir / "stale.txt").exists()
    assert json.loads((tmp_path / "b.json").read_text())["select"] == []
