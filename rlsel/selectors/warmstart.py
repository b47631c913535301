"""WarmStart for PPO and DQN: clone the policy on a cheaper search's subset before training, and keep the better
subset after.

`ppo.warm_start=SOURCE` (or `dqn.warm_start`) runs the search (a method that returns an MDP state), turns its
subset into `taken` [C], and plays it as a demonstration: at each step the valid cluster with the most warm chunks
still to take (ties to the lowest id) until the warm state is reached. The policy's logits (PPO's actor, DQN's
Q-values) are fitted to those actions by cross-entropy for `warm_steps` full-batch Adam steps inside the agent's
one program, so training starts from a policy that plays the warm state. After training, the subset with the
higher return of the policy's and the warm state's is kept; the record says which, and how much of the warm
subset the policy's own subset and the final one keep (`overlap`).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rlsel.agents.dqn import DQNHparams, q_input, q_values
from rlsel.agents.networks import masked_logits
from rlsel.agents.ppo import PPO, PPOHparams
from rlsel.env.rollouts import MASKED_LOGIT, max_episode_length
from rlsel.env.selection import SelectionEnv, SelectionParams
from rlsel.selectors.base import Selection, from_unit_mask
from rlsel.selectors.climb import select_climb
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.settings import SelectorSettings, WarmStart
from rlsel.selectors.simple import select_greedy, select_random_clusters
from rlsel.selectors.states import require_fixed_order, taken_from_indices

SOURCES: dict[str, Callable[[SelectionContext, jax.Array, SelectorSettings], Selection]] = {  # WARM_SOURCES
    "greedy": lambda ctx, key, settings: select_greedy(ctx, key),
    "climb_disc": select_climb,
    "random_clusters": lambda ctx, key, settings: select_random_clusters(ctx, key),
}


@dataclasses.dataclass(frozen=True)
class Demo:
    """The warm state, its return, and the episode that plays it: observations [T, ...] and actions [T]."""

    source: str
    taken: np.ndarray
    episode_return: float
    obs: object
    actions: np.ndarray


def play_warm(env: SelectionEnv, params: SelectionParams, warm: jax.Array, key: jax.Array, length: int):
    """The demonstration episode towards `warm`: observations, actions, which steps count, and the return."""

    def body(carry, key):
        obs, state, ret, done = carry
        left = warm - state.taken
        action = jnp.argmax(jnp.where(obs.action_mask & (left > 0), left, MASKED_LOGIT))
        counts = ~done & (left[action] > 0) & obs.action_mask[action]
        obs2, state2, reward, _, _ = env.step_env(key, state, action, params)
        keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(counts, a, b), new, old)
        return (keep(obs2, obs), keep(state2, state), ret + jnp.where(counts, reward, 0.0), ~counts), (obs, action,
                                                                                                         counts)

    k_reset, k_run = jax.random.split(key)
    obs, state = env.reset_env(k_reset, params)
    (_, _, ret, _), (obs, actions, counts) = jax.lax.scan(body, (obs, state, jnp.zeros(()), jnp.zeros((), bool)),
                                                          jax.random.split(k_run, length))
    return obs, actions, counts, ret


def make_demo(ctx: SelectionContext, key: jax.Array, settings: SelectorSettings, warm: WarmStart) -> Demo:
    """Run `warm`'s source (told `settings`, as climb_disc needs) and turn its subset into the demonstration."""
    require_fixed_order(ctx.env, f"{warm.agent}.warm_start")
    source = warm.source
    search_key, play_key = jax.random.split(key)
    taken = taken_from_indices(ctx.prepared.pool.units, SOURCES[source](ctx, search_key, settings).indices)
    play = jax.jit(lambda k: play_warm(ctx.env, ctx.env_params, jnp.asarray(taken), k,
                                       max_episode_length(ctx.env_params)))
    obs, actions, counts, ret = play(play_key)
    steps = np.flatnonzero(np.asarray(counts))
    obs = jax.tree_util.tree_map(lambda x: None if x is None else np.asarray(x)[steps], obs)
    return Demo(source=source, taken=taken, episode_return=float(ret), obs=obs, actions=np.asarray(actions)[steps])


def fit_to_demo(params, logits: Callable, demo: Demo, lr: jax.Array, steps: int):
    """`params` after `steps` full-batch Adam steps (at `lr`) of cross-entropy between `logits(params, obs)` over
    the valid actions and the demonstration's actions."""
    obs, actions = jax.tree_util.tree_map(jnp.asarray, demo.obs), jnp.asarray(demo.actions)
    tx = optax.adam(lr)

    def loss(params):
        return optax.softmax_cross_entropy_with_integer_labels(masked_logits(logits(params, obs), obs), actions).mean()

    def step(carry, _):
        params, opt_state = carry
        updates, opt_state = tx.update(jax.grad(loss)(params), opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), None

    (params, _), _ = jax.lax.scan(step, (params, tx.init(params)), None, length=steps)
    return params


def cloned(ppo: PPO, num_updates: int, demo: Demo, steps: int) -> PPO:
    """`ppo` whose `init` fits the actor to the demonstration (`steps` Adam steps at PPO's lr)."""

    def init(key: jax.Array, hparams: PPOHparams):
        runner = ppo.init(key, hparams)
        logits = lambda params, obs: ppo.network.apply(params, obs)[0]
        return runner.replace(params=fit_to_demo(runner.params, logits, demo, hparams.lr, steps))

    def train(key: jax.Array, hparams: PPOHparams):
        return ppo.update_chunk(init(key, hparams), hparams, num_updates)

    return ppo._replace(init=init, train=train)


def q_start(demo: Demo, steps: int) -> Callable[[list, DQNHparams], list]:
    """DQN's `start`: the Q-network fitted with its Q-values as logits (`steps` Adam steps at DQN's lr), so the
    demonstration's actions are its greedy ones. Cloning, not replay: a demo of tens of transitions is a sliver
    of the buffer, rarely sampled and soon overwritten, while the fit makes the starting policy play it; the
    TD updates then re-fit the values from there, and `keep_better` still guards the result."""

    def start(params: list, hparams: DQNHparams) -> list:
        num_actions = params[-1]["b"].shape[0]
        logits = lambda p, obs: q_values(p, jax.vmap(lambda o: q_input(o, num_actions))(obs).features)
        return fit_to_demo(params, logits, demo, hparams.lr, steps)

    return start


def overlap(indices: np.ndarray, warm: np.ndarray) -> float:
    """Share of the warm subset's examples that `indices` keeps."""
    return float(np.isin(warm, indices).mean()) if len(warm) else 1.0


def keep_better(ctx: SelectionContext, demo: Demo, policy: Selection) -> Selection:
    """The policy's subset or the warm state's, whichever has the higher return, with the warm-start record."""
    warm = from_unit_mask(ctx, np.asarray(ctx.env.held_units(jnp.asarray(demo.taken))))
    policy_return = policy.extra["episode_return"]
    won = demo.episode_return > policy_return
    final = warm if won else policy
    info = {"source": demo.source, "source_return": demo.episode_return, "policy_return": policy_return,
            "demo_steps": len(demo.actions), "winner": "warm" if won else "policy",
            "policy_overlap": overlap(policy.indices, warm.indices), "overlap": overlap(final.indices, warm.indices)}
    extra = {**policy.extra, "episode_return": max(demo.episode_return, policy_return), "warm_start": info}
    return dataclasses.replace(final, extra=extra)
