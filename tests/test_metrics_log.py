"""The metrics log appends one JSON line per step, keeps other stages' lines, and resumes without duplicates."""

import json
import math

import pytest

from rlsel.metrics_log import METRICS_FILE, MetricsLog, read_metrics


def steps(workdir, stage):
    return [row["step"] for row in read_metrics(workdir, stage)]


def test_each_write_is_one_line_with_stage_step_time_and_values(tmp_path):
    with MetricsLog(tmp_path, "ppo") as log:
        log.write(1, {"loss": 0.5, "kl": math.nan})
    (line,) = (tmp_path / METRICS_FILE).read_text().splitlines()
    row = json.loads(line)  # strict JSON: a non-finite value is null
    assert row["stage"] == "ppo" and row["step"] == 1 and row["time"] > 0
    assert row["loss"] == 0.5 and row["kl"] is None
    assert list((tmp_path / "tensorboard" / "ppo").glob("events.out.tfevents.*"))


def test_a_fresh_run_replaces_its_stage_only_and_a_resume_appends_after_its_step(tmp_path):
    with MetricsLog(tmp_path, "ppo") as log:
        for step in (1, 2, 3):
            log.write(step, {"x": step})
    with MetricsLog(tmp_path, "finetune") as log:
        log.write(1, {"loss": 1.0})
    with MetricsLog(tmp_path, "ppo", resume_step=2) as log:
        log.write(3, {"x": 30})
    assert steps(tmp_path, "ppo") == [1, 2, 3] and read_metrics(tmp_path, "ppo")[-1]["x"] == 30
    with MetricsLog(tmp_path, "ppo") as log:
        log.write(1, {"x": -1})
    assert steps(tmp_path, "ppo") == [1] and steps(tmp_path, "finetune") == [1]


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    with MetricsLog(tmp_path, "dqn") as log:
        log.write(10, {"loss": 1.0})
    with open(tmp_path / METRICS_FILE, "a") as f:
        f.write('{"stage": "dqn", "step": 20, "lo')
    assert steps(tmp_path, "dqn") == [10]


def test_without_a_workdir_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with MetricsLog(None, "ppo") as log:
        log.write(1, {"loss": 1.0})
    assert not list(tmp_path.iterdir())


def test_a_user_folder_in_the_events_place_is_left_alone(tmp_path):
    (tmp_path / "tensorboard" / "ppo").mkdir(parents=True)
    (tmp_path / "tensorboard" / "ppo" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not made by rlsel"):
        MetricsLog(tmp_path, "ppo")
    assert (tmp_path / "tensorboard" / "ppo" / "notes.txt").read_text() == "mine"
