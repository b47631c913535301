"""Shared fixtures for the finetune tests: a planted, separable text dataset and tiny random models.

Each sentence is filler words with one cue word inserted; the cue's sentiment is the label, so a model
that learns to spot eight words classifies perfectly while chance is 50%.
"""

import json
import pathlib

import datasets
import jax
import jax.numpy as jnp
import numpy as np
from tokenizers import Tokenizer, models, pre_tokenizers, processors

from rlsel.models.bert import BertConfig, BertEncoder
from rlsel.models.hf_bert import save_hf_bert
from rlsel.models.llama import LlamaConfig

CUES = {"positive": ("good", "great", "superb", "lovely"), "negative": ("bad", "awful", "dull", "poor")}
FILLER = ("the", "movie", "was", "plot", "acting", "really", "quite", "film", "story", "a", "it", "and")
SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
VOCAB = {w: i for i, w in enumerate(SPECIALS + FILLER + CUES["positive"] + CUES["negative"])}
NAMES = ["negative", "positive"]

TINY_BERT = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                       intermediate_size=64, max_position_embeddings=64)
TINY_LLAMA = LlamaConfig(vocab_size=len(VOCAB), hidden_size=32, intermediate_size=48, num_layers=2, num_heads=4,
                         num_kv_heads=2, head_dim=8, max_positions=64)


def planted_records(n: int, seed: int) -> list[dict]:
    """`n` sentences with label names, balanced and shuffled."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        label = NAMES[i % 2]
        words = list(rng.choice(FILLER, size=rng.integers(3, 9)))
        words.insert(rng.integers(0, len(words) + 1), rng.choice(CUES[label]))
        records.append({"text": " ".join(words), "label": label})
    return [records[i] for i in rng.permutation(n)]


def planted_dataset(n: int, seed: int) -> datasets.Dataset:
    """The planted records as a `Dataset` with a ClassLabel `label`."""
    records = planted_records(n, seed)
    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=NAMES)})
    return datasets.Dataset.from_dict(
        {"text": [r["text"] for r in records], "label": [NAMES.index(r["label"]) for r in records]}, features)


def write_jsonl(path: pathlib.Path, n: int, seed: int) -> pathlib.Path:
    """A planted jsonl file (`text`, `label` name) of `n` rows."""
    path.write_text("".join(json.dumps(r) + "\n" for r in planted_records(n, seed)))
    return path


def word_tokenizer() -> Tokenizer:
    """Whitespace word-level tokenizer over the planted vocabulary, wrapping texts in [CLS] ... [SEP]."""
    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", VOCAB["[CLS]"]), ("[SEP]", VOCAB["[SEP]"])])
    return tokenizer


def tiny_bert_params(seed: int = 0) -> dict:
    """Random `BertEncoder` params of `TINY_BERT`."""
    ids = jnp.zeros((1, 4), jnp.int32)
    return jax.jit(BertEncoder(TINY_BERT).init)(jax.random.key(seed), ids, jnp.ones_like(ids))["params"]


def write_tiny_bert_folder(folder: pathlib.Path) -> pathlib.Path:
    """A Hugging Face-style BERT folder (config.json, model.safetensors, tokenizer.json) of the tiny model."""
    save_hf_bert(folder, TINY_BERT, tiny_bert_params())
    word_tokenizer().save(str(folder / "tokenizer.json"))
    return folder
