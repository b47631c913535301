"""Each label's exact share of a budget counted in chunks: the add MDP's `exact_shares` label budgets."""

from __future__ import annotations

import numpy as np


def label_quotas(shares: np.ndarray, chunks: int, capacity: np.ndarray) -> np.ndarray:
    """[K] int chunks per label summing to `chunks` (or to the total capacity, if less): the largest-remainder
    apportionment of `shares` [K], with at least one chunk for every label that has one to give and no label
    past its `capacity` [K] (the chunks its regions can offer)."""
    shares = np.asarray(shares, np.float64)
    capacity = np.asarray(capacity, np.int64)
    if shares.shape != capacity.shape or (shares < 0).any() or (capacity < 0).any() or chunks < 0:
        raise ValueError("label_quotas needs non-negative shares and capacities of the same shape and chunks >= 0")
    chunks = int(min(chunks, capacity.sum()))
    ideal = shares / max(shares.sum(), 1e-12) * chunks
    quota = np.minimum(np.maximum(np.floor(ideal), (capacity > 0) & (chunks >= (capacity > 0).sum())), capacity)
    quota = quota.astype(np.int64)
    while quota.sum() < chunks:  # the largest remainder among labels with room takes the next chunk
        room = quota < capacity
        quota[np.argmax(np.where(room, ideal - quota, -np.inf))] += 1
    while quota.sum() > chunks:  # minimums overshot: the label furthest over its ideal gives one back
        spare = quota > 1
        quota[np.argmax(np.where(spare, quota - ideal, -np.inf))] -= 1
    return quota
