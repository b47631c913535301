"""One entry point from a dataset spec to a `DatasetDict` with train/validation/test, `text` and `label`.

Specs: a built-in name (`movie_sentences`, `tweet_sentiment`, `newsgroups20`, `reuters8`), `hf:ID` for the
Hugging Face hub (or a local dataset script/folder), or a path to a local .csv/.tsv/.jsonl/.json/.parquet file.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pa_parquet

from rlsel.data.builtin import BUILTIN
from rlsel.data.errors import DataError
from rlsel.data.splits import build_splits

FILE_READERS = {
    ".csv": lambda p: pa_csv.read_csv(p),
    ".tsv": lambda p: pa_csv.read_csv(p, parse_options=pa_csv.ParseOptions(delimiter="\t")),
    ".jsonl": lambda p: pa_json.read_json(p),
    ".json": lambda p: pa_json.read_json(p),
    ".parquet": lambda p: pa_parquet.read_table(p),
}
_VALIDATION_NAMES = ("validation", "valid", "dev")


def _columns(table: dict, text_column: str, label_column: str, where: str) -> tuple[list[str], list]:
    """Pull and check the text and label columns: present, no empty or missing texts, no missing labels."""
    for column in (text_column, label_column):
        if column not in table:
            raise DataError(
                f"{where} has no column '{column}' (columns: {sorted(table)}); "
                "set --config.text_column / --config.label_column"
            )
    texts, labels = table[text_column], table[label_column]
    bad = [i for i, t in enumerate(texts) if t is None or not str(t).strip()]
    if bad:
        raise DataError(
            f"{where}: {len(bad)} rows have an empty text in column '{text_column}' (first rows: "
            f"{bad[:5]}); remove or fill them"
        )
    missing = [i for i, v in enumerate(labels) if v is None]
    if missing:
        raise DataError(f"{where}: {len(missing)} rows have no label (first rows: {missing[:5]})")
    return [str(t) for t in texts], list(labels)


def _read_file(path: pathlib.Path) -> dict:
    if not path.exists():
        raise DataError(f"dataset file {path} does not exist; pass a built-in name, hf:ID or an existing file")
    reader = FILE_READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"unsupported file format '{path.suffix}' for {path}; use one of {sorted(FILE_READERS)}")
    try:
        table: pa.Table = reader(str(path))
    except (pa.ArrowInvalid, OSError) as err:
        raise DataError(f"could not parse {path}: {err}") from err
    return table.to_pydict()


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
    train, test = BUILTIN[name]()
    parts = {"train": tuple(zip(*[(t, y) for t, y in train if t.strip()]))}
    if test is not None:
        parts["test"] = tuple(zip(*[(t, y) for t, y in test if t.strip()]))
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
) -> datasets.DatasetDict:
    """Load `spec` into deterministic train/validation/test splits with `text` and ClassLabel `label`."""
    if spec in BUILTIN:
        parts = _builtin(spec)
    elif spec.startswith("hf:"):
        parts = _load_hf(spec[3:], text_column, label_column, hf_config)
    else:
        path = pathlib.Path(spec).expanduser()
        if path.suffix == "" and not path.exists():
            raise DataError(
                f"unknown dataset '{spec}': use a built-in name ({', '.join(BUILTIN)}), hf:ID, or a file path"
            )
        parts = {"train": _columns(_read_file(path), text_column, label_column, str(path))}
    return build_splits(
        parts["train"],
        parts.get("test"),
        validation=parts.get("validation"),
        seed=seed,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
    )


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

    def load(self) -> datasets.DatasetDict:
        return load_splits(self.dataset, text_column=self.text_column, label_column=self.label_column,
                           seed=self.split_seed, val_fraction=self.val_fraction, test_fraction=self.test_fraction,
                           hf_config=self.hf_config)


def spec_from_config(config: Any) -> DatasetSpec:
    """The spec of a select or finetune config (a ConfigDict, or the dict a selection.json records): its
    top-level dataset fields and `prepare`'s split fields; an empty dataset means the default."""
    default, prepare = DatasetSpec(), config.get("prepare") or {}
    return DatasetSpec(
        dataset=config.get("dataset") or default.dataset,
        text_column=config.get("text_column", default.text_column),
        label_column=config.get("label_column", default.label_column),
        hf_config=config.get("hf_config") or None,
        split_seed=prepare.get("split_seed", default.split_seed),
        val_fraction=prepare.get("val_fraction", default.val_fraction),
        test_fraction=prepare.get("test_fraction", default.test_fraction),
    )
