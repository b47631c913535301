"""Throughput of the selection env + proxy: one fused XLA program against per-state loops, with FLOPs.

  python benchmarks/throughput.py --out=results/throughput.json

On movie_sentences with the default pool and proxy (PrepareConfig() and SelectionEnvConfig() defaults:
MiniLM, 200 stratified clusters, 5% budget, ridge on 64 PCA dims), side by side in one run:
(a) fused: env steps/s of the vmapped env + proxy in one jit at each --env_counts, on one device and with
    the env batch sharded over all devices (on a CPU, one host device per core: --host_devices); random
    valid actions, observations carried as PPO carries them; medians of interleaved repeats after compile;
(b) loop: the same proxy fitted by one jitted call per state from Python (ridge `fit_mask` + score);
(c) sklearn: `LogisticRegression()` refit per state on every member of the state's clusters, with both
    proxies' mean accuracy on the same states and the same validation rows;
(d) analytic FLOPs of the proxy per env step, achieved GFLOP/s, and a 2048^2 float32 matmul as the peak;
    also for the proxy alone (its episodes of add + solve + score, without the env around it);
(e) cost per env step against pool size, number of clusters and budget;
plus prototypes of proposed speed-ups timed beside the baseline, and the env batch on 1, 2 and 4 host
devices (a subprocess with --xla_force_host_platform_device_count=4). Writes JSON and a plot.
Absolute rates depend on the machine's load; the ratios, measured interleaved, are the portable figures.
"""

from __future__ import annotations

import collections
import dataclasses
import gzip
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # the repo root, for `rlsel`

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags, logging
from flax import struct
from sklearn.linear_model import LogisticRegression

from plot_throughput import plot
from rlsel import parallel
from rlsel.data.pool import build_pool
from rlsel.data.prepare import PrepareConfig, Prepared, prepare
from rlsel.data.sources import DatasetSpec
from rlsel.env.rollouts import MASKED_LOGIT, max_episode_length
from rlsel.env.selection import SelectionEnv, SelectionEnvConfig
from rlsel.outputs import versions, write_json
from rlsel.proxy import ProxyConfig
from rlsel.proxy import metrics
from rlsel.proxy.ridge import RidgeCarry, RidgeProxy, broadcast_unbatched, cholesky_solve
from rlsel.selectors.context import SelectionContext, make_context

_OUT = flags.DEFINE_string("out", None, "Write the JSON report here (a summary is printed either way).")
_PLOT = flags.DEFINE_string("plot", "", "PNG path for the plot; default: --out with a .png suffix.")
_DATASET = flags.DEFINE_string("dataset", "movie_sentences", "Dataset spec, as in the select config.")
_EMBEDDER = flags.DEFINE_string("embedder", "minilm", "Embedder of the prepare stage (`hash` for quick runs).")
_CACHE = flags.DEFINE_string("cache_dir", "", "Embedding and cluster cache; default $RLSEL_CACHE or ~/.cache/rlsel.")
_ENV_COUNTS = flags.DEFINE_list("env_counts", ["1", "8", "16", "32", "64", "128", "256"],
                                "Vmapped env counts of the fused runs.")
_ENV_STEPS = flags.DEFINE_integer("env_steps", 8192, "Env steps per timed fused run (scan length x env count).")
_REPEATS = flags.DEFINE_integer("repeats", 7, "Timed repeats after compile; medians are reported.")
_STATES = flags.DEFINE_integer("num_states", 200, "States of random episodes scored by the loop and sklearn.")
_SCALING_ENVS = flags.DEFINE_integer("scaling_envs", 0, "Env count of the scaling series; 0 = best of (a).")
_SCALING = flags.DEFINE_bool("scaling", True, "Run the scaling series (e).")
_VARIANTS = flags.DEFINE_bool("variants", True, "Time the prototype speed-ups beside the baseline.")
_DEVICES4 = flags.DEFINE_bool("devices_4", True, "Measure the env batch sharded over 4 host devices.")
_DEVICES4_ENVS = flags.DEFINE_list("devices4_envs", ["64", "256"], "Env counts of the sharded runs.")
_OPS = flags.DEFINE_bool("op_profile", True, "Per-op time per env step (jax.profiler) at the best and largest "
                         "env counts.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of clustering, episodes and actions.")
_HOST_DEVICES = flags.DEFINE_integer("host_devices", 0, "On a CPU, split the host into this many devices for "
                                     "the all-devices series (0: one per core).")
_WORKER = flags.DEFINE_bool("devices4_worker", False, "Internal: run only the sharded part, print JSON.")

MIN_SCAN = 16  # fewest vmapped steps per timed run, so that per-call overhead stays small
PEAK_SIZE = 2048
SUBPROCESS_TIMEOUT_S = 1800


