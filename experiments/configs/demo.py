"""Configuration of experiments/demo.py (override any field with --config.FIELD=VALUE).

select.py's and finetune.py's defaults with smaller PPO and finetune budgets and half the test split, so that
`make demo` finishes in about 5 minutes on a 2-core CPU, the first MiniLM embedding included. The demo prints
every field that differs from those defaults; experiments/compare.py runs the full-size comparison.
"""

import pathlib

import ml_collections

from rlsel.cli import load_config_file

HERE = pathlib.Path(__file__).parent


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.methods = "ppo,random,herding"  # comma-separated selection methods; herding: best screened heuristic here
    c.report_method = "ppo"  # the method whose run gets report.md, report.html and report_plots/
    c.seed = 0  # seed of every selection and finetune
    c.select = load_config_file(HERE / "select.py")  # experiments/configs/select.py's fields
    c.select.ppo.total_timesteps = 64_000  # demo: 125 PPO updates
    c.finetune = load_config_file(HERE / "finetune.py")  # experiments/configs/finetune.py's fields
    c.finetune.train.batch_size = 16  # demo: 64 steps of 16 are 2.5 passes over a 5% subset of movie_sentences
    c.finetune.train.min_steps = 64  # demo
    c.finetune.train.max_steps = 64  # demo
    c.finetune.train.eval_every = 64  # demo: validation once, at the end
    c.finetune.train.max_length = 48  # demo: truncates 4% of movie_sentences
    c.finetune.train.learning_rate = 2e-4  # demo: a larger step for the shorter run
    c.finetune.train.test_rows = 500  # demo: tests on a fixed half of the 1,004 test rows (the same for every method)
    return c
