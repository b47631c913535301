"""K-Means quality and speed: our JAX K-Means against sklearn `KMeans(n_init=1)`, side by side.

  python benchmarks/kmeans_quality.py --embeddings=emb.npy --out=kmeans.json

(a) quality: inertia ratio ours / sklearn on the embeddings (or synthetic embedding-like data when
--embeddings is not given) over several seeds; (b) speed: n x d points into k clusters, compile time and
run time after compile, with sklearn's time on the same data for a ratio.
"""

from __future__ import annotations

import json
import os
import statistics
import time

import jax
import numpy as np
from absl import app, flags
from sklearn.cluster import KMeans

from rlsel.data.kmeans import kmeans

_EMBEDDINGS = flags.DEFINE_string("embeddings", None, "[n, d] .npy of embeddings; synthetic if unset.")
_OUT = flags.DEFINE_string("out", None, "Write the JSON report here (also printed).")
_K = flags.DEFINE_integer("k", 100, "Clusters for the quality run.")
_SEEDS = flags.DEFINE_integer("seeds", 5, "Seeds for the quality run.")
_SYNTH_N = flags.DEFINE_integer("synthetic_n", 5000, "Points of the synthetic quality set.")
_SPEED_N = flags.DEFINE_integer("speed_n", 10_000, "Points for the speed run.")
_SPEED_D = flags.DEFINE_integer("speed_d", 384, "Dimensions for the speed run.")
_SPEED_K = flags.DEFINE_integer("speed_k", 100, "Clusters for the speed run.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed runs after compile (median reported).")


def embedding_like(n: int, d: int, seed: int = 0, topics: int = 60) -> np.ndarray:
    """Unit-norm points around Zipf-weighted random topic directions, like sentence embeddings."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, topics + 1)
    topic = rng.choice(topics, size=n, p=weights / weights.sum())
    x = rng.normal(size=(topics, d))[topic] + 1.5 * rng.normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _timed(fn):
    start = time.perf_counter()
    out = jax.block_until_ready(fn())
    return out, time.perf_counter() - start


def quality(x: np.ndarray, k: int, seeds: int) -> dict:
    """Inertia of ours and of sklearn per seed, and the mean of the per-seed ratios."""
    ours, theirs, our_s, their_s, iters = [], [], [], [], []
    for seed in range(seeds):
        result, seconds = _timed(lambda: kmeans(jax.random.PRNGKey(seed), x, k))
        ours.append(float(result.inertia))
        our_s.append(seconds)
        iters.append(int(result.num_iters))
        fitted, seconds = _timed(lambda: KMeans(k, n_init=1, random_state=seed).fit(x))
        theirs.append(float(fitted.inertia_))
        their_s.append(seconds)
    ratios = [a / b for a, b in zip(ours, theirs)]
    return {
        "n": x.shape[0], "d": x.shape[1], "k": k, "ours_inertia": ours, "sklearn_inertia": theirs,
        "ratios": ratios, "mean_ratio": statistics.mean(ratios), "ours_num_iters": iters,
        "ours_wall_s": our_s, "sklearn_wall_s": their_s,
    }  # fmt: skip


def speed(n: int, d: int, k: int, repeats: int) -> dict:
    """Compile time (first call minus a compiled run) and median run time, beside sklearn's."""
    x = embedding_like(n, d, seed=1)

    def fit():
        return kmeans(jax.random.PRNGKey(0), x, k)

    result, first_s = _timed(fit)
    run_s = statistics.median(_timed(fit)[1] for _ in range(repeats))
    sklearn_s = _timed(lambda: KMeans(k, n_init=1, random_state=0).fit(x))[1]
    iters = int(result.num_iters)
    return {
        "n": n, "d": d, "k": k, "first_call_s": first_s, "compile_s": first_s - run_s, "run_s": run_s,
        "num_iters": iters, "s_per_iter": run_s / iters, "sklearn_s": sklearn_s,
        "sklearn_over_ours": sklearn_s / run_s,
    }  # fmt: skip


def main(argv):
    del argv
    if _EMBEDDINGS.value and not os.path.isfile(_EMBEDDINGS.value):
        raise app.UsageError(f"--embeddings={_EMBEDDINGS.value} is not a file; pass an [n, d] .npy")
    if _EMBEDDINGS.value:
        x, source = np.load(_EMBEDDINGS.value).astype(np.float32), _EMBEDDINGS.value
    else:
        x, source = embedding_like(_SYNTH_N.value, 384), "synthetic embedding_like(n, 384)"
    report = {
        "device": str(jax.devices()[0]),
        "quality": {"source": source, **quality(x, _K.value, _SEEDS.value)},
        "speed": speed(_SPEED_N.value, _SPEED_D.value, _SPEED_K.value, _REPEATS.value),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if _OUT.value:
        with open(_OUT.value + ".tmp", "w") as f:
            f.write(text + "\n")
        os.replace(_OUT.value + ".tmp", _OUT.value)


if __name__ == "__main__":
    app.run(main)
