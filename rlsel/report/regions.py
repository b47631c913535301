"""The regions (prepared clusters) a subset draws from: what each holds and what it adds to the proxy's score.

A region's reward contribution is leave-one-region-out: the closed-form proxy's reward score of the whole subset
minus its score without that region's chosen rows (`rlsel.proxy.evaluate`, the yardstick every method gets).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from rlsel.selectors.context import SelectionContext


@dataclasses.dataclass(frozen=True)
class Region:
    cluster: int
    size: int  # train examples in the cluster
    chosen: np.ndarray  # train indices of the subset inside it
    label_counts: np.ndarray  # [K] over the whole cluster
    chosen_counts: np.ndarray  # [K] over the chosen rows
    top_terms: tuple[str, ...]
    examples: tuple[str, ...]  # chosen texts nearest the cluster's centre
    contribution: float  # subset score minus the score without this region's rows


def reward_score(ctx: SelectionContext, indices: np.ndarray) -> float:
    """The proxy's reward score of a head fitted on exactly these train rows."""
    return ctx.subset_scores(indices)[0]


def top_terms(texts: list[str], groups: np.ndarray, wanted: np.ndarray, num: int) -> dict[int, tuple[str, ...]]:
    """Per wanted group, the words most over-represented in its texts (class-based TF-IDF against all texts)."""
    vectorizer = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[^\W\d_]{2,}\b", lowercase=True)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # no words at all (e.g. only numbers or stop words)
        return {int(g): () for g in wanted}
    vocab = vectorizer.get_feature_names_out()
    idf = np.log(1.0 + len(texts) / (1.0 + np.asarray((counts > 0).sum(0)).ravel()))
    out = {}
    for g in wanted:
        tf = np.asarray(counts[groups == g].sum(0), np.float64).ravel()
        score = tf / max(tf.sum(), 1.0) * idf
        best = [i for i in np.argsort(-score, kind="stable")[:num] if tf[i] > 0]
        out[int(g)] = tuple(vocab[i] for i in best)
    return out


def _nearest(ctx: SelectionContext, rows: np.ndarray, cluster: int, num: int) -> np.ndarray:
    centre = ctx.prepared.pool.centroids[cluster]
    distance = np.linalg.norm(ctx.prepared.train_x[rows] - centre, axis=1)
    return rows[np.argsort(distance, kind="stable")[:num]]


def regions(ctx: SelectionContext, indices: np.ndarray, num_terms: int = 6, num_examples: int = 3) -> list[Region]:
    """Every cluster the subset takes rows from, largest reward contribution first."""
    p = ctx.prepared
    indices = np.asarray(indices, np.int64)
    assignments, k = p.pool.assignments, p.num_classes
    texts = list(p.splits["train"]["text"])
    chosen_clusters = np.unique(assignments[indices])
    terms = top_terms(texts, assignments, chosen_clusters, num_terms)
    total = reward_score(ctx, indices)
    out = []
    for c in chosen_clusters:
        inside = assignments[indices] == c
        rows = indices[inside]
        out.append(Region(
            cluster=int(c), size=int((assignments == c).sum()), chosen=rows,
            label_counts=np.bincount(p.train_y[assignments == c], minlength=k),
            chosen_counts=np.bincount(p.train_y[rows], minlength=k), top_terms=terms[int(c)],
            examples=tuple(texts[i] for i in _nearest(ctx, rows, int(c), num_examples)),
            contribution=total - reward_score(ctx, indices[~inside]),
        ))
    return sorted(out, key=lambda r: -r.contribution)


def build_up(ctx: SelectionContext, ordered: list[Region]) -> np.ndarray:
    """[R + 1] reward score of the empty subset, then after adding each region's chosen rows in the given order."""
    rows = np.zeros(0, np.int64)
    scores = [reward_score(ctx, rows)]
    for region in ordered:
        rows = np.concatenate([rows, region.chosen])
        scores.append(reward_score(ctx, rows))
    return np.asarray(scores)
