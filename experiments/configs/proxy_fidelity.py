"""Default configuration of experiments/proxy_fidelity.py (override any field with --config.FIELD=VALUE)."""

import importlib.util
import pathlib

import ml_collections


def finetune_defaults() -> ml_collections.ConfigDict:
    """The finetune job's own defaults (experiments/configs/finetune.py), for the optional hook (c)."""
    spec = importlib.util.spec_from_file_location("finetune_config", pathlib.Path(__file__).with_name("finetune.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.dataset = "movie_sentences"  # built-in name, path to .csv/.jsonl/.parquet, or hf:ID
    c.text_column = "text"
    c.label_column = "label"
    c.hf_config = ""
    c.budget = 0.05  # fraction of the train split
    c.budget_mode = "examples"  # examples | clusters
    c.seed = 0
    c.cache_dir = ""  # embeddings and clusters; default $RLSEL_CACHE or ~/.cache/rlsel
    c.num_subsets = 30  # K random valid episodes of the MDP, each scored three ways
    c.strong_max_iter = 2000  # LogisticRegression iterations of the strong reference model
    c.finetune_subsets = 0  # hook (c): finetune the target model on the first N subsets (slow); 0 turns it off
    c.finetune = finetune_defaults()  # settings of those finetunes, e.g. --config.finetune.model=minilm

    c.prepare = ml_collections.ConfigDict(dict(
        embedder="minilm", num_clusters=200, stratified=True, per_cluster=32, val_size=512,
        split_seed=0, val_fraction=0.1, test_fraction=0.1,
    ))
    c.proxy = ml_collections.ConfigDict(dict(
        kind="ridge", metric="accuracy", dim=64, ridge_lambda=1.0, class_balanced=False,
        train_steps=50, learning_rate=0.05, weight_decay=1e-4, hidden=64, warm_start=False,
    ))
    return c
