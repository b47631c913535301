"""The one interface behind every selection method: `selector(ctx, key, settings) -> Selection`."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import numpy as np

from rlsel.selectors.context import SelectionContext
from rlsel.selectors.settings import SelectorSettings


@dataclasses.dataclass(frozen=True)
class Selection:
    """Chosen train indices, the chosen clusters (None for example-level methods), and method extras."""

    indices: np.ndarray
    clusters: np.ndarray | None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


Selector = Callable[[SelectionContext, jax.Array, SelectorSettings], Selection]


def from_unit_mask(ctx: SelectionContext, selected, extra: dict | None = None) -> Selection:
    """A [C * J] unit mask becomes every train example of the chosen units (whole clusters or chunks)."""
    units = ctx.prepared.pool.units
    chosen = np.asarray(selected, bool).reshape(units.rows.shape[:2])
    return Selection(indices=units.expand(chosen), clusters=np.flatnonzero(chosen.any(1)), extra=extra or {})
