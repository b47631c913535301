"""LLaMA decoder, LoRA, HF safetensors round trip, GGUF loading and tokenizer."""

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from rlsel.models.gguf_llama import load_gguf_llama, unpermute_rotary_rows
from rlsel.models.gguf_tokenizer import gguf_tokenizer, special_token_ids
from rlsel.models.hf_llama import load_hf_llama, save_hf_llama
from rlsel.models.llama import (
    LlamaConfig,
    LlamaModel,
    check_params,
    generate,
    init_params,
    last_token_states,
)
from rlsel.models.lora import lora_optimizer, lora_param_mask, merge_lora, with_lora

TINY = LlamaConfig(
    vocab_size=61,
    hidden_size=32,
    intermediate_size=48,
    num_layers=2,
    num_heads=4,
    num_kv_heads=2,
    head_dim=8,
    rope_theta=500.0,
    tie_embeddings=False,
    max_positions=64,
)


def _logits(config, params, ids, mask, **kwargs):
    return LlamaModel(config).apply({"params": params}, ids, mask, **kwargs)


forward = jax.jit(_logits, static_argnums=0, static_argnames="deterministic")


@pytest.fixture(scope="module")
def base():
    return TINY, init_params(jax.random.key(0), TINY)


@pytest.fixture(scope="module")
def batch():
    ids = jax.random.randint(jax.random.key(1), (2, 7), 0, TINY.vocab_size)
    return ids, jnp.ones_like(ids)


@pytest.fixture(scope="module")
def lora(base):
    return with_lora(jax.random.key(2), *base, rank=4, alpha=8.0, dropout=0.5)


@pytest.fixture(scope="module")
def trained(lora, batch):
    """LoRA params after one masked Adam step on next-token loss."""
    config, params = lora
    ids, mask = batch

    def loss(p):
        logits = _logits(config, p, ids, mask, deterministic=False, rngs={"dropout": jax.random.key(3)})
        return optax.softmax_cross_entropy_with_integer_labels(logits[:, :-1], ids[:, 1:]).mean()

    opt = lora_optimizer(optax.adam(1e-2), params)

    @jax.jit
    def step(p):
        updates, _ = opt.update(jax.grad(loss)(p), opt.init(p), p)
        return optax.apply_updates(p, updates)

    return config, step(params)


def test_config_from_hf_reads_fields_and_rejects_unsupported():
    hf = TINY.to_hf()
    assert LlamaConfig.from_hf(hf) == TINY
    assert LlamaConfig.from_hf(hf, dtype="bfloat16").compute_dtype == jnp.bfloat16
    with pytest.raises(ValueError, match="rope_scaling"):
        LlamaConfig.from_hf({**hf, "rope_scaling": {"type": "linear", "factor": 2.0}})
    with pytest.raises(ValueError, match="model_type"):
        LlamaConfig.from_hf({**hf, "model_type": "qwen2"})
    with pytest.raises(ValueError, match="lacks required fields"):
        LlamaConfig.from_hf({"model_type": "llama", "vocab_size": 10})
    with pytest.raises(ValueError, match="num_kv_heads"):
        dataclasses.replace(TINY, num_kv_heads=3)


def test_causal_and_padding_invariant(base, batch):
    config, params = base
    ids, mask = batch
    logits = forward(config, params, ids, mask)
    assert logits.shape == (2, 7, config.vocab_size) and logits.dtype == jnp.float32
    changed_last = ids.at[:, -1].set((ids[:, -1] + 1) % config.vocab_size)
    np.testing.assert_array_equal(forward(config, params, changed_last, mask)[:, :-1], logits[:, :-1])
    left = jnp.concatenate([jnp.zeros((2, 3), ids.dtype), ids], axis=1)
    left_mask = jnp.concatenate([jnp.zeros((2, 3), mask.dtype), mask], axis=1)
    np.testing.assert_allclose(forward(config, params, left, left_mask)[:, 3:], logits, atol=1e-5)
    right = jnp.concatenate([ids, jnp.full((2, 3), 5, ids.dtype)], axis=1)
    right_mask = jnp.concatenate([mask, jnp.zeros((2, 3), mask.dtype)], axis=1)
    np.testing.assert_allclose(forward(config, params, right, right_mask)[:, :7], logits, atol=1e-5)


