"""Proxy fidelity: does the cheap, subsampled proxy score rank subsets as better-trained models do?

Random budget-sized subsets are scored three ways: the env's proxy, (a) the same proxy on every member row
and the full validation split, (b) a strong model (logistic regression on the full embeddings); (c) the
fidelity job (`rlsel.jobs.fidelity`) may add the target finetune's test accuracy on a few subsets. Spearman
correlations summarise them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

from rlsel.env.rollouts import random_choice
from rlsel.proxy import RidgeProxy
from rlsel.proxy.data import class_weights
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.decode import decode_episode


def random_episodes(ctx: SelectionContext, key: jax.Array, num: int) -> tuple[np.ndarray, np.ndarray]:
    """Final unit masks [K, C * J] and env proxy scores [K] of `num` uniformly random valid episodes."""
    play = lambda k: decode_episode(ctx.env, ctx.env_params, random_choice, k)[0]
    states = jax.jit(jax.vmap(play))(jax.random.split(key, num))
    return np.asarray(states.selected), np.asarray(states.score, np.float64)


def full_subset_scores(ctx: SelectionContext, masks: np.ndarray, key: jax.Array) -> np.ndarray:
    """The env's proxy fitted on ALL member rows of each subset and scored on the FULL validation split."""
    prepared, proxy = ctx.prepared, ctx.env.proxy
    data = ctx.env_params.data.replace(x_val=jnp.asarray(ctx.projection(prepared.val_x)),
                                       y_val=jnp.asarray(prepared.val_y, jnp.int32))
    keys = jax.random.split(key, len(masks))
    if isinstance(proxy, RidgeProxy):  # per-unit Gram matrices already sum over every row of the unit
        score = lambda mask, k: proxy.score_weights(proxy.fit_mask(mask, data), data)
        return np.asarray(jax.jit(jax.vmap(score))(jnp.asarray(masks), keys), np.float64)
    # one "unit" holding every train row, weighted by membership of the subset
    data = data.replace(x_sub=jnp.asarray(ctx.projection(prepared.train_x))[None],
                        y_sub=jnp.asarray(prepared.train_y, jnp.int32)[None])
    weights = class_weights(prepared.train_y, data.num_classes, ctx.env_config.proxy.class_balanced)
    row_weights = jnp.asarray(weights[prepared.train_y])
    members = np.zeros((len(masks), len(prepared.train_y)), np.float32)
    for i, mask in enumerate(masks):
        members[i, prepared.pool.units.expand(mask)] = 1.0

    def score(member, k):
        rows = data.replace(w_sub=(member * row_weights)[None])
        params = proxy.train(proxy.module.init(k, data.x_val[:1]), jnp.ones(1, bool), rows)
        return proxy.score_params(params, rows)

    return np.asarray(jax.jit(jax.vmap(score))(jnp.asarray(members), keys), np.float64)


def strong_accuracy(x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, max_iter: int) -> float:
    """Validation accuracy of LogisticRegression trained to convergence on (x, y); one class predicts itself."""
    if len(np.unique(y)) == 1:
        return float(np.mean(y_val == y[0]))
    model = LogisticRegression(max_iter=max_iter).fit(x, y)
    return float(np.mean(model.predict(x_val) == y_val))


def strong_scores(ctx: SelectionContext, masks: np.ndarray, max_iter: int) -> np.ndarray:
    """Strong-model validation accuracy on the full embeddings of every member row, per subset."""
    p = ctx.prepared
    rows = [p.pool.units.expand(mask) for mask in masks]
    return np.array([strong_accuracy(p.train_x[r], p.train_y[r], p.val_x, p.val_y, max_iter) for r in rows])


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman rank correlation; None when either side is constant (the correlation is undefined)."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(spearmanr(a, b).statistic)
