"""The report's figures, drawn on pyplot-free `Figure`s (no global backend state: the same functions serve the
report script and notebooks) and saved as PNG atomically."""

from __future__ import annotations

import math
import pathlib
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from rlsel.io import atomic_write
from rlsel.report.regions import Region
from rlsel.report.runlog import Series

MAX_PANELS = 12
SMOOTH_ABOVE = 100  # longer series get a moving mean over the faint raw line
MAX_NAMED_REGIONS = 60  # beyond this many bars, ticks name ranks rather than cluster ids


def save(fig: Figure, path: pathlib.Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))


def _grid(num: int, width: float = 4.2, height: float = 3.0) -> tuple[Figure, list]:
    cols = min(num, 3)
    rows = math.ceil(num / cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    return fig, [fig.add_subplot(rows, cols, i + 1) for i in range(num)]


def series_figure(series: Series, title: str, xlabel: str) -> Figure:
    """One panel per metric (at most MAX_PANELS, in the given order) against its step."""
    names = list(series)[:MAX_PANELS]
    fig, axes = _grid(len(names))
    for ax, name in zip(axes, names):
        steps, values = series[name]
        if len(values) > SMOOTH_ABOVE:
            ax.plot(steps, values, lw=0.6, alpha=0.35, color="tab:blue", label="per update")
            window = max(len(values) // 50, 2)
            ax.plot(steps[window - 1:], np.convolve(values, np.ones(window) / window, mode="valid"),
                    lw=1.6, color="tab:blue", label=f"mean of {window}")
            ax.legend(fontsize=7)
        else:
            ax.plot(steps, values, marker=".", lw=1.2)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(name.rsplit("/", 1)[-1])
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig


def build_up_figure(scores: np.ndarray, ordered: Sequence[Region], method: str) -> Figure:
    """The proxy score as the chosen regions are added one at a time, and the reward each addition earns."""
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    steps = np.arange(len(scores))
    left.plot(steps, scores, marker="o" if len(scores) < 60 else None, ms=3)
    left.set_xlabel("regions added (largest contribution first)")
    left.set_ylabel("proxy reward score")
    left.set_title("score per step")
    left.grid(alpha=0.3)
    gains = np.diff(scores)
    right.bar(steps[1:], gains, color=np.where(gains >= 0, "tab:green", "tab:red"))
    right.axhline(0, color="k", lw=0.6)
    right.set_xlabel("step (region added)")
    right.set_ylabel("reward (score change)")
    right.set_title("reward per step")
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(f"{method}: the subset rebuilt region by region ({len(ordered)} regions)")
    return fig


def embedding_figure(xy: np.ndarray, labels: np.ndarray, chosen: np.ndarray, class_names: Sequence[str],
                     title: str) -> Figure:
    """The whole train split in grey and the chosen rows coloured by label, in the same 2-D projection."""
    fig = Figure(figsize=(6.4, 5.2), layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(xy[:, 0], xy[:, 1], s=3, c="0.8", label=f"train split ({len(xy)})", rasterized=True)
    for k, name in enumerate(class_names):
        rows = chosen[labels[chosen] == k]
        if len(rows):
            ax.scatter(xy[rows, 0], xy[rows, 1], s=10, label=f"chosen: {name} ({len(rows)})")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(title)
    ax.legend(fontsize=8, markerscale=2)
    return fig


def label_mix_figure(train_counts: np.ndarray, subset_counts: np.ndarray, class_names: Sequence[str]) -> Figure:
    """Share of each label in the train split and in the subset, side by side."""
    fig = Figure(figsize=(max(5.0, 0.9 * len(class_names) + 2), 3.8), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(class_names))
    shares = [train_counts / max(train_counts.sum(), 1), subset_counts / max(subset_counts.sum(), 1)]
    for offset, share, name in zip((-0.2, 0.2), shares, ("train split", "subset")):
        bars = ax.bar(x + offset, share, width=0.4, label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(x, class_names, rotation=30 if len(class_names) > 4 else 0, ha="right" if len(class_names) > 4
                  else "center", fontsize=8)
    ax.set_ylim(0, max(max(s.max() for s in shares) * 1.15, 0.05))
    ax.set_ylabel("share of examples")
    ax.set_title(f"label mix: train split ({int(train_counts.sum())}) vs subset ({int(subset_counts.sum())})")
    ax.legend(fontsize=8)
    return fig


def regions_figure(ordered: Sequence[Region]) -> Figure:
    """Examples taken from each region and its leave-one-out reward contribution, in contribution order."""
    named = len(ordered) <= MAX_NAMED_REGIONS
    fig = Figure(figsize=(min(max(7.0, 0.18 * len(ordered) + 3), 14.0), 5.4), layout="constrained")
    top, bottom = fig.add_subplot(2, 1, 1), fig.add_subplot(2, 1, 2)
    x = np.arange(len(ordered))
    top.bar(x, [len(r.chosen) for r in ordered], color="tab:blue")
    top.set_ylabel("examples chosen")
    top.set_title(f"{len(ordered)} regions of the subset, largest reward contribution first")
    bottom.bar(x, [r.contribution for r in ordered], color=["tab:green" if r.contribution >= 0 else "tab:red"
                                                            for r in ordered])
    bottom.axhline(0, color="k", lw=0.6)
    bottom.set_ylabel("score lost without it")
    bottom.set_xlabel("region (cluster id)" if named else "region, by rank of its contribution")
    for ax in (top, bottom):
        if named:
            ax.set_xticks(x, [str(r.cluster) for r in ordered], rotation=90, fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    return fig
