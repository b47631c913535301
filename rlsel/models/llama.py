"""LLaMA-family decoder (SmolLM2, Llama 2/3 layouts) in Flax linen, with optional LoRA adapters.

Params are the `params` collection (apply with `{"params": params}`); the decoder layers run under
`nn.scan`, so every per-layer tensor has a leading `num_layers` axis. Rotary embeddings use the HF
"rotate_half" layout. Padding may sit on either side: positions come from the attention mask.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Mapping, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from rlsel.models.lora import LoRADense

_DTYPES = ("float32", "bfloat16", "float16")
_REQUIRED_HF_FIELDS = (
    "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"
)


@dataclasses.dataclass(frozen=True)
class LlamaConfig:
    """Static shape and numerics of a LLaMA-family decoder (hashable: a static jit argument)."""

    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    rope_theta: float = 10000.0
    rms_eps: float = 1e-5
    tie_embeddings: bool = True
    max_positions: int = 2048
    lora_rank: int = 0
    lora_alpha: float = 16.0
    lora_dropout: float = 0.0
    dtype: str = "float32"

    def __post_init__(self):
        if self.num_heads % self.num_kv_heads:
            raise ValueError(
                f"num_heads={self.num_heads} is not a multiple of num_kv_heads={self.num_kv_heads}; "
                "grouped-query attention needs whole groups"
            )
        if self.head_dim % 2:
            raise ValueError(f"head_dim={self.head_dim} must be even for rotary embeddings")
        if self.lora_rank < 0 or not 0.0 <= self.lora_dropout < 1.0:
            raise ValueError(
                f"lora_rank={self.lora_rank} must be >= 0 and lora_dropout={self.lora_dropout} in [0, 1)"
            )
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype={self.dtype!r} is not one of {_DTYPES}")

    @property
    def compute_dtype(self) -> jnp.dtype:
        """Activation dtype (params stay float32); bfloat16 on accelerators."""
        return jnp.dtype(self.dtype)

    @classmethod
    def from_hf(cls, hf: Mapping[str, Any], **overrides) -> LlamaConfig:
        """Read a HF `config.json` dict of model_type llama; `overrides` replace any field (e.g. dtype)."""
        missing = [k for k in _REQUIRED_HF_FIELDS if k not in hf]
        if missing:
            raise ValueError(f"config.json lacks required fields {missing}")
        if hf.get("model_type") != "llama":
            raise ValueError(f"model_type={hf.get('model_type')!r}: only 'llama' checkpoints are supported")
        unsupported = {
            "rope_scaling": hf.get("rope_scaling") is not None,
            "attention_bias": bool(hf.get("attention_bias", False)),
            "mlp_bias": bool(hf.get("mlp_bias", False)),
            "hidden_act": hf.get("hidden_act", "silu") != "silu",
        }
        if any(unsupported.values()):
            bad = [k for k, v in unsupported.items() if v]
            raise ValueError(f"config.json sets {bad}; this decoder supports plain silu LLaMA without them")
        heads = hf["num_attention_heads"]
        fields = dict(
            vocab_size=hf["vocab_size"],
            hidden_size=hf["hidden_size"],
            intermediate_size=hf["intermediate_size"],
            num_layers=hf["num_hidden_layers"],
            num_heads=heads,
            num_kv_heads=hf.get("num_key_value_heads") or heads,
            head_dim=hf.get("head_dim") or hf["hidden_size"] // heads,
            rope_theta=float(hf.get("rope_theta", 10000.0)),
            rms_eps=float(hf.get("rms_norm_eps", 1e-6)),
            tie_embeddings=bool(hf.get("tie_word_embeddings", False)),
            max_positions=hf.get("max_position_embeddings", 2048),
        )
        return cls(**{**fields, **overrides})

    def to_hf(self) -> dict[str, Any]:
        """The HF `config.json` dict of this decoder (LoRA and dtype are not part of it)."""
        return {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_layers,
            "num_attention_heads": self.num_heads,
            "num_key_value_heads": self.num_kv_heads,
            "head_dim": self.head_dim,
            "rope_theta": self.rope_theta,
            "rms_norm_eps": self.rms_eps,
            "tie_word_embeddings": self.tie_embeddings,
            "max_position_embeddings": self.max_positions,
            "hidden_act": "silu",
            "torch_dtype": "float32",
        }


class RMSNorm(nn.Module):
    """Root-mean-square norm computed in float32, then scaled and cast to `dtype`."""

    eps: float
    dtype: Any

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        scale = self.param("scale", nn.initializers.ones, (x.shape[-1],))
        x = x.astype(jnp.float32)
        x = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + self.eps)
        return (x * scale).astype(self.dtype)


def rotary_cos_sin(positions: jax.Array, head_dim: int, theta: float) -> tuple[jax.Array, jax.Array]:
    """cos/sin tables [B, T, head_dim] for integer positions [B, T], in the HF rotate_half layout."""
    inv_freq = 1.0 / theta ** (jnp.arange(0, head_dim, 2, dtype=jnp.float32) / head_dim)
    angles = positions[..., None].astype(jnp.float32) * inv_freq
    angles = jnp.concatenate([angles, angles], axis=-1)
    return jnp.cos(angles), jnp.sin(angles)


def apply_rotary(x: jax.Array, cos: jax.Array, sin: jax.Array) -> jax.Array:
    """Rotate heads x [B, T, N, D] by the tables [B, T, D]: x*cos + rotate_half(x)*sin."""
    x1, x2 = jnp.split(x.astype(jnp.float32), 2, axis=-1)
    rotated = jnp.concatenate([-x2, x1], axis=-1)
    out = x.astype(jnp.float32) * cos[:, :, None] + rotated * sin[:, :, None]
    return out.astype(x.dtype)


def attention_mask_2d(attention_mask: jax.Array) -> jax.Array:
    """Boolean [B, T, T] mask: query t sees key s iff s <= t and s is a real token."""
    t = attention_mask.shape[-1]
    causal = jnp.tril(jnp.ones((t, t), dtype=bool))
    return causal[None] & attention_mask.astype(bool)[:, None, :]


def _dense(config: LlamaConfig, features: int, name: str) -> LoRADense:
    return LoRADense(
        features,
        rank=config.lora_rank,
        alpha=config.lora_alpha,
        dropout=config.lora_dropout,
        dtype=config.compute_dtype,
        name=name,
    )


class Attention(nn.Module):
    """Grouped-query self-attention; query head h reads key/value head h // (heads / kv_heads)."""

    config: LlamaConfig

    @nn.compact
    def __call__(self, h, cos, sin, mask, deterministic: bool):
        c = self.config
        b, t, _ = h.shape
        groups = c.num_heads // c.num_kv_heads
        q = _dense(c, c.num_heads * c.head_dim, "q")(h, deterministic)
        k = _dense(c, c.num_kv_heads * c.head_dim, "k")(h, deterministic)
        v = _dense(c, c.num_kv_heads * c.head_dim, "v")(h, deterministic)
        q = apply_rotary(q.reshape(b, t, c.num_heads, c.head_dim), cos, sin)
        k = apply_rotary(k.reshape(b, t, c.num_kv_heads, c.head_dim), cos, sin)
        q = q.reshape(b, t, c.num_kv_heads, groups, c.head_dim)
        v = v.reshape(b, t, c.num_kv_heads, c.head_dim)
        scores = jnp.einsum("btkgd,bskd->bkgts", q, k, preferred_element_type=jnp.float32)
        scores = scores * c.head_dim**-0.5
        scores = jnp.where(mask[:, None, None], scores, jnp.finfo(jnp.float32).min)
        probs = jax.nn.softmax(scores, axis=-1).astype(c.compute_dtype)
        out = jnp.einsum("bkgts,bskd->btkgd", probs, v).reshape(b, t, c.num_heads * c.head_dim)
        return _dense(c, c.hidden_size, "o")(out, deterministic)


