"""The heuristic baseline selectors: the budget contract for every one, and each on planted data where its
behaviour is known (k-center takes the outlier, TypiClust the densest point, loss_band avoids flipped labels...)."""

import dataclasses

import jax
import numpy as np
import pytest

from rlsel.data.agreement import neighbour_agreement
from rlsel.data.pool import build_pool
from rlsel.data.prepare import PrepareConfig, Prepared
from rlsel.data.synthetic import planted_clusters
from rlsel.env.selection import SelectionEnvConfig
from rlsel.proxy import ProxyConfig
from rlsel.selectors import agreement, coverage, heuristics
from rlsel.selectors.context import make_context
from rlsel.selectors.simple import select_random

METHODS = {
    "stratified_random": heuristics.select_stratified_random,
    "balanced_random": heuristics.select_balanced_random,
    "typiclust": heuristics.select_typiclust,
    "kcenter": coverage.select_kcenter,
    "facility_location": coverage.select_facility_location,
    "herding": coverage.select_herding,
    "val_similarity": heuristics.select_val_similarity,
    "loss_band": heuristics.select_loss_band,
    "knn_agree": agreement.select_knn_agree,
}
STOCHASTIC = ("stratified_random", "balanced_random", "typiclust", "kcenter", "loss_band", "knn_agree")


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def planted_context(x, y, examples, *, assignments=None, val_x=None, val_y=None, val_index=None):
    """A context on given embeddings whose budget is `examples` train examples; by default the pool has clusters
    of two consecutive rows and the validation rows are the train rows."""
    n = len(y)
    assignments = np.arange(n) // 2 if assignments is None else assignments
    val_x, val_y = (x, y) if val_x is None else (val_x, val_y)
    centroids = np.stack([x[assignments == c].mean(0) for c in range(assignments.max() + 1)])
    pool = build_pool(assignments, y, centroids, 2, len(val_y), per_cluster=8, val_size=len(val_y), seed=0)
    if val_index is not None:
        pool = pool.replace(val_index=np.asarray(val_index, np.int32))
    prepared = Prepared(config=PrepareConfig(), splits=None, fingerprint="planted", class_names=["a", "b"],
                        train_x=np.asarray(x, np.float32), train_y=np.asarray(y, np.int32),
                        val_x=np.asarray(val_x, np.float32), val_y=np.asarray(val_y, np.int32), pool=pool, timings={})
    config = SelectionEnvConfig(budget=(examples + 0.5) / n, proxy=ProxyConfig(dim=0))
    ctx = make_context(prepared, config)
    assert ctx.budget_examples == examples
    return ctx


@pytest.fixture(scope="module")
def planted():
    """12 labelled blobs of 40 on the unit sphere, 4 of them relabelled at random; the budget is 48 examples."""
    p = planted_clusters(seed=0)
    return planted_context(unit(p.train_x), p.train_y, 48, assignments=p.assignments, val_x=unit(p.val_x),
                           val_y=p.val_y)


@pytest.fixture(scope="module")
def selections(planted):
    """Every method's indices under keys 0, 0 again and 1."""
    return {name: [method(planted, jax.random.key(k)).indices for k in (0, 0, 1)] for name, method in METHODS.items()}


@pytest.mark.parametrize("name", METHODS)
def test_every_method_takes_exactly_the_budget_as_sorted_unique_train_indices(planted, selections, name):
    indices = selections[name][0]
    assert len(indices) == planted.budget_examples == 48
    assert np.all(np.diff(indices) > 0) and indices[0] >= 0 and indices[-1] < len(planted.prepared.train_y)


@pytest.mark.parametrize("name", METHODS)
def test_every_method_gives_the_same_indices_for_the_same_key(selections, name):
    np.testing.assert_array_equal(selections[name][0], selections[name][1])


@pytest.mark.parametrize("name", STOCHASTIC)
def test_stochastic_methods_give_other_indices_for_another_key(selections, name):
    assert not np.array_equal(selections[name][0], selections[name][2])


