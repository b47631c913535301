"""The observation of the selection MDP, shared by the environment and the policy networks."""

from __future__ import annotations

import jax
from flax import struct


@struct.dataclass
class SelectionObs:
    """What a policy sees. Shapes for C clusters and F per-cluster features.

    selected: [C] float32, 1.0 for clusters already chosen.
    action_mask: [C] bool, True for clusters that may be chosen now (not chosen, still fit the budget).
    budget_left: [] float32, fraction of the budget still unspent, in [0, 1].
    cluster_features: [C, F] float32, fixed per-cluster descriptors (centroid, size, label histogram).
    """

    selected: jax.Array
    action_mask: jax.Array
    budget_left: jax.Array
    cluster_features: jax.Array
