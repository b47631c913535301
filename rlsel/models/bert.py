"""A BERT encoder in Flax linen, laid out like Hugging Face's `BertModel` so that its weights load directly.

`BertEncoder(config)(input_ids, attention_mask)` returns the last hidden states `[B, T, H]`; `mean_pool`
turns them into sentence vectors. Parameters stay float32; `dtype` sets the compute type (bf16 on
accelerators), with softmax and pooling kept in float32.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp

_ACTIVATIONS = {
    "gelu": lambda x: nn.gelu(x, approximate=False),
    "gelu_new": lambda x: nn.gelu(x, approximate=True),
    "gelu_pytorch_tanh": lambda x: nn.gelu(x, approximate=True),
    "relu": nn.relu,
}
_REQUIRED_HF_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                       "intermediate_size")
_MASKED_SCORE = -1e9  # finite, so fully padded rows give uniform attention rather than NaN


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """Static BERT hyperparameters (the fields of a Hugging Face `config.json` that shape the model)."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    def __post_init__(self):
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size={self.hidden_size} is not divisible by num_attention_heads="
                f"{self.num_attention_heads}; pick a head count that divides the hidden size."
            )
        if self.hidden_act not in _ACTIVATIONS:
            raise ValueError(
                f"hidden_act={self.hidden_act!r} is not supported; use one of {sorted(_ACTIVATIONS)}."
            )

    @classmethod
    def from_hf(cls, hf: Mapping[str, Any]) -> BertConfig:
        """Build from a Hugging Face `config.json` dict; rejects non-BERT or non-absolute-position models."""
        if hf.get("model_type", "bert") != "bert":
            raise ValueError(f"config model_type is {hf['model_type']!r}; only 'bert' checkpoints load here.")
        if hf.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(
                f"position_embedding_type={hf['position_embedding_type']!r} is not supported; only 'absolute'."
            )
        missing = [n for n in _REQUIRED_HF_FIELDS if n not in hf]
        if missing:
            raise ValueError(f"config.json lacks required BERT fields {missing}; is this a BERT config?")
        return cls(**{f.name: hf[f.name] for f in dataclasses.fields(cls) if f.name in hf})

    def to_hf(self) -> dict[str, Any]:
        """The Hugging Face `config.json` dict for this config."""
        return {"architectures": ["BertModel"], "model_type": "bert",
                "position_embedding_type": "absolute", **dataclasses.asdict(self)}


class BertEmbeddings(nn.Module):
    """Word + absolute position + token-type embeddings, then LayerNorm and dropout."""

    config: BertConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, input_ids, token_type_ids, deterministic: bool):
        cfg = self.config
        embed = lambda n, name: nn.Embed(n, cfg.hidden_size, dtype=self.dtype, name=name)
        positions = jnp.arange(input_ids.shape[1])[None, :]
        x = (embed(cfg.vocab_size, "word_embeddings")(input_ids)
             + embed(cfg.max_position_embeddings, "position_embeddings")(positions)
             + embed(cfg.type_vocab_size, "token_type_embeddings")(token_type_ids))
        x = nn.LayerNorm(epsilon=cfg.layer_norm_eps, dtype=self.dtype, name="LayerNorm")(x)
        return nn.Dropout(cfg.hidden_dropout_prob)(x, deterministic=deterministic)


class BertAttention(nn.Module):
    """Multi-head self-attention with output projection, residual and LayerNorm (post-norm)."""

    config: BertConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, keep, deterministic: bool):
        cfg = self.config
        heads, head_dim = cfg.num_attention_heads, cfg.hidden_size // cfg.num_attention_heads
        split = lambda name: nn.Dense(cfg.hidden_size, dtype=self.dtype, name=name)(x).reshape(
            x.shape[:2] + (heads, head_dim))
        q, k, v = split("query"), split("key"), split("value")
        scores = jnp.einsum("bqhd,bkhd->bhqk", q, k).astype(jnp.float32) / jnp.sqrt(head_dim)
        probs = jax.nn.softmax(jnp.where(keep, scores, _MASKED_SCORE), axis=-1).astype(self.dtype)
        probs = nn.Dropout(cfg.attention_probs_dropout_prob)(probs, deterministic=deterministic)
        context = jnp.einsum("bhqk,bkhd->bqhd", probs, v).reshape(x.shape)
        out = nn.Dense(cfg.hidden_size, dtype=self.dtype, name="output")(context)
        out = nn.Dropout(cfg.hidden_dropout_prob)(out, deterministic=deterministic)
        return nn.LayerNorm(epsilon=cfg.layer_norm_eps, dtype=self.dtype, name="LayerNorm")(out + x)


class BertLayer(nn.Module):
    """One transformer block: attention, then the feed-forward with residual and LayerNorm."""

    config: BertConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, keep, deterministic: bool):
        cfg = self.config
        x = BertAttention(cfg, self.dtype, name="attention")(x, keep, deterministic)
        h = nn.Dense(cfg.intermediate_size, dtype=self.dtype, name="intermediate")(x)
        h = nn.Dense(cfg.hidden_size, dtype=self.dtype, name="output")(_ACTIVATIONS[cfg.hidden_act](h))
        h = nn.Dropout(cfg.hidden_dropout_prob)(h, deterministic=deterministic)
        return nn.LayerNorm(epsilon=cfg.layer_norm_eps, dtype=self.dtype, name="LayerNorm")(h + x)


class BertEncoder(nn.Module):
    """BERT body without pooler: token ids `[B, T]` and 0/1 mask `[B, T]` -> last hidden states `[B, T, H]`."""

    config: BertConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, input_ids, attention_mask, token_type_ids=None, deterministic: bool = True):
        if input_ids.ndim != 2 or attention_mask.shape != input_ids.shape:
            raise ValueError(
                f"input_ids {input_ids.shape} and attention_mask {attention_mask.shape} must both be [B, T]."
            )
        if input_ids.shape[1] > self.config.max_position_embeddings:
            raise ValueError(
                f"sequence length {input_ids.shape[1]} exceeds max_position_embeddings="
                f"{self.config.max_position_embeddings}; truncate the inputs."
            )
        if token_type_ids is None:
            token_type_ids = jnp.zeros_like(input_ids)
        x = BertEmbeddings(self.config, self.dtype, name="embeddings")(input_ids, token_type_ids, deterministic)
        keep = attention_mask[:, None, None, :] > 0  # [B, 1, 1, T]: which keys each query may attend to
        for i in range(self.config.num_hidden_layers):
            x = BertLayer(self.config, self.dtype, name=f"layer_{i}")(x, keep, deterministic)
        return x


def mean_pool(hidden: jax.Array, mask: jax.Array) -> jax.Array:
    """Average the hidden states `[B, T, H]` over real tokens (mask 1), in float32; all-pad rows give zeros."""
    mask = mask.astype(jnp.float32)[..., None]
    total = jnp.sum(hidden.astype(jnp.float32) * mask, axis=1)
    return total / jnp.maximum(jnp.sum(mask, axis=1), 1.0)
