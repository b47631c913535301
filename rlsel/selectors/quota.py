"""Budget arithmetic shared by the heuristic selectors: proportional quotas and per-group picks on the host."""

from __future__ import annotations

import jax
import numpy as np

from rlsel.selectors.context import SelectionContext


def numpy_rng(key: jax.Array) -> np.random.Generator:
    """A NumPy generator seeded from a JAX key, so host-side draws are fixed by the method's key."""
    return np.random.default_rng(int(jax.random.randint(key, (), 0, 2**31 - 1)))


def proportional(sizes: np.ndarray, total: int) -> np.ndarray:
    """`total` split over groups in proportion to `sizes` by largest remainder (ties to the lower id); no group
    gets more than its size when total <= sum(sizes), since only a fractional quota is rounded up."""
    sizes = np.asarray(sizes, np.int64)
    quota = total * sizes / max(int(sizes.sum()), 1)
    counts = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return counts


def label_quota(ctx: SelectionContext) -> np.ndarray:
    """Budget examples per label, in the train split's label proportions."""
    counts = np.bincount(ctx.prepared.train_y, minlength=ctx.prepared.num_classes)
    return proportional(counts, ctx.budget_examples)


def rank_in_group(groups: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Each row's 0-based rank by ascending score among the rows of its group (ties by index)."""
    order = np.lexsort((scores, groups))
    sorted_groups = groups[order]
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order)) - np.searchsorted(sorted_groups, sorted_groups)
    return rank


def take_per_group(groups: np.ndarray, counts: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Sorted indices of the `counts[g]` lowest-scoring rows of every group g."""
    return np.flatnonzero(rank_in_group(groups, scores) < counts[groups])
