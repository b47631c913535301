"""Coverage selectors on the frozen embeddings: k-center greedy, facility location and kernel herding.

Each is one jitted greedy loop (`lax.fori_loop`) whose steps are a few vectorised passes over the
embeddings, and takes exactly `ctx.budget_examples` train examples.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from rlsel.selectors.base import Selection
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.quota import label_quota

FACILITY_SAMPLE = 4096  # rows whose coverage facility location maximises; memory is N x this many floats
LAZY_BATCH = 64  # stale upper bounds refreshed together in one lazy-greedy round

_HIGHEST = jax.lax.Precision.HIGHEST


@functools.partial(jax.jit, static_argnames="budget")
def _farthest_points(x: jax.Array, first: jax.Array, budget: int) -> jax.Array:
    """Farthest-point traversal from `first`: each step takes the point farthest from every chosen one."""

    def step(i, carry):
        chosen, dist = carry
        j = jnp.argmax(dist)
        dist = jnp.minimum(dist, jnp.sum((x - x[j]) ** 2, axis=1)).at[j].set(-1.0)  # -1: never again
        return chosen.at[i].set(j), dist

    dist = jnp.sum((x - x[first]) ** 2, axis=1).at[first].set(-1.0)
    chosen = jnp.zeros(budget, jnp.int32).at[0].set(first)
    return jax.lax.fori_loop(1, budget, step, (chosen, dist))[0]


def select_kcenter(ctx: SelectionContext, key: jax.Array) -> Selection:
    """k-center greedy from a key-chosen point: minimises the largest distance of any example to the subset."""
    x = jnp.asarray(ctx.prepared.train_x)
    first = jax.random.randint(key, (), 0, x.shape[0])
    return Selection(indices=np.sort(np.asarray(_farthest_points(x, first, ctx.budget_examples))), clusters=None)


@functools.partial(jax.jit, static_argnames=("budget", "batch"))
def _lazy_facility_location(x: jax.Array, sample: jax.Array, budget: int, batch: int) -> jax.Array:
    """Exact greedy maximisation of sum_i max(0, max_{j in S} cos(i, j)) over `sample` rows i, made lazy:
    gains only shrink (submodularity), so stale gains are upper bounds; each step refreshes the `batch`
    largest bounds until the best refreshed gain beats every bound left stale."""
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True)
    sim = jnp.maximum(jnp.dot(x, x[sample].T, precision=_HIGHEST), 0.0)  # [N, M]

    def step(i, carry):
        chosen, cover, bound = carry

        def refresh(state):
            bound, _, _ = state
            cand = jax.lax.top_k(bound, batch)[1]
            free = bound[cand] > -jnp.inf  # not chosen yet
            gain = jnp.where(free, jnp.sum(jnp.maximum(sim[cand] - cover, 0.0), axis=1), -jnp.inf)
            bound = bound.at[cand].set(gain)
            return bound, gain.max() >= bound.at[cand].set(-jnp.inf).max(), cand[jnp.argmax(gain)]

        bound, _, j = jax.lax.while_loop(lambda s: ~s[1], refresh, (bound, jnp.bool_(False), jnp.int32(0)))
        return chosen.at[i].set(j), jnp.maximum(cover, sim[j]), bound.at[j].set(-jnp.inf)

    init = (jnp.zeros(budget, jnp.int32), jnp.zeros(sim.shape[1], sim.dtype), jnp.sum(sim, axis=1))
    return jax.lax.fori_loop(0, budget, step, init)[0]


def select_facility_location(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Lazy greedy facility location with cosine similarity (negatives count as 0): representatives that cover
    the data. The covered set is a key-chosen sample of at most FACILITY_SAMPLE rows, so memory stays at
    N x 4096 floats (0.5 GB for N = 30k); below that many rows it is all rows and the key is unused."""
    x = jnp.asarray(ctx.prepared.train_x)
    sample = jax.random.permutation(key, x.shape[0])[: min(FACILITY_SAMPLE, x.shape[0])]
    chosen = _lazy_facility_location(x, sample, ctx.budget_examples, min(LAZY_BATCH, x.shape[0]))
    return Selection(indices=np.sort(np.asarray(chosen)), clusters=None)


@functools.partial(jax.jit, static_argnames="steps")
def _herd(x: jax.Array, y: jax.Array, quota: jax.Array, steps: int) -> jax.Array:
    """Per label at once: greedily add the label's unused point that brings the running mean of its picks
    closest to the label's mean, until its quota is met. [steps, K] picks, -1 once a label is done."""
    onehot = jax.nn.one_hot(y, quota.shape[0], dtype=x.dtype)  # [N, K]
    target = jnp.dot(onehot.T, x, precision=_HIGHEST) / jnp.maximum(onehot.sum(0), 1.0)[:, None]
    sq, own = jnp.sum(x * x, axis=1), onehot.T > 0

    def step(t, carry):
        total, taken, used, picks = carry
        residual = total - (taken + 1)[:, None] * target  # ||residual + x||^2 = (t+1)^2 ||new mean - target||^2
        score = sq[None, :] + 2.0 * jnp.dot(residual, x.T, precision=_HIGHEST)  # [K, N], one pass over x
        j = jnp.argmin(jnp.where(own & ~used[None, :], score, jnp.inf), axis=1)  # [K]
        active = taken < quota
        total = total + jnp.where(active[:, None], x[j], 0.0)
        return total, taken + active, used.at[j].max(active), picks.at[t].set(jnp.where(active, j, -1))

    init = (jnp.zeros_like(target), jnp.zeros_like(quota), jnp.zeros(x.shape[0], bool),
            jnp.full((steps, quota.shape[0]), -1, jnp.int32))
    return jax.lax.fori_loop(0, steps, step, init)[3]


def select_herding(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Kernel herding (linear kernel) toward each label's mean embedding, label counts in the train split's
    proportions, so the subset's mean tracks the full data's mean far faster than a random subset's."""
    del key
    quota = label_quota(ctx)
    picks = np.asarray(_herd(jnp.asarray(ctx.prepared.train_x), jnp.asarray(ctx.prepared.train_y),
                             jnp.asarray(quota, jnp.int32), int(quota.max())))
    return Selection(indices=np.sort(picks[picks >= 0]), clusters=None)
