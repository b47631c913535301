"""The selection job: prepare, build the MDP, run one method, score it, and write the outputs.

`run_selection(config, workdir)` is what experiments/select.py and the notebooks call. The ConfigDict is
turned into typed, frozen dataclasses here; nothing jitted ever sees it.
"""

from __future__ import annotations

import pathlib
import time

import jax
import ml_collections
from jax.experimental import multihost_utils

from rlsel.agents.dqn import DQNConfig, DQNHparams
from rlsel.agents.ppo import PPOConfig, PPOHparams
from rlsel.data.prepare import PrepareConfig, prepare
from rlsel.data.sources import spec_from_config
from rlsel.env.selection import SelectionEnvConfig
from rlsel.outputs import versions, write_selection
from rlsel.proxy import ProxyConfig
from rlsel.proxy.evaluate import subset_heldout_score, subset_proxy_score
from rlsel.resume import run_identity
from rlsel.selectors.context import SelectionContext, make_context
from rlsel.selectors.coverage import select_facility_location, select_herding, select_kcenter
from rlsel.selectors.dqn import select_dqn
from rlsel.selectors.heuristics import (select_balanced_random, select_loss_band, select_stratified_random,
                                        select_typiclust, select_val_similarity)
from rlsel.selectors.ppo import ChunkedRun, select_ppo
from rlsel.selectors.simple import select_greedy, select_random, select_random_clusters
from rlsel.workdir import check_workdir, fresh_folder

METHODS = ("ppo", "dqn", "greedy", "random", "random_clusters", "stratified_random", "balanced_random", "typiclust",
           "kcenter", "facility_location", "herding", "val_similarity", "loss_band")


def prepare_config(config: ml_collections.ConfigDict) -> PrepareConfig:
    p = config.prepare
    return PrepareConfig(
        data=spec_from_config(config), embedder=p.embedder, num_clusters=p.num_clusters,
        stratified=p.stratified, per_cluster=p.per_cluster, chunk_size=p.get("chunk_size", 0),
        order=p.get("order", "typical"), val_size=p.val_size, seed=config.seed,
        cache_dir=config.cache_dir,
    )


def env_config(config: ml_collections.ConfigDict) -> SelectionEnvConfig:
    return SelectionEnvConfig(budget=config.budget, budget_mode=config.budget_mode,
                              proxy=ProxyConfig(**config.proxy.to_dict()))


def ppo_configs(config: ml_collections.ConfigDict) -> tuple[PPOConfig, PPOHparams]:
    """Typed static config and traced hyperparameters from `config.ppo`."""
    c = config.ppo
    static = PPOConfig(num_envs=c.num_envs, num_steps=c.num_steps, total_timesteps=c.total_timesteps,
                       update_epochs=c.update_epochs, num_minibatches=c.num_minibatches, network=c.network,
                       hidden_size=c.hidden_size, num_layers=c.num_layers, activation=c.activation,
                       anneal_lr=c.anneal_lr)
    hparams = PPOHparams(lr=c.lr, gamma=c.gamma, gae_lambda=c.gae_lambda, clip_eps=c.clip_eps,
                         ent_coef=c.ent_coef, vf_coef=c.vf_coef, max_grad_norm=c.max_grad_norm)
    return static, hparams


def context_from_config(config: ml_collections.ConfigDict) -> tuple[SelectionContext, dict[str, float]]:
    """Prepare the data and build the MDP for a select-style config; also the stage timings (the prepare
    stage's own, plus `build_env_s` for the proxy arrays and env)."""
    start = time.perf_counter()
    settings = env_config(config)  # checks budget, budget mode and proxy before any embedding
    prepared = prepare(prepare_config(config))
    ctx = make_context(prepared, settings)
    build_env_s = time.perf_counter() - start - sum(prepared.timings.values())
    return ctx, {**prepared.timings, "build_env_s": build_env_s}


