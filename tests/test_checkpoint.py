"""Orbax checkpoints: arrays, dtypes, PRNG keys and config come back exactly as saved."""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import struct

from rlsel.checkpoint import discard_after, latest_step, restore_checkpoint, save_checkpoint


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


def _damage_state(workdir: str, step: int) -> None:
    """Cut every array data file of `step` short, as a disk error would."""
    for path in (pathlib.Path(workdir) / str(step) / "state").rglob("d/*"):
        path.write_bytes(path.read_bytes()[:10])


def test_damaged_latest_step_falls_back_to_the_previous_good_one(tmp_path, caplog):
    workdir = str(tmp_path / "ckpt")
    save_checkpoint(workdir, 3, _state(1), {"step": 3})
    save_checkpoint(workdir, 7, _state(2), {"step": 7})
    _damage_state(workdir, 7)
    state, config, step = restore_checkpoint(workdir, like=_state(0))
    assert step == 3 and config == {"step": 3}
    _assert_same(state, _state(1))
    assert "step 7" in caplog.text and "falling back to checkpoint step 3" in caplog.text


def test_no_readable_step_is_one_clear_error(tmp_path):
    workdir = str(tmp_path / "ckpt")
    save_checkpoint(workdir, 3, _state(1), {})
    save_checkpoint(workdir, 7, _state(2), {})
    _damage_state(workdir, 7)
    (pathlib.Path(workdir) / "3" / "config" / "metadata").write_text("{not json")
    with pytest.raises(ValueError, match=r"no readable checkpoint .*damaged steps: 7, 3; .*start the run over"):
        restore_checkpoint(workdir, like=_state(0))


def test_accept_refuses_before_the_arrays_are_read(tmp_path):
    workdir = str(tmp_path / "ckpt")
    save_checkpoint(workdir, 3, _state(1), {"seed": 0})

    def accept(config):
        raise ValueError(f"refused {config}")

    with pytest.raises(ValueError, match="refused {'seed': 0}"):
        restore_checkpoint(workdir, like={"wrong": jnp.zeros(2)}, accept=accept)


def test_discard_after_removes_later_steps_so_they_can_be_saved_again(tmp_path):
    workdir = str(tmp_path / "ckpt")
    for step in (3, 7, 9):
        save_checkpoint(workdir, step, _state(step), {})
    discard_after(workdir, 3)
    assert latest_step(workdir) == 3
    save_checkpoint(workdir, 7, _state(1), {})
