"""The finetune-noise grid: variance shares, and paired gains over finetune seeds."""

import pytest

from rlsel.report.noise import pair_gain, seed_grid_summary, variance_split


def test_a_grid_without_finetune_noise_is_all_subset():
    grid = {(s, f): 80.0 + 2.0 * s for s in range(3) for f in range(3)}
    split = variance_split(grid)
    assert split["finetune_sd"] == 0.0 and split["subset_sd"] == pytest.approx(2.0)
    assert split["finetune_share"] == 0.0 and split["mean"] == 82.0


def test_a_grid_whose_subsets_agree_on_average_is_all_finetune_seed():
    grid = {(s, f): 80.0 + (1.0 if f == 0 else -1.0 if f == 1 else 0.0) for s in range(3) for f in range(3)}
    split = variance_split(grid)
    assert split["finetune_sd"] == pytest.approx(1.0) and split["subset_sd"] == 0.0 and split["finetune_share"] == 1.0


def test_pair_gain_averages_over_finetune_seeds_and_pairs_them():
    base = {(s, f): 80.0 + s + f for s in range(3) for f in range(3)}
    better = {cell: value + 2.0 for cell, value in base.items()}
    gain = pair_gain(better, base)
    assert gain["mean"] == 2.0 and gain["ci95"] == [2.0, 2.0] and gain["one_finetune_sd"] == 0.0
    assert gain["subset_seeds"] == [0, 1, 2]


def test_the_summary_takes_random_as_every_pairs_baseline():
    cells = [{"method": m, "subset_seed": s, "finetune_seed": f,
              "val_accuracy": 0.8 + (0.01 if m == "typiclust" else 0)}
             for m in ("random", "typiclust", "herding") for s in range(2) for f in range(2)]
    summary = seed_grid_summary(cells, "val_accuracy")
    assert set(summary["pairs"]) == {"herding - random", "typiclust - random", "herding - typiclust"}
    assert summary["pairs"]["typiclust - random"]["mean"] == pytest.approx(1.0)


def test_the_pooled_split_caps_the_correlation_any_score_can_reach():
    # four subsets at -1 / +1 point, each moved -1 / +1 point by the finetune seed
    cells = [{"method": m, "subset_seed": s, "finetune_seed": f, "val_accuracy": (80.0 + q + (2 * f - 1)) / 100}
             for m in ("random", "typiclust") for s, q in enumerate((-1.0, 1.0)) for f in range(2)]
    pooled = seed_grid_summary(cells, "val_accuracy")["pooled"]
    within, between = 2.0, 4.0 / 3.0 - 2.0 / 2  # means' variance less what the finetune seed explains
    assert pooled["subsets"] == 4 and pooled["finetune_sd"] == pytest.approx(within ** 0.5, abs=0.01)
    assert pooled["correlation_ceiling"] == pytest.approx((between / (between + within)) ** 0.5, abs=0.01)