def _dqn(config: ml_collections.ConfigDict):
    c = config.dqn
    static = DQNConfig(num_envs=c.num_envs, total_timesteps=c.total_timesteps, buffer_size=c.buffer_size,
                       batch_size=c.batch_size, learning_starts=c.learning_starts,
                       train_frequency=c.train_frequency, target_update_interval=c.target_update_interval,
                       hidden_sizes=(c.hidden_size,) * c.num_layers)
    hparams = DQNHparams(lr=c.lr, gamma=c.gamma, epsilon_start=c.epsilon_start, epsilon_end=c.epsilon_end,
                         epsilon_decay_fraction=c.epsilon_decay_fraction, tau=c.tau)
    return static, hparams


def run_selection(config: ml_collections.ConfigDict, workdir: str | pathlib.Path, *, resume: bool = False,
                  progress: bool = True) -> dict:
    """Select a subset per `config`, write selection.json, subset.jsonl and subset/ under `workdir`.
    In a multi-process run every process selects (the same subset) and process 0 alone writes."""
    if config.method not in METHODS:
        raise ValueError(f"unknown method '{config.method}'; choose one of {', '.join(METHODS)}")
    workdir = pathlib.Path(workdir)
    check_workdir(workdir, ("subset", "checkpoints") if config.method == "ppo" else ("subset",))
    ctx, timings = context_from_config(config)
    prepared = ctx.prepared

    start = time.perf_counter()
    key = jax.random.key(config.seed)
    if config.method == "ppo":
        static, hparams = ppo_configs(config)
        ckpt = workdir / "checkpoints"
        if jax.process_index() == 0:  # process 0 readies the (shared) workdir's checkpoints; every process waits
            fresh_folder(ckpt, keep=resume)
        multihost_utils.sync_global_devices("rlsel: checkpoints ready")
        run = ChunkedRun(chunk_updates=config.ppo.chunk_updates, checkpoint_dir=str(ckpt.resolve()),
                         resume=resume, progress=progress)
        selection = select_ppo(ctx, key, static, hparams, run, run_identity(config.to_dict(), prepared.fingerprint))
    elif config.method == "dqn":
        selection = select_dqn(ctx, key, *_dqn(config))
    else:
        chooser = {"greedy": select_greedy, "random": select_random, "random_clusters": select_random_clusters,
                   "stratified_random": select_stratified_random, "balanced_random": select_balanced_random,
                   "typiclust": select_typiclust, "kcenter": select_kcenter,
                   "facility_location": select_facility_location, "herding": select_herding,
                   "val_similarity": select_val_similarity, "loss_band": select_loss_band}
        selection = chooser[config.method](ctx, key)
    timings["select_s"] = time.perf_counter() - start

    proxy_config = ctx.env_config.proxy
    score = subset_proxy_score(proxy_config, ctx.projection, prepared.train_x, prepared.train_y,
                               selection.indices, ctx.env_params.data)
    choice = prepared.choice_rows
    heldout = subset_heldout_score(proxy_config, ctx.projection, prepared.train_x, prepared.train_y,
                                   selection.indices, prepared.val_x[choice], prepared.val_y[choice],
                                   prepared.num_classes)
    record = {
        "method": config.method,
        "dataset": config.dataset,
        "dataset_fingerprint": prepared.fingerprint,
        "budget": config.budget,
        "label_noise": prepared.config.data.label_noise,
        "budget_mode": config.budget_mode,
        "num_train": len(prepared.train_y),
        "num_selected": len(selection.indices),
        "indices": selection.indices.tolist(),
        "clusters": None if selection.clusters is None else selection.clusters.tolist(),
        "seed": config.seed,
        "proxy_val_score": score,
        "proxy_heldout_score": heldout,
        "proxy_empty_score": float(ctx.env_params.empty_score),
        "class_names": prepared.class_names,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "num_devices": jax.device_count(),
        "config": config.to_dict(),
        "versions": versions(),
        **selection.extra,
    }
    if jax.process_index() == 0:
        write_selection(workdir, prepared.splits["train"].select(selection.indices), record)
    return record
