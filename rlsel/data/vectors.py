"""Precomputed embeddings brought by a local data file, used in place of the built-in encoder.

Two sources: `FILE.npy` beside the data file (same stem; row i embeds data row i), or a column of the file
whose values are lists of numbers (or, in a csv, JSON arrays). The vectors are checked (2-D, one row per
data row, finite), scaled to unit length like every built-in embedder's output, and attached to each split
as an `embedding` column picked by `row_id`; so the dataset fingerprint, and every cache keyed by it, covers
them, and a finetune that reloads the selection's data gets the same fingerprint.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Sequence

import datasets
import numpy as np

from rlsel.data.embed import embed_with_cache, get_embedder, l2_normalize
from rlsel.data.errors import DataError
from rlsel.data.splits import EMBEDDING

PRECOMPUTED = "precomputed"  # the embedder name that reads the data's own vectors


def beside(path: pathlib.Path) -> pathlib.Path:
    """Where a data file's vectors live: same folder and stem, `.npy`."""
    return path.with_suffix(".npy")


def check_vectors(vectors, num_rows: int, where: str) -> np.ndarray:
    """`vectors` as unit-length float32 rows `[num_rows, dim]`, or a DataError saying what is wrong."""
    array = np.asarray(vectors)
    if array.ndim != 2 or array.shape[1] < 1:
        raise DataError(f"{where} must be a 2-D array [rows, dim]; got shape {array.shape}")
    if array.dtype.kind not in "iuf":
        raise DataError(f"{where} must hold numbers; got dtype {array.dtype}")
    if array.shape[0] != num_rows:
        raise DataError(f"{where} has {array.shape[0]} rows but the data has {num_rows}; row i must embed data row i")
    bad = np.flatnonzero(~np.isfinite(array).all(axis=1))
    if len(bad):
        raise DataError(f"{where}: {len(bad)} rows hold NaN or infinite values (first rows, 0-based: "
                        f"{bad[:5].tolist()}); fix or drop them")
    return l2_normalize(array)


def _from_npy(path: pathlib.Path) -> np.ndarray:
    npy = beside(path)
    if not npy.is_file():
        raise DataError(f"prepare.embedder={PRECOMPUTED} reads the vectors of {path} from {npy} (row i embeds data "
                        "row i) or from a column named by --config.embedding_column; neither was given")
    try:
        return np.load(npy, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise DataError(f"could not read {npy} as a numpy array: {err}") from err


def _from_column(table: dict, column: str, path: pathlib.Path) -> np.ndarray:
    if column not in table:
        raise DataError(f"{path} has no column '{column}' (columns: {sorted(table)}); set --config.embedding_column")
    rows = []
    for row, value in enumerate(table[column]):
        try:
            value = json.loads(value) if isinstance(value, str) else value
            rows.append(np.asarray(value, np.float64).reshape(-1))
        except (ValueError, TypeError) as err:
            raise DataError(f"{path}: row {row} (0-based) of column '{column}' is not a list of numbers") from err
    sizes = sorted({len(r) for r in rows})
    if len(sizes) > 1:
        raise DataError(f"{path}: column '{column}' holds vectors of different lengths {sizes[:5]}")
    return np.stack(rows) if rows else np.zeros((0, 0))


def read_vectors(path: pathlib.Path, table: dict, column: str, num_rows: int) -> np.ndarray:
    """The checked vectors of a data file's `num_rows` rows: its `column`, or FILE.npy when `column` is empty."""
    vectors = _from_column(table, column, path) if column else _from_npy(path)
    return check_vectors(vectors, num_rows, f"column '{column}' of {path}" if column else str(beside(path)))


def attach_vectors(splits: datasets.DatasetDict, vectors: np.ndarray) -> datasets.DatasetDict:
    """Each split with an `embedding` column: the rows of `vectors` named by its `row_id`."""
    feature = datasets.Sequence(datasets.Value("float32"), length=vectors.shape[1])
    return datasets.DatasetDict({
        name: split.add_column(EMBEDDING, vectors[np.asarray(split["row_id"])].tolist(), feature=feature)
        for name, split in splits.items()
    })


def split_embeddings(embedder: str, splits: datasets.DatasetDict, names: Sequence[str],
                     cache_dir: str | os.PathLike) -> list[np.ndarray]:
    """Vectors of the named splits: their own `embedding` column under `precomputed`, else the named
    embedder's (through the embedding cache)."""
    if embedder == PRECOMPUTED:
        if EMBEDDING not in splits[names[0]].column_names:
            raise ValueError(f"embedder={PRECOMPUTED} needs data loaded with its vectors "
                             "(DatasetSpec(precomputed=True), from prepare.embedder=precomputed)")
        return [np.asarray(splits[name].with_format("numpy")[EMBEDDING], np.float32) for name in names]
    model = get_embedder(embedder)
    return [embed_with_cache(model, splits[name]["text"], cache_dir) for name in names]