def test_facility_location_samples_the_covered_rows_by_key_beyond_its_sample_size():
    rng = np.random.default_rng(0)
    n = coverage.FACILITY_SAMPLE + 200
    ctx = planted_context(unit(rng.normal(size=(n, 16))), np.arange(n) % 2, 30)
    picks = [coverage.select_facility_location(ctx, jax.random.key(k)).indices for k in (0, 0, 1)]
    assert len(picks[0]) == 30 and np.array_equal(picks[0], picks[1]) and not np.array_equal(picks[0], picks[2])


def test_stratified_random_keeps_the_label_proportions_exactly():
    y = (np.arange(300) % 10 < 7).astype(np.int32)  # 210 of label 1, 90 of label 0
    ctx = planted_context(np.random.default_rng(0).normal(size=(300, 4)), y, 30)
    for k in range(3):
        chosen = heuristics.select_stratified_random(ctx, jax.random.key(k)).indices
        assert np.bincount(y[chosen]).tolist() == [9, 21]


def test_balanced_random_takes_from_each_cluster_in_proportion_to_its_size():
    assignments = np.repeat(np.arange(4), [100, 50, 30, 20])
    ctx = planted_context(np.random.default_rng(0).normal(size=(200, 4)), np.arange(200) % 2, 20,
                          assignments=assignments)
    selection = heuristics.select_balanced_random(ctx, jax.random.key(0))
    assert np.bincount(assignments[selection.indices]).tolist() == [10, 5, 3, 2]
    assert selection.clusters.tolist() == [0, 1, 2, 3]


def test_kcenter_picks_the_far_outlier_whatever_the_start():
    x = np.random.default_rng(0).normal(size=(201, 8))
    x[200] = 50.0  # the outlier
    ctx = planted_context(x, np.arange(201) % 2, 10)
    for k in range(3):
        assert 200 in coverage.select_kcenter(ctx, jax.random.key(k)).indices


def test_typiclust_picks_the_centre_of_each_tight_blob():
    """Per label: a tight blob of 40 around a planted centre row, and a diffuse blob far away; one cluster per
    budget example (two per label), so each tight blob is one cluster and its centre is the most typical."""
    rng = np.random.default_rng(0)
    rows, labels, centres = [], [], []
    for label, (tight, diffuse) in enumerate([(0, 1), (2, 3)]):
        centre = 10.0 * np.eye(8)[tight]
        centres.append(sum(len(r) for r in rows))
        spread = 10.0 * np.eye(8)[diffuse] + rng.normal(size=(40, 8))
        rows += [centre[None], centre + 0.05 * rng.normal(size=(40, 8)), spread]
        labels += [label] * 81
    ctx = planted_context(np.concatenate(rows), np.array(labels), 4)
    for k in range(2):
        assert set(centres) <= set(heuristics.select_typiclust(ctx, jax.random.key(k)).indices.tolist())


def test_facility_location_covers_every_blob_before_a_second_point_of_any():
    """Five well-separated blobs of unequal size and a budget of five: one representative each."""
    sizes = [60, 40, 30, 20, 10]
    blob = np.repeat(np.arange(5), sizes)
    x = unit(np.eye(8)[blob] + 0.1 * np.random.default_rng(0).normal(size=(len(blob), 8)))
    ctx = planted_context(x, np.arange(len(blob)) % 2, 5)
    chosen = coverage.select_facility_location(ctx, jax.random.key(0)).indices
    assert sorted(blob[chosen].tolist()) == [0, 1, 2, 3, 4]


def test_herding_mean_is_closer_to_the_data_mean_than_any_random_subsets(planted):
    x = planted.prepared.train_x
    gap = lambda idx: np.linalg.norm(x[idx].mean(0) - x.mean(0))  # noqa: E731
    herded = gap(coverage.select_herding(planted, jax.random.key(0)).indices)
    assert herded < min(gap(select_random(planted, jax.random.key(k)).indices) for k in range(20)) / 3


