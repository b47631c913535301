"""One entry point from a dataset spec to a `DatasetDict` with train/validation/test, `text` and `label`.

Specs: a built-in name (`movie_sentences`, `tweet_sentiment`, `newsgroups20`, `reuters8`), `hf:ID` for the
Hugging Face hub (or a local dataset script/folder), or a path to a local .csv/.tsv/.jsonl/.json/.parquet file.
A .json file holds an array of records or JSON Lines. A local file's text is decoded with `encoding`
(default UTF-8); a row that does not decode is refused by number, never passed on as a `b'...'` string.
A local file may bring its own embeddings (`precomputed`, see rlsel/data/vectors.py).
"""

from __future__ import annotations

import dataclasses
import io
import json
import pathlib
import re
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet

from rlsel.data.builtin import BUILTIN
from rlsel.data.errors import DataError
from rlsel.data.noise import with_label_noise
from rlsel.data.splits import build_splits
from rlsel.data.vectors import PRECOMPUTED, attach_vectors, read_vectors

_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that did not decode, kept by errors="surrogateescape"
_SHAPE = 'an array of records [{"text": ..., "label": ...}, ...] or JSON Lines (one such object per line)'


def _decode(raw: bytes, encoding: str) -> str:
    """`raw` as text; undecodable bytes stay as escapes so `_check_values` can name the row that holds them."""
    return raw.decode(encoding, "surrogateescape").removeprefix("\ufeff")


def _table_columns(table: pa.Table, encoding: str) -> dict:
    """An Arrow table as lists; binary columns (pyarrow's answer to invalid UTF-8) decoded with `encoding`."""
    def values(column: pa.ChunkedArray) -> list:
        if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            return [None if v is None else _decode(v, encoding) for v in column.to_pylist()]
        return column.to_pylist()

    return {name: values(table[name]) for name in table.column_names}


def _read_csv(path: pathlib.Path, encoding: str, delimiter: str) -> dict:
    """A csv/tsv file, transcoded to UTF-8 first so any `encoding` works and bad bytes reach one row."""
    data = _decode(path.read_bytes(), encoding).encode("utf-8", "surrogateescape")
    table = pa_csv.read_csv(io.BytesIO(data), parse_options=pa_csv.ParseOptions(delimiter=delimiter))
    return _table_columns(table, "utf-8")


