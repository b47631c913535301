"""The swap MDP from the select config: one region per budget chunk, and the methods that cannot walk it refused."""

import pathlib

import pytest

from rlsel.cli import load_config_file
from rlsel.data.prepare import PrepareConfig, cluster_count
from rlsel.jobs.settings import select_settings

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "experiments" / "configs"


@pytest.fixture
def swap_config():
    config = load_config_file(CONFIGS / "select.py")
    config.mdp, config.prepare.chunk_size, config.budget = "swap", 2, 0.1
    return config


def test_the_swap_mdp_makes_one_region_per_budget_chunk(swap_config):
    settings = select_settings(swap_config, progress=False)
    assert settings.env.mdp == "swap" and settings.env.swap_fraction == 0.1
    assert settings.prepare.cluster_fraction == pytest.approx(0.05)
    assert cluster_count(settings.prepare, num_rows=1000, num_classes=2) == 50
    assert cluster_count(PrepareConfig(num_clusters=7), num_rows=1000, num_classes=2) == 7
    assert cluster_count(PrepareConfig(cluster_fraction=0.001), num_rows=1000, num_classes=3) == 3  # one per label


@pytest.mark.parametrize("change, message", [
    ({"method": "climb_disc"}, "models add-MDP states"),
    ({"ppo.warm_start": "greedy"}, "leave ppo.warm_start and dqn.warm_start empty"),
    ({"swap_fraction": 0.0}, "set swap_fraction > 0"),
    ({"prepare.chunk_size": 0}, "prepare.chunk_size >= 1"),
])
def test_what_cannot_walk_the_swap_mdp_is_refused_before_any_work(swap_config, change, message):
    for path, value in change.items():
        *parents, leaf = path.split(".")
        node = swap_config
        for name in parents:
            node = node[name]
        node[leaf] = value
    with pytest.raises(ValueError, match=message):
        select_settings(swap_config, progress=False)


def test_greedy_may_keep_the_start_with_no_swaps(swap_config):
    swap_config.method, swap_config.swap_fraction = "greedy", 0.0
    assert select_settings(swap_config, progress=False).env.swap_fraction == 0.0


def test_the_swap_config_file_is_the_measured_design():
    settings = select_settings(load_config_file(CONFIGS / "select_swap.py"), progress=False)
    assert settings.env.mdp == "swap" and settings.prepare.order == "typical"
    assert settings.prepare.cluster_fraction == pytest.approx(settings.env.budget)  # one region per budget row
