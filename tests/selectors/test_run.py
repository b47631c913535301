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
from rlsel.jobs.select import run_selection
from rlsel.metrics_log import read_metrics

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "experiments" / "configs"
FIELDS = ("method", "dataset", "dataset_fingerprint", "budget", "num_train", "num_selected", "indices",
          "clusters", "seed", "proxy_val_score", "timings", "config", "versions")
LOGGED = {"ppo": {"stage", "step", "time", "episode_return", "proxy_score", "entropy", "approx_kl", "clip_frac",
                  "value_loss"},
          "dqn": {"stage", "step", "time", "episode_return", "loss", "q_value", "epsilon"}}
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


def test_ppo_on_the_swap_mdp_edits_a_full_subset_and_says_how_much_of_its_start_it_kept(select_config, dataset_file,
                                                                                          tmp_path):
    config = tiny_config(select_config, dataset_file, tmp_path / "cache", "ppo", mdp="swap", swap_fraction=0.25)
    config.prepare.chunk_size = 1
    saved = run_selection(config, tmp_path / "run", progress=False)
    start = saved["swap_start"]
    assert saved["num_selected"] == start["start_size"] == np.floor(0.1 * saved["num_train"])
    assert start["swaps"] == round(0.25 * start["start_size"])
    assert 1 - start["swaps"] / start["start_size"] <= start["kept"] < 1  # each swap moves at most one row
    assert len(saved["clusters"]) == start["start_size"]  # every region keeps one row
    assert not (tmp_path / "run" / "states.npz").exists()


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
    if method != "random":  # MDP methods name the clusters they took chunks from, and beat the empty set
        assert saved["clusters"] and saved["proxy_val_score"] > saved["proxy_empty_score"]
    assert not list((tmp_path / "run").glob(".*tmp*"))
    if method in ("ppo", "dqn"):  # learned methods log their training curve
        rows = read_metrics(tmp_path / "run", method)
        assert rows and all(LOGGED[method] <= row.keys() for row in rows)
        assert list((tmp_path / "run" / "tensorboard" / method).glob("events.out.tfevents.*"))
    if method == "ppo":  # 4 updates of 4 envs: every env's state after every update
        states = np.load(tmp_path / "run" / "states.npz")
        assert [row["step"] for row in rows] == [1, 2, 3, 4]
        assert states["taken"].shape == (16, 24) and states["taken"].dtype == np.float32
        assert ((states["taken"] >= 0) & (states["taken"] <= 1)).all() and states["taken"].any()
        assert states["update"].tolist() == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4
        assert states["score"].shape == (16,) and np.isfinite(states["score"]).all()
        assert states["pca"].shape == (16, 2) and states["pca"].std(0).min() > 0


def _cut_short(step_dir: pathlib.Path) -> None:
    """Damage a saved step as a disk error would: every array data file cut to 10 bytes."""
    for path in (step_dir / "state").rglob("d/*"):
        path.write_bytes(path.read_bytes()[:10])


@pytest.mark.parametrize("lose_last_step", [shutil.rmtree, _cut_short])
def test_ppo_resume_matches_an_uninterrupted_run(select_config, dataset_file, tmp_path, caplog, lose_last_step):
    config = tiny_config(select_config, dataset_file, tmp_path / "cache", "ppo")
    full = run_selection(config, tmp_path / "run", progress=False)
    ckpt = tmp_path / "run" / "checkpoints"
    assert checkpoint.latest_step(str(ckpt)) == 4
    lose_last_step(ckpt / "4")  # stopped after the first chunk, or its last save was damaged since
    full_states, full_rows = dict(np.load(tmp_path / "run" / "states.npz")), read_metrics(tmp_path / "run", "ppo")
    resumed = run_selection(config, tmp_path / "run", resume=True, progress=False)
    assert resumed["indices"] == full["indices"]
    assert resumed["curve"]["episode_return"] == full["curve"]["episode_return"]
    states = np.load(tmp_path / "run" / "states.npz")
    assert all(np.array_equal(states[name], full_states[name]) for name in full_states)
    rows = read_metrics(tmp_path / "run", "ppo")  # the log keeps steps 1-2 and appends 3-4 once more
    assert [row["step"] for row in rows] == [1, 2, 3, 4]
    assert [row["episode_return"] for row in rows] == [row["episode_return"] for row in full_rows]
    assert (lose_last_step is shutil.rmtree) != ("falling back to checkpoint step 2" in caplog.text)


@pytest.fixture(scope="module")
def finished_ppo(dataset_file, tmp_path_factory):
    """A finished tiny PPO workdir on a private copy of the dataset file, and its config."""
    root = tmp_path_factory.mktemp("finished")
    data = root / "reviews.jsonl"
    shutil.copy(dataset_file, data)
    config = tiny_config(load_config_file(CONFIGS / "select.py"), str(data), root / "cache", "ppo")
    return config, data, run_selection(config, root / "run", progress=False), root / "run"


