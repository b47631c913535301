"""Orbax checkpoints of a run at chunk boundaries: the runner-state pytree plus a JSON config dict.

Each step lives in `workdir/<step>/` with two items, `state` (arrays, PRNG keys included) and `config`.
Orbax writes to a temporary folder and renames it, so a crash never leaves a half-written step.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import orbax.checkpoint as ocp


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


def restore_checkpoint(workdir: str, like: Any, step: int | None = None) -> tuple[Any, dict, int]:
    """Restore `(state, config, step)`; `like` gives the pytree structure (arrays or shape structs) and, where
    its leaves have one, the placement to restore onto (a run saved over several devices resumes on one).

    Without `step`, the latest one is restored.
    """
    step = latest_step(workdir) if step is None else step
    if step is None:
        raise ValueError(f"No checkpoint in {workdir!r}; run with a fresh start or point at a saved workdir.")
    abstract = jax.tree_util.tree_map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=getattr(x, "sharding", None)), like)
    args = ocp.args.Composite(state=ocp.args.StandardRestore(abstract), config=ocp.args.JsonRestore())
    with _manager(workdir, create=False) as manager:
        if step not in manager.all_steps():
            raise ValueError(f"Step {step} is not in {workdir}; saved steps: {sorted(manager.all_steps())}.")
        restored = manager.restore(step, args=args)
    return restored.state, restored.config, step
