"""The nearest-neighbour proxy: unit similarities equal brute force, its running score equals a from-scratch fit,
a chosen row with a wrong label costs the reward rows around it, and the env's rewards telescope on it."""

import jax
import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.synthetic import planted_clusters
from rlsel.env.rollouts import max_episode_length, random_choice, rollout
from rlsel.env.selection import SelectionEnv, SelectionEnvConfig
from rlsel.proxy import NearestProxy, ProxyConfig, make_proxy, make_proxy_data
from rlsel.proxy.data import reward_rows
from rlsel.proxy.nearest import nearest_data, subset_nearest_score

# Two reward rows, one per label; rows 0 and 1 sit by the label-0 reward row (row 1 with the wrong label),
# row 2 by the label-1 one.
X = np.array([[1.0, 0.1], [1.0, 0.1], [0.1, 1.0]], np.float32)
Y = np.array([0, 1, 1])
TARGET_X, TARGET_Y = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32), np.array([0, 1], np.int32)


@pytest.fixture(scope="module")
def planted():
    p = planted_clusters(seed=4, num_noisy=0)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=8, val_size=200, seed=0,
                      chunk_size=1, x=p.train_x)
    data, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=4, nearest=True)
    return p, pool, data


def test_unit_similarity_is_the_best_cosine_of_any_row_of_the_unit():
    rows, mask = np.array([[0, 2], [1, 1]]), np.array([[True, False], [True, False]])
    data = nearest_data(True, rows, mask, X, Y, TARGET_X)
    cosine = (X / np.linalg.norm(X, axis=1, keepdims=True)) @ TARGET_X.T
    np.testing.assert_allclose(data.unit_similarity, cosine[[0, 1]], atol=1e-6)
    assert data.unit_label.tolist() == [0, 1]
    assert data.unit_local[:, 0].tolist() == [0, 0]  # both units are nearest the first reward row


def test_units_mixing_labels_are_refused_with_the_setting_to_change():
    with pytest.raises(ValueError, match="label-pure units: keep prepare.stratified=True"):
        nearest_data(True, np.array([[0, 2]]), np.array([[True, True]]), X, Y, TARGET_X)


def test_a_row_with_the_wrong_label_costs_the_reward_rows_around_it():
    score = lambda rows: subset_nearest_score("accuracy", X, Y, np.array(rows), TARGET_X, TARGET_Y, 2)
    assert score([0, 2]) == pytest.approx(1.0)
    assert score([1, 2]) == pytest.approx(0.5)  # row 1 is nearest the label-0 reward row and says label 1
    assert score([2]) == pytest.approx(0.5)  # label 0 has no row: every reward row goes to label 1
    assert score([]) == pytest.approx(0.5)  # chance


@pytest.mark.parametrize("metric", ["accuracy", "neg_loss"])
def test_running_score_equals_the_score_of_the_chosen_rows_from_scratch(planted, metric):
    p, pool, data = planted
    proxy = make_proxy(ProxyConfig(kind="nearest", metric=metric), 2)
    assert isinstance(proxy, NearestProxy)
    target_x, target_y = reward_rows(pool, p.train_x, p.train_y, p.val_x, p.val_y)
    empty = subset_nearest_score(metric, p.train_x, p.train_y, np.array([], int), target_x, target_y, 2)
    assert float(proxy.empty_score(data)) == pytest.approx(empty, abs=1e-5)
    carry, chosen = proxy.init_carry(jax.random.key(0), data), np.zeros(len(data.nearest.unit_label), bool)
    for unit in [3, 40, 17, 41, 90]:
        chosen[unit] = True
        score, carry = proxy.add(jax.random.key(0), carry, chosen, unit, data)
        rows = pool.units.rows.reshape(-1, pool.units.rows.shape[-1])[chosen][:, 0]
        expected = subset_nearest_score(metric, p.train_x, p.train_y, rows, target_x, target_y, 2)
        assert float(score) == pytest.approx(expected, abs=1e-5)
        assert float(proxy.score_mask(chosen, data)) == pytest.approx(expected, abs=1e-5)
    errors = np.asarray(proxy.unit_error(carry, np.arange(len(chosen)), data))
    assert errors.shape == chosen.shape and ((errors >= 0) & (errors <= 1)).all() and errors.std() > 0


def test_env_rewards_telescope_and_the_swap_mdp_is_refused(planted):
    p, pool, data = planted
    config = SelectionEnvConfig(budget=0.1, proxy=ProxyConfig(kind="nearest"))
    env = SelectionEnv(config, pool.num_clusters, 2, num_chunks=pool.units.num_chunks)
    params = env.make_params(pool, data)
    assert float(params.empty_score) == pytest.approx(0.5)
    steps = max_episode_length(params)
    final, total, _ = rollout(env, params, jax.random.key(1), random_choice, steps)
    assert float(total) == pytest.approx(float(final.score - params.empty_score), abs=1e-5)
    assert float(final.score) > 0.8  # planted clusters: a random 10% already labels most reward rows right
    with pytest.raises(ValueError, match="the swap MDP needs a proxy a unit can leave"):
        SelectionEnv(SelectionEnvConfig(budget=0.1, mdp="swap", proxy=ProxyConfig(kind="nearest")),
                     pool.num_clusters, 2, num_chunks=pool.units.num_chunks).make_params(pool, data)
