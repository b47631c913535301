"""Does PPO's learning matter? Its subset against the same MDP's random policy and two searches, on the reward.

  python benchmarks/learning_matters.py --runs=runs/compare_movie_cov --config=experiments/configs/select_coverage.py \
      --seeds=0,1,2 --out=results/learning_matters_coverage_movie_sentences.json

For each seed, reads the `ppo` selection.json that experiments/compare.py wrote under RUNS with select config CONFIG
and finetune config FINETUNE_CONFIG (the run whose key they make, so older runs beside it are skipped), rebuilds
that seed's MDP, runs greedy on it (C proxy calls per step), and plays (a) the random policy: the mean of N
episodes, and (b) random search: the best of those N episodes by return, N = PPO's env steps / episode length, so it
spends as many proxy calls as PPO's training. Every subset is scored by its episode return (the whole reward,
coverage included), the proxy's own score and `proxy_heldout_score` (rows the reward never read).
"""

import json
import pathlib

import jax
import numpy as np
from absl import app, flags

from rlsel.cli import load_config_file, quiet_library_logs
from rlsel.env.rollouts import max_episode_length, random_choice, rollout
from rlsel.jobs.compare import run_dir
from rlsel.jobs.select import context_from_config
from rlsel.outputs import write_json
from rlsel.selectors.simple import select_greedy

_RUNS = flags.DEFINE_string("runs", "runs/compare_movie", "experiments/compare.py workdir holding the ppo runs.")
_CONFIG = flags.DEFINE_string("config", "experiments/configs/select.py", "The select config those runs used.")
_FINETUNE_CONFIG = flags.DEFINE_string("finetune_config", "experiments/configs/finetune.py",
                                       "The finetune config those runs used (part of a run's key).")
_DATASET = flags.DEFINE_string("dataset", "movie_sentences", "The dataset those runs selected from.")
_SEEDS = flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds.")
_LABEL_NOISE = flags.DEFINE_float("label_noise", 0.0, "The config.label_noise those runs used.")
_OUT = flags.DEFINE_string("out", "results/learning_matters_movie_sentences.json", "Output json.")

def scores(ctx, indices) -> dict:
    """The reward's own score and the held-out proxy accuracy of a subset."""
    reward, heldout = ctx.subset_scores(indices)
    return {"reward_score": round(reward, 4), "heldout": round(heldout, 4)}


def main(argv):
    del argv
    quiet_library_logs()
    rows = []
    for seed in map(int, _SEEDS.value):
        config = load_config_file(_CONFIG.value)
        config.update(dataset=_DATASET.value, label_noise=_LABEL_NOISE.value)
        found = run_dir(pathlib.Path(_RUNS.value), config, load_config_file(_FINETUNE_CONFIG.value), "ppo", seed)
        if not (found / "selection.json").exists():
            raise SystemExit(f"error: no ppo run of seed {seed} under {_RUNS.value} with these configs ({found}); "
                             "pass the --config, --finetune_config, --dataset and --label_noise it ran with")
        ppo = json.loads((found / "selection.json").read_text())
        config.seed = seed
        ctx, _ = context_from_config(config)
        greedy = select_greedy(ctx, jax.random.key(seed))
        picked = {"ppo": ppo, "greedy": {"indices": greedy.indices, **greedy.extra}}
        length = max_episode_length(ctx.env_params)
        episodes = int(np.ceil(picked["ppo"]["config"]["ppo"]["total_timesteps"] / length))
        play = jax.jit(jax.vmap(lambda k: rollout(ctx.env, ctx.env_params, k, random_choice, length)[:2]))
        returns, best_state, best_return = [], None, -np.inf
        keys = jax.random.split(jax.random.key(seed), episodes)
        for start in range(0, episodes, 256):
            states, rets = play(keys[start:start + 256])
            returns.append(np.asarray(rets))
            if float(rets.max()) > best_return:
                best_return = float(rets.max())
                best_state = np.asarray(states.selected)[int(np.argmax(rets))]
        returns = np.concatenate(returns)
        row = {"seed": seed, "episode_length": length, "random_episodes": episodes,
               "random_policy_mean_return": round(float(returns.mean()), 4),
               "random_search_best_return": round(best_return, 4),
               "random_search": scores(ctx, ctx.prepared.pool.units.expand(best_state))}
        for method, record in picked.items():
            row[method] = {**scores(ctx, np.asarray(record["indices"])),
                           "episode_return": round(record.get("episode_return", float("nan")), 4)}
        rows.append(row)
        print(row, flush=True)
    write_json(pathlib.Path(_OUT.value), {"rows": rows, "runs": _RUNS.value, "label_noise": _LABEL_NOISE.value})


if __name__ == "__main__":
    app.run(main)
