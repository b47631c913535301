"""The state sample stays within its bound for any run length, keeps the planned updates, and its PCA finds the
directions the states vary along."""

import numpy as np
import pytest

from rlsel.selectors.state_sample import MAX_STATES, StateSample, pca_2d, sample_plan


@pytest.mark.parametrize("num_updates, num_envs", [(1, 1), (4, 4), (1000, 32), (1999, 8), (2001, 8), (10**6, 64)])
def test_the_plan_never_exceeds_the_bound_and_fills_at_least_half_of_it(num_updates, num_envs):
    plan = sample_plan(num_updates, num_envs)
    assert 1 <= plan.capacity <= MAX_STATES and 1 <= plan.envs <= num_envs
    assert plan.capacity >= min(MAX_STATES // 2, num_updates * num_envs)


def test_only_every_stride_th_update_is_kept_in_update_order():
    plan = sample_plan(num_updates=10, num_envs=2, limit=5)  # one env, every second update
    sample = StateSample(plan, num_clusters=3)
    for first in (1, 4, 7, 10):  # chunks of 3 updates (the last one short)
        n = min(3, 11 - first)
        updates = np.arange(first, first + n, dtype=np.float32)[:, None]
        sample.add(first, {"taken": np.repeat(updates[:, :, None], 3, 2) / 10, "score": updates})
    rows = sample.filled()
    assert rows["update"].tolist() == [2, 4, 6, 8, 10] and rows["score"].tolist() == [2, 4, 6, 8, 10]
    assert np.allclose(rows["taken"][:, 0], rows["update"] / 10)


def test_restoring_keeps_the_rows_of_finished_updates_only():
    plan = sample_plan(num_updates=4, num_envs=1)
    sample = StateSample(plan, num_clusters=2)
    sample.add(1, {"taken": np.ones((4, 1, 2)), "score": np.arange(4.0)[:, None]})
    restored = StateSample(plan, num_clusters=2)
    restored.restore(sample.arrays, done=2)
    assert restored.filled()["update"].tolist() == [1, 2]


def test_pca_lines_up_with_the_direction_of_largest_spread():
    rng = np.random.default_rng(0)
    t = rng.normal(size=200)
    x = np.outer(t, [3.0, 0.0, 4.0]) / 5 + 0.01 * rng.normal(size=(200, 3))
    pca = pca_2d(x.astype(np.float32))
    assert pca.shape == (200, 2) and pca.dtype == np.float32
    assert abs(np.corrcoef(pca[:, 0], t)[0, 1]) > 0.99 and pca[:, 0].std() > 10 * pca[:, 1].std()
    assert not pca_2d(np.zeros((1, 3), np.float32)).any()
