"""A finetuned model leaves as a Hugging Face folder, loads back with rlsel's loaders, and predict.py labels files."""

import csv
import dataclasses
import json
import pathlib
import subprocess
import sys

import jax
import numpy as np
import pytest
from flax import traverse_util

from planted_text import TINY_BERT, TINY_LLAMA, tiny_bert_params, word_tokenizer, write_jsonl, write_tiny_bert_folder
from rlsel.cli import load_config_file
from rlsel.finetune.classifier import decoder_classifier, encoder_classifier
from rlsel.finetune.export import SavedClassifier, load_saved, save_classifier
from rlsel.data.sources import load_splits
from rlsel.jobs.finetune import run_finetune
from rlsel.jobs.predict import run_predict
from rlsel.models.hf_bert import load_hf_bert
from rlsel.models.llama import init_params

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEXTS = ["the movie was good", "a dull plot", "it was really awful and the acting quite poor", "lovely"]


def _in_memory(classifier, params=None):
    """The classifier as it stands in memory, wrapped to predict like a loaded one."""
    params = classifier.params if params is None else params
    return SavedClassifier(dataclasses.replace(classifier, params=params), (), 16)


def test_an_encoder_classifier_round_trips_with_its_head_labels_and_tokenizer(tmp_path):
    classifier = encoder_classifier("tiny", TINY_BERT, tiny_bert_params(), word_tokenizer(), 3, jax.random.key(1),
                                    pooling="cls")
    save_classifier(tmp_path, classifier, classifier.params, ["neg", "neutral", "pos"], max_length=16)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"] and config["model_type"] == "bert"
    assert config["id2label"] == {"0": "neg", "1": "neutral", "2": "pos"} and config["label2id"]["pos"] == 2
    assert config["rlsel"] == {"pooling": "cls", "max_length": 16}
    _, backbone = load_hf_bert(tmp_path)  # the project's BERT loader reads the folder, head aside
    assert jax.tree.structure(backbone) == jax.tree.structure(classifier.params["backbone"])
    saved = load_saved(tmp_path)
    assert saved.class_names == ("neg", "neutral", "pos") and saved.max_length == 16
    np.testing.assert_allclose(saved.probabilities(TEXTS, batch_size=2), _in_memory(classifier).probabilities(TEXTS),
                               atol=1e-5)


def test_a_lora_decoder_is_saved_merged_and_predicts_as_before(tmp_path):
    classifier = decoder_classifier("tiny", TINY_LLAMA, init_params(jax.random.key(0), TINY_LLAMA),
                                    word_tokenizer(), 2, jax.random.key(1))
    flat = traverse_util.flatten_dict(classifier.params)
    keys = iter(jax.random.split(jax.random.key(2), len(flat)))
    flat = {path: jax.random.normal(next(keys), v.shape) * 0.1 if path[-1] == "lora_b" else v
            for path, v in flat.items()}  # trained adapters, so merging them matters
    params = traverse_util.unflatten_dict(flat)
    save_classifier(tmp_path, classifier, params, ["negative", "positive"], max_length=16)
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == ["LlamaForSequenceClassification"]
    saved = load_saved(tmp_path)
    np.testing.assert_allclose(saved.probabilities(TEXTS), _in_memory(classifier, params).probabilities(TEXTS),
                               atol=1e-5)


def test_a_folder_that_is_not_a_saved_classifier_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ValueError, match="has no config.json"):
        load_saved(tmp_path)
    folder = write_tiny_bert_folder(tmp_path / "bert")  # a plain backbone: no labels, no head
    with pytest.raises(ValueError, match="not a classifier saved by rlsel.*--save_model"):
        load_saved(folder)


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    """A tiny BERT finetuned on planted data by the job with save_model, and its test split as a jsonl file."""
    root = tmp_path_factory.mktemp("export")
    data = write_jsonl(root / "planted.jsonl", 200, 0)
    config = load_config_file(ROOT / "experiments" / "configs" / "finetune.py")
    config.dataset, config.model = str(data), str(write_tiny_bert_folder(root / "bert"))
    config.train.update(min_steps=6, max_steps=6, batch_size=8, eval_every=2, max_length=16, learning_rate=1e-3)
    record = run_finetune(config, root / "run", save_model=True)
    test = load_splits(str(data))["test"]
    names = test.features["label"].names
    (root / "test.jsonl").write_text("".join(json.dumps({"review": t, "gold": names[y]}) + "\n"
                                             for t, y in zip(test["text"], test["label"])))
    return root, record


def _predict(*args):
    return subprocess.run([sys.executable, str(ROOT / "experiments" / "predict.py"), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


def test_predict_py_labels_with_the_model_the_finetune_chose_and_tested(finetuned):
    root, record = finetuned
    model = root / "run" / "model"
    assert record["saved_model"] == str(model) and (model / "tokenizer.json").is_file()
    assert {"checkpoint", "finetune.json", "model"} <= {p.name for p in (root / "run").iterdir()}
    result = _predict(f"--model={model}", f"--input={root / 'test.jsonl'}", "--text_column=review",
                      f"--out={root / 'p.csv'}")
    assert result.returncode == 0, result.stderr[-2000:]
    with open(root / "p.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    gold = [json.loads(line) for line in (root / "test.jsonl").read_text().splitlines()]
    assert f"labelled {len(gold)} texts" in result.stdout and [int(r["row"]) for r in rows] == list(range(len(gold)))
    assert [r["text"] for r in rows] == [g["review"] for g in gold]
    assert all(0.5 <= float(r["probability"]) <= 1.0 for r in rows)
    assert np.mean([r["label"] == g["gold"] for r, g in zip(rows, gold)]) == pytest.approx(record["test_accuracy"])


def test_a_txt_file_is_one_text_per_line_blank_lines_skipped(finetuned):
    root, _ = finetuned
    (root / "texts.txt").write_text("the movie was good\n\n  \na dull plot\n")
    summary = run_predict(root / "run" / "model", root / "texts.txt", root / "t.jsonl")
    rows = [json.loads(line) for line in (root / "t.jsonl").read_text().splitlines()]
    assert summary["num_texts"] == 2 and sum(summary["label_counts"].values()) == 2
    assert [(r["row"], r["text"]) for r in rows] == [(0, "the movie was good"), (3, "a dull plot")]
    assert {r["label"] for r in rows} <= {"negative", "positive"}


@pytest.mark.parametrize("make_args, message", [
    (lambda root: (root / "run" / "model", root / "test.jsonl", root / "q.json"), "ending in one of"),
    (lambda root: (root / "bert", root / "test.jsonl", root / "q.csv"), "not a classifier saved by rlsel"),
    (lambda root: (root / "run" / "model", root / "test.jsonl", root / "q.csv"), "has no column 'text'"),
    (lambda root: (root / "run" / "model", root / "missing.txt", root / "q.csv"), "does not exist"),
])
def test_bad_input_is_refused_before_anything_is_written(finetuned, make_args, message):
    root, _ = finetuned
    with pytest.raises(ValueError, match=message):
        run_predict(*make_args(root), text_column="text" if "column" in message else "review")
    assert not list(root.glob("q.*"))
