"""Env-step rate of the selection MDP designs side by side: is the redesigned env within 2x of the old one?

  nice -n 19 python benchmarks/env_rate.py --out=results/env_rate_movie_sentences.json

On movie_sentences (MiniLM embeddings), each design's env + proxy runs as one jitted program: PPO's own
`collect` (rlsel/agents/rollout.py, a vmapped `lax.scan` of env steps with auto-reset) with uniformly random
valid actions in place of the policy, at ppo.num_envs=32 and at 128 environments. Designs (DESIGNS):
  whole     whole-cluster actions over half the regions (200 by default), 0/1 accuracy on the reward's validation
            rows (the MDP when issue 11 was filed)
  chunked   experiments/configs/select.py as is (chunks of 2 from 400 clusters, squared-error reward with 2,048
            train rows, at most 1 chunk per cluster, label shares held)
  chunked_cap2  chunked over half the regions, at most 2 chunks per cluster (the default before 400 regions)
  unspread  chunked_cap2 without the cluster cap and the label balance (the default before them)
  coverage  experiments/configs/select_coverage.py (one row per action, pick=gain, coverage weight 100)
  coverage_no_signals  coverage without the policy's per-cluster signals (observe_error, observe_gain)
  swap      the swap MDP: one region per budget row, start from each region's first row, swap rows within regions
Timed calls of --scan_steps vmapped steps, interleaved over designs and env counts, medians of --repeats after
a compile call; each env carry continues across its calls. Every env step fits the proxy once (`proxy.add`),
so steps/s is also proxy calls/s; episodes/s divides it by the mean length of random episodes (`rollout` with
`random_choice`). Absolute rates follow the machine's load; the ratios to `whole` are the figures.
"""

from __future__ import annotations

import os
import pathlib
import statistics
import sys
import time
from typing import Callable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # the repo root, for `rlsel`

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from rlsel.agents.rollout import collect, reset_envs
from rlsel.cli import load_config_file, parse_flags, parse_override, quiet_library_logs, run_or_exit
from rlsel.env.rollouts import MASKED_LOGIT, max_episode_length, random_choice, rollout
from rlsel.jobs.select import context_from_config
from rlsel.outputs import versions, write_json
from rlsel.selectors.context import SelectionContext

CONFIGS = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "configs"
BASELINE = "whole"


def half_regions(config) -> int:
    """Half the configured cluster count: the 200 regions of the designs before the 400-region default."""
    return config.prepare.num_clusters // 2


DESIGNS = {  # name: (select config file, its overrides; a callable value is computed from the config)
    "whole": ("select.py", {"prepare.chunk_size": 0, "proxy.metric": "accuracy", "prepare.reward_train": 0,
                            "observe_error": False, "cluster_cap": 0, "label_balance": False,
                            "prepare.num_clusters": half_regions}),
    "chunked": ("select.py", {}),
    "chunked_cap2": ("select.py", {"prepare.num_clusters": half_regions, "cluster_cap": 2}),
    "unspread": ("select.py", {"prepare.num_clusters": half_regions, "cluster_cap": 0, "label_balance": False,
                               "prepare.order": "typical"}),
    "coverage": ("select_coverage.py", {}),
    "coverage_no_signals": ("select_coverage.py", {"observe_error": False, "observe_gain": False}),
    "swap": ("select.py", {"mdp": "swap", "prepare.chunk_size": 1}),
}

_OUT = flags.DEFINE_string("out", "results/env_rate_movie_sentences.json", "Write the JSON report here.")
_DESIGNS = flags.DEFINE_list("designs", list(DESIGNS), f"Designs to time, from {list(DESIGNS)}; must include "
                             f"{BASELINE!r}, the ratios' denominator.")
_NUM_ENVS = flags.DEFINE_list("num_envs", ["32", "128"], "Vmapped env counts (32 is ppo.num_envs).")
_SCAN_STEPS = flags.DEFINE_integer("scan_steps", 32, "Vmapped env steps per timed call.")
_REPEATS = flags.DEFINE_integer("repeats", 7, "Timed calls per design and env count after compile; medians.")
_EPISODES = flags.DEFINE_integer("episodes", 32, "Random episodes per design for the mean episode length.")
_OVERRIDE = flags.DEFINE_list("override", [], "FIELD=VALUE select-config overrides for every design, applied "
                              "before the design's own (e.g. dataset=PATH,prepare.embedder=hash).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of clustering, resets and actions.")


def design_context(name: str, common: list[str]) -> tuple[SelectionContext, dict]:
    """The MDP of one design (its config file, the common overrides, then the design's own) and those own
    overrides' values."""
    file, own = DESIGNS[name]
    config = load_config_file(CONFIGS / file)
    config.seed = _SEED.value
    config.update_from_flattened_dict(dict(parse_override(item, config) for item in common))
    own = {field: value(config) if callable(value) else value for field, value in own.items()}
    config.update_from_flattened_dict(own)
    return context_from_config(config)[0], own


