"""Candidate rewards: the nearest class mean scores what it should, and every candidate is scored on the rows given."""

import numpy as np

from rlsel.proxy.data import ProxyData, fit_projection
from rlsel.report import margin


def _rows(rng, n):
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 6)) * 0.3 + np.eye(6)[y]
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), y.astype(np.int32)


def test_prototype_accuracy_is_perfect_on_separated_classes_and_ignores_a_class_without_rows():
    x, y = _rows(np.random.default_rng(0), 300)
    assert margin.prototype_accuracy(x, y, np.arange(300), x, y, 3) > 0.95
    only_two = np.flatnonzero(y < 2)
    found = margin.prototype_accuracy(x, y, only_two, x, y, 3)
    assert abs(found - np.mean(y < 2)) < 0.05  # class 2's rows are all missed, the rest are right


def test_candidate_scores_fall_when_the_subset_loses_its_labels_meaning():
    rng = np.random.default_rng(1)
    x, y = _rows(rng, 400)
    tx, ty = _rows(rng, 200)
    projection = fit_projection(x, 0)
    data = ProxyData(x_sub=None, y_sub=None, w_sub=None, gram=None, moment=np.zeros((1, 7, 3)), unit_x=None,
                     unit_y=None, x_val=projection(tx), y_val=ty, coverage=None)
    idx = np.arange(0, 400, 4)
    good = margin.candidate_scores(projection, x, y, idx, data, tx, ty, 3, [1.0, 100.0])
    shuffled = margin.candidate_scores(projection, x, rng.permutation(y), idx, data, tx, ty, 3, [1.0, 100.0])
    assert set(good) == {"ridge_loss", "ridge_l1", "ridge_l100", "prototype", "lr"}
    for name in ("ridge_l1", "ridge_l100", "prototype"):
        assert good[name] > 0.9 and shuffled[name] < 0.6, name
    assert good["ridge_loss"] > shuffled["ridge_loss"]
