"""Text classifiers built on a pretrained backbone, with the mask of which parameters train.

Params are `{"backbone": ..., "head": ...}`. An encoder (BERT/MiniLM) is finetuned in full: pooled
hidden states -> dropout -> linear head. A decoder (LLaMA/SmolLM2) keeps its base weights frozen and
trains LoRA adapters on every attention/MLP projection plus a linear head on the hidden state of the last
real token. We chose the head over label-verbalizer likelihood because it works for any label set (label
names may be numbers or span several tokens), needs one forward pass and no prompt wording, and gives
both model families the same loss and metrics.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from tokenizers import Tokenizer

from rlsel.models.bert import BertConfig, BertEncoder, mean_pool
from rlsel.models.llama import LlamaConfig, LlamaModel, last_token_states
from rlsel.models.lora import lora_param_mask, with_lora

_HEAD_INIT = nn.initializers.normal(0.02)  # as Hugging Face's sequence-classification heads


class EncoderClassifier(nn.Module):
    """BERT encoder, mean or [CLS] pooling, dropout and a float32 linear head -> logits [B, classes]."""

    config: BertConfig
    num_classes: int
    pooling: str = "mean"
    dropout: float = 0.1
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, ids, mask, deterministic: bool = True):
        hidden = BertEncoder(self.config, self.dtype, name="backbone")(ids, mask, deterministic=deterministic)
        pooled = mean_pool(hidden, mask) if self.pooling == "mean" else hidden[:, 0].astype(jnp.float32)
        pooled = nn.Dropout(self.dropout)(pooled, deterministic=deterministic)
        return nn.Dense(self.num_classes, kernel_init=_HEAD_INIT, name="head")(pooled)


class DecoderClassifier(nn.Module):
    """LLaMA decoder (LoRA inside `config`) and a float32 linear head on the last real token's state."""

    config: LlamaConfig
    num_classes: int

    @nn.compact
    def __call__(self, ids, mask, deterministic: bool = True):
        hidden = LlamaModel(self.config, name="backbone").hidden_states(ids, mask, deterministic)
        last = last_token_states(hidden, mask).astype(jnp.float32)
        return nn.Dense(self.num_classes, kernel_init=_HEAD_INIT, name="head")(last)


@dataclasses.dataclass(frozen=True)
class Classifier:
    """What the trainer needs: the module, initial params, a same-shaped bool tree of trainable leaves, and
    the tokenizer. `name` is the model spec it came from."""

    name: str
    module: nn.Module
    params: dict
    trainable: dict
    tokenizer: Tokenizer


def _head_params(key: jax.Array, hidden_size: int, num_classes: int) -> dict:
    return nn.Dense(num_classes, kernel_init=_HEAD_INIT).init(key, jnp.zeros((1, hidden_size)))["params"]


def _check_classes(num_classes: int) -> None:
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes}: a classifier needs at least two classes.")


def encoder_classifier(name: str, config: BertConfig, backbone: dict, tokenizer: Tokenizer, num_classes: int,
                       key: jax.Array, *, pooling: str = "mean", dropout: float = 0.1,
                       dtype: Any = jnp.float32) -> Classifier:
    """A fully trainable encoder classifier on pretrained `backbone` params, with a fresh head."""
    _check_classes(num_classes)
    module = EncoderClassifier(config, num_classes, pooling, dropout, dtype)
    params = {"backbone": backbone, "head": _head_params(key, config.hidden_size, num_classes)}
    return Classifier(name, module, params, jax.tree.map(lambda _: True, params), tokenizer)


def decoder_classifier(name: str, config: LlamaConfig, backbone: dict, tokenizer: Tokenizer, num_classes: int,
                       key: jax.Array, *, lora_rank: int = 8, lora_alpha: float = 16.0, lora_dropout: float = 0.05,
                       dtype: str = "float32") -> Classifier:
    """A decoder classifier: frozen base, fresh LoRA adapters and head (the only trainable leaves).

    The LM head is dropped from `backbone`: classification never calls it.
    """
    _check_classes(num_classes)
    lora_key, head_key = jax.random.split(key)
    backbone = {k: v for k, v in backbone.items() if k != "lm_head"}
    config = dataclasses.replace(config, dtype=dtype, tie_embeddings=True)
    config, backbone = with_lora(lora_key, config, backbone, lora_rank, lora_alpha, lora_dropout)
    params = {"backbone": backbone, "head": _head_params(head_key, config.hidden_size, num_classes)}
    trainable = {"backbone": lora_param_mask(backbone), "head": jax.tree.map(lambda _: True, params["head"])}
    return Classifier(name, DecoderClassifier(config, num_classes), params, trainable, tokenizer)
