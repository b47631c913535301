"""A bounded sample of the MDP states PPO visits while training, saved as `states.npz` for the analysis notebook.

Inside the program a probe reads the first `envs` environments' states after each update's rollout (a static
[envs, C] slice); the host keeps every `stride`-th update, so at most `MAX_STATES` rows whatever the run length.
`states.npz` holds `taken` [S, C] float32 (chunks taken per cluster / the cluster's chunks), `score` [S]
float32 (the state's proxy score), `update` [S] int32 (1-based, as `step` in metrics.jsonl's "ppo" lines) and
`pca` [S, 2] float32 (the rows of `taken` on their first two principal axes).
"""

from __future__ import annotations

import dataclasses
import io
import math
import pathlib

import jax.numpy as jnp
import numpy as np

from rlsel.env.selection import SelectionParams, SelectionState
from rlsel.io import write_bytes

MAX_STATES = 2000
STATES_FILE = "states.npz"


@dataclasses.dataclass(frozen=True)
class SamplePlan:
    """Environments read per kept update, which updates are kept, and the rows that makes."""

    envs: int
    stride: int
    num_updates: int

    @property
    def capacity(self) -> int:
        return self.num_updates // self.stride * self.envs


def sample_plan(num_updates: int, num_envs: int, limit: int = MAX_STATES) -> SamplePlan:
    """Several envs per update for short runs; one env every `stride` updates for long ones."""
    envs = max(1, min(num_envs, limit // max(num_updates, 1)))
    return SamplePlan(envs=envs, stride=max(1, math.ceil(num_updates * envs / limit)), num_updates=num_updates)


def make_probe(plan: SamplePlan, params: SelectionParams):
    """`probe(states)` for `make_ppo`: the first `plan.envs` states' taken fractions and proxy scores."""
    chunks = jnp.maximum(params.num_chunks, 1).astype(jnp.float32)

    def probe(states: SelectionState) -> dict:
        return {"taken": states.taken[: plan.envs] / chunks, "score": states.score[: plan.envs]}

    return probe


class StateSample:
    """The host-side rows, preallocated to the plan's capacity; `update == 0` marks an unfilled row."""

    def __init__(self, plan: SamplePlan, num_clusters: int):
        self.plan = plan
        self.arrays = {"taken": np.zeros((plan.capacity, num_clusters), np.float32),
                       "score": np.zeros(plan.capacity, np.float32), "update": np.zeros(plan.capacity, np.int32)}

    @property
    def size(self) -> int:
        return int(np.count_nonzero(self.arrays["update"]))

    def restore(self, arrays: dict, done: int) -> None:
        """Take rows saved in a checkpoint, keeping those of the first `done` updates."""
        update = np.asarray(arrays["update"])
        dropped = (update <= 0) | (update > done)
        for name, values in arrays.items():
            values = np.array(values, self.arrays[name].dtype)
            values[dropped] = 0
            self.arrays[name] = values

    def add(self, first_update: int, probe: dict) -> None:
        """Rows of one chunk's probe output ([n, envs, ...]) for updates `first_update`, `first_update + 1`, ..."""
        n = np.shape(probe["score"])[0]
        updates = np.arange(first_update, first_update + n)
        keep = updates % self.plan.stride == 0
        rows = {"taken": np.asarray(probe["taken"])[keep].reshape(-1, self.arrays["taken"].shape[1]),
                "score": np.asarray(probe["score"])[keep].reshape(-1),
                "update": np.repeat(updates[keep], self.plan.envs).astype(np.int32)}
        start = self.size
        for name, values in rows.items():
            self.arrays[name][start: start + len(values)] = values

    def filled(self) -> dict[str, np.ndarray]:
        """The filled rows with their 2-D PCA."""
        rows = {k: v[: self.size] for k, v in self.arrays.items()}
        return {**rows, "pca": pca_2d(rows["taken"])}


def pca_2d(x: np.ndarray) -> np.ndarray:
    """[S, 2] coordinates of the centred rows on their two leading principal axes (zeros where fewer exist);
    each axis's sign makes its largest loading positive, so reruns draw the same picture."""
    out = np.zeros((x.shape[0], 2), np.float32)
    if x.shape[0] < 2:
        return out
    centred = jnp.asarray(x) - jnp.mean(jnp.asarray(x), axis=0)
    top = jnp.linalg.svd(centred, full_matrices=False)[2][:2]
    signs = jnp.sign(top[jnp.arange(top.shape[0]), jnp.argmax(jnp.abs(top), axis=1)])
    coords = np.asarray(centred @ (top * signs[:, None]).T, np.float32)
    out[:, : coords.shape[1]] = coords
    return out


def save_states(workdir: str | pathlib.Path, sample: StateSample) -> None:
    """Write `workdir/states.npz` atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **sample.filled())
    write_bytes(pathlib.Path(workdir) / STATES_FILE, buffer.getvalue())
