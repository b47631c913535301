"""Shared behaviour of the experiment scripts: quiet library logs, and bad input as one clear line."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable, TypeVar

from absl import flags, logging

if TYPE_CHECKING:
    import ml_collections

T = TypeVar("T")


def quiet_library_logs() -> None:
    """Hide INFO chatter (orbax, XLA backends, datasets progress bars) unless --verbosity was given."""
    import datasets

    if not flags.FLAGS["verbosity"].present:
        logging.set_verbosity(logging.WARNING)
    datasets.disable_progress_bars()


def run_or_exit(job: Callable[[], T]) -> T:
    """Run `job`; a ValueError (bad data, config or file) prints `error: ...` and exits 1, no traceback."""
    try:
        return job()
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)


def load_config_file(path) -> "ml_collections.ConfigDict":
    """`get_config()` of a config file, loaded by path (as `--config=PATH` does), not by import."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"rlsel_config_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()
