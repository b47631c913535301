"""finetune.train.test_rows joins a run's key only when set, so runs keyed before it existed are still found."""

import pathlib

from rlsel.cli import load_config_file
from rlsel.jobs.compare import run_dir

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "experiments" / "configs"


def test_the_whole_test_split_keeps_the_run_key_and_a_subset_moves_it():
    select, finetune = load_config_file(CONFIGS / "select.py"), load_config_file(CONFIGS / "finetune.py")
    assert finetune.train.test_rows == 0
    keyed = {m: run_dir(pathlib.Path("r"), select, finetune, m, 0) for m in ("random", "full")}
    before = finetune.copy_and_resolve_references()
    del before.train["test_rows"]
    assert {m: run_dir(pathlib.Path("r"), select, before, m, 0) for m in keyed} == keyed
    finetune.train.test_rows = 500
    assert all(run_dir(pathlib.Path("r"), select, finetune, m, 0) != key for m, key in keyed.items())
