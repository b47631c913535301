"""LoRA adapters: a dense layer with a frozen base kernel plus a low-rank update, and optimizer helpers.

`LoRADense` computes `x @ W + dropout(x) @ A @ B * alpha / rank`, B starting at zero so a fresh adapter
leaves the base model unchanged. Adapter leaves are named `lora_a` / `lora_b`; everything else is frozen
by `lora_optimizer`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, Callable, Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

if TYPE_CHECKING:
    from rlsel.models.llama import LlamaConfig

LORA_A = "lora_a"
LORA_B = "lora_b"
LORA_TARGETS = ("q", "k", "v", "o", "gate", "up", "down")


def lora_a_init(key: jax.Array, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
    """Uniform(+-1/sqrt(fan_in)) as in PEFT; fan_in = shape[-2], so layer-stacked shapes work too."""
    bound = 1.0 / math.sqrt(shape[-2])
    return jax.random.uniform(key, shape, dtype, -bound, bound)


class LoRADense(nn.Module):
    """Bias-free dense layer; with rank > 0 the kernel is frozen (stop_gradient) and a LoRA update added."""

    features: int
    rank: int = 0
    alpha: float = 16.0
    dropout: float = 0.0
    dtype: Any = jnp.float32
    kernel_init: Callable = nn.initializers.normal(0.02)

    @nn.compact
    def __call__(self, x: jax.Array, deterministic: bool = True) -> jax.Array:
        kernel = self.param("kernel", self.kernel_init, (x.shape[-1], self.features))
        x = x.astype(self.dtype)
        if self.rank == 0:
            return x @ kernel.astype(self.dtype)
        y = x @ jax.lax.stop_gradient(kernel).astype(self.dtype)
        a = self.param(LORA_A, lora_a_init, (x.shape[-1], self.rank))
        b = self.param(LORA_B, nn.initializers.zeros, (self.rank, self.features))
        x = nn.Dropout(self.dropout, deterministic=deterministic)(x)
        update = (x @ a.astype(self.dtype)) @ b.astype(self.dtype)
        return y + update * (self.alpha / self.rank)


def _is_lora(path) -> bool:
    return getattr(path[-1], "key", None) in (LORA_A, LORA_B)


def lora_param_mask(params) -> Any:
    """Pytree of bools, True exactly on LoRA adapter leaves (the only trainable ones)."""
    return jax.tree_util.tree_map_with_path(lambda p, _: _is_lora(p), params)


def lora_optimizer(inner: optax.GradientTransformation, params) -> optax.GradientTransformation:
    """`inner` on the adapters and zero updates (no optimizer state) for every base weight."""
    mask = lora_param_mask(params)
    if not any(jax.tree.leaves(mask)):
        raise ValueError("params hold no LoRA adapters: build them with with_lora(...) first")
    labels = jax.tree.map(lambda m: "lora" if m else "frozen", mask)
    return optax.multi_transform({"lora": inner, "frozen": optax.set_to_zero()}, labels)


def _map_targets(fn: Callable[[str, Mapping], dict], tree: Mapping, name: str = "") -> dict:
    """Rebuild nested dicts, replacing each target projection (a dict holding `kernel`) by fn(name, it)."""
    if name in LORA_TARGETS and "kernel" in tree:
        return fn(name, tree)
    return {k: _map_targets(fn, v, k) if isinstance(v, Mapping) else v for k, v in tree.items()}


def with_lora(
    key: jax.Array,
    config: LlamaConfig,
    params: dict,
    rank: int,
    alpha: float = 16.0,
    dropout: float = 0.0,
) -> tuple[LlamaConfig, dict]:
    """Add fresh adapters (A random, B zero) to every q/k/v/o/gate/up/down projection of base params."""
    if config.lora_rank or any(jax.tree.leaves(lora_param_mask(params))):
        raise ValueError("params already carry LoRA adapters; merge_lora(...) them first")
    if rank <= 0:
        raise ValueError(f"rank={rank} must be a positive integer")
    keys = iter(jax.random.split(key, len(LORA_TARGETS)))
    names_to_keys = {name: next(keys) for name in LORA_TARGETS}

    def add(name: str, proj: dict) -> dict:
        kernel = proj["kernel"]
        a = lora_a_init(names_to_keys[name], (*kernel.shape[:-1], rank))
        b = jnp.zeros((*kernel.shape[:-2], rank, kernel.shape[-1]), jnp.float32)
        return {**proj, LORA_A: a, LORA_B: b}

    new_config = dataclasses.replace(config, lora_rank=rank, lora_alpha=alpha, lora_dropout=dropout)
    return new_config, _map_targets(add, params)


def merge_lora(config: LlamaConfig, params: dict) -> tuple[LlamaConfig, dict]:
    """Fold adapters into the base kernels (W + A @ B * alpha / rank); returns a plain base model."""
    if not config.lora_rank:
        raise ValueError("config.lora_rank is 0: there are no adapters to merge")
    scale = config.lora_alpha / config.lora_rank

    def merge(_, proj: dict) -> dict:
        delta = jnp.matmul(proj[LORA_A], proj[LORA_B]) * scale
        return {"kernel": proj["kernel"] + delta.astype(proj["kernel"].dtype)}

    return dataclasses.replace(config, lora_rank=0), _map_targets(merge, params)
