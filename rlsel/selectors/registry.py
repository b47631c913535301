"""Every selection method under its `--config.method` name, each a `Selector`: `(ctx, key, settings) -> Selection`."""

from __future__ import annotations

import types
from typing import Callable, Mapping

import jax

from rlsel.selectors.bandit import select_exp3
from rlsel.selectors.base import Selection, Selector
from rlsel.selectors.climb import select_climb
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.agreement import select_knn_agree
from rlsel.selectors.coverage import select_facility_location, select_herding, select_kcenter
from rlsel.selectors.dqn import select_dqn
from rlsel.selectors.dyna import select_dyna
from rlsel.selectors.heuristics import (select_balanced_random, select_loss_band, select_stratified_random,
                                        select_typiclust, select_val_similarity)
from rlsel.selectors.ppo import select_ppo
from rlsel.selectors.settings import SelectorSettings
from rlsel.selectors.simple import select_greedy, select_random, select_random_clusters


def _baseline(select: Callable[[SelectionContext, jax.Array], Selection]) -> Selector:
    """A method that needs no settings, as a `Selector` (under the method's own name and docstring)."""

    def selector(ctx: SelectionContext, key: jax.Array, settings: SelectorSettings) -> Selection:
        del settings
        return select(ctx, key)

    selector.__name__, selector.__doc__ = select.__name__, select.__doc__
    return selector


SELECTORS: Mapping[str, Selector] = types.MappingProxyType({
    "ppo": select_ppo,
    "dqn": select_dqn,
    "greedy": _baseline(select_greedy),
    "random": _baseline(select_random),
    "random_clusters": _baseline(select_random_clusters),
    "stratified_random": _baseline(select_stratified_random),
    "balanced_random": _baseline(select_balanced_random),
    "typiclust": _baseline(select_typiclust),
    "kcenter": _baseline(select_kcenter),
    "facility_location": _baseline(select_facility_location),
    "herding": _baseline(select_herding),
    "val_similarity": _baseline(select_val_similarity),
    "loss_band": _baseline(select_loss_band),
    "knn_agree": _baseline(select_knn_agree),
    "exp3": _baseline(select_exp3),
    "climb_disc": select_climb,
    "dyna_ppo": select_dyna,
})
METHODS = tuple(SELECTORS)


def get_selector(method: str) -> Selector:
    """The selector named `method`; an unknown name is a ValueError listing every method."""
    if method not in SELECTORS:
        raise ValueError(f"unknown method '{method}'; choose one of {', '.join(METHODS)}")
    return SELECTORS[method]
