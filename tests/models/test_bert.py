"""BERT encoder, HF folder round trip, and parity of MiniLMEmbedder with sentence-transformers."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from rlsel.data.embed import MiniLMEmbedder
from rlsel.models.bert import BertConfig, BertEncoder, mean_pool
from rlsel.models.hf_bert import default_model_dir, hf_name, load_hf_bert, save_hf_bert

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "minilm_reference.npz"
TINY = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=32, max_position_embeddings=16)


@pytest.fixture(scope="module")
def tiny():
    """A tiny random encoder, its params, and a jitted apply shared by the tests of this module."""
    model = BertEncoder(TINY)
    ids = jnp.ones((2, 8), jnp.int32)
    shapes = jax.eval_shape(model.init, jax.random.PRNGKey(0), ids, ids)["params"]
    rng = np.random.default_rng(0)  # numpy init: compiling flax's initialisers costs seconds on CPU
    params = jax.tree.map(lambda s: rng.normal(0.0, 0.3, s.shape).astype(np.float32), shapes)
    apply = jax.jit(lambda p, i, m: model.apply({"params": p}, i, m))
    return model, params, apply


def test_output_shape_and_padding_does_not_leak(tiny):
    _, params, apply = tiny
    ids = np.random.default_rng(0).integers(1, TINY.vocab_size, (2, 8)).astype(np.int32)
    mask = np.array([[1] * 8, [1] * 5 + [0] * 3], np.int32)
    hidden = apply(params, ids, mask)
    assert hidden.shape == (2, 8, TINY.hidden_size)
    other_pads = ids.copy()
    other_pads[1, 5:] = 7
    again = apply(params, other_pads, mask)
    np.testing.assert_allclose(hidden[1, :5], again[1, :5], atol=1e-6)
    np.testing.assert_allclose(hidden[0], again[0], atol=1e-6)
    assert not np.allclose(hidden[1, :5], apply(params, other_pads, np.ones_like(mask))[1, :5], atol=1e-3)


def test_dropout_only_when_not_deterministic(tiny):
    model, params, apply = tiny
    ids = np.arange(16, dtype=np.int32).reshape(2, 8) + 1
    mask = np.ones_like(ids)
    run = jax.jit(lambda key: model.apply({"params": params}, ids, mask, deterministic=False,
                                          rngs={"dropout": key}))
    eval_out = apply(params, ids, mask)
    a, b = run(jax.random.key(0, impl="rbg")), run(jax.random.key(1, impl="rbg"))  # rbg: 2x faster compile
    assert not np.allclose(a, eval_out, atol=1e-3)
    assert not np.allclose(a, b, atol=1e-3)


def test_bfloat16_compute_is_close_to_float32(tiny):
    _, params, apply = tiny
    ids = np.arange(16, dtype=np.int32).reshape(2, 8) + 1
    mask = np.ones_like(ids)
    low = jax.jit(BertEncoder(TINY, dtype=jnp.bfloat16).apply)({"params": params}, ids, mask)
    assert low.dtype == jnp.bfloat16
    full, half = mean_pool(apply(params, ids, mask), mask), mean_pool(low, mask)
    cos = jnp.sum(full * half, -1) / (jnp.linalg.norm(full, axis=-1) * jnp.linalg.norm(half, axis=-1))
    assert np.all(cos > 0.99)


def test_mean_pool_averages_real_tokens_and_zeroes_empty_rows():
    hidden = jnp.arange(12.0).reshape(2, 3, 2)
    mask = jnp.array([[1, 1, 0], [0, 0, 0]])
    np.testing.assert_allclose(mean_pool(hidden, mask), [[1.0, 2.0], [0.0, 0.0]])


def test_config_from_hf_and_back():
    cfg = BertConfig.from_hf({**TINY.to_hf(), "transformers_version": "4.8.2", "use_cache": True})
    assert cfg == TINY
    with pytest.raises(ValueError, match="divisible"):
        BertConfig(hidden_size=10, num_attention_heads=3)
    with pytest.raises(ValueError, match="model_type"):
        BertConfig.from_hf({**TINY.to_hf(), "model_type": "gpt2"})
    with pytest.raises(ValueError, match="hidden_size"):
        BertConfig.from_hf({"model_type": "bert", "vocab_size": 10})


def test_sequence_longer_than_positions_is_rejected(tiny):
    model, params, _ = tiny
    ids = jnp.ones((1, TINY.max_position_embeddings + 1), jnp.int32)
    with pytest.raises(ValueError, match="max_position_embeddings"):
        model.apply({"params": params}, ids, ids)


def test_hf_names_follow_bert_model_layout():
    assert hf_name(("layer_3", "attention", "query", "kernel")) == "encoder.layer.3.attention.self.query.weight"
    assert hf_name(("layer_0", "LayerNorm", "scale")) == "encoder.layer.0.output.LayerNorm.weight"
    assert hf_name(("embeddings", "word_embeddings", "embedding")) == "embeddings.word_embeddings.weight"


def test_save_load_round_trip_and_prefixed_keys(tiny, tmp_path):
    _, params, apply = tiny
    save_hf_bert(tmp_path / "plain", TINY, params)
    config, loaded = load_hf_bert(tmp_path / "plain")
    assert config == TINY
    jax.tree.map(lambda a, b: np.testing.assert_array_equal(a, b), params, loaded)
    tensors = load_file(tmp_path / "plain" / "model.safetensors")
    assert tensors["encoder.layer.1.intermediate.dense.weight"].shape == (32, 16)  # torch [out, in]

    prefixed = tmp_path / "prefixed"
    prefixed.mkdir()
    (prefixed / "config.json").write_text((tmp_path / "plain" / "config.json").read_text())
    extra = {"bert.pooler.dense.weight": np.zeros((16, 16), np.float32)}
    save_file({**{"bert." + k: v for k, v in tensors.items()}, **extra}, prefixed / "model.safetensors")
    _, from_prefixed = load_hf_bert(prefixed)
    ids = np.ones((2, 8), np.int32)
    np.testing.assert_array_equal(apply(from_prefixed, ids, ids), apply(params, ids, ids))


def test_load_rejects_incomplete_or_mismatched_checkpoints(tiny, tmp_path):
    _, params, _ = tiny
    save_hf_bert(tmp_path, TINY, params)
    tensors = load_file(tmp_path / "model.safetensors")
    save_file({k: v for k, v in tensors.items() if "layer.1." not in k}, tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match="lacks"):
        load_hf_bert(tmp_path)
    tensors["embeddings.word_embeddings.weight"] = np.zeros((49, 16), np.float32)
    save_file(tensors, tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match="shape"):
        load_hf_bert(tmp_path)
    with pytest.raises(ValueError, match="missing"):
        load_hf_bert(tmp_path / "nowhere")


@pytest.mark.slow
def test_minilm_matches_sentence_transformers():
    reference = np.load(FIXTURE)
    assert default_model_dir().is_dir()
    vectors = MiniLMEmbedder().embed(list(reference["sentences"]))
    cosines = np.sum(vectors * reference["vectors"], axis=1)
    assert vectors.shape == reference["vectors"].shape and len(cosines) >= 32
    assert reference["token_counts"].max() > 256  # truncation is exercised
    np.testing.assert_array_less(0.9999, cosines)
