"""experiments/finetune.py end to end on a tiny local model and jsonl dataset: outputs and bad input."""

import importlib.util
import json
import pathlib
import subprocess
import sys

import ml_collections
import pytest

from planted_text import write_jsonl, write_tiny_bert_folder
from rlsel.data.sources import load_splits
from rlsel.data.splits import fingerprint
from rlsel.finetune.backbones import model_family
from rlsel.jobs.finetune import run_finetune
from rlsel.metrics_log import read_metrics
from rlsel.workdir import MARKER

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = ROOT / "experiments" / "configs" / "finetune.py"
TINY_TRAIN = ["--config.train.min_steps=4", "--config.train.max_steps=4", "--config.train.batch_size=8",
              "--config.train.eval_every=2", "--config.train.max_length=16"]


def _script(workdir, *overrides):
    cmd = [sys.executable, str(ROOT / "experiments" / "finetune.py"), f"--config={CONFIG}",
           f"--workdir={workdir}", *TINY_TRAIN, *overrides]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    """A planted jsonl dataset, a tiny BERT folder, and a selection.json of 20 train rows of that dataset."""
    root = tmp_path_factory.mktemp("finetune")
    data = write_jsonl(root / "planted.jsonl", 200, 0)
    model = write_tiny_bert_folder(root / "bert")
    splits = load_splits(str(data))
    selection = {
        "method": "random", "dataset": str(data), "dataset_fingerprint": fingerprint(splits),
        "indices": list(range(0, 40, 2)), "class_names": splits["train"].features["label"].names,
        "config": {"text_column": "text", "label_column": "label", "hf_config": "",
                   "prepare": {"split_seed": 0, "val_fraction": 0.1, "test_fraction": 0.1}},
    }
    (root / "selection.json").write_text(json.dumps(selection))
    return root, data, model, selection


@pytest.fixture(scope="module")
def selected_run(assets):
    root, _, model, _ = assets
    workdir = root / "run_selected"
    proc = _script(workdir, f"--config.selection={root / 'selection.json'}", f"--config.model={model}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return workdir, json.loads((workdir / "finetune.json").read_text())


def test_script_writes_finetune_json_with_the_contract_fields(assets, selected_run):
    root, data, model, selection = assets
    workdir, record = selected_run
    assert record["model"] == str(model) and record["model_family"] == "bert"
    assert record["num_train_examples"] == 20 and record["steps"] == 4
    assert 0.0 <= record["test_accuracy"] <= 1.0 and 0.0 <= record["test_macro_f1"] <= 1.0
    assert 0.0 <= record["val_accuracy"] <= 1.0 and record["wall_s"] > 0
    assert record["dataset"] == str(data) and record["dataset_fingerprint"] == selection["dataset_fingerprint"]
    assert record["selection"] == str(root / "selection.json") and record["method"] == "random"
    assert record["seed"] == 0 and record["config"]["model"] == str(model) and "jax" in record["versions"]
    assert (workdir / "checkpoint" / str(record["best_step"])).is_dir()
    assert sorted(p.name for p in workdir.iterdir()) == ["checkpoint", "finetune.json", "metrics.jsonl",
                                                         "tensorboard"]  # no staging left
    assert [row["step"] for row in read_metrics(workdir, "finetune")] == [1, 2, 3, 4]
    assert (workdir / "checkpoint" / MARKER).is_file()


def test_a_rerun_replaces_its_own_checkpoint_and_record(assets, selected_run):
    root, _, model, _ = assets
    workdir, first = selected_run
    config = _config(selection=str(root / "selection.json"), model=str(model), seed=1)
    config.train.update(min_steps=2, max_steps=2, batch_size=8, eval_every=2, max_length=16)
    record = run_finetune(config, workdir)
    assert json.loads((workdir / "finetune.json").read_text())["seed"] == 1 and record["steps"] == 2
    assert sorted(p.name for p in (workdir / "checkpoint").iterdir()) == sorted([MARKER, str(record["best_step"])])


def test_a_checkpoint_folder_the_tool_did_not_make_is_left_alone(assets, tmp_path):
    root, _, model, _ = assets
    (tmp_path / "checkpoint").mkdir()
    (tmp_path / "checkpoint" / "weights.bin").write_text("mine")
    with pytest.raises(ValueError, match="checkpoint exists and was not made by rlsel"):
        run_finetune(_config(selection=str(root / "selection.json"), model=str(model)), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]


def test_script_unknown_model_is_a_one_line_error(assets):
    root = assets[0]
    workdir = root / "run_bad_model"
    proc = _script(workdir, "--config.model=gpt5")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: unknown model 'gpt5': use minilm, smollm2, or a folder "
                                                "with a Hugging Face config.json."]
    assert not workdir.exists()


def _config(**overrides) -> ml_collections.ConfigDict:
    spec = importlib.util.spec_from_file_location("finetune_config", CONFIG)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config()
    config.update(overrides)
    return config


@pytest.mark.parametrize("make_input, message", [
    (lambda root, model: dict(selection=str(root / "missing.json"), model=str(model)), "does not exist"),
    (lambda root, model: dict(selection=str(root / "selection.json"), model=str(model),
                              dataset="movie_sentences"), "differs from the dataset"),
    (lambda root, model: dict(selection=str(root / "stale.json"), model=str(model)), "fingerprint"),
    (lambda root, model: dict(selection=str(root / "list.json"), model=str(model)), "not a selection record"),
    (lambda root, model: dict(model=str(root)), "unknown model"),
])
def test_bad_input_raises_before_writing_anything(assets, tmp_path, make_input, message):
    root, _, model, selection = assets
    (root / "list.json").write_text("[1, 2]")
    (root / "stale.json").write_text(json.dumps({**selection, "dataset_fingerprint": "0123456789abcdef"}))
    with pytest.raises(ValueError, match=message):
        run_finetune(_config(**make_input(root, model)), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_model_family_reads_config_json(assets, tmp_path):
    assert model_family(str(assets[2])) == "bert" and model_family("smollm2") == "llama"
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(ValueError, match="model_type 'gpt2'"):
        model_family(str(tmp_path))