def random_policy(key: jax.Array, obs) -> tuple[jax.Array, dict]:
    """Uniform over each env's valid actions, in `collect`'s policy signature."""
    return jax.random.categorical(key, jnp.where(obs.action_mask, 0.0, MASKED_LOGIT)), {}


def timed_call(ctx: SelectionContext, num_envs: int, key: jax.Array) -> Callable[[], float]:
    """A function that runs --scan_steps vmapped steps of one compiled env + proxy program, continuing its own
    carry, and returns the seconds it took."""
    steps = jax.jit(lambda carry, k: collect(ctx.env, ctx.env_params, random_policy, carry, k, _SCAN_STEPS.value)[0])
    reset_key, run_key = jax.random.split(key)
    state = {"carry": reset_envs(ctx.env, ctx.env_params, reset_key, num_envs), "key": run_key}

    def call() -> float:
        state["key"], key = jax.random.split(state["key"])
        start = time.perf_counter()
        state["carry"] = jax.block_until_ready(steps(state["carry"], key))
        return time.perf_counter() - start

    return call


def episode_lengths(ctx: SelectionContext, key: jax.Array) -> np.ndarray:
    """Steps of --episodes random-policy episodes."""
    length = max_episode_length(ctx.env_params)
    play = jax.vmap(lambda k: rollout(ctx.env, ctx.env_params, k, random_choice, length)[0].step)
    return np.asarray(jax.jit(play)(jax.random.split(key, _EPISODES.value)))


def run() -> dict:
    unknown = set(_DESIGNS.value) - set(DESIGNS)
    if unknown or BASELINE not in _DESIGNS.value:
        raise ValueError(f"--designs must name designs from {list(DESIGNS)}, {BASELINE!r} among them")
    load = os.getloadavg()
    counts = [int(n) for n in _NUM_ENVS.value]
    key = jax.random.key(_SEED.value)
    designs, calls = {}, {}
    for name in _DESIGNS.value:
        ctx, own = design_context(name, _OVERRIDE.value)
        lengths = episode_lengths(ctx, jax.random.fold_in(key, 0))
        designs[name] = {"config": DESIGNS[name][0], "overrides": own,
                         "num_clusters": ctx.env.num_clusters, "units_per_cluster": ctx.env.num_chunks,
                         "max_episode_length": max_episode_length(ctx.env_params),
                         "mean_episode_length": float(lengths.mean()), "compile_s": {}, "per_num_envs": {}}
        for n in counts:
            calls[name, n] = timed_call(ctx, n, jax.random.fold_in(key, n))
            designs[name]["compile_s"][n] = round(calls[name, n](), 3)  # the first call compiles
    times = {slot: [] for slot in calls}
    for _ in range(_REPEATS.value):
        for slot, call in calls.items():
            times[slot].append(call())
    for (name, n), seconds in times.items():
        steps_per_s = n * _SCAN_STEPS.value / statistics.median(seconds)
        designs[name]["per_num_envs"][n] = {
            "steps_per_s": steps_per_s, "episodes_per_s": steps_per_s / designs[name]["mean_episode_length"],
            "us_per_step": 1e6 / steps_per_s, "call_s": [round(s, 9) for s in seconds]}
    base = designs[BASELINE]["per_num_envs"]
    for design in designs.values():
        design["vs_whole"] = {n: {"steps_per_s": row["steps_per_s"] / base[n]["steps_per_s"],
                                  "episodes_per_s": row["episodes_per_s"] / base[n]["episodes_per_s"]}
                              for n, row in design["per_num_envs"].items()}
    return {"designs": designs, "num_envs": counts, "scan_steps": _SCAN_STEPS.value, "repeats": _REPEATS.value,
            "episodes": _EPISODES.value, "override": _OVERRIDE.value, "seed": _SEED.value,
            "cpu_count": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in load],
            "device": jax.devices()[0].device_kind, "versions": versions()}


def summary(report: dict) -> str:
    lines = ["design               envs   steps/s  episodes/s  ep.len  steps x whole  episodes x whole"]
    for name, design in report["designs"].items():
        for n, row in design["per_num_envs"].items():
            ratio = design["vs_whole"][n]
            lines.append(f"{name:<20} {n:>4} {row['steps_per_s']:>9.0f} {row['episodes_per_s']:>11.2f} "
                         f"{design['mean_episode_length']:>7.1f} {ratio['steps_per_s']:>14.2f} "
                         f"{ratio['episodes_per_s']:>17.3f}")
    return "\n".join(lines)


def main(argv):
    del argv
    quiet_library_logs()
    report = run_or_exit(run)
    write_json(pathlib.Path(_OUT.value), report)
    print(summary(report), flush=True)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
