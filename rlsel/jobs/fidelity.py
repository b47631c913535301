"""The proxy-fidelity job: score random episodes' subsets three ways (optionally four, with finetunes),
correlate, and write fidelity.json (see `rlsel.report.fidelity`).

`run_fidelity(config, workdir)` is what experiments/proxy_fidelity.py calls.
"""

from __future__ import annotations

import pathlib
import time

import jax
import ml_collections
import numpy as np

from rlsel.data.prepare import Prepared
from rlsel.jobs.finetune import run_finetune
from rlsel.jobs.settings import FidelitySettings, fidelity_settings
from rlsel.outputs import versions, write_json
from rlsel.report.fidelity import full_subset_scores, random_episodes, spearman, strong_scores
from rlsel.selectors.context import prepare_context


def finetune_scores(settings: FidelitySettings, prepared: Prepared, masks: np.ndarray,
                    workdir: pathlib.Path) -> list[dict]:
    """Hook (c): the finetune job (`settings.finetune`) on the first `finetune_subsets` subsets; their test
    scores."""
    records = []
    for i, mask in enumerate(masks[: settings.finetune_subsets]):
        folder = workdir / "finetune" / f"subset_{i}"
        write_json(folder / "selection.json", {
            "method": "random_clusters", "dataset": settings.dataset, "dataset_fingerprint": prepared.fingerprint,
            "indices": prepared.pool.units.expand(mask),
            "clusters": np.flatnonzero(np.asarray(mask).reshape(prepared.pool.units.rows.shape[:2]).any(1)),
            "class_names": prepared.class_names, "config": settings.config,
        })
        finetune = settings.finetune.copy_and_resolve_references()
        finetune.selection, finetune.dataset = str(folder / "selection.json"), settings.dataset
        finetune.seed = settings.seed
        record = run_finetune(finetune, folder)
        records.append({k: record[k] for k in ("test_accuracy", "test_macro_f1", "num_train_examples", "wall_s")})
    return records


def run_fidelity(config: ml_collections.ConfigDict, workdir: str | pathlib.Path) -> dict:
    """Prepare, score `num_subsets` random episodes three ways, write and return DIR/fidelity.json."""
    settings = fidelity_settings(config)
    start = time.perf_counter()
    ctx, timings = prepare_context(settings.prepare, settings.env)
    prepared = ctx.prepared

    k_draw, k_full = jax.random.split(jax.random.key(settings.seed))
    stage = time.perf_counter()
    masks, env = random_episodes(ctx, k_draw, settings.num_subsets)
    timings["env_s"] = time.perf_counter() - stage
    stage = time.perf_counter()
    full = full_subset_scores(ctx, masks, k_full)
    timings["full_subset_s"] = time.perf_counter() - stage
    stage = time.perf_counter()
    strong = strong_scores(ctx, masks, settings.strong_max_iter)
    timings["strong_s"] = time.perf_counter() - stage
    stage = time.perf_counter()
    finetuned = finetune_scores(settings, prepared, masks, pathlib.Path(workdir))
    timings["finetune_s"] = time.perf_counter() - stage
    tuned = len(finetuned)

    record = {
        "dataset": settings.dataset,
        "dataset_fingerprint": prepared.fingerprint,
        "proxy": settings.env.proxy.kind,
        "K": settings.num_subsets,
        "spearman_full_subset": spearman(env, full),
        "spearman_strong": spearman(env, strong),
        "spearman_full_subset_vs_strong": spearman(full, strong),
        "spearman_finetune": spearman(env[:tuned], np.array([r["test_accuracy"] for r in finetuned]))
        if tuned >= 3 else None,
        "env_scores": env,
        "full_subset_scores": full,
        "strong_scores": strong,
        "finetune": finetuned,
        "subset_sizes": [len(prepared.pool.units.expand(m)) for m in masks],
        "subset_clusters": [np.flatnonzero(np.reshape(m, prepared.pool.units.rows.shape[:2]).any(1)).tolist()
                            for m in masks],
        "num_train": len(prepared.train_y),
        "num_val": len(prepared.val_y),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "wall_s": round(time.perf_counter() - start, 3),
        "config": settings.config,
        "versions": versions(),
    }
    write_json(pathlib.Path(workdir) / "fidelity.json", record)
    return record
