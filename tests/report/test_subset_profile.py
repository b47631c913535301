"""A subset's profile counts flipped labels and the label mix of real run folders; missing folders are refused."""

import json
import pathlib
import subprocess
import sys

import numpy as np

from rlsel.report.subset_profile import profile, profile_runs

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_flipped_share_counts_rows_whose_label_differs_from_the_clean_one():
    clean = np.array([0, 0, 1, 1, 0, 1])
    noisy = np.array([0, 1, 1, 0, 0, 1])  # rows 1 and 3 flipped
    assert profile(np.array([0, 1, 2, 3]), noisy, clean) == {
        "num_selected": 4, "flipped_share": 0.5, "largest_label_share": 0.5, "label_shortfall": 0.0}
    assert profile(np.array([0, 4, 5]), noisy, clean)["flipped_share"] == 0.0
    assert profile(np.array([0, 1, 4]), noisy, clean)["largest_label_share"] == round(2 / 3, 4)


def test_the_label_shortfall_is_the_rows_the_least_represented_label_lacks_against_its_train_share():
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, 2])  # shares 0.6, 0.2, 0.2
    assert profile(np.array([0, 1, 2, 3, 6]), labels, labels)["label_shortfall"] == 1.0  # label 2: 1 expected, 0 held
    assert profile(np.array([0, 1, 2, 6, 8]), labels, labels)["label_shortfall"] == 0.0


def test_a_run_folder_is_profiled_against_its_own_dataset_and_noise(tmp_path):
    rows = [{"text": f"review number {i} {'good' if i % 2 else 'bad'}", "label": ["neg", "pos"][i % 2]}
            for i in range(200)]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = tmp_path / "cmp" / "random" / "seed3-abc"
    run.mkdir(parents=True)
    config = {"dataset": str(data), "seed": 3, "label_noise": 0.5, "prepare": {"split_seed": 0}}
    (run / "selection.json").write_text(json.dumps({"method": "random", "config": config,
                                                     "indices": list(range(100)), "clusters": None,
                                                     "proxy_heldout_score": 0.625}))
    (run / "finetune.json").write_text(json.dumps({"val_accuracy": 0.5, "test_accuracy": 0.25}))
    [row] = profile_runs([tmp_path / "cmp"])
    assert row["method"] == "random" and row["seed"] == 3 and row["label_noise"] == 0.5
    assert 0.3 < row["flipped_share"] < 0.7 and row["test_accuracy"] == 0.25 and row["clusters_touched"] is None
    assert row["proxy_heldout_score"] == 0.625  # the selection's own score on rows the reward never read


def test_a_missing_runs_folder_is_a_usage_error(tmp_path):
    proc = subprocess.run([sys.executable, "benchmarks/subset_profile.py", f"--runs={tmp_path / 'nope'}",
                           f"--out={tmp_path / 'o.json'}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "--runs folders not found" in proc.stderr and not (tmp_path / "o.json").exists()