def _json_kind(value: Any) -> str:
    """JSON's own name for the type of a parsed value, for error messages."""
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def _json_line(line: str, number: int, path: pathlib.Path) -> Any:
    """One JSON Lines record, or a DataError naming its line."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: line {number} is not valid JSON ({err.msg}); expected {_SHAPE}") from err


def _read_json(path: pathlib.Path, encoding: str) -> dict:
    """A .json/.jsonl file holding a top-level array of records or JSON Lines, as columns."""
    text = _decode(path.read_bytes(), encoding)
    try:
        records = json.loads(text)
    except json.JSONDecodeError as err:
        if text.lstrip().startswith("["):
            raise DataError(f"{path} is not valid JSON ({err}); expected {_SHAPE}") from err
        records = [_json_line(line, n, path) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not isinstance(records, list):
        raise DataError(f"{path} holds a single JSON {_json_kind(records)}; expected {_SHAPE}")
    bad = next((i for i, r in enumerate(records) if not isinstance(r, dict)), None)
    if bad is not None:
        raise DataError(f"{path}: record {bad + 1} is a JSON {_json_kind(records[bad])}; expected {_SHAPE}")
    return {name: [r.get(name) for r in records] for name in dict.fromkeys(k for r in records for k in r)}


FILE_READERS = {
    ".csv": lambda path, encoding: _read_csv(path, encoding, ","),
    ".tsv": lambda path, encoding: _read_csv(path, encoding, "\t"),
    ".jsonl": _read_json,
    ".json": _read_json,
    ".parquet": lambda path, encoding: _table_columns(pa_parquet.read_table(path), encoding),
}
_VALIDATION_NAMES = ("validation", "valid", "dev")


def _check_values(values: list, column: str, where: str, encoding: str) -> None:
    """Refuse values that are not plain text: undecodable bytes, or nested lists and objects."""
    for row, value in enumerate(values, 1):
        if isinstance(value, (list, dict)):
            raise DataError(f"{where}: row {row} of column '{column}' holds a {type(value).__name__}, not a single "
                            "value; point --config.text_column / --config.label_column at plain columns")
        if isinstance(value, str) and _ESCAPED.search(value):
            raise DataError(f"{where}: row {row} of column '{column}' is not valid {encoding} text; re-save the "
                            "file as UTF-8 or pass --config.encoding=NAME (e.g. latin-1)")


def _columns(table: dict, text_column: str, label_column: str, where: str,
             encoding: str = "utf-8") -> tuple[list[str], list]:
    """Pull and check the text and label columns: present, plain text, no empty texts, no missing labels."""
    for column in (text_column, label_column):
        if column not in table:
            raise DataError(
                f"{where} has no column '{column}' (columns: {sorted(table)}); "
                "set --config.text_column / --config.label_column"
            )
        _check_values(table[column], column, where, encoding)
    texts, labels = table[text_column], table[label_column]
    bad = [row for row, t in enumerate(texts, 1) if t is None or not str(t).strip()]
    if bad:
        raise DataError(
            f"{where}: {len(bad)} rows have an empty text in column '{text_column}' (first rows: "
            f"{bad[:5]}); remove or fill them"
        )
    missing = [row for row, v in enumerate(labels, 1) if v is None]
    if missing:
        raise DataError(f"{where}: {len(missing)} rows have no label (first rows: {missing[:5]})")
    return [str(t) for t in texts], list(labels)


def read_file(path: pathlib.Path, encoding: str = "utf-8") -> dict:
    """A local data file as columns, decoded from `encoding`."""
    if not path.exists():
        raise DataError(f"dataset file {path} does not exist; pass a built-in name, hf:ID or an existing file")
    reader = FILE_READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"unsupported file format '{path.suffix}' for {path}; use one of {sorted(FILE_READERS)}")
    try:
        b"\xff".decode(encoding, "surrogateescape")  # unknown codecs, bytes-to-bytes ones (base64), idna
    except (LookupError, UnicodeError) as err:
        raise DataError(f"unknown text encoding '{encoding}' ({err}); pass a Python codec name such as utf-8 or "
                        "latin-1") from err
    try:
        return reader(path, encoding)
    except UnicodeError as err:  # errors="surrogateescape" keeps only bytes >= 0x80; e.g. odd-length UTF-16 fails
        raise DataError(f"could not decode {path} as {encoding} ({err}); re-save it as UTF-8 or pass "
                        "--config.encoding=NAME") from err
    except (pa.ArrowInvalid, OSError) as err:
        raise DataError(f"could not parse {path}: {err}") from err


def _hf_split(ds: datasets.Dataset, text_column: str, label_column: str, where: str) -> tuple[list[str], list]:
    table = {c: ds[c] for c in ds.column_names}
    texts, labels = _columns(table, text_column, label_column, where)
    feature = ds.features[label_column]
    if isinstance(feature, datasets.ClassLabel):
        labels = [feature.int2str(v) for v in labels]
    return texts, labels


def _load_hf(hub_id: str, text_column: str, label_column: str, hf_config: str | None):
    try:
        dd = datasets.load_dataset(hub_id, hf_config)
    except Exception as err:  # the hub raises many types; all mean "could not load this spec"
        raise DataError(f"could not load Hugging Face dataset '{hub_id}': {err}") from err
    if "train" not in dd:
        raise DataError(f"Hugging Face dataset '{hub_id}' has no 'train' split (splits: {list(dd)})")
    parts = {"train": _hf_split(dd["train"], text_column, label_column, f"hf:{hub_id}[train]")}
    if "test" in dd:
        parts["test"] = _hf_split(dd["test"], text_column, label_column, f"hf:{hub_id}[test]")
    for name in _VALIDATION_NAMES:
        if name in dd:
            parts["validation"] = _hf_split(dd[name], text_column, label_column, f"hf:{hub_id}[{name}]")
            break
    return parts


def _builtin(name: str) -> dict:
    """(texts, labels, row_ids) per source split; row ids count the source's records, empty texts included."""
    parts = {}
    for split, records in zip(("train", "test"), BUILTIN[name]()):
        if records is not None:
            parts[split] = tuple(map(list, zip(*[(t, y, row) for row, (t, y) in enumerate(records) if t.strip()])))
    return parts


