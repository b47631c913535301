"""What PPO explored while it trained, from the bounded state sample a PPO select run saves as `states.npz`.

Each row is one MDP state seen after an update's rollout: `taken` [S, C] (share of each cluster's chunks taken),
`score` [S] (its proxy score), `update` [S] (1-based) and `pca` [S, 2] (the taken rows on two principal axes).
A state's episode step is the number of chunks it holds, so scores grouped by step give the reward per step.
"""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np
from matplotlib.figure import Figure

from rlsel.selectors.state_sample import STATES_FILE

NAMED_REGIONS = 40  # bars in the region-frequency panel
STEP_BINS = 20  # episode-step ranges the reward per step is averaged over
MIN_PER_BIN = 5


@dataclasses.dataclass(frozen=True)
class States:
    taken: np.ndarray  # [S, C] float32 share of each cluster's chunks
    score: np.ndarray  # [S] float32
    update: np.ndarray  # [S] int32
    pca: np.ndarray  # [S, 2] float32


def load_states(workdir: str | pathlib.Path) -> States | None:
    """The run's state sample, or None when the run saved none (a method other than PPO, a swap-MDP run, or an
    older run)."""
    path = pathlib.Path(workdir) / STATES_FILE
    if not path.is_file():
        return None
    with np.load(path) as f:
        states = States(**{name: f[name] for name in ("taken", "score", "update", "pca")})
    if not len(states.score):
        return None
    return states


def episode_steps(states: States, chunks_per_cluster: np.ndarray) -> np.ndarray:
    """[S] chunks each state holds, i.e. the episode step it was reached at."""
    return np.rint(states.taken * np.asarray(chunks_per_cluster, np.float32)).sum(1).astype(np.int64)


def phases(states: States) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the states from the first and the last third of the sampled updates."""
    lo, hi = np.quantile(states.update, [1 / 3, 2 / 3])
    return states.update <= lo, states.update >= hi


def reward_per_step(score: np.ndarray, steps: np.ndarray, mask: np.ndarray, bins: int = STEP_BINS
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(step, mean reward per step there): the masked states' mean score in up to `bins` equal step ranges
    (ranges with fewer than MIN_PER_BIN states left out), differenced and divided by the steps between them."""
    edges = np.linspace(0, max(int(steps.max()), 1) + 1, bins + 1)
    which = np.digitize(steps, edges) - 1
    centres, means = [], []
    for b in range(bins):
        rows = mask & (which == b)
        if rows.sum() >= MIN_PER_BIN:
            centres.append(steps[rows].mean())
            means.append(score[rows].mean())
    centres, means = np.asarray(centres), np.asarray(means)
    return (centres[1:] + centres[:-1]) / 2, np.diff(means) / np.maximum(np.diff(centres), 1e-9)


def exploration_figure(states: States, chunks_per_cluster: np.ndarray, chosen_clusters=(), title: str = "") -> Figure:
    """The paper-style figure: the explored states in 2-D coloured by proxy score, the mean reward per episode
    step early and late in training, and how often each region was in an explored state."""
    fig = Figure(figsize=(15, 4.6), layout="constrained")
    states_ax, step_ax, region_ax = (fig.add_subplot(1, 3, i) for i in (1, 2, 3))
    order = np.argsort(states.score, kind="stable")  # best states drawn last, on top
    dots = states_ax.scatter(states.pca[order, 0], states.pca[order, 1], c=states.score[order], s=8, cmap="viridis")
    fig.colorbar(dots, ax=states_ax, label="proxy score")
    states_ax.set_xlabel("PC 1 of chunks taken per cluster")
    states_ax.set_ylabel("PC 2")
    states_ax.set_title(f"{len(states.score)} states explored during training")

    steps = episode_steps(states, chunks_per_cluster)
    for mask, name in zip(phases(states), ("first third of updates", "last third")):
        at, reward = reward_per_step(states.score, steps, mask)
        if len(at):
            step_ax.plot(at, reward, marker="o", ms=3, label=name)
    if not step_ax.lines:
        step_ax.text(0.5, 0.5, f"fewer than {MIN_PER_BIN} states\nin every step range", ha="center", va="center",
                     transform=step_ax.transAxes)
    else:
        step_ax.legend(fontsize=8)
    step_ax.axhline(0, color="k", lw=0.6)
    step_ax.set_xlabel("episode step (chunks taken)")
    step_ax.set_ylabel("mean reward per step (score change)")
    step_ax.set_title(f"reward per step (states binned into {STEP_BINS} step ranges)")
    step_ax.grid(alpha=0.3)

    late = phases(states)[1]
    share = (states.taken[late] > 0).mean(0)
    top = np.argsort(-share, kind="stable")[:NAMED_REGIONS]
    chosen = set(int(c) for c in chosen_clusters)
    region_ax.bar(np.arange(len(top)), share[top],
                  color=["tab:orange" if int(c) in chosen else "tab:blue" for c in top])
    region_ax.set_xticks(np.arange(len(top)), [str(c) for c in top], rotation=90, fontsize=7)
    region_ax.set_xlabel("region (cluster id); orange: in the final subset" if chosen else "region (cluster id)")
    region_ax.set_ylabel("share of late-training states holding it")
    region_ax.set_title(f"how often each region was chosen\n(top {len(top)} of {states.taken.shape[1]} regions)")
    region_ax.grid(axis="y", alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig
