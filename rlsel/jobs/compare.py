"""The compare job's unit: select with a method (or take the full train split), finetune, return a results row.
Each sub-job gets its own config, which it converts at its entry."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pathlib

import ml_collections

from rlsel.data.sources import spec_from_config
from rlsel.jobs.finetune import run_finetune
from rlsel.jobs.select import run_selection

SPLIT_FIELDS = ("split_seed", "val_fraction", "test_fraction")


def full_data_finetune_config(select_config: ml_collections.ConfigDict,
                              finetune_config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """A finetune config on the whole train split of the same dataset and splits as `select_config`."""
    config = finetune_config.copy_and_resolve_references()
    config.selection, config.dataset = "full", select_config.dataset
    config.prepare.update({k: select_config.prepare[k] for k in SPLIT_FIELDS})
    for key in ("text_column", "label_column", "hf_config", "encoding", "label_noise"):
        config[key] = select_config[key]
    return config


LEARNED_SECTIONS = ("ppo", "dqn", "climb", "dyna")
# Settings that change nothing at these values stay out of a run's key, so runs keyed before the settings
# existed are still found: each field at its neutral value, and each dependent field while its switch is.
NEUTRAL = {"embedding_column": "", "proxy.coverage_weight": 0.0, "ppo.warm_start": "", "dqn.warm_start": "",
           "pick": "order", "train.test_rows": 0, "cluster_cap": 0, "label_balance": False, "mdp": "add",
           "exact_shares": False}
IDLE_WITH = {"proxy.coverage_kind": "proxy.coverage_weight", "observe_gain": "proxy.coverage_weight",
             "ppo.warm_steps": "ppo.warm_start", "dqn.warm_steps": "dqn.warm_start", "swap_fraction": "mdp",
             "exact_shares": "label_balance"}


def without_neutral(settings: dict) -> dict:
    """`settings` less the fields NEUTRAL and IDLE_WITH say change nothing."""
    def get(path):
        node = settings
        for name in path.split("."):
            if not isinstance(node, dict) or name not in node:
                return None
            node = node[name]
        return node

    idle = {path for path, value in NEUTRAL.items() if get(path) == value}
    idle |= {path for path, switch in IDLE_WITH.items() if switch in idle or get(switch) is None}

    def drop(node, prefix):
        return {k: drop(v, f"{prefix}{k}.") if isinstance(v, dict) else v for k, v in node.items()
                if f"{prefix}{k}" not in idle}

    return drop(settings, "")


# Methods that never walk the MDP are keyed with its action-shaping fields (and, unless their draw follows the
# clusters, the cluster count) at their first values, so a new default for those fields (which cannot change such
# a method's subset) does not rerun its finished runs.
MDP_FREE = ("random", "stratified_random", "balanced_random", "typiclust", "kcenter", "facility_location", "herding",
            "val_similarity", "loss_band", "knn_agree")
MDP_ONLY = {"cluster_cap": 0, "label_balance": False, "exact_shares": False, "prepare.order": "typical"}
CLUSTER_COUNT = {"prepare.num_clusters": 200, "mdp": "add"}  # the swap MDP sets the count from the budget
CLUSTER_DRAWS = ("balanced_random",)  # MDP-free, but its draw follows the clusters: keyed with their count
METHOD_SECTIONS = {"climb_disc": ("climb",), "dyna_ppo": ("dyna", "ppo")}  # else a method reads its own name's


def run_settings(select_config: ml_collections.ConfigDict, finetune_config: ml_collections.ConfigDict,
                 method: str, seed: int) -> dict:
    """Everything that decides a run's result: for `full` the dataset spec and finetune settings, else also
    every selection setting except the sections of the learned methods it is not (`ppo`, `dqn`, ...)."""
    select = select_config.copy_and_resolve_references()
    select.method, select.seed = method, seed
    finetune = without_neutral(finetune_config.to_dict())
    finetune.pop("selection", None)
    if method == "full":
        return {"data": dataclasses.asdict(spec_from_config(select)), "finetune": finetune, "seed": seed}
    if method in MDP_FREE:
        fixed = MDP_ONLY if method in CLUSTER_DRAWS else {**MDP_ONLY, **CLUSTER_COUNT}
        for path, value in fixed.items():
            *parents, leaf = path.split(".")
            node = select
            for name in parents:
                node = node[name]
            if leaf in node:
                node[leaf] = value
    own = METHOD_SECTIONS.get(method, (method,))
    settings = {k: v for k, v in select.to_dict().items() if k not in LEARNED_SECTIONS or k in own}
    return {"select": without_neutral(settings), "finetune": finetune}


def run_dir(root: pathlib.Path, select_config: ml_collections.ConfigDict,
            finetune_config: ml_collections.ConfigDict, method: str, seed: int) -> pathlib.Path:
    """ROOT/METHOD/seedS-HASH: runs made with other settings live elsewhere and are never reused."""
    settings = json.dumps(run_settings(select_config, finetune_config, method, seed), sort_keys=True, default=str)
    return pathlib.Path(root) / method / f"seed{seed}-{hashlib.sha1(settings.encode()).hexdigest()[:10]}"


def select_and_finetune(select_config: ml_collections.ConfigDict, finetune_config: ml_collections.ConfigDict,
                        method: str, seed: int, workdir: pathlib.Path, progress: bool = False) -> dict:
    """Run (or reuse, when finetune.json exists) one method at one seed; `full` skips selection."""
    select_config = select_config.copy_and_resolve_references()
    select_config.method, select_config.seed = method, seed
    done = workdir / "finetune.json"
    if done.exists():
        tuned = json.loads(done.read_text())
        selected = None if method == "full" else json.loads((workdir / "selection.json").read_text())
    elif method == "full":
        selected = None
        config = full_data_finetune_config(select_config, finetune_config)
        config.seed = seed
        tuned = run_finetune(config, workdir)
    else:
        selected = run_selection(select_config, workdir, progress=progress)
        config = finetune_config.copy_and_resolve_references()
        config.selection, config.seed = str(workdir / "selection.json"), seed
        tuned = run_finetune(config, workdir)
    return {
        "run": str(workdir),
        "dataset": select_config.dataset,
        "method": method,
        "seed": seed,
        "budget": 1.0 if method == "full" else select_config.budget,
        "label_noise": select_config.get("label_noise", 0.0),
        "num_selected": tuned["num_train_examples"],
        "proxy_val_score": selected["proxy_val_score"] if selected else "",
        "proxy_heldout_score": selected.get("proxy_heldout_score", "") if selected else "",
        "val_accuracy": tuned["val_accuracy"],
        "test_accuracy": tuned["test_accuracy"],
        "test_macro_f1": tuned["test_macro_f1"],
        "select_wall_s": round(sum(selected["timings"].values()), 2) if selected else 0.0,
        "finetune_wall_s": tuned["wall_s"],
    }
