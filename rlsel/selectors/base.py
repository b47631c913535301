"""The one interface behind every selection method: `selector(ctx, key) -> Selection`."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import numpy as np

from rlsel.selectors.context import SelectionContext


@dataclasses.dataclass(frozen=True)
class Selection:
    """Chosen train indices, the chosen clusters (None for example-level methods), and method extras."""

    indices: np.ndarray
    clusters: np.ndarray | None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


Selector = Callable[[SelectionContext, jax.Array], Selection]


def from_cluster_mask(ctx: SelectionContext, selected, extra: dict | None = None) -> Selection:
    """A cluster mask becomes every train example of the chosen clusters (not just the subsample)."""
    clusters = np.flatnonzero(np.asarray(selected))
    return Selection(indices=ctx.prepared.pool.expand(clusters), clusters=clusters, extra=extra or {})
