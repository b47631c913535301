"""Score any set of train examples with the closed-form proxy: one yardstick for every selection method."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from rlsel.proxy import metrics
from rlsel.proxy.config import ProxyConfig
from rlsel.proxy.data import ProxyData, Projection, class_weights
from rlsel.proxy.ridge import solve


def subset_proxy_score(config: ProxyConfig, projection: Projection, train_x: np.ndarray, train_y: np.ndarray,
                       indices: np.ndarray, data: ProxyData) -> float:
    """Validation-subsample score of the least-squares head fitted on exactly these train rows."""
    num_classes = data.num_classes
    z = projection(train_x[indices])
    z1 = np.concatenate([z, np.ones((len(z), 1), np.float32)], axis=1)
    w = class_weights(train_y, num_classes, config.class_balanced)[train_y[indices]]
    onehot = np.eye(num_classes, dtype=np.float32)[train_y[indices]]
    gram, moment = (z1 * w[:, None]).T @ z1, (z1 * w[:, None]).T @ onehot
    weights = solve(jnp.asarray(gram), jnp.asarray(moment), config.ridge_lambda)
    x_val = jnp.concatenate([data.x_val, jnp.ones((data.x_val.shape[0], 1))], axis=1)
    return float(metrics.score(config.metric, x_val @ weights, jnp.asarray(data.y_val), least_squares=True))
