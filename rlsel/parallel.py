"""Scale-out with JAX's own sharding: split the environment batch over a 1-D device mesh.

Place a run's state with `shard_envs` (or build it directly with `jax.jit(init, out_shardings=
env_shardings(...))`) and the existing jitted programs run sharded without code changes, since jit follows
the shardings of its inputs: env leaves are split along their leading (env) axis over the `envs` mesh axis,
everything else (network params, optimizer state, keys, counters) is replicated. Over several hosts, call
`maybe_initialize_distributed` first; `jax.devices()` then spans every process.

On a CPU, `use_host_devices()` makes one device per core: XLA runs this workload's many small ops on one
thread per program, so a batch split over per-core devices is how a single program uses every core (the
ridge proxy's solve is written for it: one matrix per device per LAPACK call, see rlsel/proxy/ridge.py).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Sequence

import jax
import numpy as np
from absl import logging
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

ENV_AXIS = "envs"
PPO_ENV_FIELDS = ("env",)  # rlsel.agents.ppo.RunnerState
DQN_ENV_FIELDS = ("env_state", "obs", "episode_return")  # rlsel.agents.dqn.DQNState


def host_device_flags(xla_flags: str, count: int) -> str:
    """`xla_flags` with the host platform split into `count` devices (an earlier count is replaced)."""
    kept = [f for f in xla_flags.split() if not f.startswith("--xla_force_host_platform_device_count")]
    return " ".join([*kept, f"--xla_force_host_platform_device_count={count}"])


def use_host_devices(count: int = 0) -> None:
    """Split the CPU into `count` devices (0: one per core), so that an env batch sharded over
    `env_mesh()` keeps every core busy with its own share. XLA reads its flags once, when JAX first
    touches a device: call this before that. Accelerator devices are unaffected."""
    if count < 0:
        raise ValueError(f"host device count must be >= 0 (0: one per core); got {count}")
    os.environ["XLA_FLAGS"] = host_device_flags(os.environ.get("XLA_FLAGS", ""), count or os.cpu_count() or 1)


def env_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
    """A 1-D mesh named `envs` over `devices` (all devices of all processes by default)."""
    devices = jax.devices() if devices is None else list(devices)
    return Mesh(np.asarray(devices), (ENV_AXIS,))


def env_split(num_envs: int, num_devices: int | None = None) -> int:
    """How many devices the env batch splits over: the most of `num_devices` (all by default) dividing `num_envs`."""
    num_devices = jax.device_count() if num_devices is None else num_devices
    return max(k for k in range(1, num_devices + 1) if num_envs % k == 0)


def fitting_env_mesh(num_envs: int, devices: Sequence[jax.Device] | None = None) -> Mesh | None:
    """An `envs` mesh over the most of `devices` (all by default) that split `num_envs` evenly, or None when
    that is a single device; warns when devices are left idle. Over several processes every device must
    take part (each process runs its own share), so the envs must split over all of them."""
    devices = jax.devices() if devices is None else list(devices)
    if jax.process_count() > 1 and num_envs % len(devices):
        raise ValueError(f"{num_envs} envs do not split evenly over the {len(devices)} devices of "
                         f"{jax.process_count()} processes; use a num_envs that is a multiple of {len(devices)}")
    size = env_split(num_envs, len(devices))
    if size < len(devices):
        logging.warning("%d envs do not split evenly over %d devices; using %d of them (pick a multiple of %d)",
                        num_envs, len(devices), size, len(devices))
    return env_mesh(devices[:size]) if size > 1 else None


def _split_leading(leaf: Any, mesh: Mesh, where: str) -> NamedSharding:
    """Sharding of one env-batched leaf: its leading axis over `envs`; clear error if it cannot split."""
    size = mesh.shape[ENV_AXIS]
    shape = getattr(leaf, "shape", ())
    if not shape or shape[0] % size:
        leading = shape[0] if shape else "a scalar"
        raise ValueError(
            f"{where}: env batch axis is {leading}, not divisible by the {size} devices of the mesh; "
            f"use a num_envs that is a multiple of {size} (or a mesh over fewer devices)"
        )
    return NamedSharding(mesh, P(ENV_AXIS))


def _split_tree(tree: Any, mesh: Mesh, prefix: str) -> Any:
    """Every leaf of `tree` split along its leading axis; errors name the leaf's path under `prefix`."""
    where = lambda path: (prefix + jax.tree_util.keystr(path)) or "leaf"
    return jax.tree_util.tree_map_with_path(lambda path, x: _split_leading(x, mesh, where(path)), tree)


def env_shardings(tree: Any, mesh: Mesh, env_fields: Sequence[str] | None = None) -> Any:
    """NamedShardings matching `tree` (arrays or `jax.eval_shape` results): the leading axis of every leaf
    under the dataclass fields `env_fields` (of every leaf when None) split over `envs`, the rest replicated."""
    if env_fields is None:
        return _split_tree(tree, mesh, "")
    names = [f.name for f in dataclasses.fields(tree)] if dataclasses.is_dataclass(tree) else []
    missing = [name for name in env_fields if name not in names]
    if missing:
        raise ValueError(f"env_fields {missing} are not fields of {type(tree).__name__} (fields: {names})")
    replicated = NamedSharding(mesh, P())
    out = jax.tree_util.tree_map(lambda _: replicated, tree)
    return dataclasses.replace(out, **{name: _split_tree(getattr(tree, name), mesh, name) for name in env_fields})


def shard_envs(tree: Any, mesh: Mesh, env_fields: Sequence[str] | None = None) -> Any:
    """`tree` placed on `mesh` as `env_shardings` describes; jitted programs then run sharded."""
    return jax.device_put(tree, env_shardings(tree, mesh, env_fields))


def maybe_initialize_distributed(coordinator_address: str | None = None, num_processes: int | None = None,
                                 process_id: int | None = None) -> bool:
    """Join a multi-process run via `jax.distributed.initialize` only when a coordinator is given;
    returns whether it did. Single-process runs pass nothing and are left untouched."""
    given = {"coordinator_address": coordinator_address, "num_processes": num_processes, "process_id": process_id}
    if all(v is None for v in given.values()):
        return False
    missing = [name for name, v in given.items() if v is None]
    if missing:
        raise ValueError(f"multi-process run needs coordinator_address, num_processes and process_id; "
                         f"missing {missing} (pass all three, or none for a single process)")
    if not 0 <= process_id < num_processes:
        raise ValueError(f"process_id must be in [0, num_processes={num_processes}); got {process_id}")
    jax.distributed.initialize(coordinator_address=coordinator_address, num_processes=num_processes,
                               process_id=process_id)
    return True
