"""Progress on stderr for the long steps (embedding, K-Means, PPO, finetune), all hidden by the scripts' --quiet."""

from __future__ import annotations

import contextlib
import sys
import time
from typing import Iterator

from tqdm import tqdm

_enabled = True


def set_enabled(enabled: bool) -> None:
    """Show (True) or hide (False) all progress made after this call."""
    global _enabled
    _enabled = enabled


def bar(total: int, desc: str, unit: str, *, initial: int = 0, enabled: bool = True) -> tqdm:
    """A counting bar with rate and time left; hidden when `enabled` is False or progress is switched off."""
    return tqdm(total=total, initial=initial, desc=desc, unit=unit, disable=not (_enabled and enabled),
                dynamic_ncols=True)


@contextlib.contextmanager
def stage(desc: str) -> Iterator[dict]:
    """One line for a step that runs as one compiled program: `desc ... done in 1.2s (result)`; the caller may
    set the yielded dict's `"result"`."""
    info: dict = {}
    if _enabled:
        print(f"{desc} ...", end="", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        yield info
    except BaseException:
        if _enabled:
            print(file=sys.stderr, flush=True)  # an error message then starts on its own line
        raise
    if _enabled:
        result = f" ({info['result']})" if "result" in info else ""
        print(f" done in {time.perf_counter() - start:.1f}s{result}", file=sys.stderr, flush=True)
