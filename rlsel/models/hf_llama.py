"""Load and save LLaMA-family checkpoints in the HF layout: `config.json` plus `*.safetensors` shards.

HF linear weights are [out, in]; Flax kernels are their transposes. No torch is needed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from rlsel.io import atomic_write, write_text
from rlsel.models.llama import LlamaConfig, assemble_params, check_params
from rlsel.models.lora import merge_lora

# HF name -> (Flax path, whether the tensor is a transposed linear weight).
_TOP = {
    "model.embed_tokens.weight": (("embed", "embedding"), False),
    "model.norm.weight": (("norm", "scale"), False),
    "lm_head.weight": (("lm_head", "kernel"), True),
}
_LAYER = {
    "input_layernorm.weight": (("attn_norm", "scale"), False),
    "self_attn.q_proj.weight": (("attn", "q", "kernel"), True),
    "self_attn.k_proj.weight": (("attn", "k", "kernel"), True),
    "self_attn.v_proj.weight": (("attn", "v", "kernel"), True),
    "self_attn.o_proj.weight": (("attn", "o", "kernel"), True),
    "post_attention_layernorm.weight": (("mlp_norm", "scale"), False),
    "mlp.gate_proj.weight": (("mlp", "gate", "kernel"), True),
    "mlp.up_proj.weight": (("mlp", "up", "kernel"), True),
    "mlp.down_proj.weight": (("mlp", "down", "kernel"), True),
}
_LAYER_NAME = re.compile(r"model\.layers\.(\d+)\.(.+)")
_IGNORED = re.compile(r".*rotary_emb\.inv_freq$|score\.(weight|bias)")  # score: a sequence-classification head


def _read_tensors(folder: Path) -> dict[str, np.ndarray]:
    shards = sorted(folder.glob("*.safetensors"))
    if not shards:
        raise ValueError(f"no *.safetensors files in {folder}: expected a HF checkpoint folder")
    tensors = {}
    for shard in shards:
        with safe_open(shard, framework="numpy") as f:
            tensors.update({name: f.get_tensor(name) for name in f.keys()})
    return tensors


def _place(name: str, array: np.ndarray, config: LlamaConfig, top: dict, layers: list[dict]) -> None:
    """Route one HF tensor to its Flax path (transposing linear weights), or raise on an unknown name."""
    if match := _LAYER_NAME.fullmatch(name):
        index, suffix = int(match.group(1)), match.group(2)
        table, target = _LAYER, layers[index] if index < config.num_layers else None
    else:
        suffix, table, target = name, _TOP, top
    if suffix not in table or target is None:
        raise ValueError(f"unexpected tensor {name!r} for a {config.num_layers}-layer LLaMA checkpoint")
    path, transposed = table[suffix]
    target[path] = array.T if transposed else array


def load_hf_llama(folder: str | os.PathLike, dtype: str = "float32") -> tuple[LlamaConfig, dict]:
    """Read a HF LLaMA checkpoint folder into (config, float32 params); `dtype` sets the compute dtype."""
    folder = Path(folder)
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise ValueError(f"{config_file} not found: expected a HF checkpoint folder with config.json")
    config = LlamaConfig.from_hf(json.loads(config_file.read_text()), dtype=dtype)
    top: dict = {}
    layers: list[dict] = [{} for _ in range(config.num_layers)]
    for name, array in _read_tensors(folder).items():
        if _IGNORED.fullmatch(name) or (name == "lm_head.weight" and config.tie_embeddings):
            continue
        _place(name, array.astype(np.float32), config, top, layers)
    params = assemble_params(top, layers)
    check_params(config, params)
    return config, params


def _hf_tensors(config: LlamaConfig, params: dict) -> dict[str, np.ndarray]:
    """HF-named float32 tensors of base params."""
    def get(tree, path):
        for key in path:
            tree = tree[key]
        return np.asarray(tree, np.float32)

    out = {}
    for name, (path, transposed) in _TOP.items():
        if path[0] == "lm_head" and config.tie_embeddings:
            continue
        out[name] = get(params, path).T if transposed else get(params, path)
    for suffix, (path, transposed) in _LAYER.items():
        stacked = get(params["layers"], path)
        for i in range(config.num_layers):
            out[f"model.layers.{i}.{suffix}"] = stacked[i].T if transposed else stacked[i]
    return {name: np.ascontiguousarray(array) for name, array in out.items()}


def save_hf_llama(folder: str | os.PathLike, config: LlamaConfig, params: dict) -> None:
    """Write `config.json` and `model.safetensors` (float32, HF names); LoRA adapters are merged first.

    Each file is written under a temporary name and renamed, so a failure never leaves a partial file.
    """
    if config.lora_rank:
        config, params = merge_lora(config, params)
    check_params(config, params)
    folder = Path(folder)
    tensors = _hf_tensors(config, params)
    atomic_write(folder / "model.safetensors", lambda tmp: save_file(tensors, tmp, metadata={"format": "pt"}))
    write_text(folder / "config.json", json.dumps(config.to_hf(), indent=2))
