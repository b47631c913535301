"""The registry: one signature for every method, an unknown name refused with the list, the list in --help."""

import inspect
import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest

from rlsel.jobs.select import run_selection
from rlsel.selectors import coverage
from rlsel.selectors.registry import METHODS, SELECTORS, get_selector
from rlsel.selectors.settings import SelectorSettings
from test_heuristics import planted  # noqa: F401  (a fixture)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_selector_takes_context_key_and_settings():
    assert METHODS == tuple(SELECTORS)
    for name, selector in SELECTORS.items():
        assert list(inspect.signature(selector).parameters) == ["ctx", "key", "settings"], name
        assert selector.__doc__, name


def test_a_baseline_ignores_the_settings(planted):  # noqa: F811
    key = jax.random.key(3)
    via_registry = get_selector("kcenter")(planted, key, SelectorSettings())
    np.testing.assert_array_equal(via_registry.indices, coverage.select_kcenter(planted, key).indices)


def test_an_unknown_method_is_refused_naming_every_method():
    with pytest.raises(ValueError, match=f"unknown method 'ppo2'; choose one of {', '.join(METHODS)}$"):
        get_selector("ppo2")


def test_the_select_job_refuses_an_unknown_method_before_any_work(select_config, tmp_path):
    select_config.method, select_config.cache_dir = "ppo2", str(tmp_path / "cache")
    with pytest.raises(ValueError, match="unknown method 'ppo2'; choose one of ppo, "):
        run_selection(select_config, tmp_path / "run", progress=False)
    assert not list(tmp_path.iterdir())


def test_select_help_lists_every_method():
    result = subprocess.run([sys.executable, str(ROOT / "experiments" / "select.py"), "--help"], capture_output=True,
                            text=True, cwd=ROOT, timeout=300)
    help_text = " ".join(result.stdout.split())
    assert f"--config.method is one of: {', '.join(METHODS)}." in help_text, result.stdout
