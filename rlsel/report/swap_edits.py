"""What the swap MDP's edits change against their start: runs paired with their start, and each edit's profile."""

from __future__ import annotations

import numpy as np

from rlsel.report.signals import typicality


def pairs(rows: list[dict], method: str, variant: str, start_variant: str) -> list[tuple[dict, dict]]:
    """(edited row, start row) per dataset, label noise and seed where both finished."""
    key = lambda r: (r["dataset"], r["label_noise"], r["seed"])
    starts = {key(r): r for r in rows if r["method"] == "greedy" and r["variant"] == start_variant}
    return [(r, starts[key(r)]) for r in rows
            if r["method"] == method and r["variant"] == variant and key(r) in starts]


def edit_profile(x: np.ndarray, edited: np.ndarray, start: np.ndarray) -> dict:
    """Kept share and the typicality of the rows swapped in against those they replaced."""
    swapped_in, swapped_out = np.setdiff1d(edited, start), np.setdiff1d(start, edited)
    return {"kept": round(float(np.isin(start, edited).mean()), 4), "swapped": int(len(swapped_in)),
            "typicality_in": round(typicality(x, swapped_in), 4) if len(swapped_in) else None,
            "typicality_out": round(typicality(x, swapped_out), 4) if len(swapped_out) else None}
