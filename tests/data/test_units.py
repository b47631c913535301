"""The MDP's units: typical-first chunks of each cluster, or whole clusters."""

import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.units import build_units, herding_order, typicality


def blobs():
    rng = np.random.default_rng(0)
    centre = rng.normal(size=(2, 8)) * 5
    x = np.concatenate([centre[0] + 0.1 * rng.normal(size=(11, 8)), centre[1] + rng.normal(size=(5, 8))])
    x[3] = centre[0] + 0.001  # the densest point of cluster 0
    x[7] = centre[0] + 3.0  # an outlier of cluster 0
    assignments = np.array([0] * 11 + [1] * 5)
    return x.astype(np.float32), assignments


def test_the_densest_member_is_the_most_typical_and_the_outlier_the_least():
    x, _ = blobs()
    score = typicality(x[:11], k=5)
    assert np.argmax(score) == 3 and np.argmin(score) == 7


def test_chunks_hold_the_most_typical_members_first_and_padding_costs_nothing():
    x, assignments = blobs()
    units = build_units(x, assignments, 2, chunk_size=3, max_chunks=3, order="typical", seed=0)
    assert units.rows.shape == (2, 3, 3) and units.chunked
    order = np.argsort(-typicality(x[:11]), kind="stable")
    np.testing.assert_array_equal(units.rows[0].ravel(), order[:9])  # 9 of 11 kept, most typical first
    assert 7 not in units.rows[0][units.mask[0]]  # the outlier is among the two left out
    np.testing.assert_array_equal(units.cost, [[3, 3, 3], [3, 2, 0]])
    chosen = np.zeros((2, 3), bool)
    chosen[1, :2] = True
    np.testing.assert_array_equal(units.expand(chosen), np.arange(11, 16))


def test_whole_clusters_are_one_unit_each_holding_every_member():
    x, assignments = blobs()
    units = build_units(x, assignments, 2, chunk_size=0, max_chunks=1, order="typical", seed=0)
    assert units.rows.shape == (2, 1, 11) and not units.chunked
    np.testing.assert_array_equal(units.cost[:, 0], [11, 5])
    np.testing.assert_array_equal(units.expand(np.array([True, False])), np.arange(11))


def test_an_empty_cluster_offers_no_chunk():
    x, assignments = blobs()
    assignments = np.where(assignments == 1, 2, assignments)  # cluster 1 loses every member
    units = build_units(x, assignments, 3, chunk_size=2, max_chunks=2, order="typical", seed=0)
    assert typicality(x[:0]).shape == (0,)
    np.testing.assert_array_equal(units.cost[1], [0, 0])


def test_random_order_depends_on_the_seed_only():
    x, assignments = blobs()
    make = lambda seed: build_units(x, assignments, 2, chunk_size=2, max_chunks=2, order="random", seed=seed).rows
    np.testing.assert_array_equal(make(1), make(1))
    assert not np.array_equal(make(1), make(2))


def test_unknown_order_is_a_clear_error():
    x, assignments = blobs()
    with pytest.raises(ValueError, match="unit order 'densest' is not one of"):
        build_units(x, assignments, 2, chunk_size=2, max_chunks=2, order="densest", seed=0)


def test_held_out_reward_rows_need_chunks_and_the_error_says_which_settings():
    x, assignments = blobs()
    with pytest.raises(ValueError, match="set prepare.reward_train=0"):
        build_pool(assignments, assignments % 2, x[:2], 2, 10, per_cluster=4, val_size=5, seed=0,
                   reward_train=3)


def test_herding_order_keeps_every_prefix_mean_near_the_cluster_mean():
    x = np.array([[2.0, 0.0], [-2.0, 0.0], [0.1, 0.0], [3.0, 0.0]])  # mean (0.775, 0)
    # first the member nearest the mean (0.1); then 2.0 (prefix mean 1.05, not 1.55 with 3.0); then -2.0
    assert herding_order(x, 4).tolist() == [2, 0, 1, 3]
    assert herding_order(x, 2).tolist() == [2, 0]


def test_herding_units_come_in_herding_order_within_each_cluster():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    assignments = np.repeat([0, 1], 20)
    units = build_units(x, assignments, 2, chunk_size=2, max_chunks=3, order="herding", seed=0)
    for c in range(2):
        members = np.flatnonzero(assignments == c)
        assert units.rows[c].reshape(-1).tolist() == members[herding_order(x[members], 6)].tolist()


