"""Proxy models: the closed form matches numpy, trained heads learn, metrics and f(empty) are right."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.synthetic import planted_clusters
from rlsel.proxy import ProxyConfig, make_proxy, make_proxy_data
from rlsel.proxy.data import class_weights, fit_projection
from rlsel.proxy.metrics import tie_aware_accuracy


@pytest.fixture(scope="module")
def planted():
    p = planted_clusters(seed=2, num_noisy=0)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=40, val_size=400,
                      seed=0)
    return p, pool


def _data(planted, dim=0, balanced=False, with_projection=False):
    p, pool = planted
    out = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=dim, class_balanced=balanced)
    return out if with_projection else out[0]


def test_tie_aware_accuracy_gives_one_over_k_for_zero_logits():
    labels = jnp.array([0, 1, 2, 2])
    assert float(tie_aware_accuracy(jnp.zeros((4, 3)), labels)) == pytest.approx(1 / 3)
    logits = jax.nn.one_hot(jnp.array([0, 1, 0, 2]), 3)
    assert float(tie_aware_accuracy(logits, labels)) == pytest.approx(0.75)


def test_ridge_matches_numpy_least_squares(planted):
    data, projection = _data(planted, with_projection=True)
    proxy = make_proxy(ProxyConfig(kind="ridge", dim=0, ridge_lambda=0.5), 2)
    chosen = [1, 4, 7]
    carry = proxy.init_carry(jax.random.key(0), data)
    selected = jnp.zeros(12, bool)
    for a in chosen:
        selected = selected.at[a].set(True)
        score, carry = proxy.add(jax.random.key(0), carry, selected, a, data)
    p, pool = planted
    rows = pool.expand(chosen)
    x1 = np.concatenate([projection(p.train_x[rows]), np.ones((len(rows), 1))], 1).astype(np.float64)
    onehot = np.eye(2)[p.train_y[rows]]
    w = np.linalg.solve(x1.T @ x1 + 0.5 * np.eye(x1.shape[1]), x1.T @ onehot)
    np.testing.assert_allclose(carry.gram, x1.T @ x1, rtol=1e-4)
    np.testing.assert_allclose(proxy.fit_mask(selected, data), w, rtol=1e-3, atol=1e-4)
    val1 = np.concatenate([projection(p.val_x), np.ones((len(p.val_x), 1))], 1)
    expected = np.mean((val1 @ w).argmax(1) == p.val_y)
    assert float(score) == pytest.approx(expected, abs=1e-6)
    assert float(proxy.score_weights(proxy.fit_mask(jnp.ones(12, bool), data), data)) > 0.85


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_trained_heads_learn_only_from_chosen_clusters(planted, kind):
    data = _data(planted)
    proxy = make_proxy(ProxyConfig(kind=kind, dim=0, train_steps=100), 2)
    everything = jnp.ones(12, bool)
    score, _ = jax.jit(proxy.add)(jax.random.key(0), proxy.init_carry(jax.random.key(0), data), everything,
                                  0, data)
    assert float(score) > 0.85
    nothing = jnp.zeros(12, bool)
    params = proxy.train(proxy.init_carry(jax.random.key(0), data), nothing, data)
    init = proxy.init_carry(jax.random.key(0), data)
    # With no chosen cluster the loss is zero, so only weight decay moves the parameters: they shrink.
    before, after = jax.tree_util.tree_leaves(init), jax.tree_util.tree_leaves(params)
    assert all(float(jnp.abs(a).sum()) <= float(jnp.abs(b).sum()) + 1e-6 for a, b in zip(after, before))


def test_warm_start_continues_from_the_previous_parameters(planted):
    data = _data(planted)
    cold = make_proxy(ProxyConfig(kind="linear", dim=0, train_steps=5), 2)
    warm = make_proxy(ProxyConfig(kind="linear", dim=0, train_steps=5, warm_start=True), 2)
    selected = jnp.ones(12, bool)
    previous = warm.train(warm.init_carry(jax.random.key(0), data), selected, data)
    _, warm_params = warm.add(jax.random.key(2), previous, selected, 0, data)
    _, cold_params = cold.add(jax.random.key(2), previous, selected, 0, data)
    expected_warm = warm.train(previous, selected, data)
    expected_cold = cold.train(cold.init_carry(jax.random.key(2), data), selected, data)
    leaves = jax.tree_util.tree_leaves
    for got, want in zip(leaves(warm_params) + leaves(cold_params), leaves(expected_warm) + leaves(expected_cold)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(leaves(warm_params)[0], leaves(cold_params)[0])


def test_vmapped_solve_maps_one_matrix_per_call_and_matches_numpy():
    from rlsel.proxy.ridge import solve

    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 5, 20, 4)).astype(np.float32)
    gram = np.einsum("abnd,abne->abde", x, x)
    moment = rng.normal(size=(6, 5, 4, 2)).astype(np.float32)
    expected = np.linalg.solve(gram + 0.5 * np.eye(4), moment)
    once = jax.jit(jax.vmap(lambda g, m: solve(g, m, 0.5)))(gram[0], moment[0])
    nested = jax.jit(jax.vmap(jax.vmap(lambda g, m: solve(g, m, 0.5))))(gram, moment)
    shared = jax.vmap(lambda g: solve(g, moment[0, 0], 0.5))(gram[0])  # moment not batched
    np.testing.assert_allclose(once, expected[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(nested, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(shared, np.linalg.solve(gram[0] + 0.5 * np.eye(4), moment[0, 0]), rtol=1e-4, atol=1e-5)
    hlo = jax.jit(jax.vmap(lambda g, m: solve(g, m, 0.5))).lower(gram[0], moment[0]).as_text()
    assert "while" in hlo  # a loop over the batch, not one batched kernel call


def test_empty_scores_are_defined(planted):
    data = _data(planted)
    assert float(make_proxy(ProxyConfig(), 2).empty_score(data)) == pytest.approx(0.5)
    assert float(make_proxy(ProxyConfig(metric="neg_loss"), 2).empty_score(data)) == pytest.approx(-1.0)
    neg_ce = make_proxy(ProxyConfig(kind="linear", metric="neg_loss"), 2).empty_score(data)
    assert float(neg_ce) == pytest.approx(-np.log(2), rel=1e-5)


def test_projection_whitens_and_balanced_weights_equalise_classes():
    x = np.random.default_rng(0).normal(size=(500, 10)) * np.arange(1, 11)
    z = fit_projection(x, 4)(x)
    assert z.shape == (500, 4)
    np.testing.assert_allclose(z.std(0, ddof=1), 1.0, rtol=1e-3)
    labels = np.array([0] * 90 + [1] * 10)
    w = class_weights(labels, 2, balanced=True)
    assert w[labels].reshape(-1)[:90].sum() == pytest.approx(w[labels][90:].sum())


def test_the_empty_ridge_head_predicts_zero_under_jit_with_many_classes():
    """XLA CPU (jaxlib 0.10.2) can leave a dot with a constant zero operand unwritten for 11+ outputs; the empty
    head's weights must come from the solve, so its unit errors are each unit's squared label norm."""
    p = planted_clusters(seed=0, num_clusters=400, per_cluster=16, dim=64, num_noisy=0)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=16, val_size=400, seed=0)
    num_classes = 20
    data = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, num_classes, dim=0)[0]
    proxy = make_proxy(ProxyConfig(kind="ridge", dim=0), num_classes)
    units = jnp.arange(data.unit_x.shape[0])

    def empty_errors(key, data):
        return proxy.unit_error(proxy.init_carry(key, data), units, data)

    errors = jax.jit(jax.vmap(empty_errors, in_axes=(0, None)))(jax.random.split(jax.random.key(0), 8), data)
    expected = np.broadcast_to((np.asarray(data.unit_y) ** 2).sum(-1), errors.shape)
    np.testing.assert_allclose(errors, expected, atol=1e-6)
