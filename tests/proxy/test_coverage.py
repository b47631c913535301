"""The coverage term: unit statistics equal brute force, the wrapped proxy adds exactly weight x coverage to its
inner score (so rewards still telescope), and greedy on it covers the reward rows better than on loss alone."""

import copy

import jax
import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.synthetic import planted_clusters
from rlsel.env.rollouts import greedy_choice, max_episode_length, rollout
from rlsel.env.selection import SelectionEnv, SelectionEnvConfig
from rlsel.proxy import CoveredProxy, ProxyConfig, make_proxy, make_proxy_data
from rlsel.proxy.coverage import subset_coverage, unit_coverage
from rlsel.proxy.data import reward_rows

KINDS = ("facility", "mean")
BUDGET = 0.1


@pytest.fixture(scope="module")
def planted():
    p = planted_clusters(seed=3, num_noisy=0)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=16, val_size=300, seed=0)
    data = {kind: make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=0, coverage=kind,
                                  budget=BUDGET * len(p.train_y))[0] for kind in KINDS}
    return p, pool, data


def test_unit_coverage_is_the_best_same_label_cosine_of_each_unit():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]], np.float32)
    y = np.array([0, 0, 1, 0])
    rows, mask = np.array([[0, 1], [2, 3]]), np.array([[True, True], [True, False]])
    targets, target_y = np.array([[1.0, 0.0], [1.0, 1.0]], np.float32), np.array([0, 1])
    cover = unit_coverage(rows, mask, x, y, targets, target_y)
    # unit 0 (rows 0, 1; label 0) covers target 0 fully and target 1 (label 1) not at all; unit 1 keeps only
    # row 2 (label 1), which covers target 1 fully
    np.testing.assert_allclose(cover, [[1.0, 0.0], [0.0, 1.0]], atol=1e-6)
    assert subset_coverage("facility", x, y, np.array([0, 2]), targets, target_y, 2, 2) == pytest.approx(1.0)
    assert subset_coverage("facility", x, y, np.array([], int), targets, target_y, 2, 2) == 0.0


def test_mean_coverage_is_minus_the_weighted_distance_of_label_sums_over_quotas_to_label_means():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 2.0], [0.0, 3.0]], np.float32)
    y = np.array([0, 0, 1, 1])
    targets, target_y = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], np.float32), np.array([0, 1, 1])
    # a budget of 3: quotas 1 (label 0) and 2 (label 1); target means (1, 0) and (0, 1), weights 1/3 and 2/3
    score = lambda rows: subset_coverage("mean", x, y, np.array(rows, int), targets, target_y, 2, 3.0)
    assert score([]) == pytest.approx(-1.0)  # both labels at distance 1
    assert score([0]) == pytest.approx(-2 / 3)  # label 0 exact; label 1 still missing
    assert score([0, 2]) == pytest.approx(-2 / 3 * 0.25)  # label 1 halfway: (0, 1/2)
    assert score([0, 2, 3]) == pytest.approx(0.0)  # both quotas met exactly
    assert score([0, 1, 2, 3]) < score([0, 2, 3])  # overshooting label 0's quota costs


def test_coverage_data_is_empty_unless_asked(planted):
    p, pool, data = planted
    plain, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=0)
    units = plain.gram.shape[0]
    assert plain.coverage.unit_cover.shape == (units, 0) and plain.coverage.unit_sum.shape == (units, 2, 0)
    assert data["facility"].coverage.unit_cover.shape == (units, len(plain.y_val))
    assert data["mean"].coverage.unit_sum.shape == (units, 2, p.train_x.shape[1])


def test_make_proxy_wraps_only_with_a_positive_weight():
    assert not isinstance(make_proxy(ProxyConfig(), 2), CoveredProxy)
    covered = make_proxy(ProxyConfig(coverage_weight=0.5), 2)
    assert isinstance(covered, CoveredProxy) and copy.deepcopy(covered).config.kind == "ridge"  # delegation copies
    with pytest.raises(ValueError, match="coverage_weight"):
        ProxyConfig(coverage_weight=-1.0)
    with pytest.raises(ValueError, match="coverage_kind"):
        ProxyConfig(coverage_kind="nearest")


