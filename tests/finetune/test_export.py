"""A finetuned model leaves as a Hugging Face folder and loads back with rlsel's loaders, predicting as before."""

import dataclasses
import json

import jax
import numpy as np
import pytest
from flax import traverse_util

from planted_text import TINY_BERT, TINY_LLAMA, tiny_bert_params, word_tokenizer, write_tiny_bert_folder
from rlsel.finetune.classifier import decoder_classifier, encoder_classifier
from rlsel.finetune.export import SavedClassifier, load_saved, save_classifier
from rlsel.models.hf_bert import load_hf_bert
from rlsel.models.llama import init_params

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
