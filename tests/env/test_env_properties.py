"""Property tests of the selection MDP: any action sequence (invalid actions mapped to valid ones by the mask)
keeps the budget, never re-selects a unit, never takes a chunk a cluster lacks, and its finite rewards
telescope to the final score minus the empty one."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rlsel.data.pool import ClusterPool, build_pool
from rlsel.data.synthetic import planted_clusters
from rlsel.env.selection import SelectionEnv, SelectionEnvConfig, SelectionParams
from rlsel.proxy import ProxyConfig, ProxyData, make_proxy_data

NUM_CLUSTERS, STEPS = 6, 56  # 6 clusters of 20 examples, 8 kept per cluster; more steps than any episode has
PROXY = ProxyConfig(dim=0)


@functools.lru_cache(maxsize=None)
def planted(chunk_size: int) -> tuple[ClusterPool, ProxyData]:
    """The pool (chunks of `chunk_size`, whole clusters for 0) and proxy arrays, built once per chunk size."""
    p = planted_clusters(seed=0, num_clusters=NUM_CLUSTERS, per_cluster=20)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=8, val_size=100, seed=0,
                      x=p.train_x, chunk_size=chunk_size)
    data, _ = make_proxy_data(pool, p.train_x, p.train_y, p.val_x, p.val_y, 2, dim=0)
    return pool, data


def make_env(chunk_size: int, budget: float, mode: str) -> SelectionEnv:
    """An env for one chunk size; its params depend on the budget, its compiled steps do not."""
    pool, _ = planted(chunk_size)
    return SelectionEnv(SelectionEnvConfig(budget=budget, budget_mode=mode, proxy=PROXY), NUM_CLUSTERS, 2,
                        num_chunks=pool.units.num_chunks)


def to_valid(raw: jax.Array, mask: jax.Array) -> jax.Array:
    """Any integer becomes a valid action: the first valid cluster from `raw mod C` on, cyclically."""
    order = (jnp.remainder(raw, NUM_CLUSTERS) + jnp.arange(NUM_CLUSTERS)) % NUM_CLUSTERS
    return order[jnp.argmax(mask[order])]


@functools.lru_cache(maxsize=None)
def player(chunk_size: int):
    """A jitted episode driven by raw actions (compiled once per chunk size): the final state, and per step
    whether it was active, its reward, the budget used, chunks taken and whether its unit was already chosen."""
    env = make_env(chunk_size, 1.0, "examples")

    def play(params: SelectionParams, actions: jax.Array):
        def body(carry, raw):
            obs, state, done = carry
            action = to_valid(raw, obs.action_mask)
            already = state.selected[env.next_unit(state.taken)[action]]
            obs2, state2, reward, done2, _ = env.step_env(jax.random.key(0), state, action, params)
            keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(done, b, a), new, old)
            out = (~done, reward, state2.used, state2.taken, already)
            return (keep(obs2, obs), keep(state2, state), done | done2), out

        obs, state = env.reset_env(jax.random.key(0), params)
        (obs, state, _), steps = jax.lax.scan(body, (obs, state, ~obs.action_mask.any()), actions)
        return obs.action_mask, state, steps

    return jax.jit(play)


actions = st.lists(st.integers(-3, 2 * NUM_CLUSTERS + 3), min_size=1, max_size=STEPS)
setup = st.one_of(
    st.tuples(st.just(0), st.sampled_from([0.2, 0.45, 1.0]), st.just("examples")),
    st.tuples(st.just(0), st.sampled_from([0.34, 0.5]), st.just("clusters")),
    st.tuples(st.sampled_from([1, 3]), st.sampled_from([0.05, 0.2, 1.0]), st.just("examples")),
)


@settings(max_examples=60, deadline=None, database=None)
@given(setup=setup, raw=actions)
def test_any_action_sequence_keeps_every_invariant(setup, raw):
    chunk_size, budget, mode = setup
    pool, data = planted(chunk_size)
    params = make_env(chunk_size, budget, mode).make_params(pool, data)
    mask, state, (active, rewards, used, taken, already) = player(chunk_size)(
        params, jnp.asarray(np.resize(raw, STEPS), jnp.int32))
    active, rewards = np.asarray(active), np.asarray(rewards)
    assert (np.asarray(used)[active] <= float(params.budget) + 1e-4).all()
    assert (np.asarray(taken)[active] <= np.asarray(params.num_chunks)).all()
    assert not np.asarray(already)[active].any() and int(state.selected.sum()) == active.sum()
    assert not np.asarray(mask).any(), "an episode ends only when no action is valid"
    assert np.isfinite(rewards[active]).all()
    np.testing.assert_allclose(rewards[active].sum(), float(state.score) - float(params.empty_score), atol=1e-4)
    chosen = pool.units.expand(state.selected)
    assert len(chosen) == int(pool.units.cost.reshape(-1)[np.asarray(state.selected)].sum())
    assert len(np.unique(chosen)) == len(chosen)
    if mode == "examples":
        assert len(chosen) == float(state.used)