@pytest.mark.parametrize("kind", KINDS)
def test_covered_score_is_inner_score_plus_weight_times_coverage(planted, kind):
    p, pool, data = planted
    data = data[kind]
    inner = make_proxy(ProxyConfig(dim=0), 2)
    covered = make_proxy(ProxyConfig(dim=0, coverage_weight=2.0, coverage_kind=kind), 2)
    targets = reward_rows(pool, p.train_x, p.train_y, p.val_x, p.val_y)
    budget = BUDGET * len(p.train_y)
    empty = subset_coverage(kind, p.train_x, p.train_y, np.array([], int), *targets, 2, budget)
    assert float(covered.empty_score(data)) == pytest.approx(float(inner.empty_score(data)) + 2.0 * empty, abs=1e-5)
    key = jax.random.key(0)
    carry_i, carry_c = inner.init_carry(key, data), covered.init_carry(key, data)
    selected = np.zeros(data.gram.shape[0], bool)
    for unit in (3, 0, 7):
        selected[unit] = True
        score_i, carry_i = inner.add(key, carry_i, selected, unit, data)
        score_c, carry_c = covered.add(key, carry_c, selected, unit, data)
    expected = subset_coverage(kind, p.train_x, p.train_y, pool.units.expand(selected), *targets, 2, budget)
    assert float(score_c) == pytest.approx(float(score_i) + 2.0 * expected, abs=1e-5)
    np.testing.assert_allclose(covered.unit_error(carry_c, np.arange(3), data),
                               inner.unit_error(carry_i, np.arange(3), data))


def _greedy_subset(pool, data, coverage_weight, kind):
    proxy = ProxyConfig(dim=0, metric="neg_loss", coverage_weight=coverage_weight, coverage_kind=kind)
    env = SelectionEnv(SelectionEnvConfig(budget=BUDGET, proxy=proxy), pool.num_clusters, 2,
                       num_chunks=pool.units.num_chunks)
    params = env.make_params(pool, data)
    state, _, _ = rollout(env, params, jax.random.key(0), greedy_choice(env, params), max_episode_length(params))
    return pool.units.expand(np.asarray(state.selected))


@pytest.mark.parametrize("kind", KINDS)
def test_greedy_with_a_coverage_weight_covers_the_reward_rows_better_than_on_loss_alone(planted, kind):
    p, pool, data = planted
    targets = reward_rows(pool, p.train_x, p.train_y, p.val_x, p.val_y)
    on_loss, on_cover = _greedy_subset(pool, data[kind], 0.0, kind), _greedy_subset(pool, data[kind], 100.0, kind)
    assert len(on_loss) == len(on_cover)
    coverage = lambda rows: subset_coverage(kind, p.train_x, p.train_y, rows, *targets, 2, BUDGET * len(p.train_y))
    assert coverage(on_cover) > coverage(on_loss) + 0.005


@pytest.mark.parametrize("kind", KINDS)
def test_unit_gain_is_the_change_in_score_coverage_adds_for_each_unit(planted, kind):
    _, _, data = planted
    data = data[kind]
    covered = make_proxy(ProxyConfig(dim=0, coverage_weight=3.0, coverage_kind=kind), 2)
    plain = make_proxy(ProxyConfig(dim=0), 2)
    key, selected = jax.random.key(0), np.zeros(data.gram.shape[0], bool)
    carry, inner = covered.init_carry(key, data), plain.init_carry(key, data)
    selected[5] = True
    before, carry = covered.add(key, carry, selected, 5, data)
    plain_before, inner = plain.add(key, inner, selected, 5, data)
    units = np.array([1, 2, 9])
    gains = covered.unit_gain(carry, units, data)
    for unit, gain in zip(units, np.asarray(gains)):
        after = covered.add(key, carry, selected | (np.arange(len(selected)) == unit), unit, data)[0]
        plain_after = plain.add(key, inner, selected | (np.arange(len(selected)) == unit), unit, data)[0]
        assert float(after - before) - float(plain_after - plain_before) == pytest.approx(float(gain), abs=1e-4)


def test_the_env_shows_coverage_gains_only_when_it_has_a_coverage_term_and_is_asked(planted):
    _, pool, data = planted

    def gain_shape(weight, observe):
        proxy = ProxyConfig(dim=0, coverage_weight=weight, coverage_kind="mean")
        env = SelectionEnv(SelectionEnvConfig(budget=BUDGET, proxy=proxy, observe_gain=observe), pool.num_clusters,
                           2, num_chunks=pool.units.num_chunks)
        obs, _ = env.reset_env(jax.random.key(0), env.make_params(pool, data["mean"]))
        if obs.cluster_gain is not None:  # z-scores over the valid clusters, whatever the gains' scale
            valid = np.asarray(obs.cluster_gain)[np.asarray(obs.action_mask)]
            assert abs(valid.mean()) < 1e-4 and valid.std() == pytest.approx(1.0, abs=1e-3)
        return None if obs.cluster_gain is None else obs.cluster_gain.shape

    assert gain_shape(1.0, True) == (pool.num_clusters,)
    assert gain_shape(1.0, False) is None and gain_shape(0.0, True) is None
