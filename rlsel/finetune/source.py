"""Which examples to finetune on: a whole train split (`selection=full`) or the rows of a selection.json.

With a selection, the dataset and its split settings come from the selection's own config, and the
reloaded splits must have the fingerprint the selection recorded: otherwise its indices would point at
different texts.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from typing import Any

import datasets

from rlsel.data.errors import DataError
from rlsel.data.sources import DatasetSpec, spec_from_config
from rlsel.data.splits import fingerprint

_SELECTION_KEYS = ("method", "dataset", "dataset_fingerprint", "indices", "class_names", "config")
_SPLIT_KEYS = ("split_seed", "val_fraction", "test_fraction")


@dataclasses.dataclass(frozen=True)
class TrainSource:
    """The dataset and its splits to load, plus the selected train rows (None: all of them)."""

    selection: str
    method: str
    data: DatasetSpec
    indices: tuple[int, ...] | None = None
    fingerprint: str | None = None
    class_names: tuple[str, ...] | None = None


def _read_selection(path: pathlib.Path) -> dict:
    if not path.is_file():
        raise ValueError(f"selection file {path} does not exist; run experiments/select.py or pass selection=full.")
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"selection file {path} is not valid JSON ({err}); rerun the selection.") from err
    if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
        raise ValueError(f"selection file {path} is not a selection record; was it written by experiments/select.py?")
    missing = [k for k in _SELECTION_KEYS if k not in record]
    missing += [f"config.prepare.{k}" for k in _SPLIT_KEYS if k not in record["config"].get("prepare", {})]
    if missing:
        raise ValueError(f"selection file {path} lacks {missing}; was it written by experiments/select.py?")
    return record


def _index_problem(index: Any, seen: set[int]) -> str | None:
    """Why `index` cannot name a train row (None when it can): not an integer, negative, or repeated."""
    if isinstance(index, bool) or not isinstance(index, int):
        return "is not an integer"
    if index < 0:
        return "is negative"
    return "repeats an earlier index" if index in seen else None


def _read_indices(record: dict, path: pathlib.Path) -> tuple[int, ...]:
    """The selection's train rows: a non-empty list of distinct non-negative integers, else a ValueError."""
    indices = record["indices"]
    if not isinstance(indices, list) or not indices:
        raise ValueError(f"selection file {path}: 'indices' must be a non-empty list of train rows; "
                         "rerun the selection.")
    seen = set()
    for position, index in enumerate(indices):
        problem = _index_problem(index, seen)
        if problem:
            raise ValueError(f"selection file {path}: indices[{position}] = {index!r} {problem}; the file was edited "
                             "or damaged: rerun the selection.")
        seen.add(index)
    return tuple(indices)


def resolve_source(selection: str, dataset: str, full: DatasetSpec) -> TrainSource:
    """The examples a finetune trains on: `selection` (a selection.json path), or with `selection=full` every
    train row of `full`. A `dataset` given beside a selection must be the selection's own."""
    if selection == "full":
        return TrainSource("full", "full", full)
    path = pathlib.Path(selection).expanduser()
    record = _read_selection(path)
    if dataset and dataset != record["dataset"]:
        raise ValueError(f"--config.dataset={dataset} differs from the dataset of {path} "
                         f"({record['dataset']}); leave it empty to use the selection's dataset.")
    data = dataclasses.replace(spec_from_config(record["config"]), dataset=record["dataset"])
    return TrainSource(str(path), record["method"], data, _read_indices(record, path), record["dataset_fingerprint"],
                       tuple(record["class_names"]))


def load_source(source: TrainSource) -> tuple[datasets.DatasetDict, datasets.Dataset, str]:
    """`(splits, train_examples, fingerprint)`; raises DataError if a selection no longer matches the data."""
    splits = source.data.load()
    fp = fingerprint(splits)
    if source.indices is None:
        return splits, splits["train"], fp
    if fp != source.fingerprint:
        raise DataError(f"dataset {source.data.dataset} now has fingerprint {fp}, but {source.selection} was made on "
                        f"{source.fingerprint}: the data or split settings changed; rerun the selection.")
    names = tuple(splits["train"].features["label"].names)
    if names != source.class_names:
        raise DataError(f"class names {list(names)} differ from the selection's {list(source.class_names)}.")
    n = len(splits["train"])
    beyond = next((i for i in source.indices if i >= n), None)
    if beyond is not None:
        raise DataError(f"selection file {source.selection}: index {beyond} is out of range for the {n} train rows of "
                        f"{source.data.dataset}; rerun the selection.")
    return splits, splits["train"].select(source.indices), fp
