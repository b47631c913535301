"""DQN selection: one compiled training program, then the masked-greedy Q policy decoded into a subset."""

from __future__ import annotations

import jax

from rlsel.agents.dqn import greedy_action, make_train
from rlsel.metrics_log import MetricsLog
from rlsel.selectors.base import Selection
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.decode import decode
from rlsel.selectors.settings import SelectorSettings


def select_dqn(ctx: SelectionContext, key: jax.Array, settings: SelectorSettings) -> Selection:
    """Train DQN on the selection MDP and decode the greedy Q policy into a subset; each log period's metrics go
    to the workdir's metrics log (stage "dqn", step = env timesteps)."""
    train_key, decode_key = jax.random.split(key)
    state, metrics = jax.jit(make_train(settings.dqn, ctx.env, ctx.env_params))(train_key, settings.dqn_hparams)
    curve = {"episode_return": [float(v) for v in metrics["episode_return"]],
             "timesteps": [int(v) for v in metrics["timesteps"]]}
    with MetricsLog(settings.run.log_dir, "dqn") as log:
        for period, step in enumerate(curve["timesteps"]):
            log.write(step, {name: values[period] for name, values in metrics.items() if name != "timesteps"})
    return decode(ctx, lambda k, obs, s: greedy_action(state.params, obs), decode_key, {"curve": curve})
