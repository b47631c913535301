"""A selection.json whose indices cannot name distinct train rows is refused, naming the file and the index."""

import json
import re

import pytest

from rlsel.data.sources import DatasetSpec, load_splits
from rlsel.data.splits import fingerprint
from rlsel.finetune.source import load_source, resolve_source


@pytest.fixture
def write_selection(tmp_path):
    """Write a selection.json over a 60-row jsonl dataset, with the given indices; return its path."""
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"text": f"film {i}", "label": i % 2}) + "\n" for i in range(60)))
    splits = load_splits(str(data))

    def write(indices):
        record = {"method": "random", "dataset": str(data), "dataset_fingerprint": fingerprint(splits),
                  "indices": indices, "class_names": splits["train"].features["label"].names,
                  "config": {"prepare": {"split_seed": 0, "val_fraction": 0.1, "test_fraction": 0.1}}}
        path = tmp_path / "selection.json"
        path.write_text(json.dumps(record))
        return str(path)

    return write


@pytest.mark.parametrize("indices, message", [
    ([0, 3, 3], r"indices\[2\] = 3 repeats an earlier index"),
    ([0, -1], r"indices\[1\] = -1 is negative"),
    ([0, 1.5], r"indices\[1\] = 1.5 is not an integer"),
    ([0, "2"], r"indices\[1\] = '2' is not an integer"),
    ([True], r"indices\[0\] = True is not an integer"),
    ([], "'indices' must be a non-empty list"),
])
def test_bad_indices_are_refused_naming_the_file_and_the_first_bad_index(write_selection, indices, message):
    path = write_selection(indices)
    with pytest.raises(ValueError, match=f"selection file {re.escape(path)}: {message}"):
        resolve_source(path, "", DatasetSpec())


def test_an_index_beyond_the_train_split_is_refused_naming_it(write_selection):
    source = resolve_source(write_selection([0, 5, 999, 1000]), "", DatasetSpec())
    message = f"selection file {re.escape(source.selection)}: index 999 is out of range for the 48 train rows"
    with pytest.raises(ValueError, match=message):
        load_source(source)


def test_distinct_in_range_indices_select_those_rows(write_selection):
    _, rows, _ = load_source(resolve_source(write_selection([4, 0, 7]), "", DatasetSpec()))
    assert len(rows) == 3
