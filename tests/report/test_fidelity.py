"""Proxy fidelity (rlsel.report.fidelity): the three subset scores on planted data, and the job and script end to
end."""

import importlib.util
import json
import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest

from rlsel.data.pool import build_pool
from rlsel.data.prepare import PrepareConfig, Prepared
from rlsel.data.synthetic import planted_clusters
from rlsel.env.selection import SelectionEnvConfig
from rlsel.jobs.fidelity import run_fidelity
from rlsel.proxy import ProxyConfig
from rlsel.report import fidelity
from rlsel.selectors.context import make_context

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "experiments" / "proxy_fidelity.py"

def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

@pytest.fixture(scope="module")
def planted():
    """12 blobs labelled by a linear rule, 4 of them relabelled at random; 2 of 40 members kept per cluster."""
    p = planted_clusters(seed=3, num_noisy=4)
    pool = build_pool(p.assignments, p.train_y, p.centroids, 2, len(p.val_y), per_cluster=2, val_size=60, seed=0)
    prepared = Prepared(config=PrepareConfig(), splits=None, fingerprint="planted", class_names=["a", "b"],
                        train_x=p.train_x, train_y=p.train_y, val_x=p.val_x, val_y=p.val_y, pool=pool, timings={})
    return p, prepared

def _ctx(prepared, kind):
    proxy = ProxyConfig(kind=kind, dim=0, ridge_lambda=0.5, train_steps=100)
    return make_context(prepared, SelectionEnvConfig(budget=4 / 12, budget_mode="clusters", proxy=proxy))

@pytest.fixture(scope="module")
def ridge_episodes(planted):
    ctx = _ctx(planted[1], "ridge")
    masks, env = fidelity.random_episodes(ctx, jax.random.key(0), 12)
    return ctx, masks, env

def test_random_episodes_spend_the_budget_on_distinct_subsets(ridge_episodes):
    ctx, masks, env = ridge_episodes
    assert masks.shape == (12, 12) and (masks.sum(1) == 4).all()
    assert len({m.tobytes() for m in masks}) > 6
    proxy, data = ctx.env.proxy, ctx.env_params.data
    refit = [float(proxy.score_weights(proxy.fit_mask(m, data), data)) for m in masks]
    np.testing.assert_allclose(env, refit, atol=1e-6)  # the final env score is the subset's proxy score

def test_ridge_full_subset_score_is_least_squares_on_all_rows_and_full_validation(planted, ridge_episodes):
    p, _ = planted
    ctx, masks, env = ridge_episodes
    full = fidelity.full_subset_scores(ctx, masks, jax.random.key(1))
    for mask, score in zip(masks[:3], full[:3]):
        rows = ctx.prepared.pool.expand(np.flatnonzero(mask))
        x1 = np.c_[ctx.projection(p.train_x[rows]), np.ones(len(rows))].astype(np.float64)
        w = np.linalg.solve(x1.T @ x1 + 0.5 * np.eye(x1.shape[1]), x1.T @ np.eye(2)[p.train_y[rows]])
        predicted = (np.c_[ctx.projection(p.val_x), np.ones(len(p.val_x))] @ w).argmax(1)
        assert score == pytest.approx(np.mean(predicted == p.val_y), abs=1e-6)
    assert not np.allclose(full, env)  # 400 validation rows, not the 60-row subsample

def test_ranking_by_the_proxy_agrees_with_the_strong_model(planted, ridge_episodes):
    _, prepared = planted
    ctx, masks, env = ridge_episodes
    strong = fidelity.strong_scores(ctx, masks, max_iter=2000)
    noisy = masks.astype(int) @ planted[0].noisy.astype(int)
    assert fidelity.spearman(strong, -noisy) > 0.5  # more relabelled clusters, worse subsets
    assert fidelity.spearman(env, strong) > 0.5

def test_trained_proxy_full_subset_score_uses_every_member_row(planted):
    p, prepared = planted
    ctx = _ctx(prepared, "linear")
    clean = ~p.noisy
    masks = np.zeros((2, 12), bool)
    masks[0, np.flatnonzero(clean)[:4]] = True
    masks[1, np.flatnonzero(p.noisy)] = True
    full = fidelity.full_subset_scores(ctx, masks, jax.random.key(0))
    assert full[0] > 0.85 and full[0] > full[1] + 0.1

def test_strong_accuracy_handles_a_single_class_subset():
    x, y_val = np.array([[-2.0], [-1.0], [1.0], [2.0]]), np.array([0, 0, 1, 1])
    assert fidelity.strong_accuracy(x, np.ones(4, int), x, y_val, 100) == pytest.approx(0.5)
    assert fidelity.strong_accuracy(x, y_val, x, y_val[::-1], 100) == pytest.approx(0.0)

def test_spearman_is_undefined_for_constant_scores():
    assert fidelity.spearman(np.array([1.0, 2, 3]), np.array([0.5, 0.5, 0.5])) is None
    assert fidelity.spearman(np.array([1.0, 2, 3]), np.array([3.0, 2, 1])) == pytest.approx(-1.0)

@pytest.mark.slow
def test_script_writes_fidelity_json_on_tiny_data(tmp_path):
    planted_text = _load("planted_text", ROOT / "tests" / "finetune" / "planted_text.py")
    config = _load("config", ROOT / "experiments" / "configs" / "proxy_fidelity.py").get_config()
    config.dataset = str(planted_text.write_jsonl(tmp_path / "tiny.jsonl", 300, 0))
    config.update(cache_dir=str(tmp_path / "c"), budget=0.2, num_subsets=5, finetune_subsets=2)
    config.prepare.update(embedder="hash", num_clusters=10, per_cluster=8, val_size=20)
    config.proxy.update(kind="mlp", metric="accuracy")  # scores in [0, 1]
    config.finetune.model = str(planted_text.write_tiny_bert_folder(tmp_path / "bert"))
    config.finetune.train.update(min_steps=4, max_steps=4, batch_size=8, eval_every=2, max_length=16)
    record = run_fidelity(config, tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "fidelity.json").read_text())
    assert saved["K"] == 5 and saved["proxy"] == "mlp" and saved["config"]["num_subsets"] == 5
    for name in ("env_scores", "full_subset_scores", "strong_scores", "subset_sizes", "subset_clusters"):
        assert len(saved[name]) == 5
    assert all(0 <= s <= 1 for s in saved["env_scores"] + saved["full_subset_scores"] + saved["strong_scores"])
    assert all(0 < n <= 0.2 * record["num_train"] + 1e-6 for n in saved["subset_sizes"])
    for name in ("spearman_full_subset", "spearman_strong"):
        assert saved[name] is None or -1 <= saved[name] <= 1
    assert [f["num_train_examples"] for f in saved["finetune"]] == saved["subset_sizes"][:2]
    assert all(0 <= f["test_accuracy"] <= 1 for f in saved["finetune"]) and saved["spearman_finetune"] is None

@pytest.mark.slow
def test_script_reports_bad_config_without_traceback(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), f"--config={ROOT / 'experiments/configs/proxy_fidelity.py'}",
         f"--workdir={out}", "--config.num_subsets=2"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert "num_subsets must be >= 3" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