class MLP(nn.Module):
    """SwiGLU feed-forward: down(silu(gate(x)) * up(x))."""

    config: LlamaConfig

    @nn.compact
    def __call__(self, h, deterministic: bool):
        c = self.config
        gate = _dense(c, c.intermediate_size, "gate")(h, deterministic)
        up = _dense(c, c.intermediate_size, "up")(h, deterministic)
        return _dense(c, c.hidden_size, "down")(jax.nn.silu(gate) * up, deterministic)


class DecoderLayer(nn.Module):
    """Pre-norm residual block (attention, then MLP); shaped as a scan body `(h, ...) -> (h, None)`."""

    config: LlamaConfig

    @nn.compact
    def __call__(self, h, cos, sin, mask, deterministic: bool):
        c = self.config
        a = RMSNorm(c.rms_eps, c.compute_dtype, name="attn_norm")(h)
        h = h + Attention(c, name="attn")(a, cos, sin, mask, deterministic)
        m = RMSNorm(c.rms_eps, c.compute_dtype, name="mlp_norm")(h)
        h = h + MLP(c, name="mlp")(m, deterministic)
        return h, None


class LlamaModel(nn.Module):
    """Decoder: embed, `num_layers` scanned blocks, final norm, (tied) LM head."""

    config: LlamaConfig

    def setup(self):
        c = self.config
        self.embed = nn.Embed(
            c.vocab_size,
            c.hidden_size,
            dtype=c.compute_dtype,
            embedding_init=nn.initializers.normal(0.02),
        )
        scanned = nn.scan(
            DecoderLayer,
            variable_axes={"params": 0},
            split_rngs={"params": True, "dropout": True},
            in_axes=(nn.broadcast,) * 4,
            length=c.num_layers,
        )
        self.layers = scanned(c)
        self.norm = RMSNorm(c.rms_eps, c.compute_dtype)
        if not c.tie_embeddings:
            self.lm_head = nn.Dense(
                c.vocab_size,
                use_bias=False,
                dtype=c.compute_dtype,
                kernel_init=nn.initializers.normal(0.02),
            )

    def hidden_states(self, input_ids, attention_mask, deterministic: bool = True) -> jax.Array:
        """Final-normed hidden states [B, T, hidden] (for classification heads or verbalizer scores)."""
        if input_ids.ndim != 2 or attention_mask.shape != input_ids.shape:
            raise ValueError(
                f"input_ids {input_ids.shape} and attention_mask {attention_mask.shape} must both be [B, T]"
            )
        c = self.config
        positions = jnp.maximum(jnp.cumsum(attention_mask, axis=-1) - 1, 0)
        cos, sin = rotary_cos_sin(positions, c.head_dim, c.rope_theta)
        h = self.embed(input_ids)
        h, _ = self.layers(h, cos, sin, attention_mask_2d(attention_mask), deterministic)
        return self.norm(h)

    def lm_logits(self, hidden: jax.Array) -> jax.Array:
        """float32 next-token logits from hidden states [..., hidden]."""
        logits = self.embed.attend(hidden) if self.config.tie_embeddings else self.lm_head(hidden)
        return logits.astype(jnp.float32)

    def __call__(self, input_ids, attention_mask, deterministic: bool = True) -> jax.Array:
        """Logits [B, T, vocab]; pass `rngs={"dropout": key}` with deterministic=False for LoRA dropout."""
        return self.lm_logits(self.hidden_states(input_ids, attention_mask, deterministic))


