"""Splitting raw records: classes too small for every split are refused, not left out of validation and test."""

import pytest

from rlsel.data.errors import DataError
from rlsel.data.splits import build_splits


def _split(train, test=None):
    return build_splits(train, test, seed=0, val_fraction=0.1, test_fraction=0.1)


def test_classes_with_one_example_each_are_refused_naming_them_and_the_examples_they_need():
    with pytest.raises(DataError, match=r"classes \{'x': 1, 'y': 1\}: each class needs at least 3"):
        _split((["a", "b"], ["x", "y"]))


def test_one_small_class_among_large_ones_is_named_alone():
    texts = [f"text {i}" for i in range(21)]
    with pytest.raises(DataError, match=r"classes \{'rare': 2\}"):
        _split((texts, ["x", "y"] * 9 + ["rare", "rare", "x"]))


def test_a_source_test_split_means_two_examples_per_class_suffice():
    dd = _split((["a", "b", "c", "d"], ["x", "y", "x", "y"]), (["e", "f"], ["x", "y"]))
    assert [len(dd[s]) for s in ("train", "validation", "test")] == [2, 2, 2]
