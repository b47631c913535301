"""Tokenise a labelled `datasets.Dataset` and cut it into padded batches of a few static shapes.

Every batch has exactly `batch_size` rows and a length taken from `length_buckets(max_length)`, so jit
compiles one program per bucket. Training batches are length-grouped: a shuffled window of
`window * batch_size` examples is sorted by length and cut into batches, which are then shuffled, so
padding stays small while the order stays random.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

import datasets
import numpy as np
from tokenizers import Tokenizer

BUCKETS = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512)
PAD_ID = 0  # any id works: padded positions are masked out of attention and pooling


@dataclasses.dataclass(frozen=True)
class Encoded:
    """Token ids per example (at most `max_length` each) and integer labels."""

    ids: tuple[np.ndarray, ...]
    labels: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(x) for x in self.ids], np.int64)


def length_buckets(max_length: int) -> tuple[int, ...]:
    """Padded lengths used for batches: the standard buckets below `max_length`, then `max_length`."""
    return tuple(b for b in BUCKETS if b < max_length) + (max_length,)


def encode(tokenizer: Tokenizer, ds: datasets.Dataset, max_length: int) -> Encoded:
    """Tokenise `ds["text"]` (special tokens included, truncated to `max_length`) with its `label`s."""
    missing = {"text", "label"} - set(ds.column_names)
    if missing:
        raise ValueError(f"dataset lacks columns {sorted(missing)}; it needs `text` and integer `label`.")
    tokenizer = Tokenizer.from_str(tokenizer.to_str())  # a private copy: padding/truncation are stateful
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    ids = tuple(np.asarray(e.ids, np.int32) for e in tokenizer.encode_batch(ds["text"]))
    empty = [i for i, x in enumerate(ids) if len(x) == 0]
    if empty:
        raise ValueError(f"{len(empty)} texts tokenise to nothing (first rows {empty[:5]}); drop them.")
    return Encoded(ids=ids, labels=np.asarray(ds["label"], np.int32))


def pad(data: Encoded, rows: np.ndarray, batch_size: int, buckets: tuple[int, ...]):
    """`(ids, mask)` of shape [batch_size, L] for `rows` (extra rows all padding); L is the smallest bucket."""
    length = next(b for b in buckets if b >= max(len(data.ids[r]) for r in rows))
    ids = np.full((batch_size, length), PAD_ID, np.int32)
    mask = np.zeros((batch_size, length), np.int32)
    for i, r in enumerate(rows):
        ids[i, : len(data.ids[r])] = data.ids[r]
        mask[i, : len(data.ids[r])] = 1
    return ids, mask


def train_batches(rng: np.random.Generator, lengths: np.ndarray, batch_size: int,
                  window: int = 8) -> Iterator[np.ndarray]:
    """Endless full batches of row indices, length-grouped within shuffled windows (module docstring).

    The rows come from back-to-back random permutations, so over whole epochs every example is used
    equally often, and subsets smaller than a batch still fill it. The window never exceeds the data, so
    sorting does not gather copies of one example into one batch.
    """
    window = max(1, min(window, len(lengths) // batch_size))
    stream = np.empty(0, np.int64)
    size = window * batch_size
    while True:
        while len(stream) < size:
            stream = np.concatenate([stream, rng.permutation(len(lengths))])
        chunk, stream = stream[:size], stream[size:]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        yield from (chunk[i * batch_size:(i + 1) * batch_size] for i in rng.permutation(window))


def eval_batches(lengths: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Row indices in length order, `batch_size` at a time (the last batch may be short)."""
    order = np.argsort(lengths, kind="stable")
    yield from (order[i:i + batch_size] for i in range(0, len(order), batch_size))
