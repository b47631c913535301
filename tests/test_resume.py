"""rlsel.resume: a resume is refused on any result-shaping difference, naming the fields; neutral ones pass."""

import pytest

from rlsel.resume import check_resumable

SAVED = {"seed": 0, "budget": 0.05, "cache_dir": "/a", "prepare": {"num_clusters": 200},
         "ppo": {"total_timesteps": 128, "chunk_updates": 25, "lr": 1e-3}, "dqn": {"lr": 5e-4},
         "dataset_fingerprint": "26ddcc02ced395de", "env_devices": 1}


def _with(**changes):
    out = {**SAVED, **{k: v for k, v in changes.items() if "." not in k}}
    for dotted, value in changes.items():
        if "." in dotted:
            group, name = dotted.split(".")
            out[group] = {**SAVED[group], name: value}
    return out


def test_neutral_differences_resume():
    check_resumable(SAVED, _with(**{"cache_dir": "/b", "ppo.chunk_updates": 5, "dqn.lr": 1.0}), "ckpt")


@pytest.mark.parametrize("changes, named", [
    ({"seed": 1}, "seed (saved 0, now 1)"),
    ({"budget": 0.1, "ppo.total_timesteps": 256}, "budget (saved 0.05, now 0.1), ppo.total_timesteps (saved 128"),
    ({"prepare.num_clusters": 100}, "prepare.num_clusters"),
    ({"dataset_fingerprint": "0000"}, "dataset_fingerprint (saved '26ddcc02ced395de', now '0000')"),
    ({"ppo.lr": 3e-4}, "ppo.lr"),
])
def test_result_shaping_differences_are_refused_by_name(changes, named):
    with pytest.raises(ValueError, match="--resume refused") as err:
        check_resumable(SAVED, _with(**changes), "ckpt")
    assert named in str(err.value) and "without --resume" in str(err.value)


def test_another_device_split_is_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"env_devices \(saved 1, now 2\).*sharded sums add in another order"):
        check_resumable(SAVED, _with(env_devices=2), "ckpt")


def test_a_checkpoint_without_the_new_fields_is_refused():
    old = {k: v for k, v in SAVED.items() if k != "dataset_fingerprint"}
    with pytest.raises(ValueError, match=r"dataset_fingerprint \(saved nothing, now '26ddcc02ced395de'\)"):
        check_resumable(old, SAVED, "ckpt")