def test_agree_units_put_labels_their_neighbours_contradict_last():
    """Two separated blobs labelled by blob; 3 rows of each carry the other blob's label and form their own
    label-pure clusters with it (as stratified K-Means makes them): those rows come after every member whose
    neighbours agree, and the order needs the labels."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(30, 4)) + 6.0, rng.normal(size=(30, 4)) - 6.0])
    labels = np.repeat([0, 1], 30)
    flipped = np.array([0, 1, 2, 30, 31, 32])
    labels[flipped] = 1 - labels[flipped]
    assignments = labels.copy()  # one label-pure cluster per label
    units = build_units(x, assignments, 2, chunk_size=4, max_chunks=8, order="agree", seed=0, labels=labels)
    for c in range(2):
        ordered = units.rows[c][units.mask[c]]
        wrong = np.isin(ordered, flipped)
        assert wrong.sum() == 3 and np.all(wrong[-3:])
    with pytest.raises(ValueError, match="votes on labels"):
        build_units(x, assignments, 2, chunk_size=4, max_chunks=8, order="agree", seed=0)


def test_agree_only_units_offer_no_contradicted_row_and_a_cluster_of_them_offers_nothing():
    """Same blobs: the agree order minus its contradicted rows; a cluster made only of flipped rows is empty."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(30, 4)) + 6.0, rng.normal(size=(30, 4)) - 6.0])
    labels = np.repeat([0, 1], 30)
    flipped = np.array([0, 1, 2, 30, 31, 32])
    labels[flipped] = 1 - labels[flipped]
    assignments = np.where(np.isin(np.arange(60), flipped), 2, labels)  # the flipped rows are a cluster of their own
    only = build_units(x, assignments, 3, chunk_size=4, max_chunks=8, order="agree_only", seed=0, labels=labels)
    agree = build_units(x, assignments, 3, chunk_size=4, max_chunks=8, order="agree", seed=0, labels=labels)
    for c in range(2):
        assert only.rows[c][only.mask[c]].tolist() == agree.rows[c][agree.mask[c]].tolist()  # nothing disputed there
    assert not only.mask[2].any() and agree.mask[2].sum() == 6


def test_agree_random_units_sample_the_trusted_members_first_and_the_seed_sets_their_order():
    """Same blobs: each cluster's agreeing members come first in a seeded random order, the three contradicted
    rows last; another seed reorders the agreeing members only."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(30, 4)) + 6.0, rng.normal(size=(30, 4)) - 6.0])
    labels = np.repeat([0, 1], 30)
    flipped = np.array([0, 1, 2, 30, 31, 32])
    labels[flipped] = 1 - labels[flipped]
    make = lambda seed: build_units(x, labels.copy(), 2, chunk_size=4, max_chunks=8, order="agree_random",
                                    seed=seed, labels=labels)
    first, second = make(0), make(1)
    for c in range(2):
        ordered = first.rows[c][first.mask[c]]
        assert np.isin(ordered, flipped).sum() == 3 and np.all(np.isin(ordered[-3:], flipped))
        reordered = second.rows[c][second.mask[c]]
        assert sorted(reordered[:-3]) == sorted(ordered[:-3]) and list(reordered[:-3]) != list(ordered[:-3])
    np.testing.assert_array_equal(make(0).rows, first.rows)
    with pytest.raises(ValueError, match="'agree_random' votes on labels"):
        build_units(x, labels, 2, chunk_size=4, max_chunks=8, order="agree_random", seed=0)


def test_typical_far_puts_the_most_typical_row_of_the_clusters_other_mode_second():
    rng = np.random.default_rng(0)
    big = rng.normal(size=(12, 4)) * 0.05 + np.array([1.0, 0, 0, 0])  # the denser mode: the first row is here
    small = rng.normal(size=(8, 4)) * 0.05 + np.array([0, 1.0, 0, 0])
    x = np.concatenate([big, small])
    units = build_units(x, np.zeros(20, int), 1, chunk_size=1, max_chunks=20, order="typical_far", seed=0)
    ordered = units.rows[0].ravel()
    by_typicality = np.argsort(-typicality(x), kind="stable")
    assert ordered[0] == by_typicality[0] < 12  # the same first row as the typical order
    assert ordered[1] == by_typicality[by_typicality >= 12][0]  # the most typical row of the other mode
    assert sorted(ordered.tolist()) == list(range(20))  # every member once
    assert build_units(x[:2], np.zeros(2, int), 1, chunk_size=1, max_chunks=2, order="typical_far",
                       seed=0).rows[0].ravel().tolist() == np.argsort(-typicality(x[:2]), kind="stable").tolist()
    sparse = build_units(x[:3], np.array([0, 0, 2]), 3, chunk_size=1, max_chunks=2, order="typical_far", seed=0)
    assert sparse.mask.sum(axis=(1, 2)).tolist() == [2, 0, 1]  # an empty and a one-row cluster are kept as they are
