"""The select job under the import path benchmarks/screen.py uses; the job itself is `rlsel.jobs.select`."""

from rlsel.jobs.select import context_from_config, run_selection

__all__ = ["context_from_config", "run_selection"]
