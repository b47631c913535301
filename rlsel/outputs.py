"""Write a run's output files: each JSON atomically, a selection's files staged and moved into place together."""

from __future__ import annotations

import json
import pathlib
import platform
import re
from typing import Any

import datasets

from rlsel.io import write_text
from rlsel.workdir import commit, fresh_folder, staging


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


def write_selection(workdir: pathlib.Path, subset: datasets.Dataset, record: dict[str, Any]) -> None:
    """`subset.jsonl` (text, label name, and `row_id`: the example's 0-based row in the user's file or source
    split), `subset/` (save_to_disk) and `selection.json`, staged in the workdir and moved into place as one
    unit, `selection.json` last (see `rlsel.workdir.commit`)."""
    staged = staging(workdir)
    names = subset.features["label"].names
    lines = (json.dumps({"text": text, "label": names[label], "row_id": row}) + "\n"
             for text, label, row in zip(subset["text"], subset["label"], subset["row_id"]))
    write_text(staged / "subset.jsonl", "".join(lines))
    fresh_folder(staged / "subset")
    subset.save_to_disk(str(staged / "subset"))
    write_json(staged / "selection.json", record)
    commit(staged, ["subset.jsonl", "subset", "selection.json"])
