"""Test-wide fixtures: the experiment configs, loaded by path as the scripts load them."""

import pathlib

import pytest

from rlsel.cli import load_config_file

CONFIGS = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "configs"


@pytest.fixture
def select_config():
    """A fresh copy of experiments/configs/select.py's defaults."""
    return load_config_file(CONFIGS / "select.py")
