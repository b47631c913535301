"""A planted MDP whose best subset is known: 12 blobs labelled by one linear rule, 6 of them with every label
flipped; each blob offers 4 chunks of 4, and the budget is 24 chunks, exactly the 6 clean blobs' chunks."""

import numpy as np

from rlsel.data.pool import build_pool
from rlsel.data.prepare import PrepareConfig, Prepared
from rlsel.env.selection import SelectionEnvConfig
from rlsel.proxy import ProxyConfig
from rlsel.selectors.context import SelectionContext, make_context

CLUSTERS, PER_CLUSTER, CHUNKS = 12, 40, 4


def flipped_context(seed: int = 0) -> tuple[SelectionContext, np.ndarray]:
    """The context, and which clusters are flipped [C]."""
    rng = np.random.default_rng(seed)
    rule, centroids = rng.normal(size=8), rng.normal(size=(CLUSTERS, 8)) * 2.0
    assignments = np.repeat(np.arange(CLUSTERS), PER_CLUSTER).astype(np.int32)
    x = (centroids[assignments] + 0.6 * rng.normal(size=(len(assignments), 8))).astype(np.float32)
    y = (x @ rule > 0).astype(np.int32)
    flipped = np.zeros(CLUSTERS, bool)
    flipped[rng.permutation(CLUSTERS)[: CLUSTERS // 2]] = True
    y[flipped[assignments]] = 1 - y[flipped[assignments]]
    val_x = (centroids[rng.integers(0, CLUSTERS, 400)] + 0.6 * rng.normal(size=(400, 8))).astype(np.float32)
    val_y = (val_x @ rule > 0).astype(np.int32)
    pool = build_pool(assignments, y, centroids.astype(np.float32), 2, len(val_y), per_cluster=4 * CHUNKS,
                      val_size=400, seed=seed, x=x, chunk_size=4)
    prepared = Prepared(config=PrepareConfig(), splits=None, fingerprint="planted", class_names=["a", "b"],
                        train_x=x, train_y=y, val_x=val_x, val_y=val_y, pool=pool, timings={})
    budget = (CLUSTERS // 2 * CHUNKS * 4 + 0.5) / len(y)
    return make_context(prepared, SelectionEnvConfig(budget=budget, proxy=ProxyConfig(dim=0, metric="neg_loss"))), flipped


def clean_state(flipped: np.ndarray) -> np.ndarray:
    """[C] every chunk of every clean cluster: the planted best state."""
    return np.where(flipped, 0, CHUNKS).astype(np.int32)
