import numpy as np

from rlsel.report.stats import ranks_within_groups, seeds_needed, spearman_interval


def test_ranks_within_groups_rank_each_group_on_its_own_scale():
    ranks = ranks_within_groups([0.9, 0.95, 0.97, 0.5, 0.6, 0.55], ["a", "a", "a", "b", "b", "b"])
    np.testing.assert_allclose(ranks, [0.0, 0.5, 1.0, 0.0, 1.0, 0.5])
    np.testing.assert_allclose(ranks_within_groups([3.0, 3.0, 1.0], ["a"] * 3), [0.75, 0.75, 0.0])
    assert ranks_within_groups([7.0], ["a"]).tolist() == [0.0]


def test_seeds_needed_grows_with_the_noise_and_shrinks_with_the_gain():
    assert seeds_needed(1.0, 2.0) < seeds_needed(2.0, 2.0) < seeds_needed(2.0, 1.0)
    assert seeds_needed(0.5, 2.0) <= 3  # a tiny spread: the fewest seeds a t-interval allows
    assert seeds_needed(10.0, 0.1, limit=50) is None


def test_spearman_interval_brackets_a_strong_correlation_and_refuses_a_constant_side():
    x = np.arange(40.0)
    y = x + np.random.default_rng(0).normal(scale=5.0, size=40)
    found = spearman_interval(x, y, resamples=300)
    assert 0.8 < found["rho"] and found["ci95"][0] <= found["rho"] <= found["ci95"][1] and found["ci95"][0] > 0.5
    assert spearman_interval(x, np.ones(40), resamples=10) == {"rho": None, "ci95": None}
    assert spearman_interval(np.array([]), np.array([]), resamples=10) == {"rho": None, "ci95": None}
