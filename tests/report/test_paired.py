"""paired_gains pairs runs by seed within a dataset and noise level, in points, and skips unpaired seeds."""

import pytest

from rlsel.report.paired import paired_gains


def row(method, seed, val, variant="", dataset="d", noise="0.0"):
    return {"dataset": dataset, "label_noise": noise, "method": method, "variant": variant, "seed": str(seed),
            "val_accuracy": str(val)}


def test_differences_are_paired_by_seed_and_in_points():
    rows = [row("ppo", 0, 0.81), row("ppo", 1, 0.80), row("random", 1, 0.78), row("random", 0, 0.80),
            row("random", 2, 0.90), row("ppo", 0, 0.50, variant="cap2"), row("ppo", 0, 0.99, noise="0.3")]
    gains = paired_gains(rows, "ppo", "random")
    assert list(gains) == [("d", 0.0)]
    assert gains["d", 0.0]["seeds"] == [0, 1]
    assert gains["d", 0.0]["differences"] == pytest.approx([1.0, 2.0])
    assert gains["d", 0.0]["mean"] == pytest.approx(1.5)
    low, high = gains["d", 0.0]["ci95"]
    assert low < 1.5 < high and high - 1.5 == pytest.approx(1.5 - low)
    assert gains["d", 0.0]["sd"] == pytest.approx(0.71) and gains["d", 0.0]["seeds_for_1_point"] > 2


def test_a_variant_is_compared_only_when_named():
    rows = [row("ppo", 0, 0.50, variant="cap2"), row("ppo", 0, 0.80)]
    assert paired_gains(rows, "ppo", "ppo", baseline_variant="cap2")["d", 0.0]["differences"] == pytest.approx([30.0])
