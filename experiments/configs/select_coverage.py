"""experiments/select.py's defaults with the coverage reward and the region-allocation MDP (issue 11's design).

The reward adds 100 x the class-conditional kernel-herding coverage of the reward rows to the proxy's score;
each action names a cluster and the env adds that cluster's row that most improves coverage (pick=gain,
one row per action); PPO's policy sees each cluster's coverage gain (z-scored) through a learned skip.
"""

import pathlib

import ml_collections

from rlsel.cli import load_config_file

HERE = pathlib.Path(__file__).parent


def get_config() -> ml_collections.ConfigDict:
    c = load_config_file(HERE / "select.py")  # experiments/configs/select.py's fields
    c.proxy.coverage_weight = 100.0  # coverage dominates the proxy's squared error (which breaks ties)
    c.proxy.coverage_kind = "mean"  # per-label mean matching against the reward rows
    c.prepare.chunk_size = 1  # one row per action
    c.pick = "gain"  # the chosen cluster's row that most improves coverage
    c.ppo.network = "mlp_signals"  # the policy can weigh each cluster's own gain directly
    c.prepare.num_clusters = 200  # the regions this design was measured with (select.py's default has 400)
    c.cluster_cap = 2  # as measured: up to two rows per region
    return c
