"""Validation halves for reward and model choice; seeded label noise on train only."""

import numpy as np
import pytest

from rlsel.data.holdout import seeded_test_rows, validation_halves
from rlsel.data.noise import flip_labels
from rlsel.data.sources import DatasetSpec
from rlsel.data.splits import fingerprint


def test_validation_halves_are_disjoint_stratified_and_fixed_by_the_split_seed():
    labels = np.array([0] * 60 + [1] * 40)
    reward, choice = validation_halves(labels, 0)
    assert set(reward).isdisjoint(choice) and len(reward) + len(choice) == 100
    assert np.sum(labels[choice] == 1) == 20
    np.testing.assert_array_equal(choice, validation_halves(labels, 0)[1])
    assert not np.array_equal(choice, validation_halves(labels, 1)[1])


def test_seeded_test_rows_are_stratified_fixed_by_the_split_seed_and_whole_at_zero():
    labels = np.array([0] * 600 + [1] * 400)
    rows = seeded_test_rows(labels, 500, 0)
    assert len(rows) == 500 and np.sum(labels[rows] == 1) == 200 and np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, seeded_test_rows(labels, 500, 0))
    assert not np.array_equal(rows, seeded_test_rows(labels, 500, 1))
    np.testing.assert_array_equal(seeded_test_rows(labels, 0, 0), np.arange(1000))
    np.testing.assert_array_equal(seeded_test_rows(labels, 5000, 0), np.arange(1000))


def test_flip_labels_changes_exactly_the_fraction_to_other_classes():
    labels = np.arange(1000) % 4
    noisy = flip_labels(labels, 4, 0.3, seed=0)
    assert np.sum(noisy != labels) == 300 and noisy.min() >= 0 and noisy.max() <= 3
    np.testing.assert_array_equal(noisy, flip_labels(labels, 4, 0.3, seed=0))
    with pytest.raises(ValueError, match="label_noise must be a fraction"):
        flip_labels(labels, 4, 1.0, seed=0)


def test_label_noise_flips_train_only_and_changes_the_fingerprint(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f"review number {i},{'ab'[i % 2]}\n" for i in range(300)))
    clean, noisy = DatasetSpec(str(path)).load(), DatasetSpec(str(path), label_noise=0.3).load()
    flipped = np.asarray(clean["train"]["label"]) != np.asarray(noisy["train"]["label"])
    assert flipped.sum() == round(0.3 * len(flipped))
    for split in ("validation", "test"):
        assert clean[split]["label"] == noisy[split]["label"]
    assert fingerprint(clean) != fingerprint(noisy)
