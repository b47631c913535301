"""Flip detectors: a cross-fitted classifier gives flipped rows low confidence in their label, and each label's
quota is filled from its top rows or its trusted rows."""

import numpy as np

from rlsel.report import flip_detectors


def test_flipped_rows_get_low_cross_fitted_confidence_in_their_label():
    rng = np.random.default_rng(0)
    clean = np.repeat([0, 1, 2], 200)
    x = rng.normal(size=(600, 8)) + 3.0 * np.eye(8)[clean]
    flipped = rng.random(600) < 0.2
    noisy = np.where(flipped, (clean + 1) % 3, clean)
    confidence = flip_detectors.cross_fitted_confidence(x, noisy, seed=0)
    assert confidence[flipped].mean() < 0.3 < 0.7 < confidence[~flipped].mean()
    top = flip_detectors.top_per_label(confidence, noisy, budget=0.1)
    assert flipped[top].mean() < 0.05 < 0.1 < flipped.mean()  # the top rows are cleaner than the split


def test_quotas_follow_the_label_counts_and_trusted_draws_stay_inside_the_trusted_rows():
    y = np.array([0] * 60 + [1] * 40)
    assert flip_detectors.quotas(y, 0.1) == {0: 6, 1: 4}
    score = np.arange(100.0)
    top = flip_detectors.top_per_label(score, y, 0.1)
    assert sorted(top.tolist()) == list(range(54, 60)) + list(range(96, 100))
    trusted = np.zeros(100, bool)
    trusted[[1, 2, 3, 70, 71]] = True
    drawn = flip_detectors.draw_per_label(trusted, y, 0.1, np.random.default_rng(0))
    assert sorted(drawn.tolist()) == [1, 2, 3, 70, 71]  # too few trusted rows: all of them, nothing else
