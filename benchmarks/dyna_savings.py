"""How many real proxy calls does dyna_ppo save at equal final score? PPO's decoded return against its real proxy
calls, beside dyna_ppo's, greedy's and climb_disc's, on one seed of the default MDP.

  nice -n 19 python benchmarks/dyna_savings.py --dataset=movie_sentences --steps=262144 \
      --out=results/dyna_savings_movie_sentences.json

Both PPO runs use the same PPO settings and `steps` env steps (real for PPO, imagined for dyna_ppo) and see no
`cluster_error` (the model cannot give it). PPO's greedy policy is decoded every `decode_every` updates; its calls
to match a score are the env steps it took to first decode at least that return. Decoding itself is not counted
for PPO (at most one episode per point) and is counted for dyna_ppo (one episode).
"""

import dataclasses
import pathlib
import time

import jax
from absl import app, flags

from rlsel.agents.networks import greedy_policy_choice
from rlsel.agents.ppo import make_ppo
from rlsel.cli import load_config_file, quiet_library_logs
from rlsel.env.rollouts import max_episode_length
from rlsel.jobs.select import context_from_config
from rlsel.jobs.settings import select_settings
from rlsel.outputs import write_json
from rlsel.selectors.decode import decode
from rlsel.selectors.registry import get_selector

_DATASET = flags.DEFINE_string("dataset", "movie_sentences", "Dataset (its cached embeddings are reused).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed.")
_STEPS = flags.DEFINE_integer("steps", 262_144, "PPO env steps, for both runs.")
_DECODE_EVERY = flags.DEFINE_integer("decode_every", 32, "PPO updates between decodes of its greedy policy.")
_OUT = flags.DEFINE_string("out", "results/dyna_savings_movie_sentences.json", "Output json.")

CONFIG = pathlib.Path(__file__).resolve().parent.parent / "experiments" / "configs" / "select.py"


def ppo_curve(ctx, settings) -> list[dict]:
    """PPO on the real MDP: (real proxy calls so far, decoded greedy return) every `decode_every` updates."""
    config, hparams = settings.ppo, settings.ppo_hparams
    ppo = make_ppo(config, ctx.env, ctx.env_params)
    runner = jax.jit(ppo.init)(jax.random.key(_SEED.value), hparams)
    chunk = jax.jit(ppo.update_chunk, static_argnums=2)
    curve, done = [], 0
    while done < config.num_updates:
        n = min(_DECODE_EVERY.value, config.num_updates - done)
        runner, _ = chunk(runner, hparams, n)
        done += n
        played = decode(ctx, greedy_policy_choice(ppo.network, runner.params), jax.random.key(0))
        curve.append({"real_proxy_calls": done * config.batch_size,
                      "episode_return": round(played.extra["episode_return"], 4)})
        print("ppo", curve[-1], flush=True)
    return curve


def timed(method: str, ctx, settings) -> dict:
    start = time.perf_counter()
    selection = get_selector(method)(ctx, jax.random.key(_SEED.value), settings)
    return {"episode_return": round(selection.extra["episode_return"], 4), "select_s": round(time.perf_counter()
                                                                                               - start, 1),
            **({"proxy_calls": selection.extra["proxy_calls"]} if "proxy_calls" in selection.extra else {})}


def main(argv):
    del argv
    quiet_library_logs()
    config = load_config_file(CONFIG)
    config.update(dataset=_DATASET.value, seed=_SEED.value, observe_error=False)
    config.ppo.update(total_timesteps=_STEPS.value, decode_samples=0)
    ctx, _ = context_from_config(config)
    settings = select_settings(config, progress=False)
    length = max_episode_length(ctx.env_params)
    rows = {"dyna_ppo": timed("dyna_ppo", ctx, settings.selector)}
    print("dyna_ppo", rows["dyna_ppo"], flush=True)
    greedy = timed("greedy", ctx, settings.selector)
    rows["greedy"] = {**greedy, "proxy_calls": ctx.env.num_clusters * length}
    rows["climb_disc"] = timed("climb_disc", ctx, settings.selector)
    print(rows, flush=True)
    start = time.perf_counter()
    curve = ppo_curve(ctx, settings.selector)
    rows["ppo"] = {"curve": curve, "select_s": round(time.perf_counter() - start, 1)}
    target = rows["dyna_ppo"]["episode_return"]
    reached = [p["real_proxy_calls"] for p in curve if p["episode_return"] >= target]
    savings = {"dyna_return": target, "dyna_proxy_calls": rows["dyna_ppo"]["proxy_calls"],
               "ppo_calls_to_match": reached[0] if reached else None,
               "ppo_best_return": max(p["episode_return"] for p in curve)}
    if reached:
        savings["saved_calls"] = reached[0] - savings["dyna_proxy_calls"]
        savings["saved_fraction"] = round(savings["saved_calls"] / reached[0], 3)
    write_json(pathlib.Path(_OUT.value), {
        "dataset": _DATASET.value, "seed": _SEED.value, "ppo_steps": _STEPS.value, "episode_length": length,
        "num_clusters": ctx.env.num_clusters, "observe_error": False, "savings": savings, "methods": rows,
        "dyna": dataclasses.asdict(settings.selector.dyna), "climb": dataclasses.asdict(settings.selector.climb),
        "command": "nice -n 19 python benchmarks/dyna_savings.py " + " ".join(
            f"--{f}={v}" for f, v in (("dataset", _DATASET.value), ("seed", _SEED.value), ("steps", _STEPS.value),
                                     ("decode_every", _DECODE_EVERY.value), ("out", _OUT.value)))})
    print(savings)


if __name__ == "__main__":
    app.run(main)
