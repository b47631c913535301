"""A state's real score (the env's proxy fitted on its units: one proxy call) and a learned state-to-score model:
ridge regression on state features, fitted from running sufficient statistics so its data never grows.

Features of `taken`: the fraction of each cluster's chunks held [C], whether each cluster is touched [C], and the
budget spent u with u^2 (scores rise, with diminishing returns, as the subset grows).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlsel.env.selection import SelectionEnv, SelectionParams
from rlsel.proxy import RidgeProxy
from rlsel.selectors.states import budget_used


def state_score(env: SelectionEnv, params: SelectionParams, key: jax.Array, taken: jax.Array) -> jax.Array:
    """f(S): the env's proxy fitted from scratch on the state's units, scored on the reward rows. Equals the final
    score of any episode ending in this state (ridge: exactly; Adam heads: trained once on the whole subset)."""
    selected, proxy, data = env.held_units(taken), env.proxy, params.data
    if isinstance(proxy, RidgeProxy):
        return proxy.score_weights(proxy.fit_mask(selected, data), data)
    return proxy.score_params(proxy.train(proxy.init_carry(key, data), selected, data), data)


def state_features(env: SelectionEnv, params: SelectionParams, taken: jax.Array) -> jax.Array:
    """[..., 2C + 2] the regressor's view of a state (see module docstring)."""
    frac = taken / jnp.maximum(params.num_chunks, 1).astype(jnp.float32)
    u = budget_used(env, params, taken) / params.budget
    return jnp.concatenate([frac, (taken > 0).astype(jnp.float32), u[..., None], u[..., None] ** 2], axis=-1)


@struct.dataclass
class Moments:
    """Weighted sums over the states seen so far: count, sum x, sum y, sum x x^T, sum x y."""

    count: jax.Array
    sum_x: jax.Array
    sum_y: jax.Array
    xx: jax.Array
    xy: jax.Array


@struct.dataclass
class StateModel:
    """score ~ (x - mean_x) . weights + mean_y."""

    mean_x: jax.Array
    mean_y: jax.Array
    weights: jax.Array

    def predict(self, x: jax.Array) -> jax.Array:
        return (x - self.mean_x) @ self.weights + self.mean_y


def no_moments(num_features: int) -> Moments:
    zeros = jnp.zeros(num_features, jnp.float32)
    return Moments(count=jnp.zeros(()), sum_x=zeros, sum_y=jnp.zeros(()), xx=jnp.zeros((num_features,) * 2),
                   xy=zeros)


def add_moments(moments: Moments, x: jax.Array, y: jax.Array, w: jax.Array | None = None) -> Moments:
    """The sums with rows x [n, F], targets y [n] added at weights w [n] (1 when None; 0 leaves a row out)."""
    w = jnp.ones_like(y) if w is None else w.astype(jnp.float32)
    xw = x * w[:, None]
    return Moments(count=moments.count + w.sum(), sum_x=moments.sum_x + xw.sum(0), sum_y=moments.sum_y + w @ y,
                   xx=moments.xx + xw.T @ x, xy=moments.xy + xw.T @ y)


def fit_model(moments: Moments, ridge: float) -> StateModel:
    """Ridge on centred features and targets: (Xc^T Xc + ridge I) w = Xc^T yc, from the sums alone."""
    n = jnp.maximum(moments.count, 1.0)
    mean_x, mean_y = moments.sum_x / n, moments.sum_y / n
    xx = moments.xx - n * jnp.outer(mean_x, mean_x)
    xy = moments.xy - n * mean_x * mean_y
    eye = jnp.eye(xx.shape[0], dtype=xx.dtype)
    return StateModel(mean_x=mean_x, mean_y=mean_y, weights=jnp.linalg.solve(xx + ridge * eye, xy))
