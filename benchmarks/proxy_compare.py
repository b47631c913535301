"""Proxy comparison: env steps/s and agreement with a fully trained logistic regression, side by side.

  python benchmarks/proxy_compare.py --out=results/proxy_compare.json

On one prepared dataset (movie_sentences, MiniLM, default clusters): for each proxy (ridge, linear cold
start, linear warm start, mlp) (a) env steps/s of the vmapped env with random valid actions, compiled
first, timed in interleaved repeats in one run (the ratio to ridge is the load-independent figure);
(b) Spearman over the same random budget-sized subsets between the env's proxy score and
LogisticRegression's validation accuracy on the full subset. Then a small ridge grid (lambda x dim), tuned
on the validation data only, ranked by that Spearman. Prints two tables and writes one JSON.
"""

from __future__ import annotations

import pathlib
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from rlsel.data.prepare import PrepareConfig, prepare
from rlsel.data.sources import DatasetSpec
from rlsel.env.rollouts import random_choice
from rlsel.env.selection import SelectionEnvConfig
from rlsel.outputs import versions, write_json
from rlsel.proxy import ProxyConfig
from rlsel.report.fidelity import full_subset_scores, random_episodes, spearman, strong_scores
from rlsel.selectors.context import SelectionContext, make_context

_OUT = flags.DEFINE_string("out", None, "Write the JSON report here (the tables are printed either way).")
_DATASET = flags.DEFINE_string("dataset", "movie_sentences", "Dataset spec, as in the select config.")
_EMBEDDER = flags.DEFINE_string("embedder", "minilm", "Embedder of the prepare stage.")
_CACHE = flags.DEFINE_string("cache_dir", "", "Embedding and cluster cache; default $RLSEL_CACHE or ~/.cache/rlsel.")
_BUDGET = flags.DEFINE_float("budget", 0.05, "Budget as a fraction of train examples.")
_SUBSETS = flags.DEFINE_integer("num_subsets", 30, "Random budget-sized subsets for the Spearman agreement.")
_ENVS = flags.DEFINE_integer("num_envs", 64, "Vmapped environments in the throughput run.")
_STEPS = flags.DEFINE_integer("num_steps", 4, "Env steps per environment in one timed run.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed runs per proxy after compile (median reported).")
_LAMBDAS = flags.DEFINE_list("lambdas", ["0.1", "1", "10", "100"], "ridge_lambda values of the grid.")
_DIMS = flags.DEFINE_list("dims", ["32", "64", "128", "0"], "Projection dims of the grid (0 keeps all).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of clustering, subsets and proxy initialisation.")

PROXIES = {
    "ridge": ProxyConfig(kind="ridge"),
    "linear_cold": ProxyConfig(kind="linear"),
    "linear_warm": ProxyConfig(kind="linear", warm_start=True),
    "mlp": ProxyConfig(kind="mlp"),
}


def step_runner(ctx: SelectionContext, num_envs: int, num_steps: int):
    """Jitted key -> summed reward of `num_steps` auto-resetting steps of `num_envs` envs, random valid actions."""
    env, params = ctx.env, ctx.env_params
    step = jax.vmap(lambda k, s, a: env.step(k, s, a, params)[:3])
    pick = jax.vmap(random_choice, in_axes=(0, 0, None))

    def run(key):
        k_reset, k_run = jax.random.split(key)
        obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_reset, num_envs), params)

        def body(carry, key):
            obs, state, total = carry
            k_act, k_step = jax.random.split(key)
            action = pick(jax.random.split(k_act, num_envs), obs, None)
            obs, state, reward = step(jax.random.split(k_step, num_envs), state, action)
            return (obs, state, total + reward.sum()), None

        (_, _, total), _ = jax.lax.scan(body, (obs, state, jnp.zeros(())), jax.random.split(k_run, num_steps))
        return total

    return jax.jit(run)


