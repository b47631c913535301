"""The standing table: one line per cell that ran, cost against the full finetune, and the paired gain over random
in bold only when its interval is above zero."""

from rlsel.report.standing import standing_table


def row(method, seed, test, variant="", select=10.0, finetune=90.0):
    return {"dataset": "d", "label_noise": "0.0", "method": method, "variant": variant, "seed": str(seed),
            "val_accuracy": str(test), "test_accuracy": str(test), "select_wall_s": str(select),
            "finetune_wall_s": str(finetune)}


def test_each_cell_that_ran_gets_a_line_with_its_cost_and_gain_over_random():
    rows = [row("full", 0, 0.9, select="", finetune=400.0)]
    rows += [row("random", s, 0.80 + 0.01 * s) for s in range(3)]
    rows += [row("ppo", s, 0.82 + 0.01 * s + 0.001 * (s == 1)) for s in range(3)]  # +2 points every seed
    rows += [row("typiclust", s, 0.80 + 0.01 * s + (0.02 if s == 0 else -0.02)) for s in range(3)]  # no sign
    rows += [row("random", s, 0.79 + 0.01 * s, variant="steps100") for s in range(3)]  # -1 point every seed
    lines = standing_table(rows).splitlines()
    assert len(lines) == 2 + 5  # header, rule, and the five cells that ran (herding, greedy... did not)
    full, random, typiclust, ppo, shorter = lines[2:]
    assert "full data" in full and "| 1.00 |" in full
    assert "| random | 3 |" in random and "| 0.25 |" in random  # (10 + 90) / 400
    assert "**+2.0 [" in ppo
    assert "TypiClust" in typiclust and "**" not in typiclust
    assert "| -1.0 [" in shorter  # a variant of random is compared with random
