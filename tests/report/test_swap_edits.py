"""Swap edits: a swap-design run is paired with its own start only, an edit's profile counts what was kept and how
typical the rows swapped in and out are, and the script refuses a table without a pair."""

import pathlib
import subprocess
import sys

import numpy as np

from rlsel.report import swap_edits

ROOT = pathlib.Path(__file__).resolve().parents[2]


def row(method, variant, seed, dataset="d", noise="0.0"):
    return {"method": method, "variant": variant, "seed": seed, "dataset": dataset, "label_noise": noise}


def test_each_swap_run_pairs_with_the_start_of_its_dataset_noise_and_seed():
    rows = [row("ppo", "swap", "0"), row("ppo", "swap", "1"), row("ppo", "", "0"), row("greedy", "swap_start", "0"),
            row("greedy", "", "1"), row("greedy", "swap_start", "0", noise="0.3"), row("ppo", "swap", "0", "e")]
    assert swap_edits.pairs(rows, "ppo", "swap", "swap_start") == [(rows[0], rows[3])]
    assert swap_edits.pairs(rows, "random_clusters", "swap", "swap_start") == []


def test_edit_profile_counts_kept_rows_and_the_typicality_on_each_side():
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(30, 4)) * 0.05 + np.array([1.0, 0, 0, 0])
    sparse = rng.normal(size=(10, 4))
    x = np.concatenate([dense, sparse])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    start, edited = np.array([0, 1, 2, 3]), np.array([0, 1, 30, 31])  # two dense rows swapped for sparse ones
    profile = swap_edits.edit_profile(x, edited, start)
    assert profile["kept"] == 0.5 and profile["swapped"] == 2
    assert profile["typicality_in"] < profile["typicality_out"]
    assert swap_edits.edit_profile(x, start, start) == {"kept": 1.0, "swapped": 0, "typicality_in": None,
                                                       "typicality_out": None}


def test_results_without_a_pair_are_a_usage_error(tmp_path):
    table = tmp_path / "results.csv"
    table.write_text("dataset,label_noise,method,variant,seed,run\nd,0.0,ppo,swap,0,runs/x\n")
    result = subprocess.run([sys.executable, "benchmarks/swap_edits.py", f"--results={table}",
                             f"--out={tmp_path / 'o.json'}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "has both a ppo 'swap' run and a greedy 'swap_start' run" in result.stderr
    assert not (tmp_path / "o.json").exists()
