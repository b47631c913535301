"""Scale-out: a PPO selection run sharded over 4 (host) devices equals the one-device run; helper contracts."""

import json
import os
import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from rlsel import parallel
from rlsel.agents.ppo import RunnerState

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter: the device count is fixed when jax starts.
CHILD = """
import json, sys
import jax, jax.numpy as jnp, numpy as np
sys.path.insert(0, "tests/env")
from test_selection import make_env
from rlsel import parallel
from rlsel.agents.ppo import PPOConfig, PPOHparams, make_ppo
from rlsel.agents.networks import greedy_policy_choice
from rlsel.selectors.decode import decode_episode

env, params, _ = make_env()
config = PPOConfig(num_envs=4, num_steps=8, total_timesteps=4 * 8 * 12, update_epochs=2, num_minibatches=2,
                   hidden_size=16)
hp = PPOHparams(lr=3e-3, gamma=1.0)
ppo = make_ppo(config, env, params)
init = jax.jit(ppo.init)
chunk = jax.jit(ppo.update_chunk, static_argnums=2)
mesh = parallel.env_mesh()

start = init(jax.random.key(0), hp)
single, _ = chunk(start, hp, config.num_updates)
placed = parallel.shard_envs(start, mesh, parallel.PPO_ENV_FIELDS)
sharded, _ = chunk(placed, hp, config.num_updates)
like = jax.eval_shape(ppo.init, jax.random.key(0), hp)
built = jax.jit(ppo.init, out_shardings=parallel.env_shardings(like, mesh, parallel.PPO_ENV_FIELDS))(
    jax.random.key(0), hp)

def greedy(runner):
    state, _ = decode_episode(env, params, greedy_policy_choice(ppo.network, runner.params), jax.random.key(1))
    return np.flatnonzero(np.asarray(state.selected)).tolist()

leaves = lambda tree: [np.asarray(x, np.float64) for x in jax.tree_util.tree_leaves(tree)]

# Many envs per device through the ridge proxy's solve, which maps over the batch per device.
many, length = 64, 6
def rewards(obs_state):
    def body(carry, key):
        obs, state = carry
        keys = jax.random.split(key, many)
        actions = jax.vmap(lambda k, m: jax.random.categorical(k, jnp.where(m, 0.0, -1e9)))(keys, obs.action_mask)
        obs, state, reward, _, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(keys, state, actions, params)
        return (obs, state), reward
    return jax.lax.scan(body, obs_state, jax.random.split(jax.random.key(2), length))[1]
reset = jax.jit(jax.vmap(env.reset, in_axes=(0, None)))(jax.random.split(jax.random.key(3), many), params)
step_rewards = jax.jit(rewards)
many_single = np.asarray(step_rewards(reset))
many_sharded = np.asarray(step_rewards(parallel.shard_envs(reset, mesh)))
try:
    parallel.shard_envs(jax.jit(make_ppo(PPOConfig(num_envs=6, num_steps=8, total_timesteps=48, num_minibatches=2),
                                         env, params).init)(jax.random.key(0), hp), mesh, parallel.PPO_ENV_FIELDS)
    indivisible = ""
except ValueError as err:
    indivisible = str(err)
selected = sharded.env.obs.selected
print(json.dumps({
    "num_devices": len(jax.devices()),
    "env_spec": str(selected.sharding.spec),
    "env_shard_devices": len({s.device for s in selected.addressable_shards}),
    "env_shard_shape": list(selected.addressable_shards[0].data.shape),
    "params_replicated": all(x.sharding.is_fully_replicated for x in jax.tree_util.tree_leaves(sharded.params)),
    "max_param_diff": max(float(np.abs(a - b).max()) for a, b in zip(leaves(single.params), leaves(sharded.params))),
    "param_change": max(float(np.abs(a - b).max()) for a, b in zip(leaves(single.params), leaves(start.params))),
    "greedy_single": greedy(single),
    "greedy_sharded": greedy(sharded),
    "indivisible_error": indivisible,
    "fitting_mesh_sizes": [None if m is None else int(m.devices.size)
                           for m in (parallel.fitting_env_mesh(n) for n in (8, 6, 1))],
    "many_envs_reward_diff": float(np.abs(many_single - many_sharded).max()),
    "many_envs_reward_spread": float(many_single.std()),
    "built_equals_placed": all(np.array_equal(a, b) for a, b in zip(leaves(built.env), leaves(placed.env)))
                           and built.env.obs.selected.sharding == placed.env.obs.selected.sharding,
}))
"""


