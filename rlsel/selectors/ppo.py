"""PPO selection: train the policy in chunks of one compiled program, checkpoint and log between chunks, then
decode greedily; the run's workdir gets metrics.jsonl, TensorBoard events and states.npz."""

from __future__ import annotations

import pathlib
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils

from rlsel import checkpoint, parallel, progress
from rlsel.agents.networks import greedy_policy_choice, sampled_policy_choice
from rlsel.agents.ppo import PPOConfig, PPOHparams, make_ppo
from rlsel.metrics_log import MetricsLog
from rlsel.resume import check_resumable, run_identity
from rlsel.selectors.base import Selection
from rlsel.selectors.context import SelectionContext
from rlsel.selectors import warmstart
from rlsel.selectors.decode import decode, decode_best
from rlsel.selectors.settings import ChunkedRun, SelectorSettings
from rlsel.selectors.state_sample import StateSample, make_probe, sample_plan, save_states
from rlsel.workdir import fresh_folder


_LOG_NAMES = {"info/score": "proxy_score", "info/budget_used": "budget_used"}


def ready_checkpoints(run: ChunkedRun) -> None:
    """Process 0 readies the (shared) checkpoint folder, kept on resume and emptied otherwise; every process
    waits for it."""
    if jax.process_index() == 0:
        fresh_folder(pathlib.Path(run.checkpoint_dir), keep=run.resume)
    multihost_utils.sync_global_devices("rlsel: checkpoints ready")


def train_chunked(ppo, config: PPOConfig, hparams: PPOHparams, key: jax.Array, run: ChunkedRun,
                  run_config: dict, sample: StateSample) -> tuple[Any, dict[str, np.ndarray]]:
    """Run `config.num_updates` updates `run.chunk_updates` at a time; identical to one program per seed.
    With several devices the env batch is split over them (`rlsel.parallel`); a resume must match the saved
    run's config, data and split (`rlsel.resume`). Each update's metrics go to `run.log_dir`'s metrics log and
    the probe's states (`ppo` built with `make_probe`) into `sample`; checkpoints hold both the curve and sample."""
    mesh = parallel.fitting_env_mesh(config.num_envs)
    shardings = None if mesh is None else parallel.env_shardings(jax.eval_shape(ppo.init, key, hparams), mesh,
                                                                  parallel.PPO_ENV_FIELDS)
    runner = jax.jit(ppo.init, out_shardings=shardings)(key, hparams)
    chunk = jax.jit(ppo.update_chunk, static_argnums=2)
    history: dict[str, list] = {}
    resume_step = None
    if run.resume and run.checkpoint_dir and checkpoint.latest_step(run.checkpoint_dir) is not None:
        like = (runner, _history_like(ppo, runner, hparams, config.num_updates), sample.arrays)
        accept = lambda saved_config: check_resumable(saved_config, run_config, run.checkpoint_dir)
        (runner, saved, rows), _, step = checkpoint.restore_checkpoint(run.checkpoint_dir, like=like, accept=accept)
        checkpoint.discard_after(run.checkpoint_dir, step)
        resume_step = int(runner.update_step)
        history = {k: np.asarray(v)[:resume_step].tolist() for k, v in saved.items()}
        sample.restore(rows, resume_step)
    done = int(runner.update_step)
    bar = progress.bar(config.num_updates, "ppo", "upd", initial=done, enabled=run.progress)
    with MetricsLog(run.log_dir, "ppo", resume_step) as log:
        while done < config.num_updates:
            n = min(run.chunk_updates, config.num_updates - done)
            runner, metrics = chunk(runner, hparams, n)
            sample.add(done + 1, multihost_utils.process_allgather(metrics.pop("probe"), tiled=True))  # env-sharded
            for name, values in metrics.items():
                history.setdefault(name, []).extend(np.asarray(values).tolist())
            for i in range(done, done + n):
                log.write(i + 1, {_LOG_NAMES.get(name, name): values[i] for name, values in history.items()})
            log.flush()
            check_finite(history["total_loss"], done)
            done += n
            bar.update(n)
            bar.set_postfix(ret=f"{history['episode_return'][-1]:.4f}", score=f"{history['info/score'][-1]:.4f}")
            if run.checkpoint_dir:
                padded = {k: _pad(v, config.num_updates) for k, v in history.items()}
                checkpoint.save_checkpoint(run.checkpoint_dir, done, (runner, padded, sample.arrays), run_config)
    bar.close()
    return runner, {k: np.asarray(v[: config.num_updates]) for k, v in history.items()}


