"""The trainer learns a planted text task, stops early on the validation split, and trains only LoRA + head."""

import datasets
import jax
import numpy as np
import pytest
from flax import traverse_util

from planted_text import TINY_BERT, TINY_LLAMA, planted_dataset, tiny_bert_params, word_tokenizer
from rlsel.finetune.classifier import decoder_classifier, encoder_classifier
from rlsel.finetune.config import FinetuneConfig
from rlsel.finetune.params import merge_params, split_params
from rlsel.finetune.trainer import evaluate, finetune
from rlsel.metrics_log import MetricsLog, read_metrics
from rlsel.models.llama import init_params

FAST = FinetuneConfig(min_steps=60, max_steps=60, batch_size=16, learning_rate=3e-3, eval_every=20,
                      patience=3, max_length=16)


@pytest.fixture(scope="module")
def bert():
    return encoder_classifier("tiny-bert", TINY_BERT, tiny_bert_params(), word_tokenizer(), 2, jax.random.key(1),
                              dropout=0.0)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    return tmp_path_factory.mktemp("run")


@pytest.fixture(scope="module")
def trained(bert, logdir):
    with MetricsLog(logdir, "finetune") as log:
        return finetune(bert, planted_dataset(64, 0), planted_dataset(32, 1), FAST, jax.random.key(2), log=log)


def test_tiny_bert_beats_chance_on_planted_task(bert, trained):
    test = evaluate(bert, trained.params, planted_dataset(64, 2), FAST)
    assert test["accuracy"] >= 0.85 and test["macro_f1"] >= 0.85  # chance is 0.5
    untrained = evaluate(bert, bert.params, planted_dataset(64, 2), FAST)
    assert test["accuracy"] > untrained["accuracy"] + 0.2


def test_result_reports_the_best_validation_step(trained):
    assert trained.steps == trained.planned_steps == 60
    assert [h["step"] for h in trained.history] == [20, 40, 60]
    best = max(trained.history, key=lambda h: h["val_accuracy"])
    assert trained.val_accuracy == best["val_accuracy"] and trained.best_step == best["step"]
    assert trained.history[-1]["train_loss"] < trained.history[0]["train_loss"]


def test_every_step_logs_loss_and_learning_rate_and_evaluations_add_val_accuracy(trained, logdir):
    rows = read_metrics(logdir, "finetune")
    assert [row["step"] for row in rows] == list(range(1, 61))
    assert all(row["loss"] > 0 for row in rows)
    rates = [row["learning_rate"] for row in rows]
    assert rates[0] == 0 and max(rates) == pytest.approx(FAST.learning_rate) and rates[-1] < 0.01 * max(rates)
    evaluated = {row["step"]: row["val_accuracy"] for row in rows if "val_accuracy" in row}
    assert evaluated == {h["step"]: h["val_accuracy"] for h in trained.history}
    assert list((logdir / "tensorboard" / "finetune").glob("events.out.tfevents.*"))


def test_a_second_finetune_in_one_process_compiles_nothing_and_repeats_the_first(bert, trained):
    traces = []
    listener = lambda event, seconds, **_: traces.append(event) if event.endswith("jaxpr_trace_duration") else None
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        again = finetune(bert, planted_dataset(64, 0), planted_dataset(32, 1), FAST, jax.random.key(2))
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert traces == []  # the train step of these settings was traced and compiled by the first finetune
    assert again.history == trained.history
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(again.params), jax.tree.leaves(trained.params)))


def test_early_stopping_keeps_the_first_best_params(bert):
    frozen_lr = FinetuneConfig(min_steps=40, max_steps=40, batch_size=16, learning_rate=1e-9, eval_every=2,
                               patience=2, max_length=16)
    result = finetune(bert, planted_dataset(32, 0), planted_dataset(32, 1), frozen_lr, jax.random.key(0))
    assert result.steps == 6 and result.best_step == 2  # validation never improves after the first check
    assert [h["step"] for h in result.history] == [2, 4, 6]


def test_labels_out_of_range_are_rejected(bert):
    bad = datasets.Dataset.from_dict({"text": ["good movie", "bad movie"], "label": [0, 2]})
    with pytest.raises(ValueError, match="labels must lie"):
        finetune(bert, bad, bad, FAST, jax.random.key(0))


@pytest.fixture(scope="module")
def lora():
    classifier = decoder_classifier("tiny-llama", TINY_LLAMA, init_params(jax.random.key(0), TINY_LLAMA),
                                    word_tokenizer(), 2, jax.random.key(1), lora_rank=4, lora_dropout=0.1)
    config = FinetuneConfig(min_steps=6, max_steps=6, batch_size=8, learning_rate=1e-2, eval_every=3,
                            max_length=16)
    return classifier, finetune(classifier, planted_dataset(32, 0), planted_dataset(16, 1), config,
                                jax.random.key(2))


def _flat(tree):
    return traverse_util.flatten_dict(tree)


def test_lora_trainable_leaves_are_adapters_and_head(lora):
    classifier, result = lora
    trainable, frozen = split_params(classifier.params, classifier.trainable)
    names = {path[-1] for path in _flat(trainable["backbone"])}
    assert names == {"lora_a", "lora_b"} and "head" in trainable and "head" not in frozen
    assert _flat(result.trainable).keys() == _flat(trainable).keys()  # the checkpointed part
    assert "lm_head" not in classifier.params["backbone"]


def test_lora_training_updates_only_adapters_and_head(lora):
    classifier, result = lora
    before, after = _flat(classifier.params), _flat(result.params)
    assert before.keys() == after.keys()
    for path, value in before.items():
        changed = not np.array_equal(np.asarray(value), np.asarray(after[path]))
        assert changed == (path[-1] in ("lora_a", "lora_b") or path[0] == "head"), path
    assert np.abs(after[("backbone", "layers", "attn", "q", "lora_b")]).max() > 0  # B left zero-init


def test_merge_inverts_split(lora):
    classifier, _ = lora
    merged = merge_params(*split_params(classifier.params, classifier.trainable))
    assert jax.tree.structure(merged) == jax.tree.structure(classifier.params)
