"""The run report on tiny select runs: every section from real data, or a sentence saying why it is absent."""

import json
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.image import imread

from rlsel.jobs.select import context_from_config, run_selection
from rlsel.report.projection import pca_2d
from rlsel.report.regions import build_up, regions, reward_score
from rlsel.report.run_report import write_report

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORDS = {"pos": "great wonderful superb moving delightful", "neg": "dull awful boring tedious clumsy"}


def write_dataset(path: pathlib.Path, n: int = 300) -> pathlib.Path:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        words = rng.choice(WORDS[label].split(), 3).tolist() + rng.choice(["film", "plot", "cast"], 2).tolist()
        rows.append({"text": f"{' '.join(words)} {i}", "label": label})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def tiny(config, dataset: pathlib.Path, cache: pathlib.Path, method: str):
    config.update(dataset=str(dataset), method=method, budget=0.1, cache_dir=str(cache))
    config.prepare.update(embedder="hash", num_clusters=12, per_cluster=8, val_size=64, reward_train=32)
    config.proxy.dim = 16
    config.ppo.update(num_envs=4, num_steps=8, total_timesteps=4 * 8 * 6, num_minibatches=2, update_epochs=2,
                      hidden_size=16, chunk_updates=3, decode_samples=2)
    return config


@pytest.fixture(scope="module")
def mdp_run(tmp_path_factory):
    """A tiny select run of an MDP method (random_clusters: chunks of clusters, no training): (workdir, record,
    context). The notebook tests report on a real PPO run."""
    from rlsel.cli import load_config_file

    root = tmp_path_factory.mktemp("runs")
    config = tiny(load_config_file(ROOT / "experiments" / "configs" / "select.py"),
                  write_dataset(root / "reviews.jsonl"), root / "cache", "random_clusters")
    record = run_selection(config, root / "mdp", progress=False)
    return root / "mdp", record, context_from_config(config)[0]


def write_training_logs(workdir: pathlib.Path, ctx, updates: int = 20, envs: int = 4) -> None:
    """metrics.jsonl and states.npz as a PPO run writes them: per-update metrics and sampled MDP states."""
    rng = np.random.default_rng(0)
    lines = [{"stage": "ppo", "step": u, "time": 0.0, "episode_return": 0.5 * u / updates, "entropy": 2.0 - u / updates}
             for u in range(1, updates + 1)]
    (workdir / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    chunks = np.asarray(ctx.env_params.num_chunks)
    taken = np.minimum(rng.integers(0, 3, (updates * envs, len(chunks))), chunks) / np.maximum(chunks, 1)
    np.savez(workdir / "states.npz", taken=taken.astype(np.float32), score=-taken.mean(1).astype(np.float32),
             update=np.repeat(np.arange(1, updates + 1), envs).astype(np.int32), pca=pca_2d(taken)[0])


@pytest.fixture
def random_run(mdp_run, tmp_path):
    """A record as the example-level `random` method writes it (no clusters, no curve), on the same data."""
    _, record, ctx = mdp_run
    indices = np.sort(np.random.default_rng(0).choice(len(ctx.prepared.train_y), record["num_selected"], False))
    record = {**{k: v for k, v in record.items() if k not in ("episode_return",)}, "method": "random",
              "indices": indices.tolist(), "clusters": None, "proxy_val_score": reward_score(ctx, indices)}
    (tmp_path / "selection.json").write_text(json.dumps(record))
    return tmp_path, record, ctx


def figures(workdir: pathlib.Path) -> list[pathlib.Path]:
    text = (workdir / "report.md").read_text()
    return [workdir / p for p in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)]


def assert_drawn(png: pathlib.Path) -> None:
    pixels = imread(png)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 300 and pixels[..., :3].std() > 0.05


