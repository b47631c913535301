"""The select job: prepare, build the MDP, run one method, score its subset, and write the outputs.

`run_selection(config, workdir)` is what experiments/select.py and the notebooks call.
"""

from __future__ import annotations

import pathlib
import time

import jax
import ml_collections
import numpy as np

from rlsel.jobs.settings import select_settings
from rlsel.outputs import versions, write_selection
from rlsel.proxy.coverage import subset_coverage
from rlsel.proxy.data import reward_rows
from rlsel.selectors.context import SelectionContext, prepare_context
from rlsel.selectors.registry import get_selector
from rlsel.workdir import check_workdir


def context_from_config(config: ml_collections.ConfigDict) -> tuple[SelectionContext, dict[str, float]]:
    """The prepared data and MDP of a select-style config, with the stage timings (see `prepare_context`)."""
    settings = select_settings(config)
    return prepare_context(settings.prepare, settings.env)


def reward_coverage(ctx: SelectionContext, indices) -> float | None:
    """The coverage term's value (rlsel.proxy.coverage) for the subset, when the reward has one."""
    proxy, p = ctx.env_config.proxy, ctx.prepared
    if proxy.coverage_weight == 0:
        return None
    targets = reward_rows(p.pool, p.train_x, p.train_y, p.val_x, p.val_y)
    return subset_coverage(proxy.coverage_kind, p.train_x, p.train_y, indices, *targets, p.num_classes,
                           ctx.env_config.budget * len(p.train_y))


def swap_start(ctx: SelectionContext, indices: np.ndarray) -> dict:
    """How much of the swap MDP's start a subset keeps, and the swaps an episode makes: a policy that keeps its
    start is the heuristic that made it, not what RL learned."""
    start = ctx.prepared.pool.units.expand(np.asarray(ctx.env.held_units(ctx.env_params.start_taken)))
    return {"kept": round(float(np.isin(start, indices).mean()), 4), "start_size": int(len(start)),
            "swaps": int(ctx.env_params.swaps)}


def run_selection(config: ml_collections.ConfigDict, workdir: str | pathlib.Path, *, resume: bool = False,
                  progress: bool = True) -> dict:
    """Select a subset per `config`, write selection.json, subset.jsonl and subset/ under `workdir`.
    In a multi-process run every process selects (the same subset) and process 0 alone writes."""
    workdir = pathlib.Path(workdir)
    settings = select_settings(config, checkpoint_dir=str((workdir / "checkpoints").resolve()), resume=resume,
                               progress=progress, log_dir=str(workdir) if jax.process_index() == 0 else None)
    check_workdir(workdir, ("subset", "checkpoints") if settings.method == "ppo" else ("subset",))
    ctx, timings = prepare_context(settings.prepare, settings.env)
    prepared = ctx.prepared

    start = time.perf_counter()
    selection = get_selector(settings.method)(ctx, jax.random.key(settings.seed), settings.selector)
    timings["select_s"] = time.perf_counter() - start

    score, heldout = ctx.subset_scores(selection.indices)
    record = {
        "method": settings.method,
        "dataset": settings.dataset,
        "dataset_fingerprint": prepared.fingerprint,
        "budget": settings.env.budget,
        "label_noise": prepared.config.data.label_noise,
        "budget_mode": settings.env.budget_mode,
        "num_train": len(prepared.train_y),
        "num_selected": len(selection.indices),
        "indices": selection.indices.tolist(),
        "clusters": None if selection.clusters is None else selection.clusters.tolist(),
        "seed": settings.seed,
        "proxy_val_score": score,
        "proxy_heldout_score": heldout,
        "proxy_empty_score": float(ctx.env_params.empty_score),
        "reward_coverage": reward_coverage(ctx, selection.indices),
        "class_names": prepared.class_names,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "num_devices": jax.device_count(),
        "config": settings.config,
        "versions": versions(),
        **({"swap_start": swap_start(ctx, selection.indices)} if settings.env.mdp == "swap" else {}),
        **selection.extra,
    }
    if jax.process_index() == 0:
        write_selection(workdir, prepared.splits["train"].select(selection.indices), record)
    return record
