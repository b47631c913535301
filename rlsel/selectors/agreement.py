"""knn_agree: a random subset of the examples whose label agrees with most of their nearest neighbours'
(rlsel.data.agreement), the standard filter for unreliable labels. Reads only train embeddings and labels."""

from __future__ import annotations

import jax
import numpy as np

from rlsel.data.agreement import agreeing_first, label_agreement
from rlsel.selectors.base import Selection
from rlsel.selectors.context import SelectionContext
from rlsel.selectors.quota import label_quota, numpy_rng, take_per_group


def select_knn_agree(ctx: SelectionContext, key: jax.Array) -> Selection:
    """Uniform within each label's quota among rows whose label most of their 20 neighbours share; if a label
    has too few, its most agreed-with rows fill the rest."""
    p = ctx.prepared
    agreement = np.asarray(label_agreement(p.train_x, p.train_y))
    draw = numpy_rng(key).random(len(p.train_y))
    scores = agreeing_first(agreement, draw)
    return Selection(indices=take_per_group(p.train_y, label_quota(ctx), scores), clusters=None,
                     extra={"agreeing_rows": int(np.sum(agreement > 0.5))})
