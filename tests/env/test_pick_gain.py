"""pick='gain': a chosen cluster adds the remaining row that most improves the coverage term (kernel herding's
rule inside the cluster the policy names); it needs a coverage term and rules out fixed-order state searches."""

import jax
import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.synthetic import planted_clusters
from rlsel.env.selection import SelectionEnv, SelectionEnvConfig
from rlsel.proxy import ProxyConfig, make_proxy_data
from rlsel.proxy.coverage import subset_coverage
from rlsel.proxy.data import reward_rows
from rlsel.selectors.states import require_fixed_order

BUDGET = 0.1
PROXY = ProxyConfig(dim=0, metric="neg_loss", coverage_weight=10.0, coverage_kind="mean")


@pytest.fixture(scope="module")
def planted():
    p = planted_clusters(seed=4, num_noisy=0)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=8, val_size=200, seed=0,
                      x=p.train_x, chunk_size=1)
    data, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=0, coverage="mean",
                              budget=BUDGET * len(p.train_y))
    env = SelectionEnv(SelectionEnvConfig(budget=BUDGET, proxy=PROXY, pick="gain"), pool.num_clusters, 2,
                       num_chunks=pool.units.num_chunks)
    return p, pool, env, env.make_params(pool, data)


def test_each_step_adds_the_clusters_row_that_best_improves_coverage(planted):
    p, pool, env, params = planted
    targets = reward_rows(pool, p.train_x, p.train_y, p.val_x, p.val_y)
    coverage = lambda rows: subset_coverage("mean", p.train_x, p.train_y, np.asarray(rows, int), *targets, 2,
                                            BUDGET * len(p.train_y))
    obs, state = env.reset_env(jax.random.key(0), params)
    chosen = []
    for action in (2, 2, 5, 2):
        rows = pool.units.rows[action, :, 0][pool.units.mask[action, :, 0]]
        free = [r for r in rows if r not in chosen]
        best = max(free, key=lambda r: coverage(chosen + [r]))
        _, state, _, _, _ = env.step_env(jax.random.key(1), state, action, params)
        now = pool.units.expand(np.asarray(state.selected)).tolist()
        assert sorted(chosen + [best]) == now
        chosen = now


def test_gain_picks_need_a_coverage_term_and_refuse_fixed_order_searches(planted):
    with pytest.raises(ValueError, match="coverage_weight"):
        SelectionEnvConfig(pick="gain")
    with pytest.raises(ValueError, match="pick"):
        SelectionEnvConfig(pick="best")
    with pytest.raises(ValueError, match="climb_disc.*pick='order'"):
        require_fixed_order(planted[2], "climb_disc")
