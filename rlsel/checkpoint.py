"""Orbax checkpoints of a run at chunk boundaries: the runner-state pytree plus a JSON config dict.

Each step lives in `workdir/<step>/` with two items, `state` (arrays, PRNG keys included) and `config`.
Orbax writes to a temporary folder and renames it, so a crash never leaves a half-written step; a step
damaged later (disk errors, edits) is skipped on restore in favour of the newest readable one.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import jax
import orbax.checkpoint as ocp
from absl import logging


def _manager(workdir: str, create: bool) -> ocp.CheckpointManager:
    """A checkpoint manager on the absolute `workdir` that keeps every step."""
    options = ocp.CheckpointManagerOptions(create=create, enable_async_checkpointing=False)
    return ocp.CheckpointManager(os.path.abspath(workdir), options=options)


def latest_step(workdir: str) -> int | None:
    """The newest saved step in `workdir`, or None when there is none (or no such folder)."""
    if not os.path.isdir(workdir):
        return None
    with _manager(workdir, create=False) as manager:
        return manager.latest_step()


def save_checkpoint(workdir: str, step: int, state: Any, config: dict) -> None:
    """Save `state` (a pytree of arrays) and the JSON-serialisable `config` as `step` under `workdir`."""
    if step < 0:
        raise ValueError(f"Checkpoint step must be >= 0, got {step}.")
    args = ocp.args.Composite(state=ocp.args.StandardSave(state), config=ocp.args.JsonSave(config))
    with _manager(workdir, create=True) as manager:
        if step in manager.all_steps():
            raise ValueError(f"Step {step} already exists in {workdir}; pick a new step or a new workdir.")
        manager.save(step, args=args)


def discard_after(workdir: str, step: int) -> None:
    """Delete the steps saved after `step` (damaged ones a resume skipped), so the run can save them anew."""
    with _manager(workdir, create=False) as manager:
        for later in [s for s in manager.all_steps() if s > step]:
            manager.delete(later)


def restore_checkpoint(workdir: str, like: Any, step: int | None = None,
                       accept: Callable[[dict], None] | None = None) -> tuple[Any, dict, int]:
    """Restore `(state, config, step)`; `like` gives the pytree structure (arrays or shape structs) and, where
    its leaves have one, the placement to restore onto (a run saved over several devices resumes on one).

    Without `step`, the newest readable step: a damaged one (a disk error, a file cut short or removed) is
    skipped with a warning, so the run resumes from the one before. `accept(config)` may refuse a step's
    saved config (raise) before any array is read.
    """
    abstract = jax.tree_util.tree_map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=getattr(x, "sharding", None)), like)
    steps = []
    if os.path.isdir(workdir):
        with _manager(workdir, create=False) as manager:
            steps = sorted(manager.all_steps(), reverse=True)
    if not steps:
        raise ValueError(f"No checkpoint in {workdir!r}; run with a fresh start or point at a saved workdir.")
    if step is not None and step not in steps:
        raise ValueError(f"Step {step} is not in {workdir}; saved steps: {sorted(steps)}.")
    damaged = []
    for candidate in steps if step is None else [step]:
        config = _read(workdir, candidate, damaged, config=ocp.args.JsonRestore())
        if config is None:
            continue
        if accept is not None:
            accept(config.config)
        state = _read(workdir, candidate, damaged, state=ocp.args.StandardRestore(abstract))
        if state is not None:
            if damaged:
                logging.warning("falling back to checkpoint step %d in %s, the newest readable one", candidate, workdir)
            return state.state, config.config, candidate
    raise ValueError(f"no readable checkpoint in {workdir} (damaged steps: {', '.join(map(str, damaged))}; see the "
                     f"warnings above); start the run over (select.py: without --resume)")


def _read(workdir: str, step: int, damaged: list[int], **items) -> Any:
    """The named items of `step`, or None (with a warning, and `step` added to `damaged`) when unreadable."""
    try:
        with _manager(workdir, create=False) as manager:
            return manager.restore(step, args=ocp.args.Composite(**items))
    except Exception as err:  # orbax and tensorstore raise many types (ValueError, KeyError, OSError, ...)
        damaged.append(step)
        logging.warning("checkpoint step %d in %s cannot be read (%s: %s); skipping it", step, workdir,
                        type(err).__name__, (str(err).splitlines() or [""])[0][:120])
        return None