def load_splits(
    spec: str,
    *,
    text_column: str = "text",
    label_column: str = "label",
    seed: int = 0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    hf_config: str | None = None,
    encoding: str = "utf-8",
    precomputed: bool = False,
    embedding_column: str = "",
) -> datasets.DatasetDict:
    """Load `spec` into deterministic train/validation/test splits with `text`, ClassLabel `label` and `row_id`;
    `encoding` is the codec of a local file's text (built-in and hf: sets decode themselves). With `precomputed`,
    a local file's own vectors (`embedding_column`, else FILE.npy) become each split's `embedding` column."""
    vectors = None
    if spec in BUILTIN or spec.startswith("hf:"):
        if precomputed:
            raise DataError(f"precomputed embeddings come with a local data file (FILE.npy beside it, or an "
                            f"embedding column); '{spec}' is not one: use another --config.prepare.embedder")
        parts = _builtin(spec) if spec in BUILTIN else _load_hf(spec[3:], text_column, label_column, hf_config)
    else:
        path = pathlib.Path(spec).expanduser()
        if path.suffix == "" and not path.exists():
            raise DataError(
                f"unknown dataset '{spec}': use a built-in name ({', '.join(BUILTIN)}), hf:ID, or a file path"
            )
        table = read_file(path, encoding)
        parts = {"train": _columns(table, text_column, label_column, str(path), encoding)}
        if precomputed:
            vectors = read_vectors(path, table, embedding_column, len(parts["train"][0]))
    splits = build_splits(
        parts["train"],
        parts.get("test"),
        validation=parts.get("validation"),
        seed=seed,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
    )
    return splits if vectors is None else attach_vectors(splits, vectors)


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What to load and how to split it: equal specs load the same splits (same fingerprint)."""

    dataset: str = "movie_sentences"
    text_column: str = "text"
    label_column: str = "label"
    hf_config: str | None = None
    split_seed: int = 0
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    encoding: str = "utf-8"
    label_noise: float = 0.0  # fraction of train labels flipped, seeded by split_seed (val and test clean)
    precomputed: bool = False  # the file brings its vectors: `embedding_column`, else FILE.npy beside it
    embedding_column: str = ""

    def __post_init__(self):
        if self.embedding_column and not self.precomputed:
            raise DataError(f"embedding_column='{self.embedding_column}' names precomputed vectors: also set "
                            "--config.prepare.embedder=precomputed to use them in place of the encoder")

    def load(self) -> datasets.DatasetDict:
        splits = load_splits(self.dataset, text_column=self.text_column, label_column=self.label_column,
                             seed=self.split_seed, val_fraction=self.val_fraction,
                             test_fraction=self.test_fraction, hf_config=self.hf_config, encoding=self.encoding,
                             precomputed=self.precomputed, embedding_column=self.embedding_column)
        return with_label_noise(splits, self.label_noise, self.split_seed * 1000 + 4)


def spec_from_config(config: Any) -> DatasetSpec:
    """The spec of a select or finetune config (a ConfigDict, or the dict a selection.json records): its
    top-level dataset fields, `prepare`'s split fields and whether its embedder is `precomputed`; an empty dataset
    means the default."""
    default, prepare = DatasetSpec(), config.get("prepare") or {}
    return DatasetSpec(
        dataset=config.get("dataset") or default.dataset,
        text_column=config.get("text_column", default.text_column),
        label_column=config.get("label_column", default.label_column),
        hf_config=config.get("hf_config") or None,
        split_seed=prepare.get("split_seed", default.split_seed),
        val_fraction=prepare.get("val_fraction", default.val_fraction),
        test_fraction=prepare.get("test_fraction", default.test_fraction),
        encoding=config.get("encoding", default.encoding),
        label_noise=float(config.get("label_noise", default.label_noise)),
        precomputed=prepare.get("embedder") == PRECOMPUTED,
        embedding_column=config.get("embedding_column", default.embedding_column),
    )
