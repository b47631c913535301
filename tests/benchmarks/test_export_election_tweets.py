"""benchmarks/export_election_tweets.py writes the candidates' own tweets as a text,label csv that rlsel's
local-file loader accepts; a missing source is one clear error and no output."""

import csv
import os
import pathlib
import subprocess
import sys

import pytest

from rlsel.data.assets import asset_file
from rlsel.data.sources import load_splits, read_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
AUTHORS = ["HillaryClinton", "realDonaldTrump"]
ASSET = ("orangecontrib", "text", "datasets", "election-tweets-2016.tab")


def retweet_only_texts() -> set[str]:
    """Texts the source marks as retweets and never as the candidates' own tweets."""
    with open(asset_file(*ASSET), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))[2:]
    own = {r["Content"] for r in rows if r["Is retweet"] == "False"}
    return {r["Content"] for r in rows if r["Is retweet"] == "True"} - own


def run_script(*args):
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    return subprocess.run([sys.executable, "benchmarks/export_election_tweets.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("election") / "tweets.csv"
    proc = run_script(f"--out={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc.stdout


def test_the_csv_holds_both_candidates_own_non_empty_tweets(exported):
    out, stdout = exported
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["text", "label"]
    assert sorted({r["label"] for r in rows}) == AUTHORS
    assert all(r["text"].strip() for r in rows)
    assert not retweet_only_texts() & {r["text"] for r in rows}
    for author in AUTHORS:
        assert f"{author} {sum(r['label'] == author for r in rows)}" in stdout


def test_retweets_are_dropped(tmp_path):
    tab = tmp_path / "mini.tab"
    tab.write_text("Is retweet\tAuthor\tContent\ndiscrete\tdiscrete\tstring\n\tclass\tmeta\n"
                   "False\tHillaryClinton\tmine\nTrue\tHillaryClinton\tsomeone else's\nFalse\trealDonaldTrump\tmine too\n")
    out = tmp_path / "mini.csv"
    assert run_script(f"--source={tab}", f"--out={out}").returncode == 0
    assert out.read_text().splitlines() == ["text,label", "mine,HillaryClinton", "mine too,realDonaldTrump"]


def test_the_local_file_loader_reads_every_row_and_both_classes(exported):
    out, _ = exported
    with open(out, encoding="utf-8", newline="") as f:
        written = sum(1 for _ in csv.DictReader(f))
    assert len(read_file(out)["text"]) == written
    splits = load_splits(str(out), text_column="text", label_column="label")
    assert splits["train"].features["label"].names == AUTHORS
    for name in ("train", "validation", "test"):
        assert set(splits[name]["label"]) == {0, 1}


def test_a_missing_source_is_one_error_line_and_no_output(tmp_path):
    out = tmp_path / "never.csv"
    proc = run_script(f"--source={tmp_path / 'absent.tab'}", f"--out={out}")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: ") and "absent.tab" in proc.stderr
    assert not out.exists()
