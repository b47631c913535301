"""Turn raw (text, label) records into a deterministic train/validation/test `DatasetDict`.

Exact duplicate texts are removed (first occurrence kept) and train texts that also occur in a
source-provided test split are dropped, so no text is ever on both sides of a split. A text whose copies
disagree on the label (anywhere in the dataset) is dropped everywhere, and counted in a `DedupeReport`.
Carved splits are stratified by label and fixed by the seed; a class too small to reach every carved split
is refused rather than left out of validation or test. Every example keeps a `row_id`: its 0-based position in
the source split it came from (a local file's data row), so any selection can be traced back to the user's rows.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
from typing import Sequence

import datasets
import numpy as np
from absl import logging

from rlsel.data.errors import DataError

EMBEDDING = "embedding"  # the column of a split's precomputed vectors, when its data brings them


def class_names(labels: Sequence) -> list[str]:
    """Sorted label vocabulary as strings (numeric labels sort numerically)."""
    unique = set(labels)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in unique):
        return [str(v) for v in sorted(unique)]
    return sorted(str(v) for v in unique)


def dedupe(part: tuple[Sequence, ...], exclude: set[str] = frozenset()) -> tuple[list, ...]:
    """Keep the first occurrence of each text, dropping texts listed in `exclude`; `part` is parallel columns
    (texts, labels, and any others such as row ids), each filtered alike."""
    seen, keep = set(exclude), []
    for row, text in enumerate(part[0]):
        if text not in seen:
            seen.add(text)
            keep.append(row)
    return tuple([column[row] for row in keep] for column in part)


def conflicting_texts(parts: Sequence[tuple[Sequence, ...]]) -> set[str]:
    """Texts given more than one label across `parts`: no copy's label can be trusted, so all are dropped."""
    first_label, conflicts = {}, set()
    for texts, labels, *_ in parts:
        for text, label in zip(texts, labels):
            if first_label.setdefault(text, str(label)) != str(label):
                conflicts.add(text)
    return conflicts


@dataclasses.dataclass(frozen=True)
class DedupeReport:
    """What deduplication dropped, so a caller can say so instead of changing the data silently."""

    rows_in: int
    rows_kept: int
    conflicting_texts: int  # distinct texts whose copies disagree on the label
    conflicting_rows: int  # every copy of those texts

    @property
    def duplicate_rows(self) -> int:
        """Exact copies dropped, and train rows whose text is already in a held-out split."""
        return self.rows_in - self.rows_kept - self.conflicting_rows

    def log(self) -> None:
        """Warn when labels conflicted: the dataset lost examples the user may not expect to lose."""
        if self.conflicting_texts:
            logging.warning("dropped %d texts (%d rows) whose copies have conflicting labels, and %d duplicate rows",
                            self.conflicting_texts, self.conflicting_rows, self.duplicate_rows)


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (rest, carved): about `fraction` of each class goes to `carved`, chosen by `seed`."""
    rng = np.random.default_rng(seed)
    rest, carved = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_carved = int(round(fraction * len(idx)))
        n_carved = min(max(n_carved, 1), len(idx) - 1) if len(idx) > 1 else 0
        carved.append(idx[:n_carved])
        rest.append(idx[n_carved:])
    return np.sort(np.concatenate(rest)), np.sort(np.concatenate(carved))


def _as_dataset(texts: list[str], labels: list, rows: list[int], features: datasets.Features) -> datasets.Dataset:
    names = features["label"].names
    ids = [names.index(str(v)) for v in labels]
    return datasets.Dataset.from_dict({"text": texts, "label": ids, "row_id": rows}, features=features)


def numbered(part: tuple[Sequence, ...]) -> tuple[Sequence, ...]:
    """`(texts, labels, row_ids)`: a part's own row ids when it has them, else its positions."""
    return part if len(part) == 3 else (*part, list(range(len(part[0]))))


