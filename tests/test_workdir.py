"""rlsel.workdir: writability checked without side effects, only marked folders replaced, outputs as one unit."""

import os

import pytest

from rlsel import workdir
from rlsel.workdir import MARKER, check_ours, check_workdir, check_writable, commit, fresh_folder, staging


@pytest.mark.parametrize("where, words", [("file", "is a file"), ("under a file", "which is a file"),
                                          ("proc", "not writable")])
def test_unusable_paths_are_refused_naming_the_flag_and_nothing_is_made(tmp_path, where, words):
    (tmp_path / "f").write_text("x")
    path = {"file": tmp_path / "f", "under a file": tmp_path / "f" / "run", "proc": "/proc/rlsel-run"}[where]
    with pytest.raises(ValueError, match=f"--workdir .*{words}"):
        check_writable(path, "--workdir")
    assert sorted(os.listdir(tmp_path)) == ["f"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(ValueError, match="not writable"):
            check_writable(tmp_path / "run", "--workdir")
    finally:
        tmp_path.chmod(0o755)


def test_a_new_nested_workdir_is_fine_and_not_created(tmp_path):
    check_workdir(tmp_path / "a" / "b", ("subset",))
    assert not (tmp_path / "a").exists()


def test_only_marked_or_empty_folders_may_be_replaced(tmp_path):
    (tmp_path / "empty").mkdir()
    check_ours(tmp_path / "empty")
    check_ours(tmp_path / "absent")
    fresh_folder(tmp_path / "ours")
    (tmp_path / "ours" / "old.bin").write_text("ours")
    check_ours(tmp_path / "ours")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=f"theirs exists and was not made by rlsel .*{MARKER}.*move it elsewhere"):
        check_workdir(tmp_path, ("ours", "theirs"))
    with pytest.raises(ValueError, match="not made by rlsel"):
        fresh_folder(tmp_path / "theirs")
    assert (tmp_path / "theirs" / "notes.txt").read_text() == "mine"
    fresh_folder(tmp_path / "ours")
    assert os.listdir(tmp_path / "ours") == [MARKER]


def _old_set(root):
    fresh_folder(root / "subset")
    (root / "subset" / "part").write_text("old")
    (root / "subset.jsonl").write_text("old")
    (root / "selection.json").write_text("old")


def _new_set(root):
    staged = staging(root)
    fresh_folder(staged / "subset")
    (staged / "subset" / "part").write_text("new")
    (staged / "subset.jsonl").write_text("new")
    (staged / "selection.json").write_text("new")
    return staged


NAMES = ["subset.jsonl", "subset", "selection.json"]


def test_commit_replaces_the_whole_set_record_last_and_leaves_no_staging(tmp_path):
    _old_set(tmp_path)
    killed = staging(tmp_path)  # a staging folder a killed run left behind
    commit(_new_set(tmp_path), NAMES)
    assert sorted(os.listdir(tmp_path)) == ["selection.json", "subset", "subset.jsonl"]
    assert {(tmp_path / n).read_text() for n in ("subset.jsonl", "selection.json", "subset/part")} == {"new"}
    assert not killed.exists()


def test_a_kill_during_commit_leaves_no_record_beside_new_outputs(tmp_path, monkeypatch):
    _old_set(tmp_path)
    staged = _new_set(tmp_path)
    moves, real_replace = [], os.replace

    def replace_then_die(src, dst):
        if len(moves) == 1:
            raise KeyboardInterrupt  # killed after the first move
        moves.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(workdir.os, "replace", replace_then_die)
    with pytest.raises(KeyboardInterrupt):
        commit(staged, NAMES)
    assert (tmp_path / "subset.jsonl").read_text() == "new" and not (tmp_path / "selection.json").exists()


def test_a_run_that_dies_before_commit_leaves_the_old_set(tmp_path):
    _old_set(tmp_path)
    _new_set(tmp_path)  # never committed
    assert {(tmp_path / n).read_text() for n in ("subset.jsonl", "selection.json", "subset/part")} == {"old"}