def test_last_token_states_picks_last_real_position():
    hidden = jnp.arange(2 * 4 * 3, dtype=jnp.float32).reshape(2, 4, 3)
    mask = jnp.array([[1, 1, 0, 0], [0, 0, 1, 1]])
    expected = hidden[jnp.array([0, 1]), jnp.array([1, 3])]
    np.testing.assert_array_equal(last_token_states(hidden, mask), expected)


def test_bfloat16_compute_tracks_float32(base, batch):
    config, params = base
    f32 = forward(config, params, *batch)
    bf16 = forward(dataclasses.replace(config, dtype="bfloat16"), params, *batch)
    assert bf16.dtype == jnp.float32
    np.testing.assert_allclose(bf16, f32, atol=0.05)


def test_generate_matches_argmax_and_left_padding(base, batch):
    config, params = base
    ids, mask = batch
    new = generate(params, config, ids, 3)
    assert new.shape == (2, 3)
    np.testing.assert_array_equal(new[:, 0], forward(config, params, ids, mask)[:, -1].argmax(-1))
    extended = jnp.concatenate([ids, new[:, :2]], axis=1)
    third = forward(config, params, extended, jnp.ones_like(extended))[:, -1].argmax(-1)
    np.testing.assert_array_equal(new[:, 2], third)
    padded = jnp.concatenate([jnp.zeros((2, 2), ids.dtype), ids], axis=1)
    padded_mask = jnp.concatenate([jnp.zeros((2, 2), mask.dtype), mask], axis=1)
    np.testing.assert_array_equal(generate(params, config, padded, 3, padded_mask), new)
    with pytest.raises(ValueError, match="max_positions"):
        generate(params, config, ids, config.max_positions)