def dedupe_splits(
    train: tuple[Sequence, ...],
    test: tuple[Sequence, ...] | None,
    validation: tuple[Sequence, ...] | None,
) -> tuple[dict[str, tuple[list, ...]], DedupeReport]:
    """Dedupe each given split (parallel columns: texts, labels, any others), drop conflicting texts everywhere
    and held-out texts from train."""
    given = {name: part for name, part in (("test", test), ("validation", validation), ("train", train))
             if part is not None}
    conflicts = conflicting_texts(given.values())
    held_out, splits = set(conflicts), {}
    for name, part in given.items():
        splits[name] = dedupe(part, exclude=held_out)
        held_out.update(splits[name][0])
    report = DedupeReport(
        rows_in=sum(len(texts) for texts, *_ in given.values()),
        rows_kept=sum(len(texts) for texts, *_ in splits.values()),
        conflicting_texts=len(conflicts),
        conflicting_rows=sum(text in conflicts for texts, *_ in given.values() for text in texts),
    )
    return splits, report


def check_class_sizes(labels: Sequence, carved: Sequence[str]) -> None:
    """Refuse classes too small to give an example to train and to every carved split, which would be empty."""
    needed = 1 + len(carved)
    small = {name: n for name, n in sorted(collections.Counter(map(str, labels)).items()) if n < needed}
    if small:
        raise DataError(
            f"too few examples after deduplication in classes {small}: each class needs at least {needed}, one "
            f"for train and one for each carved split {list(carved)}; add examples of them or remove their rows"
        )


def build_splits(
    train: tuple[Sequence, ...],
    test: tuple[Sequence, ...] | None,
    *,
    seed: int,
    val_fraction: float,
    test_fraction: float,
    validation: tuple[Sequence, ...] | None = None,
) -> datasets.DatasetDict:
    """Deduplicate, carve missing validation/test splits from train, and encode labels as a ClassLabel. Each
    part is `(texts, labels)` or `(texts, labels, row_ids)` (see `numbered`)."""
    if not 0.0 < val_fraction < 1.0 or not 0.0 < test_fraction < 1.0:
        raise DataError(f"val_fraction and test_fraction must lie in (0, 1); got {val_fraction}, {test_fraction}")
    splits, report = dedupe_splits(*(None if part is None else numbered(part) for part in (train, test, validation)))
    report.log()
    names = class_names([label for _, labels, _ in splits.values() for label in labels])
    if len(names) < 2:
        raise DataError(f"need at least two classes to select data for classification; found {names}")
    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=names),
                                  "row_id": datasets.Value("int64")})
    texts, labels, rows = splits.pop("train")
    check_class_sizes(labels, [name for name in ("test", "validation") if name not in splits])
    label_ids = np.array([names.index(str(v)) for v in labels])
    for name, fraction, offset in (("test", test_fraction, 1), ("validation", val_fraction, 2)):
        if name not in splits:
            rest, carved = stratified_split(label_ids, fraction, seed * 1000 + offset)
            splits[name] = tuple([column[i] for i in carved] for column in (texts, labels, rows))
            texts, labels, rows = ([column[i] for i in rest] for column in (texts, labels, rows))
            label_ids = label_ids[rest]
    splits["train"] = (texts, labels, rows)
    return datasets.DatasetDict(
        {name: _as_dataset(*splits[name], features) for name in ("train", "validation", "test")}
    )


def fingerprint(dd: datasets.DatasetDict) -> str:
    """A content hash of every split's texts and labels, and its precomputed vectors when it has them: equal
    data gives an equal fingerprint."""
    h = hashlib.sha1()
    for name in ("train", "validation", "test"):
        h.update(name.encode())
        for text, label in zip(dd[name]["text"], dd[name]["label"]):
            h.update(text.encode("utf-8", errors="replace"))
            h.update(b"\x00%d\x01" % label)
        if EMBEDDING in dd[name].column_names:
            h.update(np.ascontiguousarray(dd[name].with_format("numpy")[EMBEDDING], np.float32).tobytes())
    h.update("|".join(dd["train"].features["label"].names).encode())
    return h.hexdigest()[:16]
