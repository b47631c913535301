"""DQN selection: one compiled training program, then the masked-greedy Q policy decoded into a subset; with a
warm start (`rlsel.selectors.warmstart`) the Q-network first learns to play a search's subset."""

from __future__ import annotations

import jax

from rlsel.agents.dqn import greedy_action, make_train
from rlsel.metrics_log import MetricsLog
from rlsel.selectors import warmstart
from rlsel.selectors.base import Selection
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.decode import decode
from rlsel.selectors.settings import SelectorSettings


def select_dqn(ctx: SelectionContext, key: jax.Array, settings: SelectorSettings) -> Selection:
    """Train DQN on the selection MDP and decode the greedy Q policy into a subset; each log period's metrics go
    to the workdir's metrics log (stage "dqn", step = env timesteps)."""
    warm = settings.dqn_warm
    demo = warmstart.make_demo(ctx, jax.random.fold_in(key, 1), settings, warm) if warm.source else None
    start = None if demo is None else warmstart.q_start(demo, warm.steps)
    train_key, decode_key = jax.random.split(key)
    train = make_train(settings.dqn, ctx.env, ctx.env_params, start)
    state, metrics = jax.jit(train)(train_key, settings.dqn_hparams)
    curve = {"episode_return": [float(v) for v in metrics["episode_return"]],
             "timesteps": [int(v) for v in metrics["timesteps"]]}
    with MetricsLog(settings.run.log_dir, "dqn") as log:
        for period, step in enumerate(curve["timesteps"]):
            log.write(step, {name: values[period] for name, values in metrics.items() if name != "timesteps"})
    selection = decode(ctx, lambda k, obs, s: greedy_action(state.params, obs), decode_key, {"curve": curve})
    return selection if demo is None else warmstart.keep_better(ctx, demo, selection)
