import numpy as np

from rlsel.report.stats import ranks_within_groups


def test_ranks_within_groups_rank_each_group_on_its_own_scale():
    ranks = ranks_within_groups([0.9, 0.95, 0.97, 0.5, 0.6, 0.55], ["a", "a", "a", "b", "b", "b"])
    np.testing.assert_allclose(ranks, [0.0, 0.5, 1.0, 0.0, 1.0, 0.5])
    np.testing.assert_allclose(ranks_within_groups([3.0, 3.0, 1.0], ["a"] * 3), [0.75, 0.75, 0.0])
    assert ranks_within_groups([7.0], ["a"]).tolist() == [0.0]
