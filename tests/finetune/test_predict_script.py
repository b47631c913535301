"""experiments/predict.py labels .txt and table files with the model a finetune run saved, and refuses bad input."""

import csv
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from planted_text import write_jsonl, write_tiny_bert_folder
from rlsel.cli import load_config_file
from rlsel.data.sources import load_splits
from rlsel.jobs.finetune import run_finetune
from rlsel.jobs.predict import run_predict

ROOT = pathlib.Path(__file__).resolve().parents[2]


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
