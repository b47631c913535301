"""Proxy fidelity: does the cheap, subsampled proxy score rank subsets as better-trained models do?

Random budget-sized subsets are scored three ways: the env's proxy, (a) the same proxy on every member row
and the full validation split, (b) a strong model (logistic regression on the full embeddings); (c)
optionally the target finetune's test accuracy on a few subsets. Spearman correlations summarise them.
"""

from __future__ import annotations

import pathlib
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

from rlsel.data.prepare import Prepared
from rlsel.env.rollouts import max_episode_length, random_choice, rollout
from rlsel.finetune.run import run_finetune
from rlsel.outputs import versions, write_json
from rlsel.proxy import RidgeProxy
from rlsel.proxy.data import class_weights
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.run import context_from_config


def random_episodes(ctx: SelectionContext, key: jax.Array, num: int) -> tuple[np.ndarray, np.ndarray]:
    """Final cluster masks [K, C] and env proxy scores [K] of `num` uniformly random valid episodes."""
    length = max_episode_length(ctx.env_params)
    play = lambda k: rollout(ctx.env, ctx.env_params, k, random_choice, length)[0]
    states = jax.jit(jax.vmap(play))(jax.random.split(key, num))
    return np.asarray(states.selected), np.asarray(states.score, np.float64)


def full_subset_scores(ctx: SelectionContext, masks: np.ndarray, key: jax.Array) -> np.ndarray:
    """The env's proxy fitted on ALL member rows of each subset and scored on the FULL validation split."""
    prepared, proxy = ctx.prepared, ctx.env.proxy
    data = ctx.env_params.data.replace(x_val=jnp.asarray(ctx.projection(prepared.val_x)),
                                       y_val=jnp.asarray(prepared.val_y, jnp.int32))
    if isinstance(proxy, RidgeProxy):  # per-cluster Gram matrices already sum over every member
        score = lambda mask, k: proxy.score_weights(proxy.fit_mask(mask, data), data)
    else:  # one "cluster" holding every train row, weighted by membership of the subset
        data = data.replace(x_sub=jnp.asarray(ctx.projection(prepared.train_x))[None],
                            y_sub=jnp.asarray(prepared.train_y, jnp.int32)[None])
        weights = class_weights(prepared.train_y, data.num_classes, ctx.env_config.proxy.class_balanced)
        row_weights = jnp.asarray(weights[prepared.train_y])

        def score(mask, k):
            rows = data.replace(w_sub=(mask[prepared.pool.assignments] * row_weights)[None])
            params = proxy.train(proxy.module.init(k, data.x_val[:1]), jnp.ones(1, bool), rows)
            return proxy.score_params(params, rows)

    keys = jax.random.split(key, len(masks))
    return np.asarray(jax.jit(jax.vmap(score))(jnp.asarray(masks), keys), np.float64)


def strong_accuracy(x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, max_iter: int) -> float:
    """Validation accuracy of LogisticRegression trained to convergence on (x, y); one class predicts itself."""
    if len(np.unique(y)) == 1:
        return float(np.mean(y_val == y[0]))
    model = LogisticRegression(max_iter=max_iter).fit(x, y)
    return float(np.mean(model.predict(x_val) == y_val))


def strong_scores(ctx: SelectionContext, masks: np.ndarray, max_iter: int) -> np.ndarray:
    """Strong-model validation accuracy on the full embeddings of every member row, per subset."""
    p = ctx.prepared
    rows = [p.pool.units.expand(mask) for mask in masks]
    return np.array([strong_accuracy(p.train_x[r], p.train_y[r], p.val_x, p.val_y, max_iter) for r in rows])


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman rank correlation; None when either side is constant (the correlation is undefined)."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(spearmanr(a, b).statistic)


def finetune_scores(config: ml_collections.ConfigDict, prepared: Prepared, masks: np.ndarray,
                    workdir: pathlib.Path) -> list[dict]:
    """Hook (c): finetune `config.finetune` on the first `finetune_subsets` subsets and keep their test scores."""
    records = []
    for i, mask in enumerate(masks[: config.finetune_subsets]):
        folder = workdir / "finetune" / f"subset_{i}"
        write_json(folder / "selection.json", {
            "method": "random_clusters", "dataset": config.dataset, "dataset_fingerprint": prepared.fingerprint,
            "indices": prepared.pool.units.expand(mask),
            "clusters": np.flatnonzero(np.asarray(mask).reshape(prepared.pool.units.rows.shape[:2]).any(1)),
            "class_names": prepared.class_names, "config": config.to_dict(),
        })
        finetune = config.finetune.copy_and_resolve_references()
        finetune.selection, finetune.dataset = str(folder / "selection.json"), config.dataset
        finetune.seed = config.seed
        record = run_finetune(finetune, folder)
        records.append({k: record[k] for k in ("test_accuracy", "test_macro_f1", "num_train_examples", "wall_s")})
    return records


def check_config(config: ml_collections.ConfigDict) -> None:
    """Fail early, with the fix, on settings the experiment cannot use."""
    if config.num_subsets < 3:
        raise ValueError(f"num_subsets must be >= 3 to rank subsets; got {config.num_subsets}")
    if config.strong_max_iter < 1:
        raise ValueError(f"strong_max_iter must be >= 1; got {config.strong_max_iter}")
    if not 0 <= config.finetune_subsets <= config.num_subsets:
        raise ValueError(f"finetune_subsets must lie in [0, num_subsets={config.num_subsets}]; "
                         f"got {config.finetune_subsets}")


def run_fidelity(config: ml_collections.ConfigDict, workdir: str | pathlib.Path) -> dict:
    """Prepare, score `num_subsets` random episodes three ways, write and return DIR/fidelity.json."""
    check_config(config)
    start = time.perf_counter()
    ctx, timings = context_from_config(config)
    prepared = ctx.prepared

    k_draw, k_full = jax.random.split(jax.random.key(config.seed))
    stage = time.perf_counter()
    masks, env = random_episodes(ctx, k_draw, config.num_subsets)
    timings["env_s"] = time.perf_counter() - stage
    stage = time.perf_counter()
    full = full_subset_scores(ctx, masks, k_full)
    timings["full_subset_s"] = time.perf_counter() - stage
    stage = time.perf_counter()
    strong = strong_scores(ctx, masks, config.strong_max_iter)
    timings["strong_s"] = time.perf_counter() - stage
    stage = time.perf_counter()
    finetuned = finetune_scores(config, prepared, masks, pathlib.Path(workdir))
    timings["finetune_s"] = time.perf_counter() - stage
    tuned = len(finetuned)

    record = {
        "dataset": config.dataset,
        "dataset_fingerprint": prepared.fingerprint,
        "proxy": config.proxy.kind,
        "K": int(config.num_subsets),
        "spearman_full_subset": spearman(env, full),
        "spearman_strong": spearman(env, strong),
        "spearman_full_subset_vs_strong": spearman(full, strong),
        "spearman_finetune": spearman(env[:tuned], np.array([r["test_accuracy"] for r in finetuned]))
        if tuned >= 3 else None,
        "env_scores": env,
        "full_subset_scores": full,
        "strong_scores": strong,
        "finetune": finetuned,
        "subset_sizes": [int(prepared.pool.sizes[m].sum()) for m in masks],
        "subset_clusters": [np.flatnonzero(m).tolist() for m in masks],
        "num_train": len(prepared.train_y),
        "num_val": len(prepared.val_y),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "wall_s": round(time.perf_counter() - start, 3),
        "config": config.to_dict(),
        "versions": versions(),
    }
    write_json(pathlib.Path(workdir) / "fidelity.json", record)
    return record
