"""climb_disc and the MDP states it searches: on a planted MDP it finds the planted best state, which as many
random states as it scores never reach; its states stay within the budget and full."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from planted_flips import clean_state, flipped_context
from rlsel.env.rollouts import max_episode_length
from rlsel.selectors.climb import _random_states, _score_padded, climb, select_climb
from rlsel.selectors.settings import ClimbConfig, SelectorSettings
from rlsel.selectors.states import budget_used, mutate, random_state

CONFIG = ClimbConfig(init_states=32, rounds=6, per_round=16, candidates=256)


@pytest.fixture(scope="module")
def planted():
    return flipped_context(seed=0)


@pytest.fixture(scope="module")
def found(planted):
    ctx, _ = planted
    return climb(ctx, jax.random.key(0), CONFIG)


def test_climb_finds_the_planted_best_state(planted, found):
    _, flipped = planted
    taken, _, record = found
    np.testing.assert_array_equal(taken, clean_state(flipped))
    assert record["proxy_calls"] == CONFIG.init_states + CONFIG.rounds * CONFIG.per_round
    assert record["best_score_by_round"] == sorted(record["best_score_by_round"])


def test_as_many_random_states_miss_it(planted, found):
    ctx, _ = planted
    _, score, record = found
    length = max_episode_length(ctx.env_params)
    keys = jax.random.split(jax.random.key(1), record["proxy_calls"] // CONFIG.init_states)
    states = np.concatenate([np.asarray(_random_states(ctx.env, ctx.env_params, k, CONFIG.init_states, length))
                             for k in keys])
    scores = _score_padded(ctx.env, ctx.env_params, jax.random.key(0), states, CONFIG.per_round)
    assert scores.max() < score - 0.1, (scores.max(), score)


def test_random_and_mutated_states_are_full_and_within_budget(planted):
    ctx, _ = planted
    env, params = ctx.env, ctx.env_params
    length = max_episode_length(params)

    @jax.jit
    def states(key):
        first = jax.vmap(lambda k: random_state(env, params, k, length))(jax.random.split(key, 16))
        return first, jax.vmap(lambda s, k: mutate(env, params, k, s, 3, length))(first, jax.random.split(key, 16))

    for taken in states(jax.random.key(2)):
        used = budget_used(env, params, taken)
        assert bool((used <= params.budget + 1e-6).all())
        assert not bool(jax.vmap(lambda t, u: env.action_mask(t, u, params).any())(taken, used).any())
        assert bool((taken <= params.num_chunks).all() & (taken >= 0).all())
        assert bool((env.held_units(taken).sum(-1) == taken.sum(-1)).all())


def test_the_selection_is_the_best_state_with_its_proxy_calls_and_same_key_same_indices(planted, found):
    ctx, _ = planted
    settings = SelectorSettings(climb=CONFIG)
    selection = select_climb(ctx, jax.random.key(0), settings)
    expected = ctx.prepared.pool.units.expand(np.asarray(ctx.env.held_units(jnp.asarray(found[0]))))
    np.testing.assert_array_equal(selection.indices, expected)
    assert selection.extra["proxy_calls"] == found[2]["proxy_calls"]
    assert selection.extra["episode_return"] == pytest.approx(found[1] - float(ctx.env_params.empty_score))
