"""Embedders (hash, GloVe, a tiny random BERT through MiniLMEmbedder), length batching and the on-disk cache."""

import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rlsel.data.embed import (GloveEmbedder, HashEmbedder, MiniLMEmbedder, embed_with_cache, get_embedder,
                              length_batches)
from rlsel.models.bert import BertConfig, BertEncoder
from rlsel.models.hf_bert import default_model_dir, save_hf_bert

TEXTS = ["A gripping, beautiful film.", "Dull and far too long.", "", "A gripping film!",
         "Quantum field theory lecture notes", "12345 ??? !!!"]


class CountingEmbedder(HashEmbedder):
    """HashEmbedder that records every text it is asked to embed."""

    def __init__(self):
        super().__init__(dim=32)
        self.seen = []

    def embed(self, texts):
        self.seen.extend(texts)
        return super().embed(texts)


def cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_length_batches_cover_every_text_once_with_static_shapes():
    token_ids = [[7] * n for n in (3, 30, 5, 100, 20, 7, 250, 16, 17)]
    buckets, batch_size, max_tokens = (16, 32, 128, 256), 4, 512
    seen, shapes = [], set()
    for rows, ids, mask in length_batches(token_ids, buckets, batch_size, max_tokens):
        assert ids.shape[1] in buckets and ids.shape == mask.shape
        assert ids.shape[0] == min(batch_size, max_tokens // ids.shape[1])
        for i, r in enumerate(rows):
            np.testing.assert_array_equal(ids[i, :len(token_ids[r])], token_ids[r])
            assert mask[i].sum() == len(token_ids[r]) and ids[i, mask[i] == 0].sum() == 0
        assert mask[len(rows):].sum() == 0
        seen.extend(rows.tolist())
        shapes.add(ids.shape)
    assert sorted(seen) == list(range(len(token_ids)))
    assert len({s[1] for s in shapes}) == len(shapes)  # one row count per bucket length


def test_hash_embedder_is_stable_normalised_and_similarity_aware():
    a, b = HashEmbedder(64).embed(TEXTS), HashEmbedder(64).embed(TEXTS)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (len(TEXTS), 64) and a.dtype == np.float32
    norms = np.linalg.norm(a, axis=1)
    np.testing.assert_allclose(norms[[0, 1, 3, 4, 5]], 1.0, atol=1e-6)
    assert norms[2] == 0.0
    assert cosine(a[0], a[3]) > cosine(a[0], a[4]) + 0.3
    assert HashEmbedder(64).embed([]).shape == (0, 64)


@pytest.fixture(scope="module")
def glove():
    return GloveEmbedder()


def test_glove_embedder_means_known_words(glove):
    vecs = glove.embed(["a good movie", "a great film", "quantum chromodynamics", "zzqxv qqqzr", "GOOD MOVIE"])
    assert vecs.shape == (5, 50) and not np.isnan(vecs).any()
    assert cosine(vecs[0], vecs[1]) > cosine(vecs[0], vecs[2]) + 0.2
    np.testing.assert_array_equal(vecs[3], 0.0)
    np.testing.assert_allclose(np.linalg.norm(vecs[[0, 1, 2]], axis=1), 1.0, atol=1e-6)
    assert cosine(vecs[0], vecs[4]) > 0.95  # lowercased; "a" only shifts the mean


def test_get_embedder_and_bad_input():
    assert get_embedder("hash", dim=16).embed(["x y"]).shape == (1, 16)
    with pytest.raises(ValueError, match="glove.*hash.*minilm"):
        get_embedder("bert-large")
    with pytest.raises(ValueError, match=r"texts\[1\]"):
        HashEmbedder().embed(["ok", None])
    with pytest.raises(ValueError, match="single string"):
        HashEmbedder().embed("one text")


def test_cache_skips_known_texts_and_embeds_only_new_ones(tmp_path):
    embedder = CountingEmbedder()
    first = embed_with_cache(embedder, TEXTS + TEXTS[:2], tmp_path)
    assert sorted(embedder.seen) == sorted(TEXTS)  # duplicates embedded once
    np.testing.assert_array_equal(first, HashEmbedder(32).embed(TEXTS + TEXTS[:2]))

    embedder.seen.clear()
    np.testing.assert_array_equal(embed_with_cache(embedder, TEXTS[::-1], tmp_path), first[:len(TEXTS)][::-1])
    assert embedder.seen == []

    superset = TEXTS + ["a brand new review", "another one"]
    out = embed_with_cache(embedder, superset, tmp_path)
    assert embedder.seen == ["a brand new review", "another one"]
    np.testing.assert_array_equal(out, HashEmbedder(32).embed(superset))
    files = sorted(p.name for p in (tmp_path / embedder.name).iterdir())
    assert len(files) == 4 and all(f.endswith((".npy", ".json")) for f in files)  # 2 shards, no temp files


def test_cache_ignores_unindexed_shards(tmp_path):
    embed_with_cache(HashEmbedder(32), TEXTS, tmp_path)
    (index,) = (tmp_path / "hash-32").glob("*.json")
    index.unlink()  # a shard whose index never landed (crash mid-write) is invisible
    counter = CountingEmbedder()
    embed_with_cache(counter, TEXTS, tmp_path)
    assert sorted(counter.seen) == sorted(TEXTS)


def _save_npy(path, array):
    with open(path, "wb") as f:
        np.save(f, array)


DAMAGE = {  # what happens to the one shard's files -> words the warning uses
    "truncated vectors": (lambda npy, index: npy.write_bytes(npy.read_bytes()[:200]), "vectors unreadable"),
    "zero-byte vectors": (lambda npy, index: npy.write_bytes(b""), "vectors unreadable"),
    "missing vectors": (lambda npy, index: npy.unlink(), "vectors unreadable"),
    "NaN vectors": (lambda npy, index: _save_npy(npy, np.full((len(TEXTS), 32), np.nan, np.float32)), "hash"),
    "other valid vectors": (lambda npy, index: _save_npy(npy, HashEmbedder(32).embed(TEXTS[::-1])), "hash"),
    "wrong shape": (lambda npy, index: _save_npy(npy, np.zeros((2, 32), np.float32)), "index says float32"),
    "corrupt index": (lambda npy, index: index.write_text('{"keys": ["ab'), "unreadable index"),
    "index of another dim": (lambda npy, index: index.write_text(index.read_text().replace(", 32]", ", 16]")),
                             "expected"),
    "index without a hash": (lambda npy, index: index.write_text('{"dim": 32, "keys": []}'), "older format"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cache_shard_is_reported_once_and_rebuilt(tmp_path, caplog, damage):
    embed_with_cache(HashEmbedder(32), TEXTS, tmp_path)
    (index,) = (tmp_path / "hash-32").glob("*.json")
    spoil, words = DAMAGE[damage]
    spoil(index.with_suffix(".npy"), index)
    counter = CountingEmbedder()
    out = embed_with_cache(counter, TEXTS, tmp_path)
    np.testing.assert_array_equal(out, HashEmbedder(32).embed(TEXTS))
    assert sorted(counter.seen) == sorted(set(TEXTS))
    (warning,) = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert "embedding cache shard" in warning and words in warning and "rebuilding" in warning
    caplog.clear()
    counter.seen.clear()
    np.testing.assert_array_equal(embed_with_cache(counter, TEXTS, tmp_path), out)  # the rebuilt shard is used
    assert counter.seen == [] and not caplog.records


@pytest.fixture(scope="module")
def tiny_bert_dir(tmp_path_factory):
    """A tiny random BERT folder with the real MiniLM tokenizer: exercises MiniLMEmbedder's code path fast."""
    folder = tmp_path_factory.mktemp("tiny_bert")
    config = BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                        max_position_embeddings=64)
    ids = jnp.ones((1, 4), jnp.int32)
    shapes = jax.eval_shape(BertEncoder(config).init, jax.random.PRNGKey(0), ids, ids)["params"]
    rng = np.random.default_rng(0)
    save_hf_bert(folder, config, jax.tree.map(lambda s: rng.normal(0, 0.3, s.shape).astype(np.float32), shapes))
    shutil.copy(default_model_dir() / "tokenizer.json", folder / "tokenizer.json")
    return folder


def test_minilm_embedder_rows_do_not_depend_on_batch_company(tiny_bert_dir):
    embedder = MiniLMEmbedder(tiny_bert_dir, max_length=32, batch_size=4)
    texts = TEXTS + ["word " * 40]  # truncated to 32 tokens
    together = embedder.embed(texts)
    alone = np.concatenate([embedder.embed([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert embedder.dim == 16 and embedder.name.startswith("bert-") and embedder.name.endswith("-len32")
    assert embedder.buckets == (16, 24, 32)


def test_minilm_embedder_rejects_bad_arguments(tiny_bert_dir, tmp_path):
    with pytest.raises(ValueError, match="max_length"):
        MiniLMEmbedder(tiny_bert_dir, max_length=65)
    with pytest.raises(ValueError, match="batch_size"):
        MiniLMEmbedder(tiny_bert_dir, max_length=32, batch_size=0)
    shutil.copy(tiny_bert_dir / "config.json", tmp_path / "config.json")
    shutil.copy(tiny_bert_dir / "model.safetensors", tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match="tokenizer.json"):
        MiniLMEmbedder(tmp_path, max_length=32)
