"""Whether `--resume` continues the saved PPO run: same result-shaping settings, same data, same device split.

A checkpoint stores `run_identity` (the config, the dataset fingerprint, the devices the env batch splits
over); `check_resumable` compares it with the current run's and refuses, naming each differing field.
"""

from __future__ import annotations

import json
from typing import Any

from rlsel import parallel

# Result-neutral fields: chunks of updates equal one program bit for bit; the cache only skips work; DQN's
# settings are unused by a PPO run.
NEUTRAL = ("ppo.chunk_updates", "cache_dir", "dqn.")
DEVICE_NOTE = ("env_devices is how many devices the env batch is split over: sharded sums add in another "
               "order, so on another split training would not continue the same run; resume with the saved "
               "split (on a CPU, --host_devices=N)")


def run_identity(config: dict, fingerprint: str) -> dict:
    """What a PPO checkpoint records: the config, the dataset fingerprint, and the env split over devices."""
    return {**config, "dataset_fingerprint": fingerprint, "env_devices": parallel.env_split(config["ppo"]["num_envs"])}


def _flat(tree: dict, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one dict of dotted names (`ppo.lr`), values as they read back from JSON."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = json.loads(json.dumps(value))
    return out


def check_resumable(saved: dict, current: dict, where: str) -> None:
    """Refuse (ValueError) to resume the checkpoint at `where` when a result-shaping field differs, naming each."""
    old, new = _flat(saved), _flat(current)
    show = lambda values, k: repr(values[k]) if k in values else "nothing"
    differ = sorted(k for k in old.keys() | new.keys() if not k.startswith(NEUTRAL) and show(old, k) != show(new, k))
    if not differ:
        return
    fields = ", ".join(f"{k} (saved {show(old, k)}, now {show(new, k)})" for k in differ)
    note = f"; {DEVICE_NOTE}" if "env_devices" in differ else ""
    raise ValueError(f"--resume refused: the run saved in {where} differs in {fields}, and resuming would mix two "
                     f"runs{note}; resume with the saved settings, or start over without --resume")
