"""climb_disc: a discrete CLIMB over the MDP's final states, scored by the proxy, guided by a learned regressor.

Round 0 scores `init_states` final states of the MDP's random policy (one proxy call each). Each later round fits
the state-to-score ridge on every state scored so far, mutates the `parents` best scored states into `candidates`
new ones (drop a few chunks, refill at random: still within budget and full), predicts their scores, and scores
the `per_round` best predicted ones that were never scored. The subset is the best scored state; the record holds
the number of real proxy calls (`proxy_calls`), the best score after each round and the regressor's fit.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from rlsel.env.rollouts import max_episode_length
from rlsel.env.selection import SelectionEnv, SelectionParams
from rlsel.selectors.base import Selection, from_unit_mask
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.settings import ClimbConfig, SelectorSettings
from rlsel.selectors.statemodel import add_moments, fit_model, no_moments, state_features, state_score
from rlsel.selectors.states import mutate, random_state, require_fixed_order


@functools.partial(jax.jit, static_argnums=(0, 3, 4))
def _random_states(env: SelectionEnv, params: SelectionParams, key: jax.Array, count: int, length: int):
    return jax.vmap(lambda k: random_state(env, params, k, length))(jax.random.split(key, count))


@functools.partial(jax.jit, static_argnums=(0,))
def _scores(env: SelectionEnv, params: SelectionParams, key: jax.Array, states: jax.Array) -> jax.Array:
    """One real proxy call per state."""
    return jax.vmap(lambda s: state_score(env, params, key, s))(states)


@functools.partial(jax.jit, static_argnums=(0, 6, 7))
def _proposals(env: SelectionEnv, params: SelectionParams, key: jax.Array, states: jax.Array, scores: jax.Array,
               scored: jax.Array, config: ClimbConfig, length: int):
    """Mutations of the best scored states and the regressor's prediction of each, and the regressor's R^2 on the
    states it was fitted on. The archive `states` has a fixed capacity; `scored` marks its filled rows."""
    x = state_features(env, params, states)
    model = fit_model(add_moments(no_moments(x.shape[-1]), x, scores, scored), config.ridge)
    mean = (scores * scored).sum() / scored.sum()
    total = (scored * (scores - mean) ** 2).sum()
    r2 = 1.0 - (scored * (scores - model.predict(x)) ** 2).sum() / jnp.maximum(total, 1e-12)
    ranked = jnp.where(scored, scores, -jnp.inf)
    parents = jnp.argsort(-ranked)[: config.parents]
    parents = jnp.where(scored[parents], parents, parents[0])  # fewer scored states than parents: the best again
    which = parents[jnp.arange(config.candidates) % config.parents]
    keys = jax.random.split(key, config.candidates)
    children = jax.vmap(lambda p, k: mutate(env, params, k, p, config.max_moves, length))(states[which], keys)
    return children, model.predict(state_features(env, params, children)), r2


def _unseen_best(children: np.ndarray, predicted: np.ndarray, seen: set, count: int) -> np.ndarray:
    """Up to `count` distinct children never scored before, best predicted first (ties by position)."""
    picked = []
    for i in np.argsort(-predicted, kind="stable"):
        key = children[i].tobytes()
        if key not in seen:
            seen.add(key)
            picked.append(i)
            if len(picked) == count:
                break
    return children[np.asarray(picked, np.int64)]


def _score_padded(env: SelectionEnv, params: SelectionParams, key: jax.Array, states: np.ndarray,
                  width: int) -> np.ndarray:
    """Scores of `states`, evaluated `width` at a time (the last batch padded by repeats) to compile once."""
    out = []
    for start in range(0, len(states), width):
        batch = states[start:start + width]
        padded = np.concatenate([batch, np.repeat(batch[:1], width - len(batch), axis=0)])
        out.append(np.asarray(_scores(env, params, key, jnp.asarray(padded)))[: len(batch)])
    return np.concatenate(out)


def climb(ctx: SelectionContext, key: jax.Array, config: ClimbConfig) -> tuple[np.ndarray, float, dict]:
    """The best scored state `taken` [C], its score, and the search's record (real proxy calls: one per distinct
    state scored)."""
    env, params = ctx.env, ctx.env_params
    length = max_episode_length(params)
    init_key, score_key, round_key = jax.random.split(key, 3)
    first = np.unique(np.asarray(_random_states(env, params, init_key, config.init_states, length)), axis=0)
    capacity = config.init_states + config.rounds * config.per_round
    states = np.zeros((capacity, env.num_clusters), np.int32)
    scores = np.zeros(capacity, np.float32)
    count = len(first)
    states[:count], scores[:count] = first, _score_padded(env, params, score_key, first, config.per_round)
    seen = {s.tobytes() for s in first}
    best_by_round, fit_r2 = [float(scores[:count].max())], []
    for k in jax.random.split(round_key, config.rounds):
        children, predicted, r2 = _proposals(env, params, k, jnp.asarray(states), jnp.asarray(scores),
                                             jnp.arange(capacity) < count, config, length)
        fresh = _unseen_best(np.asarray(children), np.asarray(predicted), seen, config.per_round)
        fit_r2.append(round(float(r2), 4))
        if len(fresh):
            states[count:count + len(fresh)] = fresh
            scores[count:count + len(fresh)] = _score_padded(env, params, score_key, fresh, config.per_round)
            count += len(fresh)
        best_by_round.append(float(scores[:count].max()))
    best = int(np.argmax(scores[:count]))
    record = {"proxy_calls": count, "best_score_by_round": best_by_round, "regressor_r2_by_round": fit_r2}
    return states[best], float(scores[best]), record


def select_climb(ctx: SelectionContext, key: jax.Array, settings: SelectorSettings) -> Selection:
    """Discrete CLIMB: sample MDP states, score them with the proxy, fit a state-to-score regressor, score the best
    predicted mutations of the best states, repeat; the best scored state's subset."""
    require_fixed_order(ctx.env, "climb_disc")
    taken, score, record = climb(ctx, key, settings.climb)
    selected = np.asarray(ctx.env.held_units(jnp.asarray(taken)))
    episode_return = score - float(ctx.env_params.empty_score)
    return from_unit_mask(ctx, selected, {"episode_return": episode_return, "proxy_calls": record["proxy_calls"],
                                          "climb": record})
