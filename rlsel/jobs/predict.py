"""The predict job: label the texts of a file with a saved classifier and write one prediction per text.

Input: a .txt file (one text per line; blank lines are skipped) or a data file rlsel reads (.csv, .tsv,
.jsonl, .json, .parquet) with a text column. Output, by its suffix: .csv or .jsonl with `row` (0-based line
or data row of the input), `text`, `label` (the most probable class) and `probability` (of that class),
written atomically. Bad input fails before the model is loaded.
"""

from __future__ import annotations

import csv
import io
import json
import pathlib

import numpy as np

from rlsel.data.errors import DataError
from rlsel.data.sources import read_file
from rlsel.finetune.export import load_saved
from rlsel.io import write_text

OUTPUT_SUFFIXES = (".csv", ".jsonl")


def read_texts(path: pathlib.Path, text_column: str, encoding: str = "utf-8") -> tuple[list[int], list[str]]:
    """(rows, texts) of a .txt file's non-blank lines or of a data file's `text_column`; a DataError otherwise."""
    if path.suffix.lower() == ".txt":
        if not path.is_file():
            raise DataError(f"input file {path} does not exist")
        lines = path.read_text(encoding=encoding).splitlines()
        rows = [row for row, line in enumerate(lines) if line.strip()]
        return rows, [lines[row] for row in rows]
    table = read_file(path, encoding)
    if text_column not in table:
        raise DataError(f"{path} has no column '{text_column}' (columns: {sorted(table)}); pass --text_column")
    values = table[text_column]
    bad = [row for row, value in enumerate(values) if not isinstance(value, str) or not value.strip()]
    if bad:
        raise DataError(f"{path}: {len(bad)} rows of column '{text_column}' hold no text (first rows, 0-based: "
                        f"{bad[:5]}); remove or fill them")
    return list(range(len(values))), values


def _format(records: list[dict], suffix: str) -> str:
    if suffix == ".jsonl":
        return "".join(json.dumps(r) + "\n" for r in records)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["row", "text", "label", "probability"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def run_predict(model: str | pathlib.Path, input_path: str | pathlib.Path, out: str | pathlib.Path,
                text_column: str = "text", batch_size: int = 32) -> dict:
    """Label `input_path` with the classifier saved in `model` and write `out`; returns a short summary."""
    input_path, out = pathlib.Path(input_path).expanduser(), pathlib.Path(out).expanduser()
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise ValueError(f"--out={out}: write predictions to a file ending in one of {OUTPUT_SUFFIXES}")
    if batch_size < 1:
        raise ValueError(f"--batch_size={batch_size} must be >= 1")
    rows, texts = read_texts(input_path, text_column)
    if not texts:
        raise DataError(f"{input_path} holds no texts to label")
    saved = load_saved(model)
    probabilities = saved.probabilities(texts, batch_size)
    best = probabilities.argmax(axis=1)
    records = [{"row": row, "text": text, "label": saved.class_names[k], "probability": round(float(p[k]), 6)}
               for row, text, k, p in zip(rows, texts, best, probabilities)]
    write_text(out, _format(records, out.suffix.lower()))
    counts = np.bincount(best, minlength=len(saved.class_names))
    return {"num_texts": len(texts), "out": str(out),
            "label_counts": {name: int(n) for name, n in zip(saved.class_names, counts)}}
