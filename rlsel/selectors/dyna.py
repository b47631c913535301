"""dyna_ppo: PPO trained on imagined rollouts of a learned state-to-score model, refitted between rounds of real
proxy episodes (Dyna).

Each of `dyna.rounds` rounds plays `dyna.real_episodes` episodes of the current (sampled) policy on the real MDP,
one proxy call per step, adds every state it visits with its real score to the model's sums
(`rlsel.selectors.statemodel`), refits the model, and runs the round's share of PPO's updates on the imagined
MDP: the same MDP whose proxy is the model, so an imagined step costs no proxy call. The subset is decoded on the
real MDP as PPO's is. The policy sees no `cluster_error` in either MDP (the model has no per-chunk proxy loss).
`proxy_calls` in the record counts the real episodes' steps plus at most `length` per decoded episode.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlsel.agents.networks import greedy_policy_choice, sampled_policy_choice
from rlsel.agents.ppo import make_ppo
from rlsel.agents.rollout import reset_envs
from rlsel.env.rollouts import max_episode_length
from rlsel.env.selection import SelectionEnv, SelectionParams
from rlsel.selectors.base import Selection
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.decode import decode, decode_best
from rlsel.selectors.settings import SelectorSettings
from rlsel.selectors.statemodel import StateModel, add_moments, fit_model, no_moments, state_features
from rlsel.selectors.states import require_fixed_order


@struct.dataclass
class ModelData:
    """What the imagined MDP's proxy reads in place of `ProxyData`: the model and the real MDP's budget terms."""

    model: StateModel
    num_chunks: jax.Array
    cost: jax.Array
    budget: jax.Array


class ModelScore:
    """A proxy for `SelectionEnv` that scores the chosen units with the state model in `data` (a `ModelData`)."""

    def __init__(self, env: SelectionEnv):
        self.env = env

    def _score(self, taken: jax.Array, data: ModelData) -> jax.Array:
        return data.model.predict(state_features(self.env, data, taken))

    def init_carry(self, key: jax.Array, data: ModelData) -> jax.Array:
        return jnp.zeros(())

    def empty_score(self, data: ModelData) -> jax.Array:
        return self._score(jnp.zeros(self.env.num_clusters, jnp.int32), data)

    def add(self, key, carry, selected, action, data: ModelData):
        taken = selected.reshape(self.env.num_clusters, self.env.num_chunks).sum(1)
        return self._score(taken, data), carry


def imagined_params(proxy: ModelScore, params: SelectionParams, model: StateModel) -> SelectionParams:
    data = ModelData(model=model, num_chunks=params.num_chunks, cost=params.cost, budget=params.budget)
    return params.replace(data=data, empty_score=proxy.empty_score(data))


def real_states(env: SelectionEnv, params: SelectionParams, policy, key: jax.Array, length: int):
    """One real episode: the features of every state it reaches, their real scores, and which steps were played."""

    def body(carry, key):
        obs, state, done = carry
        k_act, k_step = jax.random.split(key)
        obs2, state2, _, done2, _ = env.step_env(k_step, state, policy(k_act, obs, state), params)
        keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(done, b, a), new, old)
        out = (state_features(env, params, state2.taken), state2.score, ~done)
        return (keep(obs2, obs), keep(state2, state), done | done2), out

    k_reset, k_run = jax.random.split(key)
    obs, state = env.reset_env(k_reset, params)
    _, (x, y, stepped) = jax.lax.scan(body, (obs, state, ~obs.action_mask.any()), jax.random.split(k_run, length))
    return x, y, stepped


def select_dyna(ctx: SelectionContext, key: jax.Array, settings: SelectorSettings) -> Selection:
    """PPO on imagined rollouts of a state-to-score model refitted from rounds of real proxy episodes (Dyna); the
    greedy policy (best of it and `decode_samples` sampled episodes) decoded on the real MDP."""
    require_fixed_order(ctx.env, "dyna_ppo")
    config, dyna, hparams = settings.ppo, settings.dyna, settings.ppo_hparams
    blind = dataclasses.replace(ctx.env_config, observe_error=False)
    shape = (ctx.env.num_clusters, ctx.prepared.num_classes, ctx.env.num_chunks)
    real_env = SelectionEnv(blind, *shape, proxy=ctx.env.proxy)
    proxy = ModelScore(real_env)
    dream_env = SelectionEnv(blind, *shape, proxy=proxy)
    params, length = ctx.env_params, max_episode_length(ctx.env_params)
    ppo_for = lambda model: make_ppo(config, dream_env, imagined_params(proxy, params, model))
    empty = jnp.zeros((1, ctx.env.num_clusters), jnp.int32)
    moments = add_moments(no_moments(2 * ctx.env.num_clusters + 2), state_features(real_env, params, empty),
                          params.empty_score[None])
    model0 = fit_model(moments, dyna.ridge)
    network = ppo_for(model0).network

    @jax.jit
    def real_round(moments, policy_params, key):
        policy = sampled_policy_choice(network, policy_params)
        x, y, stepped = jax.vmap(lambda k: real_states(real_env, params, policy, k, length))(
            jax.random.split(key, dyna.real_episodes))
        flat = lambda a: a.reshape(-1, *a.shape[2:])
        moments = add_moments(moments, flat(x), flat(y), flat(stepped))
        return moments, fit_model(moments, dyna.ridge), stepped.sum()

    def dream(runner, model, key, updates):
        ppo = ppo_for(model)
        env = reset_envs(dream_env, imagined_params(proxy, params, model), key, config.num_envs)
        return ppo.update_chunk(runner.replace(env=env), hparams, updates)

    dream = jax.jit(dream, static_argnums=3)
    init_key, round_key, decode_key = jax.random.split(key, 3)
    runner = jax.jit(lambda k, m: ppo_for(m).init(k, hparams))(init_key, model0)
    shares = np.diff(np.linspace(0, config.num_updates, dyna.rounds + 1).round().astype(int))
    real_calls, dream_return = 0, []
    for updates, k in zip(shares, jax.random.split(round_key, dyna.rounds)):
        k_real, k_dream = jax.random.split(k)
        moments, model, calls = real_round(moments, runner.params, k_real)
        real_calls += int(calls)
        if updates:
            runner, metrics = dream(runner, model, k_dream, int(updates))
            dream_return.append(float(np.asarray(metrics["episode_return"])[-1]))
    real_ctx = dataclasses.replace(ctx, env=real_env, env_config=blind)
    info = {"rounds": dyna.rounds, "real_episodes": dyna.real_episodes, "real_episode_calls": real_calls,
            "imagined_steps": config.num_updates * config.batch_size, "imagined_return_by_round": dream_return}
    extra = {"proxy_calls": real_calls + (1 + settings.decode_samples) * length, "dyna": info}
    greedy = greedy_policy_choice(network, runner.params)
    if settings.decode_samples:
        sampled = sampled_policy_choice(network, runner.params)
        return decode_best(real_ctx, greedy, sampled, decode_key, settings.decode_samples, extra)
    return decode(real_ctx, greedy, decode_key, extra)
