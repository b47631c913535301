"""A coverage term added to any proxy's score: how well the chosen set represents the reward rows.

Two kinds, both class-conditional and on the raw (unit-normalised) embeddings:
- `facility`: mean over reward rows r of max over chosen rows j of r's label of max(0, cos(x_j, x_r)),
  i.e. facility location: every reward row should have a near neighbour of its class in the subset.
- `mean`: minus sum_k pi_k ||(sum of the chosen embeddings of label k) / q_k - mu_k||^2, with pi_k label k's
  share and mu_k its mean over the reward rows, q_k = pi_k * budget its quota: the linear-kernel MMD that
  kernel herding minimises. Dividing by the quota, not the count, makes every label's first picks pay and
  overshooting a label's share cost.
A loss reward alone favours the few rows that fix the head's current errors; these favour subsets that
stand for the data. The env sees score = proxy score + weight * coverage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

if TYPE_CHECKING:
    from rlsel.proxy.data import ProxyData

COVERAGE_KINDS = ("facility", "mean")
BLOCK = 4096  # train rows per similarity block when precomputing unit coverage


@struct.dataclass
class CoverageData:
    """Per-unit coverage statistics for U units, R reward rows, K labels, D embedding dims; the arrays of the
    kind not in use have a zero-size last axis."""

    unit_cover: jax.Array  # [U, R] facility: best same-label cosine of any row of the unit to each reward row
    unit_sum: jax.Array  # [U, K, D] mean: sum of the unit's normalised embeddings per label
    unit_sq: jax.Array  # [U, K] mean: squared norm of each of those sums
    target_mean: jax.Array  # [K, D] mean: each label's mean normalised embedding over the reward rows
    target_weight: jax.Array  # [K] mean: each label's share of the reward rows
    quota: jax.Array  # [K] mean: each label's share of the budget, in examples


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def row_coverage(train_x: np.ndarray, train_y: np.ndarray, rows: np.ndarray, target_x: np.ndarray,
                 target_y: np.ndarray) -> np.ndarray:
    """[len(rows), R] max(0, cos) of each train row to each target row, 0 where their labels differ."""
    targets = _normalise(target_x)
    out = np.zeros((len(rows), len(targets)), np.float32)
    for start in range(0, len(rows), BLOCK):
        part = rows[start:start + BLOCK]
        sim = _normalise(train_x[part]) @ targets.T
        same = train_y[part][:, None] == np.asarray(target_y)[None, :]
        out[start:start + len(part)] = np.where(same, np.maximum(sim, 0.0), 0.0)
    return out


def unit_coverage(unit_rows: np.ndarray, unit_mask: np.ndarray, train_x: np.ndarray, train_y: np.ndarray,
                  target_x: np.ndarray, target_y: np.ndarray) -> np.ndarray:
    """[U, R] the best coverage any row of each unit gives each target (0 for an empty unit)."""
    per_row = row_coverage(train_x, train_y, unit_rows[unit_mask], target_x, target_y)
    owner = np.repeat(np.arange(len(unit_rows)), unit_mask.sum(1))
    out = np.zeros((len(unit_rows), per_row.shape[1]), np.float32)
    np.maximum.at(out, owner, per_row)
    return out


def coverage_data(kind: str | None, unit_rows: np.ndarray, unit_mask: np.ndarray, train_x: np.ndarray,
                  train_y: np.ndarray, target_x: np.ndarray, target_y: np.ndarray, num_classes: int,
                  budget: float) -> CoverageData:
    """The statistics `kind` needs for a budget of `budget` examples (None: empty arrays, for a proxy without
    coverage)."""
    if kind is not None and kind not in COVERAGE_KINDS:
        raise ValueError(f"coverage kind '{kind}' is not one of {COVERAGE_KINDS}")
    units, dim = len(unit_rows), (np.shape(train_x)[1] if kind == "mean" else 0)
    data = CoverageData(
        unit_cover=np.zeros((units, 0), np.float32),
        unit_sum=np.zeros((units, num_classes, dim), np.float32),
        unit_sq=np.zeros((units, num_classes), np.float32),
        target_mean=np.zeros((num_classes, dim), np.float32),
        target_weight=np.zeros(num_classes, np.float32),
        quota=np.zeros(num_classes, np.float32),
    )
    if kind == "facility":
        return data.replace(unit_cover=unit_coverage(unit_rows, unit_mask, train_x, train_y, target_x, target_y))
    if kind == "mean":
        rows, owner = unit_rows[unit_mask], np.repeat(np.arange(units), unit_mask.sum(1))
        np.add.at(data.unit_sum, (owner, train_y[rows]), _normalise(train_x[rows]))
        onehot = np.eye(num_classes, dtype=np.float32)[np.asarray(target_y)]
        counts = onehot.sum(0)
        share = counts / counts.sum()
        return data.replace(unit_sq=np.sum(data.unit_sum ** 2, axis=-1),
                            target_mean=(onehot.T @ _normalise(target_x)) / np.maximum(counts, 1)[:, None],
                            target_weight=share, quota=np.maximum(share * budget, 1.0).astype(np.float32))
    return data


def mean_mismatch(sums: jax.Array, data: CoverageData) -> jax.Array:
    """[] sum_k pi_k ||sums_k / q_k - mu_k||^2 (see the module docstring)."""
    return jnp.sum(data.target_weight * jnp.sum((sums / data.quota[:, None] - data.target_mean) ** 2, axis=-1))


def subset_coverage(kind: str, train_x: np.ndarray, train_y: np.ndarray, indices: np.ndarray,
                    target_x: np.ndarray, target_y: np.ndarray, num_classes: int, budget: float) -> float:
    """coverage(S) of any set of train rows at a budget of `budget` examples: the value the env adds."""
    indices = np.asarray(indices, np.int64)
    whole = coverage_data(kind, indices[None, :], np.ones((1, len(indices)), bool), train_x, train_y,
                          target_x, target_y, num_classes, budget)
    if kind == "facility":
        return float(whole.unit_cover[0].mean()) if len(indices) else 0.0
    return -float(mean_mismatch(whole.unit_sum[0], whole))


@struct.dataclass
class CoveredCarry:
    """The field of the kind not in use is None (checkpoints cannot hold zero-size arrays)."""

    inner: Any  # the wrapped proxy's carry
    cover: jax.Array | None  # [R] facility: best coverage of each reward row so far
    sums: jax.Array | None  # [K, D] mean: per-label sums of the chosen normalised embeddings


class CoveredProxy:
    """`inner`'s score plus `weight` times coverage of `kind`; heads, errors and solves are `inner`'s."""

    def __init__(self, inner: Any, weight: float, kind: str):
        self.inner, self.weight, self.kind = inner, float(weight), kind

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (e.g. while copying): no recursion through the delegation
            raise AttributeError(name)
        return getattr(self.inner, name)

    def _coverage(self, carry: CoveredCarry, data: CoverageData) -> jax.Array:
        if self.kind == "facility":
            return carry.cover.mean()
        return -mean_mismatch(carry.sums, data)

    def init_carry(self, key: jax.Array, data: ProxyData) -> CoveredCarry:
        cov, facility = data.coverage, self.kind == "facility"
        return CoveredCarry(inner=self.inner.init_carry(key, data),
                            cover=jnp.zeros(cov.unit_cover.shape[1]) if facility else None,
                            sums=None if facility else jnp.zeros(cov.unit_sum.shape[1:]))

    def empty_score(self, data: ProxyData) -> jax.Array:
        empty = self.init_carry(jax.random.key(0), data)
        return self.inner.empty_score(data) + self.weight * self._coverage(empty, data.coverage)

    def add(self, key: jax.Array, carry: CoveredCarry, selected: jax.Array, action: jax.Array,
            data: ProxyData) -> tuple[jax.Array, CoveredCarry]:
        inner_score, inner = self.inner.add(key, carry.inner, selected, action, data)
        cov = data.coverage
        if self.kind == "facility":
            carry = carry.replace(inner=inner, cover=jnp.maximum(carry.cover, cov.unit_cover[action]))
        else:
            carry = carry.replace(inner=inner, sums=carry.sums + cov.unit_sum[action])
        return inner_score + self.weight * self._coverage(carry, cov), carry

    def unit_gain(self, carry: CoveredCarry, units: jax.Array | None, data: ProxyData) -> jax.Array:
        """[n] weight x the change in coverage if each given unit (every unit when None) joined the chosen set:
        a one-step lookahead of the coverage part of the reward."""
        cov = data.coverage
        pick = (lambda a: a) if units is None else (lambda a: a[units])
        if self.kind == "facility":
            after = jnp.maximum(carry.cover[None, :], pick(cov.unit_cover)).mean(-1)
            return self.weight * (after - carry.cover.mean())
        # M(s + a) - M(s) = sum_k pi_k (2 a_k . r_k / q_k + |a_k|^2 / q_k^2), r_k = s_k / q_k - mu_k
        residual = carry.sums / cov.quota[:, None] - cov.target_mean
        rise = (2.0 * jnp.einsum("nkd,kd->nk", pick(cov.unit_sum), residual) / cov.quota
                + pick(cov.unit_sq) / cov.quota ** 2)
        return -self.weight * jnp.sum(cov.target_weight * rise, axis=-1)

    def unit_error(self, carry: CoveredCarry, units: jax.Array, data: ProxyData) -> jax.Array:
        return self.inner.unit_error(carry.inner, units, data)
