"""Resolve a model spec (`minilm`, `smollm2`, or a local HF folder) to a ready-to-train `Classifier`.

A folder's `config.json` decides the family: `model_type` bert -> encoder path, llama -> decoder with
LoRA. Folders need a `tokenizer.json` (Hugging Face fast-tokenizer file) beside the weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
from tokenizers import Tokenizer

from rlsel.finetune.classifier import Classifier, decoder_classifier, encoder_classifier
from rlsel.finetune.config import FinetuneConfig, ModelOptions
from rlsel.models.gguf_llama import load_gguf_llama
from rlsel.models.gguf_tokenizer import gguf_tokenizer
from rlsel.models.hf_bert import default_model_dir, load_hf_bert
from rlsel.models.hf_llama import load_hf_llama

BUILTIN_MODELS = {"minilm": "bert", "smollm2": "llama"}
FAMILIES = ("bert", "llama")


def model_family(spec: str) -> str:
    """`bert` or `llama` for a spec, reading only `config.json`; a clear ValueError for anything else."""
    if spec in BUILTIN_MODELS:
        return BUILTIN_MODELS[spec]
    config_file = Path(spec).expanduser() / "config.json"
    if not config_file.is_file():
        raise ValueError(
            f"unknown model {spec!r}: use minilm, smollm2, or a folder with a Hugging Face config.json."
        )
    try:
        family = json.loads(config_file.read_text()).get("model_type")
    except (json.JSONDecodeError, AttributeError) as err:
        raise ValueError(f"{config_file} is not a JSON object: {err}") from err
    if family not in FAMILIES:
        raise ValueError(f"{config_file} has model_type {family!r}; only {FAMILIES} folders can be finetuned.")
    return family


def _folder_tokenizer(folder: Path) -> Tokenizer:
    path = folder / "tokenizer.json"
    if not path.is_file():
        raise ValueError(f"{folder} has no tokenizer.json; save the model's fast tokenizer beside its weights.")
    return Tokenizer.from_file(str(path))


def _load_backbone(spec: str, family: str, dtype: str):
    """(config, params, tokenizer) of the pretrained backbone, all read from local files."""
    if spec == "minilm":
        return (*load_hf_bert(), _folder_tokenizer(default_model_dir()))
    if spec == "smollm2":
        return (*load_gguf_llama(dtype=dtype), gguf_tokenizer())
    folder = Path(spec).expanduser()
    if family == "bert":
        return (*load_hf_bert(folder), _folder_tokenizer(folder))
    return (*load_hf_llama(folder, dtype=dtype), _folder_tokenizer(folder))


def load_classifier(spec: str, num_classes: int, key: jax.Array, config: FinetuneConfig,
                    options: ModelOptions) -> Classifier:
    """A `Classifier` for `spec` with a fresh head (and adapters), computing in `config.compute_dtype`."""
    family = model_family(spec)
    dtype = config.compute_dtype
    model_config, params, tokenizer = _load_backbone(spec, family, dtype.name)
    if family == "bert":
        return encoder_classifier(spec, model_config, params, tokenizer, num_classes, key,
                                  pooling=options.pooling, dropout=options.dropout, dtype=dtype)
    return decoder_classifier(spec, model_config, params, tokenizer, num_classes, key,
                              lora_rank=options.lora_rank, lora_alpha=options.lora_alpha,
                              lora_dropout=options.lora_dropout, dtype=dtype.name)