def test_val_similarity_picks_the_rows_next_to_the_reward_validation_rows_only():
    """40 validation rows, of which the reward may read the even ones; a train row is planted next to every
    validation row, and the budget equals the number of reward rows."""
    rng = np.random.default_rng(0)
    val_x = unit(rng.normal(size=(40, 32)))
    near = unit(val_x + 0.05 * rng.normal(size=val_x.shape))
    x = np.concatenate([near, unit(rng.normal(size=(200, 32)))])
    y = np.arange(240) // 2 % 2  # the rows next to reward rows (0, 2, 4...) alternate labels
    ctx = planted_context(x, y, 20, val_x=val_x, val_y=y[:40], val_index=np.arange(0, 40, 2))
    chosen = heuristics.select_val_similarity(ctx, jax.random.key(0)).indices
    assert chosen.tolist() == list(range(0, 40, 2))


def test_loss_band_avoids_flipped_labels_and_the_easiest_examples():
    """A linear rule labels 1200 points and 120 labels are flipped; a budget of a third takes the whole band.
    A random third would hold about 40 flipped rows and half its picks outside the loss quartiles of a
    full-data ridge fit; the band holds almost no flipped row and sits between those quartiles."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1200, 8)).astype(np.float32)
    y = (x @ rng.normal(size=8) > 0).astype(np.int32)
    flipped = rng.permutation(1200)[:120]
    y[flipped] = 1 - y[flipped]
    x1 = np.concatenate([x, np.ones((1200, 1), np.float32)], axis=1)
    onehot = np.eye(2)[y]
    loss = np.sum((x1 @ np.linalg.solve(x1.T @ x1 + np.eye(9), x1.T @ onehot) - onehot) ** 2, axis=1)
    low, high = np.quantile(loss, [0.25, 0.75])
    ctx = planted_context(x, y, 400)
    for k in range(3):
        chosen = heuristics.select_loss_band(ctx, jax.random.key(k)).indices
        assert len(np.intersect1d(chosen, flipped)) <= 12
        assert np.mean((loss[chosen] > low) & (loss[chosen] < high)) >= 0.75


def test_knn_agree_avoids_labels_their_neighbours_contradict():
    """12 well-separated blobs, each labelled by its blob, with 15% of all labels flipped at random: a random
    fifth would hold about 36 flipped rows; the rows whose neighbours agree hold none, and the neighbour vote
    matches a brute-force count."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(12, 8)) * 4.0
    blob = np.repeat(np.arange(12), 100)
    x = (centres[blob] + rng.normal(size=(1200, 8))).astype(np.float32)
    y = (blob % 2).astype(np.int32)
    flipped = rng.permutation(1200)[:180]
    y[flipped] = 1 - y[flipped]
    ctx = planted_context(x, y, 240)
    for k in range(3):
        chosen = agreement.select_knn_agree(ctx, jax.random.key(k)).indices
        assert len(chosen) == 240 and len(np.intersect1d(chosen, flipped)) == 0
    unit_x = unit(x)
    similarity = unit_x @ unit_x.T
    np.fill_diagonal(similarity, -np.inf)
    neighbours = np.argsort(-similarity, axis=1)[:, :5]
    expected = np.mean(y[neighbours] == y[:, None], axis=1)
    np.testing.assert_allclose(neighbour_agreement(x, y, 5), expected, atol=1e-6)


@pytest.mark.parametrize("name", ["stratified_random", "val_similarity", "loss_band", "herding", "knn_agree"])
def test_label_proportional_methods_keep_the_train_split_label_counts(planted, selections, name):
    y = planted.prepared.train_y
    expected = np.bincount(y, minlength=2) * 48 / len(y)
    assert np.all(np.abs(np.bincount(y[selections[name][0]], minlength=2) - expected) < 1)
