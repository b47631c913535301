"""Orbax checkpoints: arrays, dtypes, PRNG keys and config come back exactly as saved."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import struct

from rlsel.checkpoint import latest_step, restore_checkpoint, save_checkpoint


@struct.dataclass
class Inner:
    weights: jax.Array
    count: jax.Array


def _state(seed: int) -> dict:
    key = jax.random.key(seed)
    return {
        "inner": Inner(jax.random.normal(key, (3, 2)), jnp.asarray(seed, jnp.int32)),
        "rng": jax.random.fold_in(key, 1),
        "raw_key": jax.random.PRNGKey(seed),
        "flags": jnp.asarray([True, False, seed % 2 == 0]),
    }


def _assert_same(a, b):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        assert x.dtype == y.dtype
        if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_restore_returns_what_was_saved(tmp_path):
    workdir = str(tmp_path / "ckpt")
    save_checkpoint(workdir, 3, _state(1), {"lr": 0.5, "network": "mlp"})
    save_checkpoint(workdir, 7, _state(2), {"lr": 0.25, "network": "mlp"})

    state, config, step = restore_checkpoint(workdir, like=_state(0))
    assert step == 7 and config == {"lr": 0.25, "network": "mlp"}
    _assert_same(state, _state(2))
    # A restored key draws the same numbers as the original one.
    np.testing.assert_array_equal(jax.random.uniform(state["rng"], (4,)), jax.random.uniform(_state(2)["rng"], (4,)))

    older, config, step = restore_checkpoint(workdir, like=jax.eval_shape(lambda: _state(0)), step=3)
    assert step == 3 and config["lr"] == 0.5
    _assert_same(older, _state(1))


def test_latest_step(tmp_path):
    workdir = str(tmp_path / "ckpt")
    assert latest_step(workdir) is None
    for step in (0, 10, 5):
        save_checkpoint(workdir, step, _state(step), {})
    assert latest_step(workdir) == 10


def test_bad_input_is_a_clear_error(tmp_path):
    workdir = str(tmp_path / "ckpt")
    with pytest.raises(ValueError, match="No checkpoint"):
        restore_checkpoint(workdir, like=_state(0))
    save_checkpoint(workdir, 1, _state(1), {})
    with pytest.raises(ValueError, match="already exists"):
        save_checkpoint(workdir, 1, _state(1), {})
    with pytest.raises(ValueError, match="saved steps: \\[1\\]"):
        restore_checkpoint(workdir, like=_state(0), step=2)
    with pytest.raises(ValueError, match=">= 0"):
        save_checkpoint(workdir, -1, _state(1), {})
