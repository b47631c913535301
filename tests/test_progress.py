"""Progress goes to stderr as bars and one-line stages, and switching it off (--quiet) silences both."""

import pytest

from rlsel import progress


@pytest.fixture(autouse=True)
def restore():
    yield
    progress.set_enabled(True)


def test_a_stage_is_one_line_with_its_time_and_result(capsys):
    with progress.stage("kmeans: 3 clusters") as info:
        info["result"] = "4 iterations"
    err = capsys.readouterr().err
    assert err.startswith("kmeans: 3 clusters ... done in ") and err.endswith("s (4 iterations)\n")


def test_a_failing_stage_ends_its_line_before_the_error(capsys):
    with pytest.raises(ValueError):
        with progress.stage("kmeans"):
            raise ValueError("bad")
    assert capsys.readouterr().err == "kmeans ...\n"


def test_switched_off_nothing_is_shown(capsys):
    progress.set_enabled(False)
    with progress.stage("kmeans"):
        pass
    with progress.bar(10, "embed", "text") as bar:
        bar.update(10)
    assert capsys.readouterr().err == ""


def test_a_bar_counts_with_its_unit(capsys):
    with progress.bar(10, "embed", "text") as bar:
        bar.update(10)
    assert "embed: 100%" in capsys.readouterr().err
