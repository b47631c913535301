"""Append-only training metrics in a workdir: `metrics.jsonl` (one JSON object per line) and TensorBoard events.

Each line holds `stage` ("ppo", "dqn", "finetune", ...), `step`, `time` (Unix seconds) and the metric values
(non-finite ones as null); a stage's TensorBoard events go to `tensorboard/<stage>/`. Stages share the file.
A fresh run of a stage drops that stage's earlier lines and events; a resume keeps them up to the step it
resumes from and appends after it, so a workdir never holds two runs' curves for one stage.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import time
from typing import Mapping

from rlsel.io import write_text
from rlsel.workdir import fresh_folder

METRICS_FILE = "metrics.jsonl"
EVENTS_FOLDER = "tensorboard"


def read_metrics(workdir: str | os.PathLike, stage: str | None = None) -> list[dict]:
    """The workdir's metric lines in order (of one `stage`, or all); a line cut short by a crash is skipped."""
    path = pathlib.Path(workdir) / METRICS_FILE
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and (stage is None or row.get("stage") == stage):
            rows.append(row)
    return rows


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


class MetricsLog:
    """One stage's writer; with `workdir=None` (another process, or no workdir) every call does nothing.

    `resume_step=None` starts the stage afresh; an int keeps its lines and events with `step <= resume_step`.
    """

    def __init__(self, workdir: str | os.PathLike | None, stage: str, resume_step: int | None = None):
        self.stage = stage
        self._file = self._writer = None
        if workdir is None:
            return
        workdir = pathlib.Path(workdir)
        path = workdir / METRICS_FILE
        keep = lambda row: row.get("stage") != stage or (resume_step is not None and row.get("step", 0) <= resume_step)
        rows = read_metrics(workdir)
        if path.is_file() and not all(map(keep, rows)):
            write_text(path, "".join(json.dumps(row) + "\n" for row in rows if keep(row)))
        events = workdir / EVENTS_FOLDER / stage
        fresh_folder(events, keep=resume_step is not None)
        from tensorboardX import SummaryWriter  # imported here: only runs that log pay for it

        purge = None if resume_step is None else resume_step + 1
        self._writer = SummaryWriter(logdir=str(events), purge_step=purge, flush_secs=30)
        self._file = open(path, "a", buffering=1)

    def write(self, step: int, values: Mapping[str, float]) -> None:
        """Append one line and one TensorBoard scalar per value, at `step`."""
        if self._file is None:
            return
        now = time.time()
        clean = {name: _finite(value) for name, value in values.items()}
        self._file.write(json.dumps({"stage": self.stage, "step": int(step), "time": round(now, 3), **clean}) + "\n")
        for name, value in clean.items():
            if value is not None:
                self._writer.add_scalar(name, value, int(step), walltime=now)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
            self._writer.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._writer.close()
            self._file = self._writer = None

    def __enter__(self) -> "MetricsLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
