"""Comparison runs are keyed by every setting that decides their result, and only those."""

import pathlib

from rlsel.cli import load_config_file
from rlsel.jobs.compare import run_dir

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "experiments" / "configs"


def configs():
    return load_config_file(CONFIGS / "select.py"), load_config_file(CONFIGS / "finetune.py")


def test_a_changed_selection_setting_moves_the_run_and_the_same_settings_find_it_again():
    select, finetune = configs()
    first = run_dir(pathlib.Path("r"), select, finetune, "random", 0)
    assert first == run_dir(pathlib.Path("r"), select, finetune, "random", 0)
    assert first.parent == pathlib.Path("r") / "random" and first.name.startswith("seed0-")
    select.label_noise = 0.3
    assert run_dir(pathlib.Path("r"), select, finetune, "random", 0) != first
    finetune.train.learning_rate = 5e-5
    select.label_noise = 0.0
    assert run_dir(pathlib.Path("r"), select, finetune, "random", 0) != first


def test_ppo_settings_key_ppo_runs_but_not_baselines():
    select, finetune = configs()
    before = {m: run_dir(pathlib.Path("r"), select, finetune, m, 1) for m in ("ppo", "typiclust", "full")}
    select.ppo.lr = 1e-4
    after = {m: run_dir(pathlib.Path("r"), select, finetune, m, 1) for m in before}
    assert after["ppo"] != before["ppo"]
    assert after["typiclust"] == before["typiclust"] and after["full"] == before["full"]
    select.prepare.chunk_size = 4  # a selection setting: moves selections, not full-data finetunes
    assert run_dir(pathlib.Path("r"), select, finetune, "typiclust", 1) != before["typiclust"]
    assert run_dir(pathlib.Path("r"), select, finetune, "full", 1) == before["full"]


def test_settings_at_their_neutral_values_leave_the_key_as_if_they_did_not_exist():
    select, finetune = configs()
    keyed = {m: run_dir(pathlib.Path("r"), select, finetune, m, 0) for m in ("ppo", "dqn")}
    with select.unlocked():
        del select.proxy["coverage_weight"], select.proxy["coverage_kind"]
        del select.ppo["warm_start"], select.ppo["warm_steps"], select["embedding_column"], select["observe_gain"]
        del select.dqn["warm_start"], select.dqn["warm_steps"], select["mdp"], select["swap_fraction"]
        del select["exact_shares"]
    for method, key in keyed.items():  # a run keyed before they existed
        assert run_dir(pathlib.Path("r"), select, finetune, method, 0) == key


def test_a_setting_away_from_its_neutral_value_moves_the_run_and_wakes_its_dependents():
    select, finetune = configs()
    idle = run_dir(pathlib.Path("r"), select, finetune, "greedy", 0)
    select.proxy.coverage_kind = "facility"  # idle while coverage_weight is 0
    assert run_dir(pathlib.Path("r"), select, finetune, "greedy", 0) == idle
    select.proxy.coverage_weight = 10.0
    weighted = run_dir(pathlib.Path("r"), select, finetune, "greedy", 0)
    select.proxy.coverage_kind = "mean"
    assert len({idle, weighted, run_dir(pathlib.Path("r"), select, finetune, "greedy", 0)}) == 3


def test_the_mdps_action_shaping_fields_key_mdp_methods_but_not_methods_that_never_walk_it():
    select, finetune = configs()
    before = {m: run_dir(pathlib.Path("r"), select, finetune, m, 0) for m in ("ppo", "greedy", "random", "knn_agree")}
    select.cluster_cap, select.label_balance, select.prepare.order = 5, False, "random"
    after = {m: run_dir(pathlib.Path("r"), select, finetune, m, 0) for m in before}
    assert after["ppo"] != before["ppo"] and after["greedy"] != before["greedy"]
    assert after["random"] == before["random"] and after["knn_agree"] == before["knn_agree"]


def test_the_cluster_count_keys_the_mdp_and_balanced_random_but_not_draws_that_ignore_clusters():
    select, finetune = configs()
    methods = ("ppo", "balanced_random", "random", "typiclust", "knn_agree")
    before = {m: run_dir(pathlib.Path("r"), select, finetune, m, 0) for m in methods}
    select.prepare.num_clusters += 100
    after = {m: run_dir(pathlib.Path("r"), select, finetune, m, 0) for m in methods}
    assert after["ppo"] != before["ppo"] and after["balanced_random"] != before["balanced_random"]
    assert all(after[m] == before[m] for m in ("random", "typiclust", "knn_agree"))


def test_the_swap_mdp_moves_mdp_runs_but_not_the_baselines_that_never_walk_it():
    select, finetune = configs()
    before = {m: run_dir(pathlib.Path("r"), select, finetune, m, 0) for m in ("ppo", "typiclust", "balanced_random")}
    select.swap_fraction = 0.3  # idle in the add MDP
    assert run_dir(pathlib.Path("r"), select, finetune, "ppo", 0) == before["ppo"]
    select.mdp = "swap"
    after = {m: run_dir(pathlib.Path("r"), select, finetune, m, 0) for m in before}
    assert after["ppo"] != before["ppo"] and after["typiclust"] == before["typiclust"]
    assert after["balanced_random"] != before["balanced_random"]  # its draw follows the regions, which move


def test_exact_shares_moves_an_mdp_run_and_leaves_a_baseline_where_it_was():
    select, finetune = configs()
    before = {m: run_dir(pathlib.Path("r"), select, finetune, m, 0) for m in ("ppo", "typiclust")}
    select.exact_shares = True
    assert run_dir(pathlib.Path("r"), select, finetune, "ppo", 0) != before["ppo"]
    assert run_dir(pathlib.Path("r"), select, finetune, "typiclust", 0) == before["typiclust"]
