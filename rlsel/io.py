"""Atomic file writes: a temporary file in the target's folder, renamed into place, readable by all."""

from __future__ import annotations

import os
import pathlib
import tempfile
from typing import Callable


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call `write(tmp_path)`, then rename onto `path`: readers see the whole file or none of it."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    atomic_write(path, lambda tmp: pathlib.Path(tmp).write_bytes(data))


def write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write(path, lambda tmp: pathlib.Path(tmp).write_text(text))
