"""Default configuration of experiments/proxy_fidelity.py (override any field with --config.FIELD=VALUE).

The dataset, prepare and proxy settings are select.py's own, so fidelity is measured on the MDP that
selection uses; the fields below them are the experiment's.
"""

import pathlib

import ml_collections

from rlsel.cli import load_config_file

HERE = pathlib.Path(__file__).parent


def get_config() -> ml_collections.ConfigDict:
    c = load_config_file(HERE / "select.py")
    c.num_subsets = 30  # K random valid episodes of the MDP, each scored three ways
    c.strong_max_iter = 2000  # LogisticRegression iterations of the strong reference model
    c.finetune_subsets = 0  # hook (c): finetune the target model on the first N subsets (slow); 0 turns it off
    c.finetune = load_config_file(HERE / "finetune.py")  # settings of those finetunes, e.g. --config.finetune.model=minilm
    return c
