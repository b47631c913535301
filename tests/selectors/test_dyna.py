"""dyna_ppo and its state-to-score model: the ridge recovers a planted linear score from its running sums; the
imagined MDP pays the model's score as reward; on the planted MDP dyna_ppo avoids the flipped clusters with a
fraction of plain PPO's real proxy calls."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from planted_flips import flipped_context
from rlsel.agents.ppo import PPOConfig, PPOHparams
from rlsel.env.rollouts import max_episode_length, random_choice, rollout
from rlsel.env.selection import SelectionEnv
from rlsel.selectors.climb import _random_states
from rlsel.selectors.dyna import ModelScore, imagined_params, select_dyna
from rlsel.selectors.settings import ChunkedRun, DynaConfig, SelectorSettings
from rlsel.selectors.statemodel import add_moments, fit_model, no_moments, state_features


@pytest.fixture(scope="module")
def planted():
    return flipped_context(seed=0)


@pytest.fixture(scope="module")
def states(planted):
    ctx, _ = planted
    return _random_states(ctx.env, ctx.env_params, jax.random.key(0), 64, max_episode_length(ctx.env_params))


def test_the_ridge_recovers_a_planted_linear_score_from_sums_added_in_parts(planted, states):
    ctx, _ = planted
    x = state_features(ctx.env, ctx.env_params, states)
    truth = jax.random.normal(jax.random.key(1), (x.shape[1],))
    y = x @ truth + 0.3
    moments = no_moments(x.shape[1])
    for part in range(4):
        moments = add_moments(moments, x[part * 16:(part + 1) * 16], y[part * 16:(part + 1) * 16])
    np.testing.assert_allclose(fit_model(moments, 1e-4).predict(x), y, atol=1e-2)


def test_the_imagined_mdp_pays_the_models_score(planted, states):
    ctx, _ = planted
    x = state_features(ctx.env, ctx.env_params, states)
    model = fit_model(add_moments(no_moments(x.shape[1]), x, x[:, 0] - x[:, 3]), 1.0)
    proxy = ModelScore(ctx.env)
    env = SelectionEnv(ctx.env_config, ctx.env.num_clusters, 2, ctx.env.num_chunks, proxy=proxy)
    params = imagined_params(proxy, ctx.env_params, model)
    length = max_episode_length(params)
    final, ret, _ = jax.jit(lambda k: rollout(env, params, k, random_choice, length))(jax.random.key(2))
    expected = model.predict(state_features(ctx.env, ctx.env_params, final.taken[None]))[0] - params.empty_score
    assert float(ret) == pytest.approx(float(expected), abs=1e-5)
    assert float(params.empty_score) == pytest.approx(float(model.predict(x[:1] * 0)[0]), abs=1e-6)


def test_dyna_ppo_avoids_the_flipped_clusters_on_few_real_calls(planted):
    ctx, flipped = planted
    ppo = PPOConfig(num_envs=16, num_steps=16, total_timesteps=16 * 16 * 40, num_minibatches=4, hidden_size=32)
    hparams = PPOHparams(lr=3e-3, gamma=0.9, gae_lambda=0.9, ent_coef=0.0)
    settings = SelectorSettings(ppo=ppo, ppo_hparams=hparams, dyna=DynaConfig(rounds=4, real_episodes=16),
                                run=ChunkedRun(progress=False))
    selection = select_dyna(ctx, jax.random.key(0), settings)
    share = flipped[ctx.prepared.pool.assignments[selection.indices]].mean()
    assert share <= 0.25, share  # the random policy's subsets are half flipped
    length = max_episode_length(ctx.env_params)
    info = selection.extra["dyna"]
    assert info["real_episode_calls"] <= 4 * 16 * length and info["imagined_steps"] == ppo.total_timesteps
    assert selection.extra["proxy_calls"] == info["real_episode_calls"] + length < ppo.total_timesteps / 5
