"""What every selection method receives: the prepared data, the MDP built on it, and the budget."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from rlsel.data.prepare import PrepareConfig, Prepared, prepare
from rlsel.env.selection import SelectionEnv, SelectionEnvConfig, SelectionParams
from rlsel.proxy import ProxyConfig, make_proxy_data
from rlsel.proxy.data import Projection
from rlsel.proxy.evaluate import subset_scores


@dataclasses.dataclass(frozen=True)
class SelectionContext:
    prepared: Prepared
    env: SelectionEnv
    env_params: SelectionParams
    projection: Projection
    env_config: SelectionEnvConfig

    @property
    def budget_examples(self) -> int:
        """Examples a non-cluster method may take: the same fraction of the train split."""
        return max(int(np.floor(self.env_config.budget * len(self.prepared.train_y))), 1)

    def subset_scores(self, indices: np.ndarray) -> tuple[float, float]:
        """(reward score, held-out accuracy) of the closed-form head fitted on exactly these train rows: on the
        reward rows, and on the validation rows only model choice reads (one yardstick for every method)."""
        p = self.prepared
        return subset_scores(self.env_config.proxy, self.projection, p.train_x, p.train_y,
                             np.asarray(indices, np.int64), self.env_params.data, p.val_x[p.choice_rows],
                             p.val_y[p.choice_rows])


def make_context(prepared: Prepared, env_config: SelectionEnvConfig) -> SelectionContext:
    """Build the proxy arrays and the environment for one prepared dataset."""
    proxy: ProxyConfig = env_config.proxy
    data, projection = make_proxy_data(
        prepared.pool, prepared.train_x, prepared.train_y, prepared.val_x, prepared.val_y,
        prepared.num_classes, dim=proxy.dim, class_balanced=proxy.class_balanced,
        coverage=proxy.coverage_kind if proxy.coverage_weight > 0 else None,
        budget=env_config.budget * len(prepared.train_y),
    )
    env = SelectionEnv(env_config, prepared.pool.num_clusters, prepared.num_classes,
                       num_chunks=prepared.pool.units.num_chunks)
    return SelectionContext(prepared=prepared, env=env, env_params=env.make_params(prepared.pool, data),
                            projection=projection, env_config=env_config)


def prepare_context(prepare_config: PrepareConfig,
                    env_config: SelectionEnvConfig) -> tuple[SelectionContext, dict[str, float]]:
    """Prepare the data and build the MDP on it; also the stage timings (the prepare stage's own, plus
    `build_env_s` for the proxy arrays and env)."""
    start = time.perf_counter()
    prepared = prepare(prepare_config)
    ctx = make_context(prepared, env_config)
    build_env_s = time.perf_counter() - start - sum(prepared.timings.values())
    return ctx, {**prepared.timings, "build_env_s": build_env_s}
