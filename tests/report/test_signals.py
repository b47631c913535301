import numpy as np

from rlsel.report import signals


def unit(rows):
    rows = np.asarray(rows, np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_nearest_label_accuracy_counts_targets_whose_closest_subset_row_shares_their_label():
    x = unit([[1, 0], [0, 1], [1, 0.1]])
    y = np.array([0, 1, 1])
    targets = unit([[1, 0.05], [0.1, 1]])
    assert signals.nearest_label_accuracy(x, y, np.array([0, 1]), targets, np.array([0, 1])) == 1.0
    assert signals.nearest_label_accuracy(x, y, np.array([2, 1]), targets, np.array([0, 1])) == 0.5


def test_label_balance_is_zero_at_the_train_shares_and_negative_away_from_them():
    y = np.array([0, 0, 1, 1])
    assert signals.label_balance(y, np.array([0, 2]), 2) == 0.0
    assert np.isclose(signals.label_balance(y, np.array([0, 1]), 2), -np.log(2))


def test_typicality_is_higher_for_a_row_in_a_dense_region_than_for_an_outlier():
    rng = np.random.default_rng(0)
    dense = unit(np.array([1.0, 0, 0]) + 0.05 * rng.normal(size=(30, 3)))
    x = np.concatenate([dense, unit([[0, 0, 1]])])
    assert signals.typicality(x, np.array([0]), neighbours=5) > signals.typicality(x, np.array([30]), neighbours=5)
    assert signals.typicality(x, np.array([0]), neighbours=5) < 1.0  # a row is not its own neighbour


def test_redundancy_is_one_for_a_subset_with_a_duplicate_pair():
    x = unit([[1, 0], [1, 0], [0, 1]])
    assert signals.redundancy(x, np.array([0, 1])) == 1.0
    assert signals.redundancy(x, np.array([0, 2])) == 0.0