@pytest.mark.parametrize("changes, named", [
    ({"seed": 1}, ["seed (saved 0, now 1)"]),
    ({"budget": 0.2, "ppo.total_timesteps": 256}, ["budget (saved 0.1, now 0.2)", "ppo.total_timesteps"]),
    ({"prepare.num_clusters": 12, "proxy.dim": 8}, ["prepare.num_clusters", "proxy.dim"]),
])
def test_resume_refuses_a_changed_config_naming_the_fields(finished_ppo, changes, named):
    config, _, _, workdir = finished_ppo
    changed = config.copy_and_resolve_references()
    for dotted, value in changes.items():
        group, _, name = dotted.rpartition(".")
        (changed[group] if group else changed)[name] = value
    with pytest.raises(ValueError, match="--resume refused") as err:
        run_selection(changed, workdir, resume=True, progress=False)
    assert all(field in str(err.value) for field in named)


def test_resume_refuses_changed_data_and_accepts_a_neutral_change(finished_ppo):
    config, data, full, workdir = finished_ppo
    neutral = config.copy_and_resolve_references()
    neutral.ppo.chunk_updates = 1
    assert run_selection(neutral, workdir, resume=True, progress=False)["indices"] == full["indices"]
    original = data.read_text()
    data.write_text(original + json.dumps({"review": "a late addition", "sentiment": "pos"}) + "\n")
    try:
        with pytest.raises(ValueError, match=r"--resume refused.* dataset_fingerprint \(saved '"):
            run_selection(config, workdir, resume=True, progress=False)
    finally:
        data.write_text(original)


@pytest.mark.parametrize("method, folder", [("random", "subset"), ("ppo", "checkpoints")])
def test_folders_the_tool_did_not_make_are_left_alone(select_config, dataset_file, tmp_path, method, folder):
    (tmp_path / "run" / folder).mkdir(parents=True)
    (tmp_path / "run" / folder / "notes.txt").write_text("mine")
    config = tiny_config(select_config, dataset_file, tmp_path / "cache", method)
    with pytest.raises(ValueError, match=f"{folder} exists and was not made by rlsel.*choose another --workdir"):
        run_selection(config, tmp_path / "run", progress=False)
    assert (tmp_path / "run" / folder / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "cache").exists()  # refused before any data work


def test_a_rerun_replaces_its_own_outputs_as_one_set(select_config, dataset_file, tmp_path):
    config = tiny_config(select_config, dataset_file, tmp_path / "cache", "random")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    first = run_selection(config, tmp_path / "run", progress=False)
    config.seed = 1
    second = run_selection(config, tmp_path / "run", progress=False)
    assert first["indices"] != second["indices"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["notes.txt", "selection.json", "subset",
                                                                    "subset.jsonl"]
    texts = [json.loads(line)["text"] for line in (tmp_path / "run" / "subset.jsonl").read_text().splitlines()]
    assert datasets.load_from_disk(str(tmp_path / "run" / "subset"))["text"] == texts
    assert json.loads((tmp_path / "run" / "selection.json").read_text())["indices"] == second["indices"]


def test_script_reports_bad_input_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "select.py"), f"--config={ROOT}/experiments/configs/select.py",
         f"--workdir={out}", f"--config.dataset={tmp_path}/missing.csv"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("flags, words", [
    (["--workdir={file}"], "error: --workdir {file} is a file, not a folder; choose a folder path"),
    (["--workdir=/proc/rlsel-run"], "error: --workdir /proc/rlsel-run is not writable"),
    (["--workdir={tmp}/run", "--config.budget=2"], "error: budget must be a fraction in (0, 1]; got 2.0"),
    (["--workdir={tmp}/run", "--config.proxy.kind=svm"], "error: proxy kind 'svm' is not one of"),
    (["--workdir={tmp}/run", "--config.ppo.lrr=1"], "error: no config field 'lrr' to override (did you mean 'lr'?)"),
])
def test_script_usage_errors_are_one_line_exit_2_before_any_work(tmp_path, flags, words):
    """The dataset does not exist either: these checks come first."""
    (tmp_path / "file").write_text("x")
    fill = lambda text: text.format(file=tmp_path / "file", tmp=tmp_path)
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "select.py"), f"--config={ROOT}/experiments/configs/select.py",
         f"--config.dataset={tmp_path}/missing.csv", f"--config.cache_dir={tmp_path}/cache", *map(fill, flags)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if not line.startswith(("W", "I"))]
    assert line.startswith(fill(words))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


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
    # saved over 2 devices, resumed here on 1: sharded sums would add in another order, so it is refused
    shutil.rmtree(out / "checkpoints" / "4")
    with pytest.raises(ValueError, match=r"env_devices \(saved 2, now 1\).*--host_devices"):
        run_selection(config, out, resume=True, progress=False)


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
    assert sorted(p.name for p in out.iterdir()) == ["checkpoints", "metrics.jsonl", "selection.json", "states.npz",
                                                     "subset", "subset.jsonl", "tensorboard"]
    assert [row["step"] for row in read_metrics(out, "ppo")] == [1, 2, 3, 4]  # written once, by process 0


def test_script_rejects_incomplete_multihost_flags(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "select.py"), f"--config={ROOT}/experiments/configs/select.py",
         f"--workdir={out}", "--coordinator_address=localhost:1234", "--num_processes=2"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 2
    assert "missing ['process_id']" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_diverged_ppo_run_stops_with_its_first_bad_update(select_config, dataset_file, tmp_path):
    config = tiny_config(select_config, dataset_file, tmp_path / "cache", "ppo")
    config.ppo.lr = float("nan")  # the first minibatch step makes every weight NaN
    with pytest.raises(ValueError, match="ppo diverged: the loss is not finite from update 1 on"):
        run_selection(config, tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "selection.json").exists()
