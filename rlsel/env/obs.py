"""The observation of the selection MDP, shared by the environment and the policy networks."""

from __future__ import annotations

import jax
from flax import struct


@struct.dataclass
class SelectionObs:
    """What a policy sees. Shapes for C clusters and F per-cluster features.

    selected: [C] float32, fraction of each cluster's chunks already taken (1.0: a whole cluster chosen).
    action_mask: [C] bool, True for clusters whose next chunk exists and still fits the budget.
    budget_left: [] float32, fraction of the budget still unspent, in [0, 1].
    cluster_features: [C, F] float32, fixed per-cluster descriptors (centroid, size, label histogram).
    cluster_error: [C] float32 or None, the current proxy's loss at the centre of each cluster's next chunk
        (where the model is still wrong); None unless the env is built with `observe_error`.
    cluster_gain: [C] float32 or None, how much the reward's coverage term would change if each cluster's next
        chunk joined (rlsel.proxy.coverage), as z-scores over the valid clusters; None unless the env has a
        coverage term and `observe_gain`.
    """

    selected: jax.Array
    action_mask: jax.Array
    budget_left: jax.Array
    cluster_features: jax.Array
    cluster_error: jax.Array | None = None
    cluster_gain: jax.Array | None = None
