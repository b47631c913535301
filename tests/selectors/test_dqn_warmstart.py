"""WarmStart for DQN: the Q-network fitted to a search's subset plays it before any DQN update; after training the
better of the policy's and the warm subset is kept, with the overlaps on record; a bad source is refused."""

import json
import subprocess
import sys

import jax
import numpy as np
import pytest

from planted_flips import flipped_context
from rlsel.agents.dqn import DQNHparams, greedy_action, init_q_params
from rlsel.jobs.settings import select_settings
from rlsel.selectors import warmstart
from rlsel.selectors.decode import decode
from rlsel.selectors.settings import SelectorSettings, WarmStart
from rlsel.selectors.states import taken_from_indices
from test_run import ROOT, dataset_file  # noqa: F401  (dataset_file is a fixture)


def test_the_fitted_q_network_plays_an_arbitrary_warm_subset_before_any_update():
    """A random_clusters subset is no optimum: only the fit can make the fresh Q-network's greedy episode play it."""
    ctx, _ = flipped_context(seed=0)
    warm = WarmStart(source="random_clusters", steps=1000, agent="dqn")
    demo = warmstart.make_demo(ctx, jax.random.key(4), SelectorSettings(dqn_warm=warm), warm)
    fresh = init_q_params(jax.random.key(0), ctx.env.num_clusters + 1, (64, 64), ctx.env.num_actions)
    fitted = warmstart.q_start(demo, warm.steps)(fresh, DQNHparams(lr=5e-4))

    def greedy_episode(params):
        played = decode(ctx, lambda k, obs, s: greedy_action(params, obs), jax.random.key(0))
        return taken_from_indices(ctx.prepared.pool.units, played.indices), played.extra["episode_return"]

    assert not np.array_equal(greedy_episode(fresh)[0], demo.taken)
    taken, episode_return = greedy_episode(fitted)
    np.testing.assert_array_equal(taken, demo.taken)
    assert episode_return == pytest.approx(demo.episode_return, abs=1e-5)


def test_select_script_keeps_the_better_of_the_trained_and_the_warm_subset(dataset_file, tmp_path):  # noqa: F811
    flags = {"dataset": dataset_file, "text_column": "review", "label_column": "sentiment", "method": "dqn",
             "budget": 0.1, "cache_dir": tmp_path / "cache", "prepare.embedder": "hash", "prepare.num_clusters": 24,
             "prepare.per_cluster": 8, "prepare.val_size": 64, "proxy.dim": 16, "dqn.num_envs": 4,
             "dqn.total_timesteps": 320, "dqn.buffer_size": 256, "dqn.batch_size": 16, "dqn.learning_starts": 32,
             "dqn.hidden_size": 16, "dqn.warm_start": "greedy"}
    result = subprocess.run([sys.executable, str(ROOT / "experiments" / "select.py"),
                             f"--config={ROOT}/experiments/configs/select.py", f"--workdir={tmp_path / 'run'}",
                             *(f"--config.{k}={v}" for k, v in flags.items())],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "run" / "selection.json").read_text())
    info = record["warm_start"]
    assert info["source"] == "greedy" and info["winner"] in ("policy", "warm")
    assert 0.0 <= info["policy_overlap"] <= 1.0 and 0.0 <= info["overlap"] <= 1.0
    assert record["episode_return"] == max(info["source_return"], info["policy_return"]) >= info["source_return"]
    assert info["overlap"] == 1.0 or info["winner"] == "policy"


def test_the_select_config_switches_it_on_and_refuses_a_bad_source(select_config):
    select_config.dqn.warm_start, select_config.dqn.warm_steps = "climb_disc", 50
    selector = select_settings(select_config, progress=False).selector
    assert selector.dqn_warm == WarmStart(source="climb_disc", steps=50, agent="dqn")
    assert selector.warm == WarmStart()
    select_config.dqn.warm_start = "kcenter"
    with pytest.raises(ValueError, match="dqn.warm_start 'kcenter' is not a search .* greedy, climb_disc"):
        select_settings(select_config)