def test_report_of_a_logged_cluster_run_shows_every_section_from_real_data(mdp_run):
    workdir, record, ctx = mdp_run
    write_training_logs(workdir, ctx)
    pngs = write_report(workdir, record, ctx)
    text = (workdir / "report.md").read_text()
    for heading in ("Learning curve", "Score per step", "The subset in embedding space", "Label mix", "Regions",
                    "Exploration during training", "Finetune"):
        assert f"## {heading}" in text
    assert "read from metrics.jsonl" in text and "this run was not finetuned" in text
    assert sorted(figures(workdir)) == pngs
    assert [p.stem for p in pngs] == ["embedding", "exploration", "label_mix", "learning", "regions", "score_per_step"]
    for png in pngs:
        assert_drawn(png)
    html = (workdir / "report.html").read_text()
    assert html.count("<img ") == len(pngs) and "Region " in html and not list(workdir.glob(".rlsel-run-*"))


def test_regions_partition_the_subset_and_rebuild_its_score(mdp_run):
    _, record, ctx = mdp_run
    ordered = regions(ctx, np.asarray(record["indices"]))
    assert sorted(np.concatenate([r.chosen for r in ordered]).tolist()) == record["indices"]
    assert {r.cluster for r in ordered} == set(record["clusters"])
    assert [r.contribution for r in ordered] == sorted((r.contribution for r in ordered), reverse=True)
    assert all(len(r.examples) == min(3, len(r.chosen)) and r.chosen_counts.sum() == len(r.chosen) for r in ordered)
    scores = build_up(ctx, ordered)
    assert len(scores) == len(ordered) + 1
    assert scores[-1] == pytest.approx(record["proxy_val_score"], abs=1e-4)


def test_random_report_says_why_sections_are_empty_and_groups_by_clusters(random_run):
    workdir, record, ctx = random_run
    pngs = write_report(workdir, record, ctx)
    assert [p.stem for p in pngs] == ["embedding", "label_mix", "regions", "score_per_step"]
    text = (workdir / "report.md").read_text()
    assert "trains no policy, so there is no learning curve" in text
    assert "only PPO runs save the states they explore" in text
    assert "this method picks examples, not clusters" in text and "Note:" not in text


def test_a_recorded_score_the_rebuilt_proxy_does_not_reproduce_is_flagged(random_run):
    workdir, record, ctx = random_run
    write_report(workdir, {**record, "proxy_val_score": record["proxy_val_score"] + 0.5}, ctx)
    assert "Read this report's proxy scores as relative" in (workdir / "report.md").read_text()


def test_a_cut_metrics_line_and_a_finetune_elsewhere_are_handled(random_run, tmp_path_factory):
    workdir, record, _ = random_run
    lines = [json.dumps({"stage": "ppo", "step": s, "time": 0.1 * s, "episode_return": 0.1 * s}) for s in range(5)]
    (workdir / "metrics.jsonl").write_text("\n".join(lines) + '\n{"stage": "ppo", "st')  # last line cut short
    finetune = {"model": "minilm", "test_accuracy": 0.8, "history": [{"step": 10, "train_loss": 0.5},
                                                                     {"step": 20, "train_loss": 0.3}]}
    finetune_dir = tmp_path_factory.mktemp("finetune")
    (finetune_dir / "finetune.json").write_text(json.dumps(finetune))
    pngs = write_report(workdir, record, None, "the data moved", finetune_dir=finetune_dir)
    text = (workdir / "report.md").read_text()
    assert "read from metrics.jsonl" in text and "could not be rebuilt: the data moved" in text
    assert "| test_accuracy | 0.8000 |" in text and "read from finetune.json" in text
    assert [p.name for p in pngs] == ["finetune.png", "learning.png"]


@pytest.mark.slow
def test_script_writes_a_report_and_refuses_a_folder_without_a_selection(random_run, tmp_path_factory):
    workdir, _, _ = random_run
    ok = subprocess.run([sys.executable, "experiments/report.py", f"--workdir={workdir}"], capture_output=True,
                        text=True, cwd=ROOT, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "report: wrote" in ok.stdout and len(figures(workdir)) == 4
    empty = tmp_path_factory.mktemp("empty")
    bad = subprocess.run([sys.executable, "experiments/report.py", f"--workdir={empty}"], capture_output=True,
                         text=True, cwd=ROOT, timeout=300)
    assert bad.returncode == 2 and "no selection.json" in bad.stderr and "Traceback" not in bad.stderr
    assert list(empty.iterdir()) == []
