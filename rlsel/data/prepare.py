"""Prepare stage: load a dataset, embed train and validation texts, cluster, and build the cluster pool.

Embeddings are cached by text content (see `embed_with_cache`), clusterings by dataset fingerprint and
clustering settings, so a second run over the same data does no encoder or K-Means work. The cache folder
is checked for writability before loading; a damaged cached clustering is reported and computed again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import time

import datasets
import jax
import numpy as np

from rlsel.data.holdout import validation_halves
from rlsel.data.integrity import digest, report_damaged
from rlsel.data.kmeans import kmeans, stratified_kmeans
from rlsel.data.pool import ClusterPool, build_pool
from rlsel.data.sources import DatasetSpec
from rlsel.data.splits import fingerprint
from rlsel.data.vectors import split_embeddings
from rlsel.io import atomic_write
from rlsel.workdir import check_writable


@dataclasses.dataclass(frozen=True)
class PrepareConfig:
    """The dataset and its splits, embedder, and clustering / pool sizes."""

    data: DatasetSpec = DatasetSpec()
    embedder: str = "minilm"
    num_clusters: int = 200
    cluster_fraction: float = 0.0  # > 0: one cluster per this fraction of the train rows, instead of num_clusters
    stratified: bool = True
    per_cluster: int = 32
    chunk_size: int = 0  # b examples per action (first per_cluster members, in `order`); 0: whole clusters
    order: str = "typical"  # which members of a cluster come first: one of rlsel.data.units.ORDERS
    reward_train: int = 0  # train rows held out of every chunk for the reward to score on (chunked only)
    val_size: int = 512
    seed: int = 0
    cache_dir: str = ""


@dataclasses.dataclass(frozen=True)
class Prepared:
    """Everything downstream stages need: the splits, embeddings, clusters and the fixed-shape pool."""

    config: PrepareConfig
    splits: datasets.DatasetDict
    fingerprint: str
    class_names: list[str]
    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    pool: ClusterPool
    timings: dict[str, float]
    choice_rows: np.ndarray | None = None  # validation rows only model choice may read (never the reward)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def default_cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("RLSEL_CACHE", pathlib.Path.home() / ".cache" / "rlsel"))


def cluster_count(config: PrepareConfig, num_rows: int, num_classes: int) -> int:
    """`num_clusters`, or with `cluster_fraction` that fraction of the rows (at least one per label when
    stratified), e.g. one region per row of the budget."""
    if config.cluster_fraction <= 0:
        return config.num_clusters
    return max(int(np.floor(config.cluster_fraction * num_rows)), num_classes if config.stratified else 1)


def _cluster(config: PrepareConfig, x: np.ndarray, y: np.ndarray, num_classes: int, cache: pathlib.Path,
             fp: str) -> tuple[np.ndarray, np.ndarray]:
    """(assignments, centroids), read from the cache when this exact clustering was made before."""
    num_clusters = cluster_count(config, len(y), num_classes)
    settings = json.dumps([fp, config.embedder, num_clusters, config.stratified, config.seed])
    path = cache / "clusters" / f"{hashlib.sha1(settings.encode()).hexdigest()[:16]}.npz"
    cached = _read_clusters(path, x.shape) if path.exists() else None
    if cached is not None:
        return cached
    key = jax.random.key(config.seed)
    if config.stratified:
        result = stratified_kmeans(key, x, y, num_clusters, num_classes=num_classes)
    else:
        result = kmeans(key, x, num_clusters)
    assignments, centroids = np.asarray(result.assignments), np.asarray(result.centroids)

    def save(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, assignments=assignments, centroids=centroids, sha256=digest(assignments, centroids))

    atomic_write(path, save)
    return assignments, centroids


def _read_clusters(path: pathlib.Path, x_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
    """A cached clustering of `x_shape` embeddings when it is whole (shapes fit, content hash matches), else
    None after reporting it damaged."""
    try:
        with np.load(path) as f:
            assignments, centroids, sha = f["assignments"], f["centroids"], str(f["sha256"])
    except KeyError as err:
        return report_damaged("cluster cache entry", path, f"no {err}: an older format or damaged")
    except Exception as err:  # a cut-short or overwritten .npz raises zipfile, OS, EOF or value errors
        return report_damaged("cluster cache entry", path, f"unreadable: {type(err).__name__}: "
                              f"{(str(err).splitlines() or [''])[0]}")
    if assignments.shape != x_shape[:1] or centroids.ndim != 2 or centroids.shape[1] != x_shape[1]:
        return report_damaged("cluster cache entry", path, f"shapes {assignments.shape} and {centroids.shape} do not "
                              f"fit {x_shape[0]} embeddings of dim {x_shape[1]}")
    if digest(assignments, centroids) != sha:
        return report_damaged("cluster cache entry", path, "contents do not match its content hash")
    return assignments, centroids


def prepare(config: PrepareConfig) -> Prepared:
    """Load, embed, cluster and pool `config.data`; see the module docstring for caching."""
    timings = {}
    cache = pathlib.Path(config.cache_dir) if config.cache_dir else default_cache_dir()
    check_writable(cache, "--config.cache_dir" if config.cache_dir else "the cache folder ($RLSEL_CACHE or "
                   "~/.cache/rlsel; choose one with --config.cache_dir)")
    start = time.perf_counter()
    splits = config.data.load()
    fp = fingerprint(splits)
    names = splits["train"].features["label"].names
    timings["load_s"] = time.perf_counter() - start

    start = time.perf_counter()
    train_x, val_x = split_embeddings(config.embedder, splits, ("train", "validation"), cache / "embeddings")
    train_y = np.asarray(splits["train"]["label"], np.int32)
    val_y = np.asarray(splits["validation"]["label"], np.int32)
    timings["embed_s"] = time.perf_counter() - start

    start = time.perf_counter()
    assignments, centroids = _cluster(config, train_x, train_y, len(names), cache, fp)
    reward_rows, choice_rows = validation_halves(val_y, config.data.split_seed)
    pool = build_pool(assignments, train_y, centroids, len(names), len(val_y), per_cluster=config.per_cluster,
                      val_size=config.val_size, seed=config.seed, reward_rows=reward_rows, x=train_x,
                      chunk_size=config.chunk_size, order=config.order, reward_train=config.reward_train)
    timings["cluster_s"] = time.perf_counter() - start
    return Prepared(config=config, splits=splits, fingerprint=fp, class_names=list(names), train_x=train_x,
                    train_y=train_y, val_x=val_x, val_y=val_y, choice_rows=choice_rows, pool=pool,
                    timings=timings)