def throughput(ctxs: dict[str, SelectionContext], num_envs: int, num_steps: int, repeats: int) -> dict:
    """Compile every proxy's runner, then time them interleaved; median steps/s and the ratio to the first."""
    runners = {name: step_runner(ctx, num_envs, num_steps) for name, ctx in ctxs.items()}
    compile_s, times = {}, {name: [] for name in runners}
    for name, run in runners.items():
        start = time.perf_counter()
        run(jax.random.key(0)).block_until_ready()
        compile_s[name] = time.perf_counter() - start
    for r in range(repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            run(jax.random.key(r + 1)).block_until_ready()
            times[name].append(time.perf_counter() - start)
    rate = {name: num_envs * num_steps / statistics.median(t) for name, t in times.items()}
    first = rate[next(iter(rate))]
    return {name: {"steps_per_s": rate[name], "ratio_to_ridge": rate[name] / first,
                   "first_call_s": compile_s[name], "run_s": times[name]} for name in runners}


def agreement(ctx: SelectionContext, key: jax.Array, num: int, reference: tuple[np.ndarray, np.ndarray] | None):
    """Env scores of `num` random episodes, Spearman against the strong scores (computed once, then reused)."""
    masks, env = random_episodes(ctx, key, num)
    if reference is None:
        reference = (masks, strong_scores(ctx, masks, max_iter=2000))
    if not np.array_equal(masks, reference[0]):
        raise RuntimeError("random episodes differ between proxies with the same key; the comparison is void")
    return env, reference


def main(argv):
    del argv
    if _SUBSETS.value < 3:
        raise app.UsageError(f"--num_subsets must be >= 3 to rank subsets; got {_SUBSETS.value}")
    start = time.perf_counter()
    prepared = prepare(PrepareConfig(data=DatasetSpec(_DATASET.value), embedder=_EMBEDDER.value, cache_dir=_CACHE.value,
                                     seed=_SEED.value))
    context = lambda proxy: make_context(prepared, SelectionEnvConfig(budget=_BUDGET.value, proxy=proxy))
    ctxs = {name: context(proxy) for name, proxy in PROXIES.items()}
    key = jax.random.key(_SEED.value)
    k_draw, k_full = jax.random.split(key)

    speed = throughput(ctxs, _ENVS.value, _STEPS.value, _REPEATS.value)
    proxies, reference = {}, None
    for name, ctx in ctxs.items():
        env, reference = agreement(ctx, k_draw, _SUBSETS.value, reference)
        full = full_subset_scores(ctx, reference[0], k_full)
        proxies[name] = {**speed[name], "spearman_strong": spearman(env, reference[1]),
                         "spearman_full_subset": spearman(env, full), "mean_env_score": float(env.mean())}

    grid = []
    for lam in map(float, _LAMBDAS.value):
        for dim in map(int, _DIMS.value):
            env, _ = agreement(context(ProxyConfig(kind="ridge", ridge_lambda=lam, dim=dim)), k_draw,
                               _SUBSETS.value, reference)
            grid.append({"ridge_lambda": lam, "dim": dim, "spearman_strong": spearman(env, reference[1]),
                         "mean_env_score": float(env.mean())})
    best = max(grid, key=lambda g: -2.0 if g["spearman_strong"] is None else g["spearman_strong"])

    report = {
        "dataset": _DATASET.value, "embedder": _EMBEDDER.value, "dataset_fingerprint": prepared.fingerprint,
        "num_clusters": prepared.pool.num_clusters, "budget": _BUDGET.value, "num_subsets": _SUBSETS.value,
        "num_envs": _ENVS.value, "num_steps": _STEPS.value, "device": str(jax.devices()[0]),
        "strong_model": "sklearn LogisticRegression(max_iter=2000), full embeddings, full validation split",
        "strong_scores": reference[1], "proxies": proxies, "ridge_grid": grid, "ridge_best": best,
        "tuned_on": "validation split only (env score on the validation subsample, strong model on all of it)",
        "wall_s": time.perf_counter() - start, "versions": versions(),
    }  # fmt: skip
    print(table(proxies, grid))
    if _OUT.value:
        write_json(pathlib.Path(_OUT.value), report)


def table(proxies: dict, grid: list[dict]) -> str:
    """Two plain-text tables: the proxies side by side, and the ridge grid's Spearman."""
    fmt = lambda v: "   n/a" if v is None else f"{v:6.3f}"
    lines = [f"{'proxy':<12} {'steps/s':>10} {'x ridge':>8} {'rho_strong':>10} {'rho_full':>9}"]
    for name, p in proxies.items():
        lines.append(f"{name:<12} {p['steps_per_s']:>10.1f} {p['ratio_to_ridge']:>8.4f} "
                     f"{fmt(p['spearman_strong']):>10} {fmt(p['spearman_full_subset']):>9}")
    dims = sorted({g["dim"] for g in grid}, key=lambda d: d or 10**9)
    lines += ["", "ridge grid, Spearman with the strong model (dim 0 = all)",
              f"{'lambda':>8} " + " ".join(f"{'dim ' + str(d):>8}" for d in dims)]
    for lam in sorted({g["ridge_lambda"] for g in grid}):
        row = {g["dim"]: g["spearman_strong"] for g in grid if g["ridge_lambda"] == lam}
        lines.append(f"{lam:>8g} " + " ".join(f"{fmt(row.get(d)):>8}" for d in dims))
    return "\n".join(lines)


if __name__ == "__main__":
    app.run(main)
