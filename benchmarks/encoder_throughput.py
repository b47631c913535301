"""MiniLM encoder throughput (sentences/s) on short movie-review sentences, compile time reported apart.

    .venv/bin/python benchmarks/encoder_throughput.py --num_sentences=2000 [--out=FILE.json]

Embeds the same sentences twice: the first pass compiles one program per length bucket, the second is
timed as steady state. On a shared machine absolute numbers swing with load, so the same run also times
a plain jitted matmul of the encoder's size: `matmul_efficiency` (model FLOP/s over matmul FLOP/s) is
the load-independent figure. Prints one JSON object (and writes it to --out when given).
"""

import io
import json
import os
import sys
import tarfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from rlsel.data.embed import MiniLMEmbedder, length_batches
from rlsel.models.bert import BertConfig

_ASSET = Path(sys.prefix) / "assets" / "vaderSentiment-3.3.2.tar.gz"
_INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
_SNIPPETS = "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"

flags.DEFINE_integer("num_sentences", 2000, "How many movie-review sentences to embed.")
flags.DEFINE_integer("batch_size", 64, "Rows per batch for short texts.")
flags.DEFINE_integer("max_batch_tokens", 4096, "Cap on padded tokens per batch.")
flags.DEFINE_enum("dtype", "float32", ["float32", "bfloat16"], "Compute dtype of the encoder.")
flags.DEFINE_string("out", None, "Optional path for the JSON result.")
FLAGS = flags.FLAGS


def movie_sentences(limit: int) -> list[str]:
    """The first `limit` sentences of VADER's movie-review snippets (nested tar in the vaderSentiment sdist)."""
    if not _ASSET.is_file():
        raise SystemExit(f"{_ASSET} not found; run `make install` (it downloads the vaderSentiment sdist).")
    with tarfile.open(_ASSET) as outer:
        inner_bytes = outer.extractfile(_INNER).read()
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        lines = inner.extractfile(_SNIPPETS).read().decode("utf-8").splitlines()
    return [line.split("\t", 2)[2].strip() for line in lines if line.count("\t") >= 2][:limit]


def forward_flops(config: BertConfig, batch_shapes: list[tuple[int, int]]) -> float:
    """Multiply-add FLOPs of the encoder's matmuls (dense layers and attention) over padded batches."""
    h, i, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_token = 2 * layers * (4 * h * h + 2 * h * i)
    return float(sum(b * t * (per_token + 2 * layers * 2 * t * h) for b, t in batch_shapes))


def matmul_gflops(hidden: int, inner: int, rows: int = 2048, repeats: int = 10) -> float:
    """Throughput of one jitted [rows, hidden] x [hidden, inner] matmul: what this machine gives right now."""
    x, w = jnp.ones((rows, hidden), jnp.float32), jnp.ones((hidden, inner), jnp.float32)
    matmul = jax.jit(jnp.matmul)
    matmul(x, w).block_until_ready()
    start = time.perf_counter()
    for _ in range(repeats):
        matmul(x, w).block_until_ready()
    return 2 * rows * hidden * inner * repeats / (time.perf_counter() - start) / 1e9


def main(argv):
    del argv
    texts = movie_sentences(FLAGS.num_sentences)
    embedder = MiniLMEmbedder(batch_size=FLAGS.batch_size, max_batch_tokens=FLAGS.max_batch_tokens,
                              dtype=jnp.dtype(FLAGS.dtype))
    token_ids = [e.ids for e in embedder.tokenizer.encode_batch(texts)]
    tokens = np.array([len(t) for t in token_ids])
    shapes = [ids.shape for _, ids, _ in length_batches(
        token_ids, embedder.buckets, FLAGS.batch_size, FLAGS.max_batch_tokens)]
    start = time.perf_counter()
    first = embedder.embed(texts)
    first_s = time.perf_counter() - start
    matmul_before = matmul_gflops(embedder.config.hidden_size, embedder.config.intermediate_size)
    start = time.perf_counter()
    second = embedder.embed(texts)
    steady_s = time.perf_counter() - start
    matmul_after = matmul_gflops(embedder.config.hidden_size, embedder.config.intermediate_size)
    model_gflops = forward_flops(embedder.config, shapes) / steady_s / 1e9
    result = {
        "sentences": len(texts),
        "mean_tokens": round(float(tokens.mean()), 2),
        "max_tokens": int(tokens.max()),
        "steady_s": round(steady_s, 3),
        "sentences_per_s": round(len(texts) / steady_s, 1),
        "tokens_per_s": round(float(tokens.sum()) / steady_s, 1),
        "padded_tokens_ratio": round(sum(b * t for b, t in shapes) / float(tokens.sum()), 3),
        "model_gflops": round(model_gflops, 1),
        "matmul_gflops": round((matmul_before + matmul_after) / 2, 1),
        "matmul_efficiency": round(2 * model_gflops / (matmul_before + matmul_after), 3),
        "first_pass_s": round(first_s, 3),
        "compile_s_estimate": round(first_s - steady_s, 3),
        "passes_agree": bool(np.allclose(first, second, atol=1e-5)),
        "compiled_shapes": len(set(shapes)),
        "buckets": list(embedder.buckets),
        "batch_size": FLAGS.batch_size,
        "max_batch_tokens": FLAGS.max_batch_tokens,
        "dtype": FLAGS.dtype,
        "device": str(jax.devices()[0]),
        "cpu_count": os.cpu_count(),
        "jax_version": jax.__version__,
    }
    text = json.dumps(result)
    print(text)
    if FLAGS.out:
        Path(FLAGS.out).write_text(text + "\n")


if __name__ == "__main__":
    app.run(main)
