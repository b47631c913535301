"""DQN selection: one compiled training program, then the masked-greedy Q policy decoded into a subset."""

from __future__ import annotations

import jax

from rlsel.agents.dqn import DQNConfig, DQNHparams, greedy_action, make_train
from rlsel.env.rollouts import max_episode_length, rollout
from rlsel.selectors.base import Selection, from_unit_mask
from rlsel.selectors.context import SelectionContext


def select_dqn(ctx: SelectionContext, key: jax.Array, config: DQNConfig, hparams: DQNHparams) -> Selection:
    train_key, decode_key = jax.random.split(key)
    state, metrics = jax.jit(make_train(config, ctx.env, ctx.env_params))(train_key, hparams)
    choose = lambda k, obs, s: greedy_action(state.params, obs)
    length = max_episode_length(ctx.env_params)
    final, ret, _ = jax.jit(lambda k: rollout(ctx.env, ctx.env_params, k, choose, length))(decode_key)
    curve = {"episode_return": [float(v) for v in metrics["episode_return"]],
             "timesteps": [int(v) for v in metrics["timesteps"]]}
    return from_unit_mask(ctx, final.selected, {"episode_return": float(ret), "curve": curve})
