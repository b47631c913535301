"""How much of a held-out split nearly copies the train split: TF-IDF word 1-2 gram cosine to the nearest train row.

Cheap, and sensitive to copied wording, which is what leaks; `benchmarks/near_duplicates.py` reports it per dataset.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

LOOSE = 0.8  # a second, looser cut reported beside the threshold
BLOCK = 256  # held-out rows per sparse product, so a block's similarities stay a few tens of MB


def normalise(text: str) -> str:
    """Lower case, whitespace runs collapsed: the key for 'exact after normalising'."""
    return " ".join(text.lower().split())


def max_train_cosine(train: Sequence[str], queries: Sequence[str], block: int = BLOCK) -> np.ndarray:
    """For each query, the highest cosine similarity to any train text (TF-IDF of word 1-2 grams fitted on
    train; rows are L2-normalised, so a dot product is the cosine). A query sharing no train n-gram scores 0."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), dtype=np.float32)
    train_t = vectorizer.fit_transform(train).T.tocsr()
    best = np.zeros(len(queries), np.float32)
    for start in range(0, len(queries), block):
        sims = vectorizer.transform(queries[start:start + block]) @ train_t
        best[start:start + block] = sims.max(axis=1).toarray().ravel()
    return best


def overlap(train: Sequence[str], queries: Sequence[str], threshold: float) -> dict:
    """How much of `queries` nearly copies `train`: counts and the median of each row's best train cosine."""
    best = max_train_cosine(train, queries)
    seen = {normalise(t) for t in train}
    return {
        "rows": len(queries),
        "exact_duplicates": sum(normalise(q) in seen for q in queries),
        "frac_ge_threshold": round(float(np.mean(best >= threshold)), 5),
        f"frac_ge_{LOOSE}": round(float(np.mean(best >= LOOSE)), 5),
        "median_max_cosine": round(float(np.median(best)), 4),
    }
