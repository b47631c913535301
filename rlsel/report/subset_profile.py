"""What a comparison's subsets are made of: the share of flipped labels, the label mix, the clusters touched.

It explains a table of finetunes (a subset can be cleaner and still lose on coverage); it chooses nothing.
"""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np

from rlsel.data.sources import DatasetSpec, spec_from_config
from rlsel.report.compare import subset_runs


def profile(indices: np.ndarray, labels: np.ndarray, clean_labels: np.ndarray) -> dict:
    """A subset's flipped share (rows whose label differs from the clean one), its largest label's share, and how
    many rows its most under-represented label lacks against the train split's share of the subset."""
    indices = np.asarray(indices, np.int64)
    num_classes = int(labels.max()) + 1
    counts = np.bincount(labels[indices], minlength=num_classes)
    expected = np.bincount(labels, minlength=num_classes) / len(labels) * len(indices)
    return {"num_selected": int(len(indices)),
            "flipped_share": round(float(np.mean(labels[indices] != clean_labels[indices])), 4),
            "largest_label_share": round(float(counts.max() / max(len(indices), 1)), 4),
            "label_shortfall": round(float(np.max(expected - counts)), 1)}


def train_labels(spec: DatasetSpec) -> np.ndarray:
    """[N] the train split's labels under `spec` (its label noise included)."""
    return np.asarray(spec.load()["train"]["label"], np.int64)


def profile_runs(roots: list[pathlib.Path]) -> list[dict]:
    """One row per run with a selection, labels loaded once per dataset spec."""
    cache, rows = {}, []
    for run, record, tuned in subset_runs(roots):
        spec = spec_from_config(record["config"])
        if spec not in cache:
            cache[spec] = (train_labels(spec), train_labels(dataclasses.replace(spec, label_noise=0.0)))
        labels, clean = cache[spec]
        row = {"run": str(run), "method": record["method"], "seed": record["config"]["seed"],
               "dataset": spec.dataset, "label_noise": spec.label_noise,
               **profile(record["indices"], labels, clean), "proxy_heldout_score": record.get("proxy_heldout_score"),
               "clusters_touched": len(set(record["clusters"])) if record.get("clusters") else None}
        if tuned is not None:
            row.update(val_accuracy=round(tuned["val_accuracy"], 4), test_accuracy=round(tuned["test_accuracy"], 4))
        rows.append(row)
    return rows
