"""The budget rule and config validation."""

import jax.numpy as jnp
import pytest

from rlsel.finetune.config import FinetuneConfig, ModelOptions, num_train_steps

DEFAULT = FinetuneConfig()


@pytest.mark.parametrize("num_examples, expected", [
    (8134, 255),  # full movie_sentences: one epoch, ceil(8134 / 32)
    (406, 200),  # a 5% subset: one epoch is 13 steps, raised to min_steps
    (200_000, 2000),  # a large set: capped at max_steps
    (1, 200),
])
def test_budget_rule_defaults(num_examples, expected):
    assert num_train_steps(num_examples, DEFAULT) == expected


def test_budget_rule_counts_fractional_epochs():
    config = FinetuneConfig(epochs=2.5, min_steps=0, max_steps=10_000, batch_size=10)
    assert num_train_steps(101, config) == 26  # ceil(2.5 * 101 / 10)
    assert num_train_steps(101, FinetuneConfig(epochs=0.0, min_steps=0)) == 1  # never zero steps


def test_budget_rule_rejects_empty_training_set():
    with pytest.raises(ValueError, match="empty"):
        num_train_steps(0, DEFAULT)


@pytest.mark.parametrize("kwargs, message", [
    (dict(min_steps=10, max_steps=5), "min_steps"),
    (dict(batch_size=0), "batch_size"),
    (dict(dtype="float64"), "dtype"),
    (dict(warmup_fraction=1.0), "warmup_fraction"),
    (dict(max_length=2), "max_length"),
])
def test_bad_settings_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FinetuneConfig(**kwargs)


def test_bad_model_options_raise():
    with pytest.raises(ValueError, match="pooling"):
        ModelOptions(pooling="max")
    with pytest.raises(ValueError, match="lora_rank"):
        ModelOptions(lora_rank=0)


def test_auto_dtype_is_float32_on_cpu():
    assert FinetuneConfig().compute_dtype == jnp.float32
    assert FinetuneConfig(dtype="bfloat16").compute_dtype == jnp.bfloat16
