"""The data-selection MDP: add data from one cluster at a time until the budget is spent.

Units: each of C clusters offers J chunks in a fixed order (its most typical b members first, then the
next b, ...; or, when not chunked, the whole cluster as its single chunk). With `pick="gain"` the order is
not fixed: a cluster offers whichever of its remaining units most improves the reward's coverage term, so the
policy allocates the budget over regions and the env picks the row within one (kernel herding's rule).
State: chunks taken per cluster, the chosen-unit mask, step count, budget used, the proxy score and carry.
Action: a cluster id, which adds that cluster's next chunk (the one it offers); clusters with no chunk left
(or `cluster_cap` taken), whose next chunk would overflow the budget, or (`label_balance`) would take a label
past its train share of the budget, are masked out; with `exact_shares` the label budgets are whole chunks summing
to the budget, so a full subset holds every label at its share and no label can be left short.
Reward: f(proxy on S + chunk) - f(proxy on S), so an episode's rewards telescope to f(S_final) - f(empty).

The swap MDP (`mdp="swap"`) edits a full subset instead: it starts holding every region's first unit (with one
region per budget row and the typical order, TypiClust's subset) and each action swaps a region's unit for its
next one; an episode makes a fixed number of swaps, its rewards telescope to f(S_final) - f(start), and every
region stays represented, so the labels and the spread of the start are kept whatever the policy does.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlsel.data.pool import ClusterPool
from rlsel.env.base import Environment
from rlsel.env.obs import SelectionObs
from rlsel.env.quotas import label_quotas
from rlsel.proxy import ProxyConfig, ProxyData, make_proxy

BUDGET_MODES = ("examples", "clusters")
PICKS = ("order", "gain")
MDPS = ("add", "swap")


@dataclasses.dataclass(frozen=True)
class SelectionEnvConfig:
    """Static settings: budget as a fraction of train examples or of clusters, and the proxy."""

    budget: float = 0.05
    budget_mode: str = "examples"
    proxy: ProxyConfig = ProxyConfig()
    feature_dim: int = 16  # leading (whitened PCA) centroid coordinates in each cluster's features
    observe_error: bool = False  # show the policy the proxy's current loss at each cluster's next chunk
    observe_gain: bool = False  # with a coverage term: show the policy each next chunk's coverage gain
    pick: str = "order"  # a cluster's next chunk: the fixed order, or (`gain`) its best for the coverage term
    cluster_cap: int = 0  # at most this many chunks from one cluster (0: all it has), so the budget spreads;
    # raised to the smallest cap that can still fill the budget when clusters are few or small
    label_balance: bool = False  # no label takes more than its train share of the budget (plus one chunk)
    exact_shares: bool = False  # with label_balance: each label's budget is its share in whole chunks, summing to
    # the budget, so a full subset holds every label at its share (label-pure regions only)
    mdp: str = "add"  # add: build the subset from empty | swap: edit the subset of every region's first unit
    swap_fraction: float = 0.1  # swap MDP: swaps per episode, as a fraction of the regions (0: keep the start)

    def __post_init__(self):
        if self.budget_mode not in BUDGET_MODES:
            raise ValueError(f"budget_mode '{self.budget_mode}' is not one of {BUDGET_MODES}")
        if not 0.0 < self.budget <= 1.0:
            raise ValueError(f"budget must be a fraction in (0, 1]; got {self.budget}")
        if self.pick not in PICKS:
            raise ValueError(f"pick '{self.pick}' is not one of {PICKS}")
        if self.cluster_cap < 0:
            raise ValueError(f"cluster_cap must be >= 0 (0: no cap); got {self.cluster_cap}")
        if self.mdp not in MDPS:
            raise ValueError(f"mdp '{self.mdp}' is not one of {MDPS}")
        if self.mdp == "swap" and not 0.0 <= self.swap_fraction <= 1.0:
            raise ValueError(f"swap_fraction must be a fraction in [0, 1]; got {self.swap_fraction}")
        if self.mdp == "swap" and (self.pick != "order" or self.budget_mode != "examples"):
            raise ValueError("the swap MDP walks each region's units in order and keeps the start's size: use it with "
                             "pick='order' and budget_mode='examples'")
        if self.exact_shares and not self.label_balance:
            raise ValueError("exact_shares sets the label budgets that label_balance enforces: set label_balance=True")
        if self.pick == "gain" and self.proxy.coverage_weight <= 0:
            raise ValueError("pick='gain' chooses rows by the reward's coverage term: set proxy.coverage_weight > 0")


@struct.dataclass
class SelectionParams:
    """Traced per-instance arrays: costs against the budget, policy features, proxy inputs."""

    cost: jax.Array  # [C * J] budget cost of each unit (its size, or 1 per whole cluster); 0 where absent
    num_chunks: jax.Array  # [C] int32 chunks each cluster may give (those it has, at most the cap)
    budget: jax.Array  # [] total budget in the same unit
    cluster_features: jax.Array  # [C, F]
    empty_score: jax.Array  # [] f(empty set); in the swap MDP f(start), the score every episode starts from
    unit_labels: jax.Array  # [C * J, K] examples of each label in each unit, in budget units
    label_budget: jax.Array  # [K] budget each label may take (inf without label_balance)
    data: ProxyData
    swaps: jax.Array  # [] int32 swaps per episode in the swap MDP (0 in the add MDP)
    start_taken: jax.Array  # [C] int32 units each region starts with (the swap MDP's start: 1, or 0 if it has none)
    start_carry: Any = None  # the proxy's carry on the swap MDP's start (None in the add MDP)


@struct.dataclass
class SelectionState:
    taken: jax.Array  # [C] int32 chunks taken per cluster
    selected: jax.Array  # [C * J] bool chosen units
    step: jax.Array  # [] int32
    used: jax.Array  # [] float32 budget spent
    score: jax.Array  # [] float32 proxy score of the chosen set
    carry: Any  # proxy-specific running state
    offered: jax.Array  # [C] int32 the unit each cluster adds if chosen now


def standardise(values: jax.Array, mask: jax.Array) -> jax.Array:
    """[C] values as z-scores over the valid clusters (0 elsewhere): gains shrink a thousandfold over an
    episode, and a policy needs their ranking, not their scale."""
    count = jnp.maximum(mask.sum(), 1)
    mean = jnp.where(mask, values, 0.0).sum() / count
    std = jnp.sqrt(jnp.where(mask, (values - mean) ** 2, 0.0).sum() / count)
    return jnp.where(mask, (values - mean) / (std + 1e-8), 0.0)


def cluster_features(pool: ClusterPool, data: ProxyData, feature_dim: int) -> np.ndarray:
    """Per-cluster descriptors: leading coordinates of the members' mean projected features, log size,
    label mix. Few centroid coordinates keep per-cluster policies cheap (their cost grows with F)."""
    sizes = pool.sizes.astype(np.float32)
    dim = min(feature_dim, data.x_sub.shape[-1])
    x_sub = np.asarray(data.x_sub)[..., :dim].reshape(pool.num_clusters, -1, dim)
    real = (np.asarray(data.w_sub) > 0).reshape(pool.num_clusters, -1)
    weights = real / np.maximum(real.sum(1, keepdims=True), 1)
    centroid = np.einsum("cm,cmd->cd", weights, x_sub)
    log_size = np.log1p(sizes)[:, None] / np.log1p(sizes.max())
    label_mix = pool.label_hist / np.maximum(sizes[:, None], 1)
    return np.concatenate([centroid, log_size, label_mix], axis=1).astype(np.float32)


class SelectionEnv(Environment[SelectionState, SelectionParams]):
    """Stateless environment; `make_params` builds the traced arrays for one dataset. The reward comes from
    `proxy` (any object with init_carry / add / empty_score), by default the one `config.proxy` names."""

    def __init__(self, config: SelectionEnvConfig, num_clusters: int, num_classes: int, num_chunks: int = 1,
                 proxy: Any = None):
        self.config = config
        self.num_clusters = num_clusters
        self.num_chunks = num_chunks
        self.proxy = make_proxy(config.proxy, num_classes) if proxy is None else proxy

    @property
    def observes_gain(self) -> bool:
        """The policy sees coverage gains: asked for, and the reward has a coverage term to gain in."""
        return self.config.observe_gain and hasattr(self.proxy, "unit_gain")

    @property
    def num_actions(self) -> int:
        return self.num_clusters

    @property
    def default_params(self) -> SelectionParams:
        raise ValueError("SelectionEnv has no default params; pass the result of make_params()")

    def make_params(self, pool: ClusterPool, data: ProxyData) -> SelectionParams:
        """Budget and features for one pool; fails clearly if not even one cluster fits the budget."""
        if self.config.mdp == "swap" and not hasattr(self.proxy, "swap"):
            raise ValueError("the swap MDP needs a proxy a unit can leave: proxy.kind='ridge' without a coverage term")
        if pool.units.num_chunks != self.num_chunks:
            raise ValueError(f"the pool has {pool.units.num_chunks} chunks per cluster; the env {self.num_chunks}")
        if self.config.budget_mode == "examples":
            cost = pool.units.cost.reshape(-1)
            budget = self.config.budget * float(pool.sizes.sum())
        elif pool.units.chunked:
            raise ValueError("budget_mode 'clusters' counts whole clusters; use it with prepare.chunk_size=0 "
                             "and prepare.reward_train=0")
        else:
            cost = np.ones(pool.num_clusters, np.float32)
            budget = float(np.floor(self.config.budget * pool.num_clusters + 1e-9))
        if not ((cost > 0) & (cost <= budget)).any():
            raise ValueError(
                f"no cluster fits the budget ({budget:.1f} {self.config.budget_mode}; smallest cluster costs "
                f"{cost.min():.0f}): raise the budget or use more clusters"
            )
        num_chunks = (pool.units.cost > 0).sum(1)
        add = self.config.mdp == "add"  # the swap MDP keeps one unit per region: no cap, no label shares to hold
        if add and self.config.cluster_cap:
            num_chunks = np.minimum(num_chunks, self.effective_cap(cost.reshape(pool.num_clusters, -1), budget))
        unit_labels = np.asarray(data.unit_y) * cost[:, None]
        if add and self.config.label_balance:
            share = pool.label_hist.sum(0) / max(pool.label_hist.sum(), 1)
            if self.config.exact_shares:
                label_budget = self.exact_label_budget(share, unit_labels, num_chunks, cost.max(), budget)
            else:
                label_budget = share * budget + cost.max()
        else:
            label_budget = np.full(unit_labels.shape[1], np.inf)
        params = SelectionParams(
            cost=jnp.asarray(cost),
            num_chunks=jnp.asarray(num_chunks, jnp.int32),
            budget=jnp.asarray(budget, jnp.float32),
            cluster_features=jnp.asarray(cluster_features(pool, data, self.config.feature_dim)),
            empty_score=jnp.asarray(0.0, jnp.float32),
            unit_labels=jnp.asarray(unit_labels, jnp.float32),
            label_budget=jnp.asarray(label_budget, jnp.float32),
            data=jax.tree_util.tree_map(jnp.asarray, data),
            swaps=jnp.asarray(0, jnp.int32),
            start_taken=jnp.zeros(self.num_clusters, jnp.int32),
        )
        if not add:
            return self.with_swap_start(params)
        return params.replace(empty_score=self.proxy.empty_score(params.data).astype(jnp.float32))

    def with_swap_start(self, params: SelectionParams) -> SelectionParams:
        """The swap MDP's params: the start holds each region's first unit, its size is the budget, and the
        proxy's carry on it is computed once here, so every episode starts from it."""
        num_chunks = np.asarray(params.num_chunks)
        start_taken = np.minimum(num_chunks, 1).astype(np.int32)
        start_units = np.flatnonzero(np.asarray(self.held_units(jnp.asarray(start_taken))))
        if start_units.size == 0 or num_chunks.max() < 2:
            raise ValueError("the swap MDP needs regions with a second unit to swap in: raise prepare.per_cluster")

        @jax.jit
        def start_carry(units):
            def add(carry_score, unit):
                selected = jnp.zeros(params.cost.size, bool)  # unread by proxies with a swap
                score, carry = self.proxy.add(jax.random.key(0), carry_score[0], selected, unit, params.data)
                return (carry, score), None
            first = (self.proxy.init_carry(jax.random.key(0), params.data), jnp.zeros((), jnp.float32))
            return jax.lax.scan(add, first, units)[0]

        carry, score = start_carry(jnp.asarray(start_units))
        return params.replace(
            budget=params.cost[start_units].sum(), empty_score=score.astype(jnp.float32),
            swaps=jnp.asarray(int(round(self.config.swap_fraction * len(start_units))), jnp.int32),
            start_taken=jnp.asarray(start_taken), start_carry=carry,
        )

    def exact_label_budget(self, share: np.ndarray, unit_labels: np.ndarray, num_chunks: np.ndarray, chunk: float,
                           budget: float) -> np.ndarray:
        """[K] each label's budget in examples: its share of the budget's whole chunks (`label_quotas`), so the
        budgets sum to what the budget holds; `unit_labels` is [C * J, K], `num_chunks` [C] the units offered."""
        if ((unit_labels > 0).sum(1) > 1).any():
            raise ValueError("exact_shares needs label-pure regions, so each chunk counts against one label: "
                             "set prepare.stratified=True")
        offered = (np.arange(self.num_chunks) < num_chunks[:, None]).reshape(-1)
        capacity = ((unit_labels > 0) & offered[:, None]).sum(0)
        return label_quotas(share, int(np.floor(budget / chunk + 1e-6)), capacity) * chunk

    def effective_cap(self, cost: np.ndarray, budget: float) -> int:
        """`cluster_cap`, raised to the smallest cap whose chunks can still fill the budget (few or small
        clusters), so a default cap never leaves the budget unspendable. `cost` is [C, J]."""
        fillable = cost.cumsum(1).sum(0) >= budget - 1e-6  # [J]: with cap j + 1, the chunks hold the budget
        first = int(np.argmax(fillable)) + 1 if fillable.any() else self.num_chunks
        return max(self.config.cluster_cap, first)

    def next_unit(self, taken: jax.Array) -> jax.Array:
        """[C] the unit each cluster would add next (its last chunk once all are taken)."""
        return jnp.arange(self.num_clusters) * self.num_chunks + jnp.minimum(taken, self.num_chunks - 1)

    def offered_units(self, taken: jax.Array, selected: jax.Array, carry: Any, params: SelectionParams) -> jax.Array:
        """[C] the unit each cluster adds if chosen now: its next in order, or (pick `gain`) its remaining unit
        with the largest coverage gain (every unit's gain in one pass)."""
        if self.config.pick == "order":
            return self.next_unit(taken)
        shape = (self.num_clusters, self.num_chunks)
        gain = self.proxy.unit_gain(carry, None, params.data).reshape(shape)
        free = ~selected.reshape(shape) & (params.cost.reshape(shape) > 0)
        return jnp.arange(shape[0]) * shape[1] + jnp.argmax(jnp.where(free, gain, -jnp.inf), axis=1)

    def held_units(self, taken: jax.Array) -> jax.Array:
        """[..., C * J] the units of a fixed-order state: each cluster's first `taken[c]` chunks."""
        held = jnp.arange(self.num_chunks) < taken[..., None]
        return held.reshape(*taken.shape[:-1], self.num_clusters * self.num_chunks)

    def action_mask(self, taken: jax.Array, used: jax.Array, params: SelectionParams,
                    units: jax.Array | None = None, selected: jax.Array | None = None) -> jax.Array:
        """[C] clusters with a unit left whose offered unit (default: next in order) fits the budget and, with
        label_balance, every label's budget (`selected` [C * J] defaults to the fixed-order units of `taken`)."""
        if self.config.mdp == "swap":
            return (taken >= 1) & (taken < params.num_chunks)
        units = self.next_unit(taken) if units is None else units
        mask = (taken < params.num_chunks) & (used + params.cost[units] <= params.budget + 1e-6)
        if self.config.label_balance:
            selected = self.held_units(taken) if selected is None else selected
            label_used = selected.astype(jnp.float32) @ params.unit_labels
            fits = (label_used + params.unit_labels[units] <= params.label_budget + 1e-6).all(-1)
            mask = mask & fits
        return mask

    def observe(self, state: SelectionState, params: SelectionParams) -> SelectionObs:
        units = state.offered
        mask = self.action_mask(state.taken, state.used, params, units, state.selected)
        if self.config.mdp == "swap":
            mask = mask & (state.step < params.swaps)
        gain = standardise(self.proxy.unit_gain(state.carry, units, params.data), mask) if self.observes_gain else None
        return SelectionObs(
            selected=state.taken / jnp.maximum(params.num_chunks, 1).astype(jnp.float32),
            action_mask=mask,
            budget_left=(jnp.clip(1.0 - state.used / params.budget, 0.0, 1.0) if self.config.mdp == "add" else
                         1.0 - state.step / jnp.maximum(params.swaps, 1)),
            cluster_features=params.cluster_features,
            cluster_error=(self.proxy.unit_error(state.carry, units, params.data)
                           if self.config.observe_error else None),
            cluster_gain=gain,
        )

    def reset_env(self, key: jax.Array, params: SelectionParams) -> tuple[SelectionObs, SelectionState]:
        if self.config.mdp == "swap":
            taken, carry = params.start_taken, params.start_carry
            selected = self.held_units(taken) & (params.cost > 0)
            used = params.budget
        else:
            taken = jnp.zeros(self.num_clusters, jnp.int32)
            selected = jnp.zeros(self.num_clusters * self.num_chunks, bool)
            carry = self.proxy.init_carry(key, params.data)
            used = jnp.zeros((), jnp.float32)
        state = SelectionState(
            taken=taken, selected=selected, step=jnp.zeros((), jnp.int32), used=used,
            score=params.empty_score, carry=carry, offered=self.offered_units(taken, selected, carry, params),
        )
        return self.observe(state, params), state

    def step_env(self, key, state, action, params):
        unit = state.offered[action]
        units = jnp.arange(self.num_clusters * self.num_chunks)
        if self.config.mdp == "swap":
            removed = unit - 1  # the region's current unit: the one before its next in order
            selected = (state.selected | (units == unit)) & (units != removed)
            score, carry = self.proxy.swap(key, state.carry, selected, removed, unit, params.data)
            cost = 0.0
        else:
            selected = state.selected | (units == unit)
            score, carry = self.proxy.add(key, state.carry, selected, unit, params.data)
            cost = params.cost[unit]
        score = score.astype(jnp.float32)
        reward = score - state.score
        taken = state.taken.at[action].add(1)
        state = SelectionState(
            taken=taken,
            selected=selected,
            step=state.step + 1,
            used=state.used + cost,
            score=score,
            carry=carry,
            offered=self.offered_units(taken, selected, carry, params),
        )
        obs = self.observe(state, params)
        done = ~obs.action_mask.any()
        info = {"score": score, "budget_used": state.used / params.budget}
        return obs, state, reward, done, info
