"""Exact label budgets: largest-remainder shares of a chunk budget, within what each label can offer."""

import numpy as np
import pytest

from rlsel.env.quotas import label_quotas


def test_quotas_sum_to_the_budget_and_follow_the_shares_by_largest_remainder():
    quota = label_quotas(np.array([0.5, 0.3, 0.2]), 7, np.array([10, 10, 10]))  # ideal 3.5, 2.1, 1.4
    np.testing.assert_array_equal(quota, [4, 2, 1])


def test_a_rare_label_gets_one_chunk_and_the_largest_label_pays_for_it():
    quota = label_quotas(np.array([0.9, 0.08, 0.02]), 10, np.array([20, 20, 20]))  # ideal 9, 0.8, 0.2
    np.testing.assert_array_equal(quota, [8, 1, 1])


def test_a_label_short_of_chunks_gives_its_remainder_to_the_others():
    quota = label_quotas(np.array([0.5, 0.5]), 8, np.array([2, 10]))
    np.testing.assert_array_equal(quota, [2, 6])


def test_a_budget_past_every_label_capacity_is_cut_to_the_capacity():
    np.testing.assert_array_equal(label_quotas(np.array([0.5, 0.5]), 30, np.array([3, 4])), [3, 4])


def test_a_label_without_chunks_gets_none():
    np.testing.assert_array_equal(label_quotas(np.array([0.5, 0.1, 0.4]), 5, np.array([5, 0, 5])), [3, 0, 2])


def test_negative_shares_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        label_quotas(np.array([-0.5, 1.5]), 4, np.array([4, 4]))
