"""rlsel.cli: a usage error exits 2, a file-system failure while running exits 1, each as one `error:` line;
FIELD=VALUE overrides take the field's type."""

import ml_collections
import pytest

from rlsel.cli import parse_override, run_or_exit


def _raise(err):
    raise err


@pytest.mark.parametrize("err, status, line", [
    (ValueError("budget must be in (0, 1]; got 2.0"), 2, "error: budget must be in (0, 1]; got 2.0"),
    (OSError(28, "No space left on device", "/runs/x/selection.json"), 1,
     "error: file system failure while running: No space left on device: /runs/x/selection.json"),
])
def test_run_or_exit_prints_one_line_and_the_documented_status(capsys, err, status, line):
    with pytest.raises(SystemExit) as exit_info:
        run_or_exit(lambda: _raise(err))
    assert exit_info.value.code == status
    assert capsys.readouterr().err.splitlines() == [line]


def test_run_or_exit_returns_the_jobs_result():
    assert run_or_exit(lambda: 3) == 3


def _config():
    return ml_collections.ConfigDict(dict(dataset="movie_sentences", budget=0.05, prepare=dict(num_clusters=400,
                                                                                                stratified=True)))


@pytest.mark.parametrize("item, parsed", [
    ("prepare.num_clusters=200", ("prepare.num_clusters", 200)),
    ("budget=1", ("budget", 1.0)),
    ("dataset=123", ("dataset", "123")),
    ("prepare.stratified=False", ("prepare.stratified", False)),
])
def test_an_override_takes_its_fields_type(item, parsed):
    field, value = parse_override(item, _config())
    assert (field, value) == parsed and type(value) is type(parsed[1])


@pytest.mark.parametrize("item, words", [
    ("prepare.clusters=3", "is not FIELD=VALUE of a config field"),
    ("budget", "is not FIELD=VALUE of a config field"),
    ("dataset.name=x", "is not FIELD=VALUE of a config field"),
    ("prepare=3", "prepare is a group of fields; name one of them"),
    ("prepare.num_clusters=many", "prepare.num_clusters takes a value of type int"),
    ("prepare.stratified=yes", "prepare.stratified is a boolean, give true or false"),
])
def test_a_bad_override_says_what_is_wrong(item, words):
    with pytest.raises(ValueError, match=words):
        parse_override(item, _config())
