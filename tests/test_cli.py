"""rlsel.cli: a usage error exits 2, a file-system failure while running exits 1, each as one `error:` line."""

import pytest

from rlsel.cli import run_or_exit


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
