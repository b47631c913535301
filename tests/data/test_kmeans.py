"""K-Means: planted blobs, parity with sklearn, empty-cluster repair, stratification, errors."""

import jax
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from rlsel.data.kmeans import allocate_clusters, cluster_labels, kmeans, lloyd, stratified_kmeans

HARD_K = 20
SEEDS = range(5)


@pytest.fixture(scope="module")
def hard():
    """Overlapping blobs with more clusters than centers: many local optima."""
    x, y = make_blobs(1500, n_features=8, centers=15, cluster_std=4.0, center_box=(-20, 20),
                      random_state=1)
    return x.astype(np.float32), y


@pytest.fixture(scope="module")
def hard_fits(hard):
    return [kmeans(jax.random.PRNGKey(s), hard[0], HARD_K) for s in SEEDS]


def test_recovers_well_separated_blobs():
    x, y = make_blobs(1500, n_features=8, centers=HARD_K, cluster_std=0.5, center_box=(-60, 60),
                      random_state=0)
    result = kmeans(jax.random.PRNGKey(0), x, HARD_K)  # same shapes as `hard`: no extra compile
    assert adjusted_rand_score(y, np.asarray(result.assignments)) == 1.0
    assert bool(result.converged) and int(result.num_iters) < 100


def test_inertia_within_one_percent_of_sklearn(hard, hard_fits):
    ours = np.mean([float(r.inertia) for r in hard_fits])
    theirs = np.mean([KMeans(HARD_K, n_init=1, random_state=s).fit(hard[0]).inertia_ for s in SEEDS])
    assert ours <= 1.01 * theirs, (ours, theirs)


def test_result_is_consistent(hard, hard_fits):
    x, result = hard[0], hard_fits[0]
    d2 = ((x[:, None, :] - np.asarray(result.centroids)[None]) ** 2).sum(-1)
    assign = np.asarray(result.assignments)
    assert assign.dtype == np.int32
    np.testing.assert_array_equal(assign, d2.argmin(1))
    np.testing.assert_allclose(float(result.inertia), d2.min(1).sum(), rtol=1e-4)
    assert np.bincount(assign, minlength=HARD_K).min() >= 1


def test_deterministic_per_key_and_keys_differ(hard, hard_fits):
    again = kmeans(jax.random.PRNGKey(0), hard[0], HARD_K)
    np.testing.assert_array_equal(np.asarray(again.centroids), np.asarray(hard_fits[0].centroids))
    np.testing.assert_array_equal(np.asarray(again.assignments), np.asarray(hard_fits[0].assignments))
    assert len({np.asarray(r.centroids).tobytes() for r in hard_fits}) > 1


def test_empty_clusters_take_farthest_points_in_order():
    x = np.arange(10, dtype=np.float32)[:, None]
    one_step = lloyd(x, np.full((4, 1), -100.0), max_iters=1)
    np.testing.assert_array_equal(np.asarray(one_step.centroids)[:, 0], [3.0, 9.0, 8.0, 7.0])
    assert not bool(one_step.converged)
    full = lloyd(x, np.full((4, 1), -100.0))
    assert np.bincount(np.asarray(full.assignments), minlength=4).min() >= 1
    assert np.isfinite(np.asarray(full.centroids)).all()


def labels(sizes):
    return np.repeat(np.arange(len(sizes)), sizes)


def test_allocation_largest_remainder_with_one_per_label():
    np.testing.assert_array_equal(allocate_clusters(labels([50, 30, 20]), 7), [4, 2, 1])
    np.testing.assert_array_equal(allocate_clusters(labels([97, 2, 1]), 4), [2, 1, 1])
    np.testing.assert_array_equal(allocate_clusters(labels([2, 8]), 9), [2, 7])
    np.testing.assert_array_equal(allocate_clusters(labels([5, 0, 5]), 4), [2, 0, 2])
    np.testing.assert_array_equal(allocate_clusters(labels([3, 3]), 2, num_classes=4), [1, 1, 0, 0])
    np.testing.assert_array_equal(cluster_labels(labels([50, 30, 20]), 7), [0, 0, 0, 0, 1, 1, 2])


def test_stratified_clusters_are_label_pure_and_proportional(hard):
    x, y = hard
    labels = (y % 3 == 0).astype(np.int32) + 2 * (y == 1)
    labels[0] = 3  # point 0 was label 0: sizes 899 / 500 / 100 / 1
    result = stratified_kmeans(jax.random.PRNGKey(0), x, labels, HARD_K)
    assign = np.asarray(result.assignments)
    owners = cluster_labels(labels, HARD_K)
    np.testing.assert_array_equal(np.bincount(owners), [12, 6, 1, 1])
    np.testing.assert_array_equal(owners[assign], labels)
    assert np.bincount(assign, minlength=HARD_K).min() >= 1
    np.testing.assert_array_equal(np.asarray(result.centroids)[-1], x[0])


KEY = jax.random.PRNGKey(0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x: kmeans(KEY, x, 7), r"in \[1, n=6\]"),
        (lambda x: kmeans(KEY, x, 0), r"in \[1, n=6\]"),
        (lambda x: kmeans(KEY, x[:, 0], 2), "shape"),
        (lambda x: kmeans(KEY, np.where(x > 3, np.nan, x), 2), "NaN"),
        (lambda x: stratified_kmeans(KEY, x, [0, 1, 0], 2), r"shape \(6,\)"),
        (lambda x: stratified_kmeans(KEY, x, [0, 1, 2, 0, 1, 2], 2), "one per present"),
        (lambda x: stratified_kmeans(KEY, x, [0, -1, 0, 0, 0, 0], 2), ">= 0"),
        (lambda x: stratified_kmeans(KEY, x, [0, 3] * 3, 2, num_classes=2), "num_classes"),
        (lambda x: lloyd(x, np.zeros((2, 3))), r"\[k, 2\]"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    with pytest.raises(ValueError, match=match):
        call(x)
