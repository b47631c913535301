"""The selection job end to end on a tiny local dataset: output schema, budgets, resume, bad input."""

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys

import datasets
import numpy as np
import pytest

from rlsel import checkpoint
from rlsel.cli import load_config_file
from rlsel.selectors.run import run_selection

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "experiments" / "configs"
FIELDS = ("method", "dataset", "dataset_fingerprint", "budget", "num_train", "num_selected", "indices",
          "clusters", "seed", "proxy_val_score", "timings", "config", "versions")
WORDS = {"pos": "great wonderful superb moving delightful", "neg": "dull awful boring tedious clumsy"}


@pytest.fixture(scope="module")
def dataset_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(400):
        label = "pos" if i % 2 else "neg"
        words = rng.choice(WORDS[label].split(), 3).tolist() + rng.choice(["film", "plot", "cast", "score"], 2).tolist()
        rows.append({"review": f"{' '.join(words)} {i}", "sentiment": label})
    path = tmp_path_factory.mktemp("data") / "reviews.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def tiny_config(c, dataset_file, cache_dir, method, **overrides):
    c.dataset, c.text_column, c.label_column = dataset_file, "review", "sentiment"
    c.method, c.budget, c.cache_dir = method, 0.1, str(cache_dir)
    c.prepare.embedder, c.prepare.num_clusters, c.prepare.per_cluster, c.prepare.val_size = "hash", 24, 8, 64
    c.proxy.dim = 16
    c.ppo.update(num_envs=4, num_steps=8, total_timesteps=4 * 8 * 4, num_minibatches=2, update_epochs=2,
                 hidden_size=16, chunk_updates=2)
    c.dqn.update(num_envs=4, total_timesteps=4 * 10 * 8, buffer_size=256, batch_size=16, learning_starts=32,
                 hidden_size=16)
    for key, value in overrides.items():
        c[key] = value
    return c


@pytest.mark.parametrize("method", ["random", "random_clusters", "greedy", "ppo", "dqn"])
def test_every_method_writes_the_contract(select_config, dataset_file, tmp_path, method):
    config = tiny_config(select_config, dataset_file, tmp_path / "cache", method)
    record = run_selection(config, tmp_path / "run", progress=False)
    saved = json.loads((tmp_path / "run" / "selection.json").read_text())
    assert all(field in saved for field in FIELDS) and saved["indices"] == record["indices"]
    assert 0 < saved["num_selected"] <= np.floor(0.1 * saved["num_train"]) + 1e-9
    assert len(set(saved["indices"])) == saved["num_selected"]
    lines = (tmp_path / "run" / "subset.jsonl").read_text().splitlines()
    subset = datasets.load_from_disk(str(tmp_path / "run" / "subset"))
    assert len(lines) == len(subset) == saved["num_selected"]
    assert json.loads(lines[0])["label"] in ("neg", "pos")
    if method != "random":  # cluster methods take every member of each chosen cluster
        assert saved["clusters"] and saved["proxy_val_score"] > 0
    assert not list((tmp_path / "run").glob(".*tmp*"))


def test_ppo_resume_matches_an_uninterrupted_run(select_config, dataset_file, tmp_path):
    config = tiny_config(select_config, dataset_file, tmp_path / "cache", "ppo")
    full = run_selection(config, tmp_path / "run", progress=False)
    ckpt = tmp_path / "run" / "checkpoints"
    assert checkpoint.latest_step(str(ckpt)) == 4
    shutil.rmtree(ckpt / "4")  # as if the run had stopped after the first chunk
    resumed = run_selection(config, tmp_path / "run", resume=True, progress=False)
    assert resumed["indices"] == full["indices"]
    assert resumed["curve"]["episode_return"] == full["curve"]["episode_return"]


def test_script_reports_bad_input_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "select.py"), f"--config={ROOT}/experiments/configs/select.py",
         f"--workdir={out}", f"--config.dataset={tmp_path}/missing.csv"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


