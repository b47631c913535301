"""A readable per-cluster summary of a prepared dataset: size, label mix and example texts."""

from __future__ import annotations

import numpy as np

from rlsel.data.prepare import Prepared


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cluster_summary(prepared: Prepared, num_clusters: int = 8, num_examples: int = 3, width: int = 70) -> str:
    """The largest clusters, each with its size, label mix and a few member texts."""
    pool = prepared.pool
    texts = prepared.splits["train"]["text"]
    sizes = pool.sizes
    lines = [
        f"{prepared.config.data.dataset}: {len(texts)} train / {len(prepared.val_y)} validation / "
        f"{len(prepared.splits['test'])} test examples, {len(prepared.class_names)} classes, "
        f"{pool.num_clusters} clusters (sizes min {sizes.min()}, median {int(np.median(sizes))}, max {sizes.max()})",
    ]
    rng = np.random.default_rng(0)
    for c in np.argsort(-sizes, kind="stable")[:num_clusters]:
        mix = ", ".join(
            f"{prepared.class_names[k]} {n / sizes[c]:.0%}"
            for k, n in sorted(enumerate(pool.label_hist[c]), key=lambda kv: -kv[1]) if n
        )
        lines.append(f"cluster {c:>4}  size {sizes[c]:>5}  labels: {mix}")
        members = pool.members(c)
        for i in rng.choice(members, size=min(num_examples, len(members)), replace=False):
            lines.append(f"    - {_clip(texts[int(i)], width)}")
    return "\n".join(lines)