def last_token_states(hidden: jax.Array, attention_mask: jax.Array) -> jax.Array:
    """Hidden state [B, H] at each row's last real token, for left- or right-padded batches."""
    t = attention_mask.shape[-1]
    last = t - 1 - jnp.argmax(attention_mask[:, ::-1].astype(bool), axis=-1)
    return jnp.take_along_axis(hidden, last[:, None, None], axis=1)[:, 0]


def assemble_params(
    top: Mapping[tuple[str, ...], np.ndarray], layers: Sequence[Mapping[tuple[str, ...], np.ndarray]]
) -> dict:
    """Nest `path -> array` maps into float32 params, stacking per-layer arrays under `layers` (scan axis)."""
    flat = dict(top)
    paths = set().union(*layers)
    for i, layer in enumerate(layers):
        if missing := paths - layer.keys():
            raise ValueError(f"layer {i} lacks tensors {sorted(missing)} that other layers have")
    for path in paths:
        flat[("layers", *path)] = np.stack([layer[path] for layer in layers])
    nested: dict = {}
    for path, value in flat.items():
        node = nested
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = jnp.asarray(value, jnp.float32)
    return nested


def init_params(key: jax.Array, config: LlamaConfig) -> dict:
    """Random params (HF-style normal(0.02) weights, unit norms, zero LoRA B) for `config`."""
    ids = jnp.zeros((1, 1), jnp.int32)
    return jax.jit(LlamaModel(config).init)(key, ids, jnp.ones_like(ids))["params"]


