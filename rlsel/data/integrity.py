"""Cache entries that prove they are whole: a content hash stored with each entry and checked on every read,
so a damaged entry (cut short, emptied, overwritten) is reported and rebuilt instead of used or crashing."""

from __future__ import annotations

import hashlib
import os

import numpy as np
from absl import logging


def digest(*arrays: np.ndarray) -> str:
    """sha256 over each array's dtype, shape and bytes."""
    h = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        h.update(f"{array.dtype.str}{array.shape}".encode())
        h.update(array.tobytes())
    return h.hexdigest()


def report_damaged(what: str, path: str | os.PathLike, reason: str) -> None:
    """One warning line naming the damaged cache entry and why; the caller rebuilds it."""
    logging.warning("%s %s is damaged (%s); rebuilding it", what, path, reason)