# ---- (a) the fused program -------------------------------------------------------------------------


def uniform_valid_action(key: jax.Array, mask: jax.Array) -> jax.Array:
    """A uniformly random valid action from one uniform draw (Gumbel-max would draw one per action)."""
    rank = jnp.floor(jax.random.uniform(key) * mask.sum())
    return jnp.argmax(jnp.cumsum(mask) > rank)


def categorical_valid_action(key: jax.Array, mask: jax.Array) -> jax.Array:
    """The same distribution by Gumbel-max over all actions, as `rlsel.env.rollouts.random_choice`."""
    return jax.random.categorical(key, jnp.where(mask, 0.0, MASKED_LOGIT))


def fused_program(env: SelectionEnv, params: Any, num_envs: int, num_steps: int, carry_obs: bool = True,
                  sampler: Callable = uniform_valid_action) -> tuple[Callable, Callable]:
    """(reset, run): `reset(key)` is the carry of `num_envs` envs; `run(carry, key)` sums the rewards of
    `num_steps` auto-resetting vmapped steps with random valid actions, per env (no cross-env reduction, so
    a sharded run needs no collectives). Without `carry_obs` the loop keeps only env states (the action mask
    is recomputed), so per-cluster features stay out of the carry."""

    def one_env(key, obs, state):
        k_act, k_step = jax.random.split(key)
        mask = obs.action_mask if carry_obs else env.action_mask(state.taken, state.used, params)
        obs, state, reward, _, _ = env.step(k_step, state, sampler(k_act, mask), params)
        return (obs if carry_obs else None), state, reward

    step = jax.vmap(one_env)

    def reset(key):
        obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(key, num_envs), params)
        return (obs if carry_obs else None), state

    def run(carry, key):
        def body(inner, k):
            obs, state, total = inner
            obs, state, reward = step(jax.random.split(k, num_envs), obs, state)
            return (obs, state, total + reward), None

        totals = jnp.zeros((num_envs,), jnp.float32)
        (_, _, totals), _ = jax.lax.scan(body, (*carry, totals), jax.random.split(key, num_steps))
        return totals

    return jax.jit(reset), jax.jit(run)