def check_finite(losses: list, start: int) -> None:
    """Stop a diverged run with its first bad update, instead of decoding a policy whose weights are NaN."""
    bad = ~np.isfinite(np.asarray(losses[start:], np.float64))
    if bad.any():
        raise ValueError(f"ppo diverged: the loss is not finite from update {start + 1 + int(np.argmax(bad))} on; "
                         "lower ppo.lr, or check the embeddings for NaN or inf")


def train_seeds(ppo, config: PPOConfig, hparams: PPOHparams, keys: jax.Array, chunk_updates: int = 25):
    """Runs vmapped over `keys`, `chunk_updates` updates per call; metrics stacked as [seeds, updates].

    Chunks equal the single program bit for bit; they also keep each call short, which matters on small
    CPUs: XLA hung here (every thread idle) on single calls that run for minutes.
    """
    runners = jax.jit(jax.vmap(ppo.init, in_axes=(0, None)))(keys, hparams)
    chunk = jax.jit(jax.vmap(ppo.update_chunk, in_axes=(0, None, None)), static_argnums=2)
    history: dict[str, list] = {}
    done = 0
    while done < config.num_updates:
        n = min(chunk_updates, config.num_updates - done)
        runners, metrics = jax.block_until_ready(chunk(runners, hparams, n))
        for name, values in metrics.items():
            history.setdefault(name, []).append(np.asarray(values))
        done += n
    return runners, {name: np.concatenate(parts, axis=1) for name, parts in history.items()}


def _pad(values: list, length: int) -> np.ndarray:
    out = np.zeros(length, np.float32)
    out[: len(values)] = values
    return out


def _history_like(ppo, runner, hparams, num_updates: int) -> dict:
    """The structure of the saved metric history: one float per update for every metric name."""
    _, metrics = jax.eval_shape(lambda r: ppo.update_chunk(r, hparams, 1), runner)
    return {name: np.zeros(num_updates, np.float32) for name in metrics if name != "probe"}


def select_ppo(ctx: SelectionContext, key: jax.Array, settings: SelectorSettings) -> Selection:
    """Train PPO on the selection MDP and decode the greedy policy into a subset. Checkpoints record the run's
    identity (`rlsel.resume`: its config and data), which a resume must match."""
    config, run, identity = settings.ppo, settings.run, {}
    if run.checkpoint_dir:
        ready_checkpoints(run)
        identity = run_identity(settings.run_config, ctx.prepared.fingerprint)
    plan = sample_plan(config.num_updates, config.num_envs)
    sample = StateSample(plan, ctx.env.num_clusters)
    ppo = make_ppo(config, ctx.env, ctx.env_params, probe=make_probe(plan, ctx.env_params))
    warm = settings.warm
    demo = warmstart.make_demo(ctx, jax.random.fold_in(key, 1), settings, warm) if warm.source else None
    ppo = ppo if demo is None else warmstart.cloned(ppo, config.num_updates, demo, warm.steps)
    train_key, decode_key = jax.random.split(key)
    runner, history = train_chunked(ppo, config, settings.ppo_hparams, train_key, run, identity, sample)
    if run.log_dir and ctx.env_config.mdp == "add":  # the sample's plots read states as chunks taken from empty
        save_states(run.log_dir, sample)
    params = jax.tree_util.tree_map(np.asarray, runner.params)  # replicated: the same on every device
    curve = {
        "episode_return": history["episode_return"].tolist(),
        "proxy_score": history["info/score"].tolist(),
        "env_steps_per_update": config.batch_size,
    }
    greedy = greedy_policy_choice(ppo.network, params)
    if settings.decode_samples:
        sampled = sampled_policy_choice(ppo.network, params)
        selection = decode_best(ctx, greedy, sampled, decode_key, settings.decode_samples, {"curve": curve})
    else:
        selection = decode(ctx, greedy, decode_key, {"curve": curve})
    return selection if demo is None else warmstart.keep_better(ctx, demo, selection)