def test_hf_round_trip_gives_identical_logits(base, batch, tmp_path):
    config, params = base
    save_hf_llama(tmp_path, config, params)
    assert json.loads((tmp_path / "config.json").read_text())["num_key_value_heads"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    loaded_config, loaded = load_hf_llama(tmp_path)
    assert loaded_config == config
    np.testing.assert_array_equal(forward(config, loaded, *batch), forward(config, params, *batch))


def test_hf_load_rejects_bad_folders(base, tmp_path):
    with pytest.raises(ValueError, match="config.json"):
        load_hf_llama(tmp_path)
    config, params = base
    (tmp_path / "config.json").write_text(json.dumps(dataclasses.replace(config, num_layers=3).to_hf()))
    save_hf_llama(tmp_path / "two", config, params)
    (tmp_path / "two" / "model.safetensors").rename(tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match="layers"):
        load_hf_llama(tmp_path)


def test_check_params_names_the_bad_tensor(base):
    config, params = base
    bad = {**params, "norm": {"scale": jnp.ones(7)}}
    with pytest.raises(ValueError, match=r"\['norm'\]\['scale'\]: shape \(7,\)"):
        check_params(config, bad)


def test_lora_at_init_equals_base(base, lora, batch):
    config, params = lora
    check_params(config, params)  # same tree as LlamaModel.init with LoRA enabled
    mask = lora_param_mask(params)
    assert sum(jax.tree.leaves(mask)) == 2 * 7  # A and B on q, k, v, o, gate, up, down
    assert params["layers"]["attn"]["q"]["lora_a"].shape == (TINY.num_layers, TINY.hidden_size, 4)
    np.testing.assert_array_equal(forward(config, params, *batch), forward(base[0], base[1], *batch))


def test_masked_optimizer_updates_only_adapters(lora, trained):
    _, before = lora
    _, after = trained
    frozen = jax.tree.leaves(jax.tree.map(lambda m, x: None if m else x, lora_param_mask(before), before))
    frozen_after = jax.tree.leaves(jax.tree.map(lambda m, x: None if m else x, lora_param_mask(after), after))
    assert len(frozen) == len(frozen_after) > 0
    for x, y in zip(frozen, frozen_after):
        assert np.array_equal(x, y)
    for name in ("q", "o"):
        assert np.abs(after["layers"]["attn"][name]["lora_b"]).min() > 0
    for name in ("gate", "down"):
        assert np.abs(after["layers"]["mlp"][name]["lora_b"]).min() > 0
    with pytest.raises(ValueError, match="no LoRA adapters"):
        lora_optimizer(optax.adam(1e-3), lora[1]["norm"])


def test_lora_dropout_only_when_not_deterministic(trained, batch):
    config, params = trained
    drop = [
        forward(config, params, *batch, deterministic=False, rngs={"dropout": jax.random.key(i)})
        for i in (0, 1)
    ]
    assert not np.allclose(drop[0], drop[1])
    assert not np.allclose(drop[0], forward(config, params, *batch))


def test_merged_lora_saves_as_plain_model(base, trained, batch, tmp_path):
    config, params = trained
    merged_config, merged = merge_lora(config, params)
    assert merged_config.lora_rank == 0 and not any(jax.tree.leaves(lora_param_mask(merged)))
    expected = forward(config, params, *batch)
    assert not np.allclose(expected, forward(*base, *batch), atol=1e-4)  # the step moved the model
    np.testing.assert_allclose(forward(merged_config, merged, *batch), expected, atol=1e-4)
    save_hf_llama(tmp_path, config, params)
    loaded_config, loaded = load_hf_llama(tmp_path)
    np.testing.assert_allclose(forward(loaded_config, loaded, *batch), expected, atol=1e-4)


def test_unpermute_inverts_llama_cpp_rotary_permutation():
    heads, head_dim, cols = 3, 8, 5
    hf = np.arange(heads * head_dim * cols, dtype=np.float32).reshape(heads * head_dim, cols)
    # llama.cpp's converter: rows of each head go from (first half, second half) to interleaved pairs.
    gguf_rows = hf.reshape(heads, 2, head_dim // 2, cols).swapaxes(1, 2).reshape(hf.shape)
    assert not np.array_equal(gguf_rows, hf)
    np.testing.assert_array_equal(unpermute_rotary_rows(gguf_rows, heads), hf)


def test_gguf_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_gguf_llama(tmp_path / "absent.gguf")


def test_gguf_tokenizer_round_trips():
    tokenizer = gguf_tokenizer()
    assert special_token_ids() == {"bos": 1, "eos": 2, "padding": 2, "unknown": 0}
    encoded = tokenizer.encode("The capital of France is")
    assert encoded.tokens == ["The", "Ġcapital", "Ġof", "ĠFrance", "Ġis"]
    assert encoded.ids == [504, 3575, 282, 4649, 314]
    assert tokenizer.encode("2024").tokens == ["2", "0", "2", "4"]
    chat = "<|im_start|>user\nhi<|im_end|>"
    assert tokenizer.encode(chat).ids[0] == 1 and tokenizer.encode(chat).ids[-1] == 2
    for text in ["Hello, world!", "  indented\tcode()", "naïve café 東京", chat]:
        assert tokenizer.decode(tokenizer.encode(text).ids, skip_special_tokens=False) == text


@pytest.mark.slow
def test_smollm2_continues_capital_of_france_with_paris():
    config, params = load_gguf_llama()
    assert (config.num_layers, config.hidden_size, config.num_kv_heads) == (30, 576, 3)
    tokenizer = gguf_tokenizer()
    ids = jnp.array([tokenizer.encode("The capital of France is").ids])
    new = generate(params, config, ids, 2)
    assert tokenizer.decode(np.asarray(new[0]).tolist()).startswith(" Paris")
