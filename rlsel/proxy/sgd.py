"""Proxies trained with Adam in `lax.scan` on the subsampled members (xi) of the chosen clusters.

Unchosen clusters stay in the batch with weight zero, so the shape never changes with the subset.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from rlsel.proxy import metrics
from rlsel.proxy.config import ProxyConfig
from rlsel.proxy.data import ProxyData
from rlsel.proxy.heads import LinearHead, MLPHead


class SGDProxy:
    """Linear or MLP head trained from scratch each step (or warm-started from the previous step)."""

    def __init__(self, config: ProxyConfig, num_classes: int):
        self.config = config
        self.module = (
            LinearHead(num_classes) if config.kind == "linear" else MLPHead(num_classes, config.hidden)
        )
        self.optimizer = optax.adamw(config.learning_rate, weight_decay=config.weight_decay)

    def init_carry(self, key: jax.Array, data: ProxyData):
        return self.module.init(key, data.x_val[:1])

    def empty_score(self, data: ProxyData) -> jax.Array:
        zeros = jnp.zeros((data.x_val.shape[0], data.num_classes), data.x_val.dtype)
        return metrics.score(self.config.metric, zeros, data.y_val)

    def train(self, params, selected: jax.Array, data: ProxyData):
        """`train_steps` full-batch Adam steps on the weighted, masked cross-entropy."""
        x = data.x_sub.reshape(-1, data.x_sub.shape[-1])
        y = data.y_sub.reshape(-1)
        w = (data.w_sub * selected[:, None]).reshape(-1)
        w = w / jnp.maximum(w.sum(), 1e-6)

        def loss_fn(p):
            losses = optax.softmax_cross_entropy_with_integer_labels(self.module.apply(p, x), y)
            return (losses * w).sum()

        def update(carry, _):
            p, opt_state = carry
            grads = jax.grad(loss_fn)(p)
            updates, opt_state = self.optimizer.update(grads, opt_state, p)
            return (optax.apply_updates(p, updates), opt_state), None

        (params, _), _ = jax.lax.scan(update, (params, self.optimizer.init(params)), None,
                                      length=self.config.train_steps)
        return params

    def score_params(self, params, data: ProxyData) -> jax.Array:
        return metrics.score(self.config.metric, self.module.apply(params, data.x_val), data.y_val)

    def unit_error(self, params, units: jax.Array, data: ProxyData) -> jax.Array:
        """[n] cross-entropy of the current head at the mean of each given unit, against its mean label."""
        logits = self.module.apply(params, data.unit_x[units])
        return -(jax.nn.log_softmax(logits) * data.unit_y[units]).sum(-1)

    def add(self, key: jax.Array, carry, selected: jax.Array, action: jax.Array, data: ProxyData):
        """Score after training on the chosen clusters (`selected` includes `action`), and the new carry."""
        del action
        start = carry if self.config.warm_start else self.module.init(key, data.x_val[:1])
        params = self.train(start, selected, data)
        return self.score_params(params, data), params
