"""A uniform replay buffer in pure JAX: fixed-capacity arrays for any transition pytree, jittable.

Slots fill from index 0 upwards and then wrap around, so the filled slots are always `[0, size)`.
Capacity and batch sizes are static (array shapes); the pointer and size are traced scalars.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct


@struct.dataclass
class ReplayBuffer:
    """data: the transition pytree with a leading [capacity] axis; pointer: next slot; size: filled slots."""

    data: Any
    pointer: jax.Array
    size: jax.Array

    @property
    def capacity(self) -> int:
        return jax.tree_util.tree_leaves(self.data)[0].shape[0]


def init(example_transition: Any, capacity: int) -> ReplayBuffer:
    """An empty buffer holding `capacity` transitions shaped and typed like `example_transition`."""
    if not isinstance(capacity, int) or capacity < 1:
        raise ValueError(f"capacity must be a positive int, got {capacity!r}")
    leaves = jax.tree_util.tree_leaves(example_transition)
    if not leaves:
        raise ValueError("example_transition has no array leaves; pass a pytree of arrays")
    data = jax.tree_util.tree_map(
        lambda x: jnp.zeros((capacity,) + jnp.shape(x), jnp.asarray(x).dtype), example_transition
    )
    return ReplayBuffer(data=data, pointer=jnp.int32(0), size=jnp.int32(0))


def add_batch(buffer: ReplayBuffer, transitions: Any) -> ReplayBuffer:
    """Write a batch of transitions (leading axis B <= capacity) at the pointer, wrapping around."""
    _check_batch(buffer, transitions)
    batch = jax.tree_util.tree_leaves(transitions)[0].shape[0]
    capacity = buffer.capacity
    slots = (buffer.pointer + jnp.arange(batch, dtype=jnp.int32)) % capacity
    data = jax.tree_util.tree_map(lambda d, x: d.at[slots].set(x.astype(d.dtype)), buffer.data, transitions)
    return ReplayBuffer(
        data=data,
        pointer=(buffer.pointer + batch) % capacity,
        size=jnp.minimum(buffer.size + batch, capacity),
    )


def sample(buffer: ReplayBuffer, key: jax.Array, batch_size: int) -> Any:
    """`batch_size` transitions drawn uniformly with replacement from the filled slots.

    The buffer must hold at least one transition; an empty buffer returns its zero-filled slot 0.
    """
    slots = jax.random.randint(key, (batch_size,), 0, jnp.maximum(buffer.size, 1))
    return jax.tree_util.tree_map(lambda d: d[slots], buffer.data)


def _check_batch(buffer: ReplayBuffer, transitions: Any) -> None:
    """Raise ValueError unless `transitions` matches the buffer's structure with one leading batch axis."""
    expected = jax.tree_util.tree_structure(buffer.data)
    got = jax.tree_util.tree_structure(transitions)
    if expected != got:
        raise ValueError(f"transition structure {got} does not match the buffer's {expected}")
    sizes = set()
    for d, x in zip(jax.tree_util.tree_leaves(buffer.data), jax.tree_util.tree_leaves(transitions)):
        if x.ndim != d.ndim or x.shape[1:] != d.shape[1:]:
            raise ValueError(
                f"transition leaf of shape {x.shape} does not fit a slot of shape {d.shape[1:]}; "
                "add a batch with one leading axis"
            )
        sizes.add(x.shape[0])
    if len(sizes) != 1:
        raise ValueError(f"all transition leaves need the same batch size, got {sorted(sizes)}")
    batch = sizes.pop()
    if batch > buffer.capacity:
        raise ValueError(f"batch of {batch} exceeds the buffer capacity {buffer.capacity}; enlarge the buffer")
