"""What the tools may do inside a --workdir: check it first, replace only folders they made, publish as one unit.

Every folder a tool makes there (`subset/`, `checkpoints/`, finetune's `checkpoint/`) holds a `MARKER` file; a
folder without it is the user's and is never replaced. A run writes its outputs into a run-scoped staging
folder and `commit` moves them into place, its record file (`selection.json`, `finetune.json`) last.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
from typing import Sequence

MARKER = ".made-by-rlsel"
STAGING_PREFIX = ".rlsel-run-"


def check_writable(path: str | os.PathLike, flag: str) -> None:
    """Refuse (ValueError naming `flag`) a folder path that is not a folder or cannot be written; creates nothing."""
    path = pathlib.Path(path).absolute()
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == path else f"is inside {existing}, which is a file"
        raise ValueError(f"{flag} {path} {where}, not a folder; choose a folder path")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".rlsel-probe-"):
            pass
    except OSError as err:
        inside = "" if existing == path else f" (in {existing})"
        raise ValueError(f"{flag} {path} is not writable{inside}: {err.strerror}; choose a folder you can write "
                         f"to") from None


def check_ours(folder: pathlib.Path, flag: str = "--workdir") -> None:
    """Refuse a folder the tools would write into or replace that they did not make (not empty, no marker)."""
    if not os.path.lexists(folder):
        return
    if folder.is_dir() and not folder.is_symlink() and ((folder / MARKER).is_file() or not any(folder.iterdir())):
        return
    raise ValueError(f"{folder} exists and was not made by rlsel (it has no {MARKER} file), so it is left alone; "
                     f"move it elsewhere or choose another {flag}")


def check_workdir(workdir: str | os.PathLike, folders: Sequence[str]) -> None:
    """Before any work: the workdir is a writable folder and each of its `folders` the run replaces is ours."""
    check_writable(workdir, "--workdir")
    for name in folders:
        check_ours(pathlib.Path(workdir) / name)


def fresh_folder(folder: pathlib.Path, keep: bool = False) -> None:
    """Make `folder` an empty marked folder (our old one is deleted), or with `keep` reuse it as it is."""
    check_ours(folder)
    if folder.exists() and not keep:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("rlsel made this folder and replaces it on the next run; keep your files "
                                 "elsewhere.\n")


def staging(workdir: str | os.PathLike) -> pathlib.Path:
    """A new run-scoped folder inside `workdir` to write this run's outputs into before `commit`."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    folder = pathlib.Path(tempfile.mkdtemp(dir=workdir, prefix=STAGING_PREFIX))
    fresh_folder(folder, keep=True)
    return folder


def commit(staged: pathlib.Path, names: Sequence[str]) -> None:
    """Move `names` from `staged` into its workdir in order, the record (last name) last: the old record goes
    first, so a kill midway leaves no record beside outputs it does not describe. Killed runs' staging goes too."""
    workdir = staged.parent
    (workdir / names[-1]).unlink(missing_ok=True)
    for name in names:
        target = workdir / name
        if target.is_dir():
            check_ours(target)
            os.replace(target, staged / f"old.{name}")
        os.replace(staged / name, target)
    for folder in workdir.glob(STAGING_PREFIX + "*"):
        if (folder / MARKER).is_file():
            shutil.rmtree(folder)
