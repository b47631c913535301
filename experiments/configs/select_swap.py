"""experiments/select.py's defaults on the swap MDP: RL edits a subset that already covers every region.

One label-pure region per budget row; every episode starts from each region's most typical row among those the
reward does not hold out (TypiClust's rule) and makes swap_fraction x regions swaps, each replacing one region's
row by its next most typical.
"""

import pathlib

import ml_collections

from rlsel.cli import load_config_file

HERE = pathlib.Path(__file__).parent


def get_config() -> ml_collections.ConfigDict:
    c = load_config_file(HERE / "select.py")  # experiments/configs/select.py's fields
    c.mdp = "swap"  # edit a full subset; prepare.num_clusters is unused (one region per budget chunk)
    c.prepare.chunk_size = 1  # one row per region: the start has TypiClust's shape
    c.prepare.order = "typical"  # the start is each region's most typical row, as TypiClust takes
    return c
