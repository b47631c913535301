"""WarmStart: the actor cloned on a search's subset plays that subset before PPO; PPO started from the planted best
state keeps it; the better of the policy's and the warm subset is kept, with the overlap on record."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from planted_flips import clean_state, flipped_context
from rlsel.agents.networks import greedy_policy_choice
from rlsel.agents.ppo import PPOConfig, PPOHparams, make_ppo
from rlsel.jobs.settings import select_settings
from rlsel.selectors import warmstart
from rlsel.selectors.base import Selection
from rlsel.selectors.decode import decode
from rlsel.selectors.ppo import select_ppo
from rlsel.selectors.settings import WARM_SOURCES, ChunkedRun, SelectorSettings, WarmStart
from rlsel.selectors.states import taken_from_indices

PPO = PPOConfig(num_envs=8, num_steps=16, total_timesteps=8 * 16 * 4, num_minibatches=2, update_epochs=2,
                hidden_size=32)
HPARAMS = PPOHparams(lr=3e-3, gamma=0.9, gae_lambda=0.9, ent_coef=0.0)


def settings(source: str) -> SelectorSettings:
    return SelectorSettings(ppo=PPO, ppo_hparams=HPARAMS, warm=WarmStart(source=source),
                            run=ChunkedRun(progress=False))


@pytest.fixture(scope="module")
def planted():
    return flipped_context(seed=0)


def test_the_sources_are_the_searches_that_return_mdp_states():
    assert tuple(warmstart.SOURCES) == WARM_SOURCES
    with pytest.raises(ValueError, match="ppo.warm_start 'typiclust' is not a search .* greedy, climb_disc"):
        WarmStart(source="typiclust")


def test_a_subset_of_mdp_chunks_maps_back_to_its_state(planted):
    ctx, flipped = planted
    taken = np.array([4, 0, 1, 3, 0, 2, 4, 0, 0, 1, 0, 0], np.int32)
    indices = ctx.prepared.pool.units.expand(np.asarray(ctx.env.held_units(jnp.asarray(taken))))
    np.testing.assert_array_equal(taken_from_indices(ctx.prepared.pool.units, indices), taken)


def test_the_cloned_actor_plays_an_arbitrary_warm_subset(planted):
    """A random_clusters subset is no optimum: only the cloning can make the fresh policy play it."""
    ctx, _ = planted
    warm = settings("random_clusters")
    demo = warmstart.make_demo(ctx, jax.random.key(4), warm, warm.warm)
    ppo = warmstart.cloned(make_ppo(PPO, ctx.env, ctx.env_params), PPO.num_updates, demo, 300)
    runner = jax.jit(ppo.init)(jax.random.key(0), HPARAMS)
    played = decode(ctx, greedy_policy_choice(ppo.network, runner.params), jax.random.key(0))
    np.testing.assert_array_equal(taken_from_indices(ctx.prepared.pool.units, played.indices), demo.taken)
    assert played.extra["episode_return"] == pytest.approx(demo.episode_return, abs=1e-5)


def test_ppo_started_from_the_planted_best_state_keeps_it(planted):
    ctx, flipped = planted
    selection = select_ppo(ctx, jax.random.key(0), settings("greedy"))
    info = selection.extra["warm_start"]
    np.testing.assert_array_equal(taken_from_indices(ctx.prepared.pool.units, selection.indices),
                                  clean_state(flipped))
    assert info["policy_overlap"] == info["overlap"] == 1.0 and info["demo_steps"] == 24


def test_the_warm_subset_wins_when_the_policy_returns_less(planted):
    ctx, flipped = planted
    demo = warmstart.Demo(source="greedy", taken=clean_state(flipped), episode_return=0.8, obs=None,
                          actions=np.zeros(24, np.int32))
    policy = Selection(indices=np.arange(10), clusters=np.array([0]), extra={"episode_return": 0.1, "curve": {}})
    kept = warmstart.keep_better(ctx, demo, policy)
    warm_indices = ctx.prepared.pool.units.expand(np.asarray(ctx.env.held_units(jnp.asarray(demo.taken))))
    np.testing.assert_array_equal(kept.indices, warm_indices)
    assert kept.extra["warm_start"]["winner"] == "warm" and kept.extra["episode_return"] == 0.8
    assert kept.extra["warm_start"]["overlap"] == 1.0 and kept.extra["warm_start"]["policy_overlap"] < 0.5
    assert "curve" in kept.extra


def test_the_select_config_switches_it_on_and_refuses_a_bad_source(select_config):
    select_config.ppo.warm_start, select_config.climb.rounds = "climb_disc", 3
    selector = select_settings(select_config, progress=False).selector
    assert selector.warm == WarmStart(source="climb_disc", steps=300) and selector.climb.rounds == 3
    select_config.ppo.warm_start = "kcenter"
    with pytest.raises(ValueError, match="ppo.warm_start 'kcenter'"):
        select_settings(select_config)
