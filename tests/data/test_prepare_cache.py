"""prepare's caches: an unusable cache folder is refused before loading; a damaged clustering is rebuilt."""

import json
import zipfile

import numpy as np
import pytest

from rlsel.data.prepare import PrepareConfig, prepare
from rlsel.data.sources import DatasetSpec

WORDS = {"pos": "great wonderful superb moving", "neg": "dull awful boring tedious"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rng = np.random.default_rng(0)
    rows = [{"text": " ".join(rng.choice(WORDS[label].split(), 3)) + f" {i}", "label": label}
            for i, label in enumerate(["pos", "neg"] * 100)]
    path = tmp_path_factory.mktemp("data") / "tiny.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _config(dataset, cache) -> PrepareConfig:
    return PrepareConfig(data=DatasetSpec(dataset=dataset), embedder="hash", num_clusters=8, per_cluster=4,
                         val_size=16, cache_dir=str(cache))


def _rewrite(path, **changes):
    """Save the .npz again with some arrays changed (a callable gets the old array) or removed (None)."""
    with np.load(path) as f:
        saved = {k: f[k] for k in f.files}
    saved.update({k: v(saved[k]) if callable(v) else v for k, v in changes.items()})
    saved = {k: v for k, v in saved.items() if v is not None}
    with open(path, "wb") as f:
        np.savez(f, **saved)


DAMAGE = {
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:100]), "unreadable"),
    "zero bytes": (lambda p: p.write_bytes(b""), "unreadable"),
    "not a zip": (lambda p: p.write_bytes(b"garbage" * 50), "unreadable"),
    "other assignments": (lambda p: _rewrite(p, assignments=np.zeros_like), "content hash"),
    "NaN centroids": (lambda p: _rewrite(p, centroids=lambda c: c * np.nan), "content hash"),
    "wrong shape": (lambda p: _rewrite(p, assignments=np.zeros(3, np.int32)), "do not fit"),
    "no hash": (lambda p: _rewrite(p, sha256=None), "older format"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cluster_cache_is_reported_and_rebuilt(dataset, tmp_path, caplog, damage):
    first = prepare(_config(dataset, tmp_path))
    (path,) = (tmp_path / "clusters").glob("*.npz")
    spoil, words = DAMAGE[damage]
    spoil(path)
    again = prepare(_config(dataset, tmp_path))
    np.testing.assert_array_equal(again.pool.assignments, first.pool.assignments)
    (warning,) = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert "cluster cache entry" in warning and words in warning and "rebuilding" in warning
    with zipfile.ZipFile(path) as z:  # rewritten whole, with its hash
        assert "sha256.npy" in z.namelist()


@pytest.mark.parametrize("where", ["file", "under a file", "proc"])
def test_an_unusable_cache_folder_is_refused_before_loading(tmp_path, where):
    (tmp_path / "f").write_text("x")
    cache = {"file": tmp_path / "f", "under a file": tmp_path / "f" / "cache", "proc": "/proc/rlsel-cache"}[where]
    with pytest.raises(ValueError, match=r"--config.cache_dir .*(not a folder|not writable)"):
        prepare(_config(str(tmp_path / "missing.jsonl"), cache))  # the missing dataset is never reached