@pytest.fixture(scope="module")
def single_ppo(dataset_file, tmp_path_factory):
    """The tiny PPO run in this process, on one device: the reference of the sharded runs."""
    cache = tmp_path_factory.mktemp("cache")
    config = tiny_config(load_config_file(CONFIGS / "select.py"), dataset_file, cache, "ppo")
    return config, cache, run_selection(config, tmp_path_factory.mktemp("one"), progress=False)


def select_script(dataset_file, cache, workdir, *flags):
    """experiments/select.py's command line for the tiny PPO config, plus `flags`."""
    overrides = [f"--config.{k}={v}" for k, v in {
        "dataset": dataset_file, "text_column": "review", "label_column": "sentiment", "method": "ppo",
        "budget": 0.1, "cache_dir": cache, "prepare.embedder": "hash", "prepare.num_clusters": 24,
        "prepare.per_cluster": 8, "prepare.val_size": 64, "proxy.dim": 16, "ppo.num_envs": 4, "ppo.num_steps": 8,
        "ppo.total_timesteps": 128, "ppo.num_minibatches": 2, "ppo.update_epochs": 2, "ppo.hidden_size": 16,
        "ppo.chunk_updates": 2}.items()]
    return [sys.executable, str(ROOT / "experiments" / "select.py"), f"--config={ROOT}/experiments/configs/select.py",
            f"--workdir={workdir}", *overrides, *flags]


CPU_ENV = {**os.environ, "JAX_PLATFORMS": "cpu"}


def test_script_on_two_host_devices_selects_as_one_device(single_ppo, dataset_file, tmp_path):
    config, cache, single = single_ppo
    out = tmp_path / "two"
    result = subprocess.run(select_script(dataset_file, cache, out, "--host_devices=2"), capture_output=True,
                            text=True, cwd=ROOT, timeout=600, env=CPU_ENV)
    assert result.returncode == 0, result.stderr[-2000:]
    sharded = json.loads((out / "selection.json").read_text())
    assert sharded["num_devices"] == 2 and single["num_devices"] == 1
    assert sharded["indices"] == single["indices"]
    np.testing.assert_allclose(sharded["curve"]["episode_return"], single["curve"]["episode_return"], atol=1e-5)
    # saved over 2 devices, resumed here on 1: the checkpoint is restored onto this process's layout
    shutil.rmtree(out / "checkpoints" / "4")
    resumed = run_selection(config, out, resume=True, progress=False)
    assert resumed["indices"] == single["indices"]
    np.testing.assert_allclose(resumed["curve"]["episode_return"], single["curve"]["episode_return"], atol=1e-5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_script_over_two_processes_selects_as_one_process(single_ppo, dataset_file, tmp_path):
    """Two processes on this host joined by jax.distributed (one device each, one shared workdir) train one
    sharded PPO run; process 0 alone writes, and the selection equals the single-process one."""
    _, cache, single = single_ppo
    out, address = tmp_path / "shared", f"localhost:{free_port()}"
    procs = [subprocess.Popen(select_script(dataset_file, cache, out, f"--coordinator_address={address}",
                                            "--num_processes=2", f"--process_id={i}"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=CPU_ENV)
             for i in range(2)]
    try:
        outputs = [p.communicate(timeout=600) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (stdout, stderr) in zip(procs, outputs):
        assert p.returncode == 0, stderr[-2000:]
    assert "wrote" in outputs[0][0] and "process 0 writes" in outputs[1][0]
    record = json.loads((out / "selection.json").read_text())
    assert record["num_devices"] == 2 and record["indices"] == single["indices"]
    np.testing.assert_allclose(record["curve"]["episode_return"], single["curve"]["episode_return"], atol=1e-5)
    assert sorted(p.name for p in out.iterdir()) == ["checkpoints", "selection.json", "subset", "subset.jsonl"]


def test_script_rejects_incomplete_multihost_flags(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "select.py"), f"--config={ROOT}/experiments/configs/select.py",
         f"--workdir={out}", "--coordinator_address=localhost:1234", "--num_processes=2"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 1
    assert "missing ['process_id']" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