def check_params(config: LlamaConfig, params: Mapping) -> None:
    """Raise ValueError naming every missing, extra or mis-shaped tensor against `config`."""
    ids = jax.ShapeDtypeStruct((1, 1), jnp.int32)
    expected = jax.eval_shape(LlamaModel(config).init, jax.random.key(0), ids, ids)["params"]
    want = {jax.tree_util.keystr(p): x.shape for p, x in jax.tree_util.tree_leaves_with_path(expected)}
    got = {jax.tree_util.keystr(p): np.shape(x) for p, x in jax.tree_util.tree_leaves_with_path(params)}
    problems = [f"missing {k}" for k in want.keys() - got.keys()]
    problems += [f"unexpected {k}" for k in got.keys() - want.keys()]
    problems += [f"{k}: shape {got[k]} != {want[k]}" for k in want.keys() & got.keys() if got[k] != want[k]]
    if problems:
        raise ValueError(f"params do not match the config: {sorted(problems)}")


@functools.partial(jax.jit, static_argnames=("config", "max_new_tokens"))
def generate(params, config: LlamaConfig, input_ids, max_new_tokens: int, attention_mask=None):
    """Greedy continuation [B, max_new_tokens] of left-padded prompts [B, T].

    Recomputes the whole (static-length) buffer for every new token: simple, one compile per shape.
    """
    b, t0 = input_ids.shape
    total = t0 + max_new_tokens
    if total > config.max_positions:
        raise ValueError(
            f"prompt {t0} + {max_new_tokens} new tokens exceeds max_positions={config.max_positions}"
        )
    prompt_mask = jnp.ones_like(input_ids) if attention_mask is None else attention_mask
    ids = jnp.zeros((b, total), jnp.int32).at[:, :t0].set(input_ids)
    mask = jnp.zeros((b, total), jnp.int32).at[:, :t0].set(prompt_mask)
    model = LlamaModel(config)
    variables = {"params": params}

    def step(i, carry):
        ids, mask = carry
        pos = t0 + i
        hidden = model.apply(variables, ids, mask, method=LlamaModel.hidden_states)
        last = jax.lax.dynamic_index_in_dim(hidden, pos - 1, axis=1, keepdims=False)
        logits = model.apply(variables, last, method=LlamaModel.lm_logits)
        token = jnp.argmax(logits, axis=-1).astype(jnp.int32)
        ids = jax.lax.dynamic_update_index_in_dim(ids, token[:, None], pos, axis=1)
        mask = jax.lax.dynamic_update_index_in_dim(mask, jnp.ones((b, 1), jnp.int32), pos, axis=1)
        return ids, mask

    ids, _ = jax.lax.fori_loop(0, max_new_tokens, step, (ids, mask))
    return ids[:, t0:]
