"""Plot a throughput report: env steps/s against env count beside the per-state loops, and the scaling series.

  python benchmarks/plot_throughput.py --json=results/throughput.json --out=results/throughput.png
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SCALING_TITLES = {"pool_fraction": "train pool (fraction of N)", "num_clusters": "clusters C",
                  "budget": "budget (fraction of examples)"}


def _rates(ax, record: dict) -> None:
    """Fused env steps/s per env count (per device layout), the proxy alone where measured, and the loop and
    sklearn rates as lines."""
    for i, devices in enumerate(sorted({r["num_devices"] for r in record["per_env_count"]})):
        rows = [r for r in record["per_env_count"] if r["num_devices"] == devices]
        plural = "s" if devices > 1 else ""
        ax.plot([r["num_envs"] for r in rows], [r["env_steps_per_s"] for r in rows], "o-", color=f"C{4 + i}",
                label=f"fused, {devices} device{plural}")
        if "proxy_only_steps_per_s" in rows[0]:
            ax.plot([r["num_envs"] for r in rows], [r["proxy_only_steps_per_s"] for r in rows], "^:",
                    color=f"C{4 + i}", label=f"proxy alone, {devices} device{plural}")
    four = [r for r in record.get("devices_4", {}).get("per_env_count", []) if r["num_devices"] == 4]
    if four:
        ax.plot([r["num_envs"] for r in four], [r["env_steps_per_s"] for r in four], "s--",
                label="fused, 4 host devices (subprocess)")
    ax.axhline(record["loop_env_steps_per_s"], color="C2", ls=":", label="loop: one jit call per state")
    ax.axhline(record["sklearn_env_steps_per_s"], color="C3", ls=":", label="sklearn LogisticRegression per state")
    ax.set(xscale="log", yscale="log", xlabel="vmapped environments", ylabel="env steps / s",
           title=f"{record['config']['dataset']}: {record['fraction_of_peak']:.2f} of matmul peak")
    ax.legend(fontsize=7)


def _series(ax, axis: str, rows: list[dict]) -> None:
    ax.plot([r["value"] for r in rows], [r["us_per_env_step"] for r in rows], "o-")
    ax.set(xlabel=SCALING_TITLES.get(axis, axis), ylabel="us per env step", ylim=(0, None),
           title=f"cost vs {SCALING_TITLES.get(axis, axis).split(' (')[0]}")


def _variants(ax, variants: dict) -> None:
    names = list(variants)
    ax.barh(names, [variants[n]["ratio_to_baseline"] for n in names], color="C1")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set(xlabel="env steps/s relative to baseline", title="prototype speed-ups")
    ax.tick_params(axis="y", labelsize=7)


def _ops(ax, record: dict) -> None:
    """Exclusive time per env step of the costliest XLA ops at the best one-device env count."""
    num_envs = record["one_device_best_num_envs"]
    ops = record["op_profile_us_per_env_step"][str(num_envs)]
    names = [n for n in ops if n != "all_ops"][::-1]
    ax.barh(names, [ops[n] for n in names], color="C0")
    ax.set(xlabel="us per env step (exclusive, profiled)", title=f"costliest XLA ops at {num_envs} envs")
    ax.tick_params(axis="y", labelsize=7)


def plot(record: dict, path: pathlib.Path) -> None:
    """Draw the report's panels into `path` (PNG), written to a temporary name and renamed."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    _rates(axes[0, 0], record)
    for ax, (axis, rows) in zip(axes.flat[1:4], record.get("scaling", {}).items()):
        _series(ax, axis, rows)
    if record.get("variants"):
        _variants(axes[1, 1], record["variants"])
    if record.get("op_profile_us_per_env_step"):
        _ops(axes[1, 2], record)
    for ax in axes.flat:
        if not ax.has_data():
            ax.set_axis_off()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(fd)
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", required=True, help="A report written by benchmarks/throughput.py.")
    parser.add_argument("--out", required=True, help="PNG to write.")
    args = parser.parse_args()
    plot(json.loads(pathlib.Path(args.json).read_text()), pathlib.Path(args.out))
