"""Test-wide setup: experiment configs importable as `configs.*`, as the scripts see them."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "experiments"))
