"""benchmarks/near_duplicates.py counts held-out rows that copy or nearly copy a train row, and not unrelated ones."""

import json
import pathlib
import subprocess
import sys

import numpy as np

from rlsel.data.near_duplicates import max_train_cosine, overlap

ROOT = pathlib.Path(__file__).resolve().parents[2]

TRAIN = [
    "the quiet harbour town wakes before dawn as fishing boats slip out past the lighthouse",
    "a sprawling thriller about corrupt bankers that loses its nerve in the final act",
    "the committee approved the budget for new railway lines across the northern provinces",
    "gentle piano music and long silences make this documentary about glaciers oddly moving",
    "quarterly profits rose sharply after the company sold its loss making steel division",
]
COPY = "  The Committee approved the BUDGET for new railway lines   across the northern provinces "
NEAR = "the quiet harbour town wakes before dawn as fishing boats slip out past the old lighthouse"  # cos 0.98
LOOSER = "a sprawling thriller about greedy bankers that loses its nerve in the final reel"  # cos 0.89
UNRELATED = ["volcanic soil grows excellent grapes", "my cat ignores every toy i buy"]


def test_a_copy_differing_only_in_case_and_spaces_is_exact_and_scores_one():
    report = overlap(TRAIN, [COPY, *UNRELATED], threshold=0.9)
    assert report["exact_duplicates"] == 1
    assert np.isclose(max_train_cosine(TRAIN, [COPY])[0], 1.0, atol=1e-5)


def test_a_near_copy_is_counted_at_the_threshold_but_not_as_exact():
    report = overlap(TRAIN, [NEAR, *UNRELATED], threshold=0.9)
    assert report["exact_duplicates"] == 0
    assert report["frac_ge_threshold"] == round(1 / 3, 5) and report["frac_ge_0.8"] == round(1 / 3, 5)


def test_a_looser_copy_counts_at_0_8_but_not_at_0_9():
    report = overlap(TRAIN, [LOOSER, *UNRELATED], threshold=0.9)
    assert report["frac_ge_threshold"] == 0.0 and report["frac_ge_0.8"] == round(1 / 3, 5)


def test_unrelated_rows_are_not_counted_and_score_near_zero():
    report = overlap(TRAIN, UNRELATED, threshold=0.9)
    assert report == {"rows": 2, "exact_duplicates": 0, "frac_ge_threshold": 0.0, "frac_ge_0.8": 0.0,
                      "median_max_cosine": report["median_max_cosine"]}
    assert report["median_max_cosine"] < 0.3


def test_each_query_is_matched_to_its_own_best_train_row_across_blocks():
    queries = [NEAR, UNRELATED[0], COPY, UNRELATED[1], TRAIN[3]]
    one_block = max_train_cosine(TRAIN, queries)
    assert np.allclose(max_train_cosine(TRAIN, queries, block=2), one_block)
    assert one_block[0] >= 0.9 and one_block[2] > 0.99 and one_block[4] > 0.99
    assert one_block[1] < 0.3 and one_block[3] < 0.3


def test_an_unknown_dataset_is_a_usage_error_with_no_output(tmp_path):
    out = tmp_path / "nd.json"
    proc = subprocess.run([sys.executable, "benchmarks/near_duplicates.py", "--datasets=imdb", f"--out={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "built-in datasets" in proc.stderr and not out.exists()


def test_a_local_data_file_is_checked_as_its_splits_would_be(tmp_path):
    rows = ["text,label"] + [f"tweet number {i} about topic {i % 7},{'a' if i % 2 else 'b'}" for i in range(120)]
    data = tmp_path / "tweets.csv"
    data.write_text("\n".join(rows) + "\n")
    out = tmp_path / "nd.json"
    proc = subprocess.run([sys.executable, "benchmarks/near_duplicates.py", f"--datasets={data}", f"--out={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(out.read_text())["datasets"][str(data)]
    assert entry["validation"]["rows"] + entry["test"]["rows"] + entry["train_rows"] == 120
