"""Score any set of train examples with the closed-form proxy: one yardstick for every selection method."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from rlsel.proxy import metrics
from rlsel.proxy.config import ProxyConfig
from rlsel.proxy.data import ProxyData, Projection, class_weights
from rlsel.proxy.ridge import solve


def fit_subset(config: ProxyConfig, projection: Projection, train_x: np.ndarray, train_y: np.ndarray,
               indices: np.ndarray, num_classes: int) -> jnp.ndarray:
    """[d+1, K] least-squares head weights fitted on exactly these train rows."""
    z = projection(train_x[indices])
    z1 = np.concatenate([z, np.ones((len(z), 1), np.float32)], axis=1)
    w = class_weights(train_y, num_classes, config.class_balanced)[train_y[indices]]
    onehot = np.eye(num_classes, dtype=np.float32)[train_y[indices]]
    gram, moment = (z1 * w[:, None]).T @ z1, (z1 * w[:, None]).T @ onehot
    return solve(jnp.asarray(gram), jnp.asarray(moment), config.ridge_lambda)


def _score(metric: str, weights: jnp.ndarray, x: jnp.ndarray, y: np.ndarray) -> float:
    x1 = jnp.concatenate([x, jnp.ones((x.shape[0], 1), x.dtype)], axis=1)
    return float(metrics.score(metric, x1 @ weights, jnp.asarray(y, jnp.int32), least_squares=True))


def reward_score(metric: str, weights: jnp.ndarray, data: ProxyData) -> float:
    """`metric` of a fitted head on the reward rows (`data.x_val`, already projected)."""
    return _score(metric, weights, jnp.asarray(data.x_val), np.asarray(data.y_val))


def subset_scores(config: ProxyConfig, projection: Projection, train_x: np.ndarray, train_y: np.ndarray,
                  indices: np.ndarray, data: ProxyData, heldout_x: np.ndarray, heldout_y: np.ndarray
                  ) -> tuple[float, float]:
    """(reward score, held-out accuracy) of the head fitted once on these train rows: `config.metric` on the
    reward rows, and accuracy on validation rows the reward never read (`heldout_x`, `heldout_y`)."""
    weights = fit_subset(config, projection, train_x, train_y, indices, data.num_classes)
    return reward_score(config.metric, weights, data), _score("accuracy", weights,
                                                              jnp.asarray(projection(heldout_x)), heldout_y)
