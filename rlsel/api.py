"""Select from Python: `rlsel.select(texts, labels, ...)` runs the select job on in-memory data.

The texts and labels (and any embeddings, used in place of the built-in encoder) are written as
`data.jsonl` (+ `data.npy`) in the workdir, so the run is the same job experiments/select.py runs, with the
same outputs, and a later finetune can reload its data from the selection.json. The data is split as any
dataset is (validation and test rows are carved from it and never chosen).
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import tempfile
from typing import Any, Sequence

import datasets
import ml_collections
import numpy as np

from rlsel.cli import load_config_file
from rlsel.data.vectors import PRECOMPUTED, check_vectors
from rlsel.io import write_text
from rlsel.jobs.select import run_selection

DEFAULT_CONFIG = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "configs" / "select.py"


def _override(config: ml_collections.ConfigDict, overrides: dict[str, Any], where: str = "config") -> None:
    """Set fields of `config` in place: `name=value`, a section as `section={...}`, or `"section.name"=value`."""
    for key, value in overrides.items():
        head, _, rest = key.partition(".")
        if head not in config:
            raise ValueError(f"no field {where}.{head} to override; the fields are {sorted(config.keys())}")
        if rest or (isinstance(value, dict) and isinstance(config[head], ml_collections.ConfigDict)):
            _override(config[head], {rest: value} if rest else value, f"{where}.{head}")
            continue
        try:
            config[head] = value
        except TypeError as err:
            raise ValueError(f"{where}.{head}={value!r}: {err}") from err


def _plain(label: Any) -> Any:
    """A label as JSON can hold it (numpy scalars become Python ones)."""
    return label.item() if isinstance(label, np.generic) else label


def _write_data(folder: pathlib.Path, texts: Sequence[str], labels: Sequence, embeddings) -> pathlib.Path:
    """`data.jsonl` (text, label) and, with embeddings, the checked `data.npy` beside it; a ValueError on bad input."""
    if isinstance(texts, str) or len(texts) != len(labels):
        raise ValueError(f"texts and labels must be sequences of equal length; got {type(texts).__name__} of "
                         f"{len(texts)} and {len(labels)} labels")
    bad = next((i for i, text in enumerate(texts) if not isinstance(text, str)), None)
    if bad is not None:
        raise ValueError(f"texts[{bad}] is {type(texts[bad]).__name__}, not str")
    path = folder / "data.jsonl"
    if embeddings is not None:
        vectors = check_vectors(embeddings, len(texts), "embeddings")
        folder.mkdir(parents=True, exist_ok=True)
        np.save(path.with_suffix(".npy"), vectors)
    write_text(path, "".join(json.dumps({"text": t, "label": _plain(y)}) + "\n" for t, y in zip(texts, labels)))
    return path


@contextlib.contextmanager
def _quiet_datasets():
    """No `datasets` progress bars (saving the subset) during the call; the caller's setting comes back after."""
    shown = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if shown:
            datasets.enable_progress_bars()


def _config(base: ml_collections.ConfigDict | None) -> ml_collections.ConfigDict:
    if base is not None:
        return base.copy_and_resolve_references()
    if not DEFAULT_CONFIG.is_file():
        raise ValueError(f"the default select config {DEFAULT_CONFIG} is missing (rlsel is not a source checkout); "
                         "pass config=rlsel.cli.load_config_file(PATH_TO_select.py)")
    return load_config_file(DEFAULT_CONFIG)


def select(texts: Sequence[str], labels: Sequence, *, budget: float = 0.05, method: str = "ppo", seed: int = 0,
           embeddings: np.ndarray | None = None, workdir: str | pathlib.Path | None = None,
           config: ml_collections.ConfigDict | None = None, progress: bool = True,
           **overrides: Any) -> tuple[np.ndarray, dict]:
    """Select `budget` (a fraction of the train split) of `texts` with `method`.

    Returns `(indices, record)`: positions in `texts` of the chosen examples, and the selection.json record
    (whose own `indices` count rows of the train split). `embeddings` `[len(texts), dim]` replace the encoder (prepare.embedder);
    `overrides` set config fields (`cache_dir="..."`, `prepare={"num_clusters": 50}`, `ppo={...}`) of `config`
    (default: experiments/configs/select.py). Outputs go to `workdir` (default: a temporary folder).
    """
    config = _config(config)
    _override(config, {**overrides, "budget": budget, "method": method, "seed": seed})
    if embeddings is not None:
        config.prepare.embedder = PRECOMPUTED
    with tempfile.TemporaryDirectory(prefix="rlsel-select-") as scratch:
        folder = pathlib.Path(workdir) if workdir is not None else pathlib.Path(scratch)
        config.dataset = str(_write_data(folder, texts, labels, embeddings))
        config.text_column, config.label_column, config.embedding_column = "text", "label", ""
        with _quiet_datasets():
            record = run_selection(config, folder, progress=progress)
        rows = [json.loads(line)["row_id"] for line in (folder / "subset.jsonl").read_text().splitlines()]
    return np.asarray(rows, np.int64), record
