"""PPO's return curve beside the random policy and greedy-by-reward, for the MLP and per-cluster networks.

  python benchmarks/policy_compare.py --out=results/policy_compare.json --plot=results/policy_curves.png

Both networks train on the same MDP (movie_sentences, default pool and proxy) for the same steps, over
several seeds vmapped inside one program (run in chunks of updates); each seed's greedy decode is scored by
its episode return.
"""

import dataclasses
import pathlib
import time

import jax
import numpy as np
from absl import app, flags

from rlsel.agents.networks import greedy_policy_choice
from rlsel.agents.ppo import make_ppo
from rlsel.cli import load_config_file, quiet_library_logs
from rlsel.env.rollouts import greedy_choice, random_choice
from rlsel.jobs.select import context_from_config
from rlsel.jobs.settings import ppo_configs
from rlsel.outputs import write_json
from rlsel.selectors.decode import decode_episode
from rlsel.selectors.ppo import train_seeds

FLAGS = flags.FLAGS
flags.DEFINE_string("out", "results/policy_compare.json", "Output JSON.")
flags.DEFINE_string("plot", "results/policy_curves.png", "Output plot ('' for none).")
flags.DEFINE_string("dataset", "movie_sentences", "Dataset spec.")
flags.DEFINE_integer("num_seeds", 3, "Seeds vmapped in one program per network.")
flags.DEFINE_integer("total_timesteps", 64_000, "Env steps per seed.")
flags.DEFINE_list("networks", ["mlp", "cluster_scorer"], "Policy networks to compare.")
flags.DEFINE_integer("scorer_hidden", 32, "Hidden size of the per-cluster network.")

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main(argv):
    del argv
    quiet_library_logs()
    config = load_config_file(ROOT / "experiments" / "configs" / "select.py")
    config.dataset = FLAGS.dataset
    ctx, _ = context_from_config(config)
    env, params = ctx.env, ctx.env_params
    episode = jax.jit(lambda k, choose: decode_episode(env, params, choose, k)[1], static_argnums=1)
    random_returns = jax.vmap(lambda k: decode_episode(env, params, random_choice, k)[1])(
        jax.random.split(jax.random.key(0), 256))
    result = {
        "dataset": FLAGS.dataset,
        "total_timesteps": FLAGS.total_timesteps,
        "num_seeds": FLAGS.num_seeds,
        "random_return_mean": float(random_returns.mean()),
        "random_return_std": float(random_returns.std()),
        "greedy_return": float(episode(jax.random.key(0), greedy_choice(env, params))),
        "networks": {},
    }
    config.ppo.total_timesteps = FLAGS.total_timesteps
    base_config, hparams = ppo_configs(config)
    for network in FLAGS.networks:
        hidden = FLAGS.scorer_hidden if network == "cluster_scorer" else base_config.hidden_size
        ppo_config = dataclasses.replace(base_config, network=network, hidden_size=hidden)
        ppo = make_ppo(ppo_config, env, params)
        keys = jax.random.split(jax.random.key(1), FLAGS.num_seeds)
        start = time.perf_counter()
        runners, metrics = train_seeds(ppo, ppo_config, hparams, keys)
        train_s = time.perf_counter() - start
        decoded = [
            float(episode(jax.random.key(0), greedy_policy_choice(ppo.network, jax.tree_util.tree_map(
                lambda x: x[i], runners.params))))
            for i in range(FLAGS.num_seeds)
        ]
        result["networks"][network] = {
            "hidden_size": hidden,
            "train_s_incl_compile": round(train_s, 2),
            "env_steps_per_s": FLAGS.num_seeds * FLAGS.total_timesteps / train_s,
            "greedy_decode_returns": decoded,
            "greedy_decode_return_mean": float(np.mean(decoded)),
            "return_curve_mean": np.asarray(metrics["episode_return"]).mean(0).tolist(),
            "env_steps_per_update": ppo_config.batch_size,
        }
        print(f"{network}: decode return {np.mean(decoded):.4f} +- {np.std(decoded):.4f}; "
              f"train {train_s:.1f}s with compile", flush=True)
    print(f"random {result['random_return_mean']:.4f}, greedy {result['greedy_return']:.4f}")
    write_json(pathlib.Path(FLAGS.out), result)
    if FLAGS.plot:
        plot(result, pathlib.Path(FLAGS.plot))


def plot(result: dict, path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, r in result["networks"].items():
        steps = np.arange(1, len(r["return_curve_mean"]) + 1) * r["env_steps_per_update"]
        ax.plot(steps, r["return_curve_mean"], label=f"PPO {name} (training episodes)")
        ax.axhline(r["greedy_decode_return_mean"], ls=":", color=ax.lines[-1].get_color(),
                   label=f"PPO {name} greedy decode")
    ax.axhline(result["greedy_return"], color="k", ls="--", label="greedy by reward")
    ax.axhline(result["random_return_mean"], color="gray", ls="--", label="random policy")
    ax.set_xlabel("env steps per seed")
    ax.set_ylabel("episode return = f(S) - f(empty)")
    ax.set_title(f"{result['dataset']}: selection MDP returns")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    app.run(main)
