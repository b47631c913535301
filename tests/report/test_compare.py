"""The comparison table: CIs, per-method summaries, CSV columns."""

import csv
import math

import pytest

from rlsel.report import compare
from rlsel.report.stats import mean_ci95


def _row(method, seed, acc):
    return {"dataset": "d", "method": method, "seed": seed, "budget": 0.05, "num_selected": 400,
            "proxy_val_score": 0.7, "val_accuracy": acc + 0.02, "test_accuracy": acc, "test_macro_f1": acc - 0.01,
            "select_wall_s": 10.0, "finetune_wall_s": 20.0}


def test_mean_ci95_uses_student_t():
    mean, half = mean_ci95([0.70, 0.72, 0.74])
    assert mean == pytest.approx(0.72)
    assert half == pytest.approx(4.303 * 0.02 / math.sqrt(3), rel=1e-3)
    assert math.isnan(mean_ci95([0.5])[1])
    values = [0.70 + 0.01 * i for i in range(13)]  # 12 degrees of freedom: t, not the normal 1.96
    sd = math.sqrt(sum((v - 0.76) ** 2 for v in values) / 12)
    assert mean_ci95(values)[1] == pytest.approx(2.1788 * sd / math.sqrt(13), rel=1e-4)


def test_table_and_csv(tmp_path):
    rows = [_row("ppo", s, a) for s, a in enumerate([0.80, 0.82])] + [_row("random", 0, 0.75)]
    table = compare.markdown_table(rows)
    assert "| d | 0 | ppo | 2 | 400 | 0.8300 ± 0.1271 | 0.8100 ± " in table  # validation first, then test
    assert "| d | 0 | random | 1 | 400 | 0.7700 | 0.7500 |" in table
    assert "| 10.0 | 20.0 |" in table  # wall times as plain means
    compare.write_csv(tmp_path / "r.csv", rows)
    with open(tmp_path / "r.csv") as f:
        read = list(csv.DictReader(f))
    assert tuple(read[0]) == compare.COLUMNS and len(read) == 3
    compare.plot(rows, tmp_path / "r.png")
    assert (tmp_path / "r.png").stat().st_size > 1000


def test_variants_get_their_own_lines_and_rows_read_back_summarise_the_same(tmp_path):
    rows = [_row("ppo", 0, 0.80), {**_row("ppo", 1, 0.70), "variant": "coverage"}]
    table = compare.markdown_table(rows)
    assert "| d | 0 | ppo | 1 | 400 | 0.8200 | 0.8000 |" in table
    assert "| d | 0 | ppo (coverage) | 1 | 400 | 0.7200 | 0.7000 |" in table
    compare.write_csv(tmp_path / "r.csv", rows)
    assert compare.markdown_table(compare.read_csv(tmp_path / "r.csv")) == table
