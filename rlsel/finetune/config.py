"""Static finetune settings (typed, frozen) and the training-budget rule.

Budget rule: train for `epochs` passes over the training set, but never fewer than `min_steps` steps (a 5%
subset would otherwise get a handful of updates and compare unfairly with the full set) and never more
than `max_steps` (so the full set stays affordable): steps = clip(ceil(epochs * n / batch_size),
min_steps, max_steps).
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

DTYPES = ("auto", "float32", "bfloat16")
POOLINGS = ("mean", "cls")


@dataclasses.dataclass(frozen=True)
class FinetuneConfig:
    """Optimizer, budget, evaluation and tokenisation settings of one finetune run."""

    epochs: float = 1.0
    min_steps: int = 200
    max_steps: int = 2000
    batch_size: int = 32
    learning_rate: float = 1e-4
    warmup_fraction: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    eval_every: int = 100
    patience: int = 3
    max_length: int = 64
    dtype: str = "auto"
    test_rows: int = 0

    def __post_init__(self):
        positive = {n: getattr(self, n) for n in ("batch_size", "eval_every", "patience", "max_steps")}
        bad = [f"{n}={v}" for n, v in positive.items() if v < 1]
        if bad:
            raise ValueError(f"finetune settings {', '.join(bad)} must be >= 1.")
        if not 0 <= self.min_steps <= self.max_steps:
            raise ValueError(f"need 0 <= min_steps ({self.min_steps}) <= max_steps ({self.max_steps}).")
        if self.epochs < 0 or self.learning_rate <= 0 or not 0 <= self.warmup_fraction < 1:
            raise ValueError(
                f"epochs={self.epochs} must be >= 0, learning_rate={self.learning_rate} > 0 and "
                f"warmup_fraction={self.warmup_fraction} in [0, 1)."
            )
        if self.max_grad_norm <= 0:
            raise ValueError(f"max_grad_norm={self.max_grad_norm} must be > 0.")
        if self.test_rows < 0:
            raise ValueError(f"test_rows={self.test_rows} must be >= 0 (0: the whole test split).")
        if self.max_length < 4:
            raise ValueError(f"max_length={self.max_length} is too short; use at least 4 tokens.")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype={self.dtype!r} is not one of {DTYPES}.")

    @property
    def compute_dtype(self) -> jnp.dtype:
        """Activation dtype: bfloat16 on GPU/TPU and float32 on CPU under "auto"; params stay float32."""
        if self.dtype == "auto":
            return jnp.dtype(jnp.float32 if jax.default_backend() == "cpu" else jnp.bfloat16)
        return jnp.dtype(self.dtype)


@dataclasses.dataclass(frozen=True)
class ModelOptions:
    """Head and adapter settings: pooling/dropout for encoders, LoRA rank/alpha/dropout for decoders."""

    pooling: str = "mean"
    dropout: float = 0.1
    lora_rank: int = 8
    lora_alpha: float = 16.0
    lora_dropout: float = 0.05

    def __post_init__(self):
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling={self.pooling!r} is not one of {POOLINGS}.")
        if not 0 <= self.dropout < 1 or not 0 <= self.lora_dropout < 1 or self.lora_rank < 1:
            raise ValueError(
                f"dropout={self.dropout} and lora_dropout={self.lora_dropout} must lie in [0, 1) and "
                f"lora_rank={self.lora_rank} must be >= 1."
            )


def num_train_steps(num_examples: int, config: FinetuneConfig) -> int:
    """The budget rule of the module docstring: `epochs` epochs, clipped to [min_steps, max_steps]."""
    if num_examples < 1:
        raise ValueError("the training set is empty; select at least one example to finetune on.")
    epoch_steps = math.ceil(config.epochs * num_examples / config.batch_size)
    return max(1, min(max(epoch_steps, config.min_steps), config.max_steps))
