"""The nearest-neighbour proxy: the chosen rows classify each reward row by its most similar chosen row.

A 1-nearest-neighbour classifier memorises its training rows as a finetune on a small subset does, so a chosen
row with a wrong label costs the reward rows around it, where a least-squares head averages it away. On the raw
(unit-normalised) embeddings, with label-pure units: each unit's best cosine to every reward row is computed
once, and the carry is each reward row's best cosine per label so far, so a step costs O(reward rows).
The score reads logits = best cosine per label / TEMPERATURE (accuracy is the 1-NN accuracy; neg_loss its
cross-entropy); a label with no chosen row sits at FLOOR, below any cosine, and the empty set scores chance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlsel.proxy import metrics
from rlsel.proxy.config import ProxyConfig
from rlsel.proxy.coverage import BLOCK, _normalise

if TYPE_CHECKING:
    from rlsel.proxy.data import ProxyData

TEMPERATURE = 0.1  # cosine gaps of about 0.1 separate a confident neighbour vote from a coin flip
FLOOR = -2.0  # a label's best cosine before any of its rows is chosen
LOCAL_ROWS = 8  # reward rows per unit whose errors make the unit's observed error


@struct.dataclass
class NearestData:
    """For U units and R reward rows (zero-size axes unless the proxy is the nearest-neighbour one)."""

    unit_similarity: jax.Array  # [U, R] best cosine of any row of the unit to each reward row (FLOOR if empty)
    unit_label: jax.Array  # [U] int32 the unit's label (its rows share one)
    unit_local: jax.Array  # [U, LOCAL_ROWS] int32 the reward rows the unit is most similar to


def nearest_data(enabled: bool, unit_rows: np.ndarray, unit_mask: np.ndarray, train_x: np.ndarray,
                 train_y: np.ndarray, target_x: np.ndarray) -> NearestData:
    """The statistics the nearest-neighbour proxy reads (empty arrays when not `enabled`); units must be
    label-pure, as stratified clusters and their chunks are."""
    units = len(unit_rows)
    if not enabled:
        return NearestData(unit_similarity=np.zeros((units, 0), np.float32), unit_label=np.zeros(units, np.int32),
                           unit_local=np.zeros((units, 0), np.int32))
    labels = np.where(unit_mask, np.asarray(train_y)[unit_rows], -1)
    first = labels.max(1)
    if np.any((labels != first[:, None]) & unit_mask):
        raise ValueError("proxy.kind='nearest' needs label-pure units: keep prepare.stratified=True")
    targets = _normalise(target_x)
    rows, owner = unit_rows[unit_mask], np.repeat(np.arange(units), unit_mask.sum(1))
    similarity = np.full((units, len(targets)), FLOOR, np.float32)
    for start in range(0, len(rows), BLOCK):
        part = slice(start, start + BLOCK)
        np.maximum.at(similarity, owner[part], _normalise(train_x[rows[part]]) @ targets.T)
    local = min(LOCAL_ROWS, len(targets))
    return NearestData(unit_similarity=similarity, unit_label=np.maximum(first, 0).astype(np.int32),
                       unit_local=np.argsort(-similarity, axis=1, kind="stable")[:, :local].astype(np.int32))


def nearest_score(metric: str, best: jax.Array, labels: jax.Array) -> jax.Array:
    """f from each reward row's best cosine per label [R, K]."""
    return metrics.score(metric, best / TEMPERATURE, labels)


def subset_nearest_score(metric: str, train_x: np.ndarray, train_y: np.ndarray, indices: np.ndarray,
                         target_x: np.ndarray, target_y: np.ndarray, num_classes: int) -> float:
    """f of any set of train rows, from scratch: the value the env's episode ends on."""
    indices = np.asarray(indices, np.int64)
    best = np.full((len(target_x), num_classes), FLOOR, np.float32)
    similarity = _normalise(target_x) @ _normalise(train_x[indices]).T
    for label in range(num_classes):
        own = np.asarray(train_y)[indices] == label
        if own.any():
            best[:, label] = similarity[:, own].max(1)
    return float(nearest_score(metric, jnp.asarray(best), jnp.asarray(target_y, jnp.int32)))


class NearestProxy:
    """1-nearest-neighbour classifier of the chosen rows, scored on the reward rows; see module docstring."""

    def __init__(self, config: ProxyConfig):
        self.config = config

    def init_carry(self, key: jax.Array, data: ProxyData) -> jax.Array:
        del key
        return jnp.full((data.y_val.shape[0], data.num_classes), FLOOR, jnp.float32)

    def empty_score(self, data: ProxyData) -> jax.Array:
        return nearest_score(self.config.metric, self.init_carry(jax.random.key(0), data), data.y_val)

    def add(self, key: jax.Array, carry: jax.Array, selected: jax.Array, action: jax.Array,
            data: ProxyData) -> tuple[jax.Array, jax.Array]:
        """Score after unit `action` joins: its rows may become the nearest of their label to any reward row."""
        del key, selected
        label = data.nearest.unit_label[action]
        carry = carry.at[:, label].max(data.nearest.unit_similarity[action])
        return nearest_score(self.config.metric, carry, data.y_val), carry

    def score_mask(self, selected: jax.Array, data: ProxyData) -> jax.Array:
        """f of an arbitrary unit mask [U], from scratch (outside the env loop)."""
        similarity = jnp.where(selected[:, None], data.nearest.unit_similarity, FLOOR)
        best = jax.ops.segment_max(similarity, data.nearest.unit_label, num_segments=data.num_classes)  # [K, R]
        return nearest_score(self.config.metric, jnp.maximum(best, FLOOR).T, data.y_val)

    def unit_error(self, carry: jax.Array, units: jax.Array, data: ProxyData) -> jax.Array:
        """[n] the current classifier's error on the reward rows each given unit is most similar to."""
        credit = metrics.tie_aware_credit(carry, data.y_val)  # [R]
        return 1.0 - credit[data.nearest.unit_local[units]].mean(-1)