def scan_length(num_envs: int) -> int:
    return max(_ENV_STEPS.value // num_envs, MIN_SCAN)


def fused_call(env: SelectionEnv, params: Any, num_envs: int, num_devices: int = 1, **kwargs):
    """A timed thunk `call(seed)` of the fused program from a fixed start, its env batch split over the first
    `num_devices` devices, and its env steps per call."""
    num_steps = scan_length(num_envs)
    reset, run = fused_program(env, params, num_envs, num_steps, **kwargs)
    carry = reset(jax.random.key(_SEED.value))
    if num_devices > 1:
        carry = parallel.shard_envs(carry, parallel.env_mesh(jax.devices()[:num_devices]))
    return (lambda seed: run(carry, jax.random.key(seed))), num_envs * num_steps


def proxy_call(ctx: SelectionContext, num_envs: int, num_devices: int = 1):
    """Like `fused_call`, for the proxy alone: each env runs whole episodes of `proxy.add` (sum the chosen
    clusters' statistics, solve, score on the validation rows) over fixed random actions, with none of the
    env's masks, observations, action sampling or auto-reset. Its rate bounds what the env step can reach."""
    proxy, data = ctx.env.proxy, ctx.env_params.data
    length = max_episode_length(ctx.env_params)
    episodes = max(scan_length(num_envs) // length, 1)
    rng = np.random.default_rng(_SEED.value)
    actions = np.stack([[rng.permutation(data.gram.shape[0])[:length] for _ in range(episodes)]
                        for _ in range(num_envs)]).astype(np.int32)  # [envs, episodes, length]

    def one_env(actions):
        def episode(total, ep_actions):
            def add(carry, action):
                score, carry = proxy.add(None, carry, None, action, data)
                return carry, score
            _, scores = jax.lax.scan(add, proxy.init_carry(None, data), ep_actions)
            return total + scores.sum(), None
        return jax.lax.scan(episode, jnp.zeros((), jnp.float32), actions)[0]

    actions = jnp.asarray(actions)
    if num_devices > 1:
        actions = parallel.shard_envs(actions, parallel.env_mesh(jax.devices()[:num_devices]))
    run = jax.jit(jax.vmap(one_env))
    return (lambda seed: run(actions)), num_envs * episodes * length


def time_interleaved(calls: dict[str, Callable[[int], Any]], repeats: int) -> dict[str, float]:
    """Median seconds per call of every thunk after a compile call; rounds interleave the thunks so that
    load drifts on a shared machine hit all of them alike."""
    for call in calls.values():
        jax.block_until_ready(call(0))
    times = {name: [] for name in calls}
    for r in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            jax.block_until_ready(call(r + 1))
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def matmul_call(size: int = PEAK_SIZE) -> Callable[[int], Any]:
    """A thunk running one `size`^2 float32 matmul: the machine's practical peak."""
    x = jax.random.normal(jax.random.key(0), (size, size), jnp.float32)
    matmul = jax.jit(lambda a: a @ a)
    return lambda seed: matmul(x)


def fused_series(ctx: SelectionContext, counts: list[int], repeats: int) -> tuple[list[dict], float]:
    """Env steps/s at every env count on one device and, where the count splits evenly, over all devices
    (one per core on a CPU), of the fused program and of the proxy alone; the matmul peak in GFLOP/s is
    timed in the same rounds."""
    everyone = jax.device_count()
    cases = [(n, 1) for n in counts] + [(n, everyone) for n in counts if everyone > 1 and n % everyone == 0]
    calls, steps = {"peak": matmul_call()}, {}
    for n, d in cases:
        calls[(n, d)], steps[(n, d)] = fused_call(ctx.env, ctx.env_params, n, num_devices=d)
        calls[("proxy", n, d)], steps[("proxy", n, d)] = proxy_call(ctx, n, num_devices=d)
    med = time_interleaved(calls, repeats)
    series = [{"num_envs": n, "num_devices": d, "env_steps_per_s": steps[(n, d)] / med[(n, d)],
               "us_per_env_step": 1e6 * med[(n, d)] / steps[(n, d)], "scan_length": steps[(n, d)] // n,
               "median_run_s": med[(n, d)],
               "proxy_only_steps_per_s": steps[("proxy", n, d)] / med[("proxy", n, d)]} for n, d in cases]
    return series, 2 * PEAK_SIZE**3 / med["peak"] / 1e9


HOST_EVENTS = ("ThunkExecutor", "$", "Pjit", "Common", "Slinky")  # trace events that are not XLA ops


def self_times(events: list[dict]) -> collections.Counter:
    """Total exclusive time per event name: a loop's time without the ops nested in it on the same thread."""
    totals = collections.Counter()
    by_thread = collections.defaultdict(list)
    for event in events:
        by_thread[(event.get("pid"), event.get("tid"))].append(event)
    for thread in by_thread.values():
        stack = []  # [end time, event name] of the enclosing events
        for event in sorted(thread, key=lambda e: (e["ts"], -e.get("dur", 0.0))):
            start, dur = event["ts"], event.get("dur", 0.0)
            while stack and stack[-1][0] <= start:
                stack.pop()
            if stack:
                totals[stack[-1][1]] -= dur
            totals[event["name"]] += dur
            stack.append((start + dur, event["name"]))
    return totals


def op_profile(call: Callable[[int], Any], env_steps: int, top: int = 12) -> dict[str, float]:
    """Microseconds per env step of the costliest XLA ops of a fused call, read from a jax.profiler trace."""
    jax.block_until_ready(call(0))
    with tempfile.TemporaryDirectory() as tmp:
        jax.profiler.start_trace(tmp, create_perfetto_trace=True)
        for seed in range(3):
            jax.block_until_ready(call(seed + 1))
        jax.profiler.stop_trace()
        trace = json.loads(gzip.decompress(next(pathlib.Path(tmp).rglob("*perfetto_trace.json.gz")).read_bytes()))
    events = [e for e in (trace["traceEvents"] if isinstance(trace, dict) else trace)
              if e.get("ph") == "X" and not e["name"].startswith(HOST_EVENTS)]
    totals = self_times(events)
    per_step = lambda us: us / (3 * env_steps)
    return {"all_ops": per_step(sum(totals.values())),
            **{name: per_step(us) for name, us in totals.most_common(top)}}


# ---- (b, c) per-state loops over the same states ---------------------------------------------------


def visited_states(ctx: SelectionContext, key: jax.Array, num_states: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks [S, C] and fused-env scores [S] of the first `num_states` states reached by random valid
    episodes, episode by episode (the states an agent's env steps produce)."""
    env, params, length = ctx.env, ctx.env_params, max_episode_length(ctx.env_params)

    def episode(key):
        def body(carry, k):
            obs, state, done = carry
            k_act, k_step = jax.random.split(k)
            obs2, state2, _, done2, _ = env.step_env(k_step, state, uniform_valid_action(k_act, obs.action_mask),
                                                     params)
            keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(done, b, a), new, old)
            return (keep(obs2, obs), keep(state2, state), done | done2), (state2.selected, state2.score, ~done)

        obs, state = env.reset_env(key, params)
        _, out = jax.lax.scan(body, (obs, state, jnp.zeros((), bool)), jax.random.split(key, length))
        return out

    masks, scores, live = jax.jit(jax.vmap(episode))(jax.random.split(key, num_states))
    live = np.asarray(live)
    return np.asarray(masks)[live][:num_states], np.asarray(scores, np.float64)[live][:num_states]


def loop_rate(ctx: SelectionContext, masks: np.ndarray, repeats: int) -> tuple[float, np.ndarray]:
    """Env steps/s of one jitted ridge fit + score per state called from Python, and its scores."""
    proxy: RidgeProxy = ctx.env.proxy
    score = jax.jit(lambda mask, data: proxy.score_weights(proxy.fit_mask(mask, data), data))
    data = ctx.env_params.data
    float(score(masks[0], data))
    times, scores = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        scores = np.array([float(score(mask, data)) for mask in masks])
        times.append(time.perf_counter() - start)
    return len(masks) / statistics.median(times), scores


def sklearn_accuracy(x: np.ndarray, y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray) -> float:
    """Validation accuracy of `LogisticRegression()` fitted on (x, y); a one-class subset predicts its class."""
    if len(np.unique(y)) == 1:
        return float(np.mean(val_y == y[0]))
    return float(np.mean(LogisticRegression().fit(x, y).predict(val_x) == val_y))


def sklearn_rate(prepared: Prepared, masks: np.ndarray) -> tuple[float, np.ndarray]:
    """Env steps/s of a per-state sklearn refit on every member of the chosen clusters (full embeddings),
    scored on the env's validation rows, and its accuracies."""
    pool = prepared.pool
    val_x, val_y = prepared.val_x[pool.val_index], prepared.val_y[pool.val_index]
    start = time.perf_counter()
    accuracies = []
    for mask in masks:
        rows = pool.units.expand(mask)
        accuracies.append(sklearn_accuracy(prepared.train_x[rows], prepared.train_y[rows], val_x, val_y))
    return len(masks) / (time.perf_counter() - start), np.array(accuracies)


# ---- (d) FLOPs -------------------------------------------------------------------------------------


def ridge_flops(dim: int, num_classes: int, num_val: int) -> dict[str, float]:
    """Analytic FLOPs of one ridge env step at `dim` features (+1 bias): the textbook counts of each part."""
    d, k, v = dim + 1, num_classes, num_val
    parts = {"gram_add": d * d + d * k, "cholesky": d**3 / 3, "solves": 2 * d * d * k, "validation": 2 * v * d * k,
             "metric": 2 * v * k}
    return {**parts, "total": sum(parts.values())}


# ---- (e) scaling -----------------------------------------------------------------------------------


def subsample_train(prepared: Prepared, fraction: float, seed: int) -> Prepared:
    """The same clusters over a random `fraction` of the train split (pool rebuilt; val rows unchanged)."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.permutation(len(prepared.train_y))[: max(int(fraction * len(prepared.train_y)), 1)])
    old = prepared.pool
    pool = build_pool(old.assignments[rows], prepared.train_y[rows], old.centroids, prepared.num_classes,
                      len(prepared.val_y), per_cluster=prepared.config.per_cluster,
                      val_size=prepared.config.val_size, seed=prepared.config.seed,
                      x=prepared.train_x[rows], chunk_size=prepared.config.chunk_size, order=prepared.config.order)
    return dataclasses.replace(prepared, train_x=prepared.train_x[rows], train_y=prepared.train_y[rows], pool=pool)


def scaling(prepared: Prepared, num_envs: int, repeats: int) -> dict[str, list[dict]]:
    """Cost per env step (fused, `num_envs` envs) against pool size, cluster count and budget, timed together."""
    base = SelectionEnvConfig()
    cases = {("pool_fraction", f): (subsample_train(prepared, f, _SEED.value), base) for f in (0.25, 0.5, 1.0)}
    for k in (50, 100, 200, 400):
        cases[("num_clusters", k)] = (prepare(dataclasses.replace(prepared.config, num_clusters=k)), base)
    for b in (0.02, 0.05, 0.1, 0.2):
        cases[("budget", b)] = (prepared, dataclasses.replace(base, budget=b))
    calls, steps, meta = {}, {}, {}
    for case, (prep, env_config) in cases.items():
        ctx = make_context(prep, env_config)
        calls[case], steps[case] = fused_call(ctx.env, ctx.env_params, num_envs)
        meta[case] = {"num_train": len(prep.train_y), "num_clusters": prep.pool.num_clusters,
                      "max_episode_length": max_episode_length(ctx.env_params)}
    med = time_interleaved(calls, repeats)
    series = {}
    for (axis, value), seconds in med.items():
        series.setdefault(axis, []).append({"value": value, "us_per_env_step": 1e6 * seconds / steps[(axis, value)],
                                            "env_steps_per_s": steps[(axis, value)] / seconds, **meta[(axis, value)]})
    return series


# ---- prototypes of proposed speed-ups --------------------------------------------------------------


@struct.dataclass
class WarmCarry:
    gram: jax.Array
    moment: jax.Array
    weights: jax.Array  # the previous step's solution, where the iterative solve starts


def pcg(a: jax.Array, b: jax.Array, x: jax.Array, iters: int) -> jax.Array:
    """`iters` Jacobi-preconditioned conjugate-gradient steps on `a x = b` (every column of b) from `x`."""
    inv_diag = 1.0 / jnp.diagonal(a)[:, None]
    r = b - a @ x
    z = inv_diag * r
    p, rz = z, jnp.sum(r * z, 0)
    for _ in range(iters):
        ap = a @ p
        alpha = rz / jnp.maximum(jnp.sum(p * ap, 0), 1e-30)
        x, r = x + alpha * p, r - alpha * ap
        z = inv_diag * r
        rz_new = jnp.sum(r * z, 0)
        p, rz = z + rz_new / jnp.maximum(rz, 1e-30) * p, rz_new
    return x


class CGRidgeProxy(RidgeProxy):
    """Prototype: a few warm-started PCG steps instead of the Cholesky solve (approximate weights)."""

    def __init__(self, config: ProxyConfig, iters: int):
        super().__init__(config)
        self.iters = iters

    def init_carry(self, key, data):
        carry = super().init_carry(key, data)
        return WarmCarry(carry.gram, carry.moment, jnp.zeros_like(carry.moment))

    def add(self, key, carry, selected, action, data):
        gram, moment = carry.gram + data.gram[action], carry.moment + data.moment[action]
        a = gram + self.config.ridge_lambda * jnp.eye(gram.shape[-1], dtype=gram.dtype)
        weights = pcg(a, moment, carry.weights, self.iters)
        return self.score_weights(weights, data), WarmCarry(gram, moment, weights)


class DiffRidgeProxy(RidgeProxy):
    """Prototype for two classes scored by accuracy: solve for w0 - w1 only (one right-hand side); the
    argmax of two outputs is the sign of their difference, so scores are unchanged."""

    def add(self, key, carry, selected, action, data):
        carry = RidgeCarry(gram=carry.gram + data.gram[action], moment=carry.moment + data.moment[action])
        diff = self.solve(carry.gram, carry.moment[:, :1] - carry.moment[:, 1:])
        margin = self.predict(diff, data.x_val)
        logits = jnp.concatenate([margin, jnp.zeros_like(margin)], axis=1)
        return metrics.score(self.config.metric, logits, data.y_val, least_squares=True), carry


class BatchedLapackRidgeProxy(RidgeProxy):
    """The ridge with one batched LAPACK call over the whole env batch (what `vmap` of a plain
    `cho_factor` gives; the library's solve maps one matrix per device per call instead)."""

    def solve(self, gram, moment):
        return cholesky_solve(gram, moment, self.config.ridge_lambda)


class LURidgeProxy(RidgeProxy):
    """Prototype: `jnp.linalg.solve` (LU with pivoting) instead of Cholesky; exact."""

    def solve(self, gram, moment):
        eye = jnp.eye(gram.shape[-1], dtype=gram.dtype)
        return jnp.linalg.solve(gram + self.config.ridge_lambda * eye, moment)


def lanes_solve(a: jax.Array, b: jax.Array) -> jax.Array:
    """W = a^-1 b for SPD a [n, n, B], b [n, K, B], batch in the last (vector-lane) axis: left-looking
    Cholesky in unrolled columns with b's columns appended as rows (so the forward solve comes with the
    factor), then back substitution. Exact; written in JAX ops instead of a LAPACK call."""
    n = a.shape[0]
    rows = jnp.concatenate([a, b.transpose(1, 0, 2)], axis=0)  # [n + K, n, B]
    factor = jnp.zeros_like(rows)
    for j in range(n):
        col = rows[j:, j] - (jnp.einsum("ikb,kb->ib", factor[j:, :j], factor[j, :j]) if j else 0.0)
        factor = factor.at[j:, j].set(col / jnp.sqrt(col[0]))
    forward, w = factor[n:], [None] * n  # forward = (L^-1 b)^T, [K, n, B]
    for j in reversed(range(n)):
        rest = jnp.einsum("ib,ikb->kb", factor[j + 1:n, j], jnp.stack(w[j + 1:])) if j < n - 1 else 0.0
        w[j] = (forward[:, j] - rest) / factor[j, j]
    return jnp.stack(w)


class LanesCholeskyRidgeProxy(RidgeProxy):
    """Prototype: the solve in JAX ops with the env batch in the vector lanes (`lanes_solve`) instead of
    LAPACK; same weights."""

    def solve(self, gram, moment):
        lam = self.config.ridge_lambda

        @jax.custom_batching.custom_vmap
        def one(gram, moment):
            return cholesky_solve(gram, moment, lam)

        @one.def_vmap
        def _lanes(axis_size, in_batched, gram, moment):
            gram, moment = broadcast_unbatched(axis_size, in_batched, gram, moment)
            eye = jnp.eye(gram.shape[-1], dtype=gram.dtype)
            out = lanes_solve((gram + lam * eye).transpose(1, 2, 0), moment.transpose(1, 2, 0))
            return out.transpose(2, 0, 1), True

        return one(gram, moment)


def with_proxy(ctx: SelectionContext, proxy: RidgeProxy) -> SelectionEnv:
    """The env of `ctx` with its reward from `proxy` (same params and data)."""
    return SelectionEnv(ctx.env_config, ctx.env.num_clusters, ctx.prepared.num_classes,
                        num_chunks=ctx.env.num_chunks, proxy=proxy)


def exact_scores(ctx: SelectionContext, masks: np.ndarray) -> np.ndarray:
    """The exact ridge score of every mask, fitted from scratch."""
    proxy: RidgeProxy = ctx.env.proxy
    score = jax.vmap(lambda mask, data: proxy.score_weights(proxy.fit_mask(mask, data), data), in_axes=(0, None))
    return np.asarray(jax.jit(score)(jnp.asarray(masks), ctx.env_params.data), np.float64)


def variants(prepared: Prepared, ctx: SelectionContext, num_envs: int, repeats: int) -> dict[str, dict]:
    """Prototype speed-ups timed beside the baseline fused program, with each one's mean score difference from
    the exact default ridge and its mean proxy accuracy on the same random-episode states."""
    config = ctx.env_config.proxy
    ctx32 = make_context(prepared, dataclasses.replace(ctx.env_config, proxy=dataclasses.replace(config, dim=32)))
    cases = {
        "baseline": (ctx, ctx.env, {}),
        "categorical_sampler": (ctx, ctx.env, {"sampler": categorical_valid_action}),
        "no_obs_carry": (ctx, ctx.env, {"carry_obs": False}),
        "lu_solve": (ctx, with_proxy(ctx, LURidgeProxy(config)), {}),
        "jax_ops_cholesky_in_lanes": (ctx, with_proxy(ctx, LanesCholeskyRidgeProxy(config)), {}),
        "batched_lapack": (ctx, with_proxy(ctx, BatchedLapackRidgeProxy(config)), {}),
        "cg4_warm": (ctx, with_proxy(ctx, CGRidgeProxy(config, 4)), {}),
        "cg8_warm": (ctx, with_proxy(ctx, CGRidgeProxy(config, 8)), {}),
        "dim32": (ctx32, ctx32.env, {}),
        "dim32_no_obs_carry": (ctx32, ctx32.env, {"carry_obs": False}),
    }
    if prepared.num_classes == 2 and config.metric == "accuracy":
        cases["two_class_single_rhs"] = (ctx, with_proxy(ctx, DiffRidgeProxy(config)), {})
    calls, steps = {}, {}
    for name, (c, env, kwargs) in cases.items():
        calls[name], steps[name] = fused_call(env, c.env_params, num_envs, **kwargs)
    med = time_interleaved(calls, repeats)
    key = jax.random.key(_SEED.value + 1)
    masks, _ = visited_states(ctx, key, _STATES.value)
    exact = exact_scores(ctx, masks)
    out, scored = {}, {}
    for name, (c, env, kwargs) in cases.items():
        if id(env) not in scored:  # samplers and carries change the speed, not the scores
            variant_masks, scored[id(env)] = visited_states(dataclasses.replace(c, env=env), key, _STATES.value)
            assert np.array_equal(variant_masks, masks), "actions do not depend on the proxy: the states must agree"
        scores, rate = scored[id(env)], steps[name] / med[name]
        out[name] = {"env_steps_per_s": rate, "ratio_to_baseline": rate * med["baseline"] / steps["baseline"],
                     "mean_abs_score_diff_vs_exact": float(np.abs(scores - exact).mean()),
                     "mean_proxy_accuracy": float(scores.mean())}
    return out


# ---- sharded over host devices -------------------------------------------------------------------


def sharded_rates(ctx: SelectionContext, counts: list[int], repeats: int) -> list[dict]:
    """Env steps/s of the same fused program with its env batch on 1, 2 and 4 host devices."""
    calls, steps = {}, {}
    for n in counts:
        for d in (1, 2, 4):
            calls[(n, d)], steps[n] = fused_call(ctx.env, ctx.env_params, n, num_devices=d)
    med = time_interleaved(calls, repeats)
    return [{"num_envs": n, "num_devices": d, "env_steps_per_s": steps[n] / s,
             "ratio_to_one_device": med[(n, 1)] / s} for (n, d), s in med.items()]


def devices_4(counts: list[str]) -> dict:
    """Run `sharded_rates` in a subprocess that sees 4 host devices; its best 4-device rate and the table."""
    names = ("dataset", "embedder", "cache_dir", "env_steps", "repeats", "seed")
    flags_out = [f"--{name}={flags.FLAGS[name].value}" for name in names]
    cmd = [sys.executable, __file__, "--devices4_worker", f"--devices4_envs={','.join(counts)}", *flags_out]
    env = {**os.environ, "XLA_FLAGS": parallel.host_device_flags(os.environ.get("XLA_FLAGS", ""), 4)}
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S)
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(f"the 4-device subprocess gave no answer in {SUBPROCESS_TIMEOUT_S} s: {' '.join(cmd)}") from err
    if proc.returncode:
        raise RuntimeError(f"the 4-device subprocess failed:\n{proc.stderr[-3000:]}")
    table = json.loads(proc.stdout.strip().splitlines()[-1])
    four = [row for row in table if row["num_devices"] == 4]
    return {"env_steps_per_s": max(row["env_steps_per_s"] for row in four), "num_devices": 4,
            "xla_flags": "--xla_force_host_platform_device_count=4", "per_env_count": table}


# ---- report ----------------------------------------------------------------------------------------


def check_flags(counts: list[int]) -> None:
    """Fail early, with the fix, on settings the benchmark cannot use."""
    if not counts or min(counts) < 1:
        raise app.UsageError(f"--env_counts must be positive integers; got {_ENV_COUNTS.value}")
    for name in ("env_steps", "repeats", "num_states"):
        if flags.FLAGS[name].value < 1:
            raise app.UsageError(f"--{name} must be >= 1; got {flags.FLAGS[name].value}")


def summary(record: dict) -> str:
    """A few lines with the headline numbers."""
    lines = [f"{'envs':>6} {'devices':>8} {'env steps/s':>12} {'us/step':>9}"]
    lines += [f"{r['num_envs']:>6} {r['num_devices']:>8} {r['env_steps_per_s']:>12.0f} {r['us_per_env_step']:>9.2f}"
              for r in record["per_env_count"]]
    lines.append(f"loop {record['loop_env_steps_per_s']:.0f}/s (x{record['speedup_vs_loop']:.1f}; one device "
                 f"x{record['speedup_vs_loop_one_device']:.1f}), sklearn "
                 f"{record['sklearn_env_steps_per_s']:.1f}/s (x{record['speedup_vs_sklearn']:.0f}); accuracy ours "
                 f"{record['fused_proxy_accuracy']:.4f} vs sklearn {record['sklearn_proxy_accuracy']:.4f}")
    lines.append(f"{record['achieved_gflops']:.2f} of {record['peak_gflops']:.1f} GFLOP/s peak "
                 f"= {record['fraction_of_peak']:.3f}; the proxy alone {record['proxy_only_steps_per_s']:.0f} "
                 f"steps/s, {record['proxy_only_gflops']:.2f} GFLOP/s = {record['proxy_only_fraction_of_peak']:.3f}")
    for name, v in record.get("variants", {}).items():
        lines.append(f"  {name:<20} x{v['ratio_to_baseline']:.2f}  score diff {v['mean_abs_score_diff_vs_exact']:.4f}  "
                     f"acc {v['mean_proxy_accuracy']:.4f}")
    return "\n".join(lines)


def main(argv):
    del argv
    counts = [int(c) for c in _ENV_COUNTS.value]
    check_flags(counts)
    if not _WORKER.value:  # the worker inherits its 4 devices from the parent
        parallel.use_host_devices(_HOST_DEVICES.value)
    start, load = time.perf_counter(), os.getloadavg()
    prepared = prepare(PrepareConfig(data=DatasetSpec(_DATASET.value), embedder=_EMBEDDER.value, cache_dir=_CACHE.value,
                                     seed=_SEED.value))
    ctx = make_context(prepared, SelectionEnvConfig())
    if _WORKER.value:
        print(json.dumps(sharded_rates(ctx, [int(c) for c in _DEVICES4_ENVS.value], _REPEATS.value)))
        return

    logging.info("(a) fused program at %s envs", counts)
    series, peak = fused_series(ctx, counts, _REPEATS.value)
    best = max(series, key=lambda r: r["env_steps_per_s"])
    best_one = max((r for r in series if r["num_devices"] == 1), key=lambda r: r["env_steps_per_s"])
    masks, fused_scores = visited_states(ctx, jax.random.key(_SEED.value), _STATES.value)
    logging.info("(b, c) per-state loop and sklearn over %d states", len(masks))
    loop_sps, loop_scores = loop_rate(ctx, masks, repeats=3)
    sklearn_sps, sklearn_acc = sklearn_rate(prepared, masks)
    data = ctx.env_params.data
    flops = ridge_flops(data.gram.shape[-1] - 1, data.num_classes, data.x_val.shape[0])
    achieved = flops["total"] * best["env_steps_per_s"] / 1e9
    best_proxy = max(series, key=lambda r: r["proxy_only_steps_per_s"])
    proxy_achieved = flops["total"] * best_proxy["proxy_only_steps_per_s"] / 1e9
    record = {
        "fused_env_steps_per_s": best["env_steps_per_s"],
        "loop_env_steps_per_s": loop_sps,
        "sklearn_env_steps_per_s": sklearn_sps,
        "speedup_vs_loop": best["env_steps_per_s"] / loop_sps,
        "speedup_vs_loop_one_device": best_one["env_steps_per_s"] / loop_sps,  # same resources as the loop
        "speedup_vs_sklearn": best["env_steps_per_s"] / sklearn_sps,
        "fused_proxy_accuracy": float(fused_scores.mean()),
        "sklearn_proxy_accuracy": float(sklearn_acc.mean()),
        "accuracy_gap_points": 100 * float(sklearn_acc.mean() - fused_scores.mean()),
        "loop_vs_fused_max_abs_score_diff": float(np.abs(loop_scores - fused_scores).max()),
        "achieved_gflops": achieved,
        "peak_gflops": peak,
        "fraction_of_peak": achieved / peak,
        "flops_per_env_step": flops,
        "proxy_only_steps_per_s": best_proxy["proxy_only_steps_per_s"],  # the proxy alone, no env around it
        "proxy_only_gflops": proxy_achieved,
        "proxy_only_fraction_of_peak": proxy_achieved / peak,
        "proxy_only_best_num_envs": best_proxy["num_envs"],
        "proxy_only_best_num_devices": best_proxy["num_devices"],
        "best_num_envs": best["num_envs"],
        "best_num_devices": best["num_devices"],
        "one_device_env_steps_per_s": best_one["env_steps_per_s"],
        "one_device_best_num_envs": best_one["num_envs"],
        "per_env_count": series,
    }
    if _VARIANTS.value:
        logging.info("prototype speed-ups at %d envs on one device", best_one["num_envs"])
        record["variants"] = variants(prepared, ctx, best_one["num_envs"], 3 * _REPEATS.value)
    if _SCALING.value:
        logging.info("(e) scaling series")
        record["scaling"] = scaling(prepared, _SCALING_ENVS.value or best_one["num_envs"], _REPEATS.value)
    if _DEVICES4.value:
        logging.info("sharded over 4 host devices (subprocess)")
        record["devices_4"] = devices_4(_DEVICES4_ENVS.value)
    if _OPS.value:
        logging.info("per-op profile")
        record["op_profile_us_per_env_step"] = {
            str(n): op_profile(*fused_call(ctx.env, ctx.env_params, n)) for n in sorted({best_one["num_envs"], max(counts)})}
    record["config"] = {
        "dataset": _DATASET.value, "embedder": _EMBEDDER.value, "dataset_fingerprint": prepared.fingerprint,
        "num_train": len(prepared.train_y), "num_clusters": prepared.pool.num_clusters,
        "num_val_rows": int(data.x_val.shape[0]), "env": dataclasses.asdict(ctx.env_config),
        "env_counts": counts, "env_steps_per_run": _ENV_STEPS.value, "repeats": _REPEATS.value,
        "num_states": len(masks), "sampler": "uniform over valid actions (one draw per env step)",
        "sklearn": "LogisticRegression() defaults, full MiniLM embeddings of every member, env validation rows",
        "peak": f"jnp.dot of two {PEAK_SIZE}^2 float32 matrices, timed in the rounds of (a)",
        "device": str(jax.devices()[0]), "cpu_count": os.cpu_count(), "load_average_start": load,
        "load_average_end": os.getloadavg(), "wall_s": time.perf_counter() - start, "versions": versions(),
    }  # fmt: skip
    print(summary(record))
    if _OUT.value:
        out = pathlib.Path(_OUT.value)
        write_json(out, record)
        plot(record, pathlib.Path(_PLOT.value) if _PLOT.value else out.with_suffix(".png"))


if __name__ == "__main__":
    app.run(main)
