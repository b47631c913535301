"""Write a run's output files atomically: each goes to a temporary name and is renamed at the end."""

from __future__ import annotations

import json
import os
import pathlib
import platform
import re
import shutil
import tempfile
from typing import Any

import datasets

from rlsel.io import write_text


def versions() -> dict[str, str]:
    """Versions of the packages that determine a run's numbers."""
    import flax
    import jax
    import optax

    import rlsel

    return {"rlsel": rlsel.__version__, "jax": jax.__version__, "flax": flax.__version__,
            "optax": optax.__version__, "datasets": datasets.__version__, "python": platform.python_version()}


def write_json(path: pathlib.Path, record: dict[str, Any]) -> None:
    """Indented JSON with lists of numbers kept on one line, written atomically."""
    text = json.dumps(record, indent=2, default=_jsonable)
    text = re.sub(r"\[\s+([-\d.e,\s]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    write_text(path, text + "\n")


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_subset(workdir: pathlib.Path, subset: datasets.Dataset) -> None:
    """`subset.jsonl` (text and label name) and `subset/` (save_to_disk), each renamed into place."""
    workdir.mkdir(parents=True, exist_ok=True)
    names = subset.features["label"].names
    lines = (json.dumps({"text": text, "label": names[label]}) + "\n"
             for text, label in zip(subset["text"], subset["label"]))
    write_text(workdir / "subset.jsonl", "".join(lines))
    tmp_dir = pathlib.Path(tempfile.mkdtemp(dir=workdir, prefix=".subset."))
    subset.save_to_disk(str(tmp_dir / "data"))
    target = workdir / "subset"
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp_dir / "data", target)
    tmp_dir.rmdir()
