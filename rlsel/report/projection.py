"""Principal components for 2-D pictures of embeddings (UMAP would add a heavy dependency for a picture)."""

from __future__ import annotations

import numpy as np


def pca_2d(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """([N, 2] coordinates on the top two principal axes of x, [2] share of variance each explains)."""
    x = np.asarray(x, np.float64)
    centred = x - x.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    variance = s**2
    share = variance[:2] / max(variance.sum(), 1e-12)
    xy = centred @ vt[:2].T
    if xy.shape[1] < 2:  # one feature: a flat second axis
        xy = np.pad(xy, ((0, 0), (0, 2 - xy.shape[1])))
        share = np.pad(share, (0, 2 - len(share)))
    return xy.astype(np.float32), share