@pytest.fixture(scope="module")
def four_devices():
    """The child's report: a tiny PPO run on one device and the same run with its envs on 4 devices."""
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_envs_are_split_over_four_devices(four_devices):
    assert four_devices["num_devices"] == 4
    assert four_devices["env_spec"] == str(P(parallel.ENV_AXIS))
    assert four_devices["env_shard_devices"] == 4 and four_devices["env_shard_shape"] == [1, 12]
    assert four_devices["params_replicated"]
    assert four_devices["built_equals_placed"]  # init jitted with env_shardings as out_shardings: same placement


def test_sharded_run_equals_single_device_run(four_devices):
    assert four_devices["param_change"] > 1e-3  # training moved the params: the comparison is not vacuous
    assert four_devices["max_param_diff"] < 1e-5
    assert four_devices["greedy_sharded"] == four_devices["greedy_single"]
    assert len(four_devices["greedy_single"]) == 3  # 25% of 12 equal clusters


def test_many_envs_per_device_step_alike_sharded(four_devices):
    # 16 envs per device through the ridge solve (its per-device map over the batch) match one device
    assert four_devices["many_envs_reward_spread"] > 0
    assert four_devices["many_envs_reward_diff"] < 1e-6


def test_fitting_mesh_uses_the_most_devices_that_split_the_envs(four_devices):
    assert four_devices["fitting_mesh_sizes"] == [4, 3, None]


def test_host_device_flags_replace_an_earlier_count():
    flags = parallel.host_device_flags("--xla_cpu_foo=1 --xla_force_host_platform_device_count=8", 2)
    assert flags == "--xla_cpu_foo=1 --xla_force_host_platform_device_count=2"
    assert parallel.host_device_flags("", 3) == "--xla_force_host_platform_device_count=3"
    with pytest.raises(ValueError, match="must be >= 0"):
        parallel.use_host_devices(-1)


def test_indivisible_env_batch_is_a_clear_error(four_devices):
    assert "not divisible by the 4 devices" in four_devices["indivisible_error"]
    assert "multiple of 4" in four_devices["indivisible_error"]


def test_env_shardings_split_only_the_env_fields():
    mesh = parallel.env_mesh()
    runner = RunnerState(params={"w": np.zeros((3, 3))}, opt_state=(), env={"obs": np.zeros((4, 5))},
                         rng=np.zeros(2), update_step=np.zeros(()))
    specs = parallel.env_shardings(runner, mesh, parallel.PPO_ENV_FIELDS)
    assert specs.env["obs"].spec == P(parallel.ENV_AXIS)
    assert specs.params["w"].spec == P() and specs.rng.spec == P()
    with pytest.raises(ValueError, match="not fields of RunnerState"):
        parallel.env_shardings(runner, mesh, ("envs",))


def test_distributed_initialize_only_when_given(monkeypatch):
    calls = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kwargs: calls.append(kwargs))
    assert parallel.maybe_initialize_distributed() is False and calls == []
    assert parallel.maybe_initialize_distributed("host:1234", 2, 1) is True
    assert calls == [{"coordinator_address": "host:1234", "num_processes": 2, "process_id": 1}]
    with pytest.raises(ValueError, match=r"missing \['process_id'\]"):
        parallel.maybe_initialize_distributed("host:1234", 2)
    with pytest.raises(ValueError, match="process_id must be in"):
        parallel.maybe_initialize_distributed("host:1234", 2, 2)


def test_envs_must_split_over_every_process(monkeypatch):
    """Over several processes no device may sit out (each process runs its share), so an uneven split fails."""
    devices = [jax.devices()[0]] * 4  # stands in for 4 devices of 2 processes
    monkeypatch.setattr(jax, "process_count", lambda: 2)
    assert parallel.fitting_env_mesh(8, devices).devices.size == 4
    with pytest.raises(ValueError, match="6 envs do not split evenly over the 4 devices of 2 processes"):
        parallel.fitting_env_mesh(6, devices)
