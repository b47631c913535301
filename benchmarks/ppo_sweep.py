"""Sweep PPO hyperparameters on the selection MDP with one compiled program (vmap over seeds).

  python benchmarks/ppo_sweep.py --out=results/ppo_sweep.json --total_timesteps=128000

The hyperparameters are traced inputs, so every (lr, ent_coef) setting reuses the same executable. Each
run's greedy decode is scored by its episode return: the validation-subsample proxy score gained over the
empty set (no test data is touched). Training runs in chunks of updates (see `train_seeds`).
"""

import itertools
import pathlib
import time

import jax
import numpy as np
from absl import app, flags

from rlsel.agents.networks import greedy_policy_choice
from rlsel.agents.ppo import make_ppo
from rlsel.cli import load_config_file, quiet_library_logs
from rlsel.jobs.select import context_from_config
from rlsel.jobs.settings import ppo_configs
from rlsel.outputs import write_json
from rlsel.selectors.decode import decode_episode
from rlsel.selectors.ppo import train_seeds

FLAGS = flags.FLAGS
flags.DEFINE_string("out", "results/ppo_sweep.json", "Output JSON.")
flags.DEFINE_string("dataset", "movie_sentences", "Dataset spec.")
flags.DEFINE_integer("total_timesteps", 128_000, "Env steps per run.")
flags.DEFINE_list("lrs", ["3e-4", "1e-3", "3e-3"], "Learning rates.")
flags.DEFINE_list("ent_coefs", ["0.0", "0.01"], "Entropy coefficients.")
flags.DEFINE_integer("num_seeds", 2, "Seeds per setting.")

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main(argv):
    del argv
    quiet_library_logs()
    config = load_config_file(ROOT / "experiments" / "configs" / "select.py")
    config.dataset = FLAGS.dataset
    ctx, _ = context_from_config(config)
    config.ppo.total_timesteps = FLAGS.total_timesteps
    ppo_config, base_hparams = ppo_configs(config)
    settings = list(itertools.product(map(float, FLAGS.lrs), map(float, FLAGS.ent_coefs)))
    keys = jax.random.split(jax.random.key(0), FLAGS.num_seeds)
    ppo = make_ppo(ppo_config, ctx.env, ctx.env_params)

    def decode(params):
        policy = greedy_policy_choice(ppo.network, params)
        return decode_episode(ctx.env, ctx.env_params, policy, jax.random.key(0))[1]

    decode_all = jax.jit(jax.vmap(decode))
    rows, start = [], time.perf_counter()
    for lr, ent in settings:
        hparams = base_hparams.replace(lr=lr, ent_coef=ent)
        runners, metrics = train_seeds(ppo, ppo_config, hparams, keys)
        returns = np.asarray(decode_all(runners.params))
        final = np.asarray(metrics["episode_return"])[:, -5:].mean(1)
        rows += [{"lr": lr, "ent_coef": ent, "seed": seed, "decode_return": float(returns[seed]),
                  "final_train_return": float(final[seed])} for seed in range(FLAGS.num_seeds)]
        print(rows[-1], flush=True)
    wall = time.perf_counter() - start
    write_json(pathlib.Path(FLAGS.out), {"dataset": FLAGS.dataset, "total_timesteps": FLAGS.total_timesteps,
                                         "runs": len(rows), "wall_s_all_runs_incl_compile": wall, "rows": rows})


if __name__ == "__main__":
    app.run(main)
