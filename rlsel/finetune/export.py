"""A finetuned classifier as a Hugging Face folder, read back by the project's own loaders to label texts.

The folder holds `config.json` (the backbone's HF config with the sequence-classification architecture,
`id2label`/`label2id`, and an `rlsel` section: pooling and max_length), `model.safetensors` (the backbone
under HF names, LoRA adapters merged, plus the head under HF's name: `classifier.*` for BERT, `score.*` for
LLaMA; float32) and `tokenizer.json`. The backbone savers and loaders are rlsel.models'; this adds the head.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from pathlib import Path
from typing import Sequence

import datasets
import jax
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from rlsel.finetune.backbones import load_classifier, model_family
from rlsel.finetune.classifier import Classifier, EncoderClassifier
from rlsel.finetune.config import FinetuneConfig, ModelOptions
from rlsel.finetune.data import encode, eval_batches, length_buckets, pad
from rlsel.io import atomic_write, write_text
from rlsel.models.hf_bert import save_hf_bert
from rlsel.models.hf_llama import save_hf_llama

HEADS = {"bert": ("classifier", "BertForSequenceClassification"), "llama": ("score", "LlamaForSequenceClassification")}


@dataclasses.dataclass(frozen=True)
class SavedClassifier:
    """A classifier read from a saved folder (its `params` are the saved ones), its label names and the
    token length it was trained with."""

    classifier: Classifier
    class_names: tuple[str, ...]
    max_length: int

    def probabilities(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Class probabilities `[len(texts), num_classes]`, rows in input order."""
        ds = datasets.Dataset.from_dict({"text": list(texts), "label": [0] * len(texts)})
        data = encode(self.classifier.tokenizer, ds, self.max_length)
        out = np.zeros((len(texts), self.classifier.module.num_classes), np.float32)
        for rows in eval_batches(data.lengths, batch_size):
            ids, mask = pad(data, rows, batch_size, length_buckets(self.max_length))
            out[rows] = np.asarray(_softmax(self.classifier.module, self.classifier.params, ids, mask))[:len(rows)]
        return out


@functools.partial(jax.jit, static_argnums=0)
def _softmax(module, params, ids, mask):
    return jax.nn.softmax(module.apply({"params": params}, ids, mask), axis=-1)


def save_classifier(folder: str | os.PathLike, classifier: Classifier, params: dict, class_names: Sequence[str],
                    max_length: int) -> None:
    """Write `classifier` with `params` (e.g. a finetune's best) as the folder of the module docstring."""
    folder = Path(folder)
    family = "bert" if isinstance(classifier.module, EncoderClassifier) else "llama"
    (save_hf_bert if family == "bert" else save_hf_llama)(folder, classifier.module.config, params["backbone"])
    head, architecture = HEADS[family]
    weights = folder / "model.safetensors"
    tensors = {**load_file(weights), f"{head}.weight": np.ascontiguousarray(np.asarray(params["head"]["kernel"]).T),
               f"{head}.bias": np.asarray(params["head"]["bias"])}
    tensors = {name: np.asarray(value, np.float32) for name, value in tensors.items()}
    atomic_write(weights, lambda tmp: save_file(tensors, tmp, metadata={"format": "pt"}))
    hf = json.loads((folder / "config.json").read_text())
    pooling = classifier.module.pooling if family == "bert" else "last"
    hf.update(architectures=[architecture], id2label={str(i): name for i, name in enumerate(class_names)},
              label2id={name: i for i, name in enumerate(class_names)},
              rlsel={"pooling": pooling, "max_length": max_length})
    write_text(folder / "config.json", json.dumps(hf, indent=2))
    write_text(folder / "tokenizer.json", classifier.tokenizer.to_str())


def _saved_settings(folder: Path) -> tuple[dict, list[str]]:
    """The `rlsel` section and label names of a saved classifier's config.json, or a ValueError saying why not."""
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise ValueError(f"{folder} is not a saved model: it has no config.json; save one with "
                         "experiments/finetune.py --save_model")
    try:
        hf = json.loads(config_file.read_text())
        settings, id2label = hf["rlsel"], hf["id2label"]
        names = [id2label[str(i)] for i in range(len(id2label))]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{folder} is not a classifier saved by rlsel ({config_file} lacks a readable 'rlsel' "
                         f"section or id2label: {err!r}); save one with experiments/finetune.py --save_model") from err
    return settings, names


def load_saved(folder: str | os.PathLike, dtype: str = "auto") -> SavedClassifier:
    """Read a folder written by `save_classifier` with rlsel's own loaders, ready to label texts."""
    folder = Path(folder).expanduser()
    settings, names = _saved_settings(folder)
    family = model_family(str(folder))
    pooling = settings["pooling"] if family == "bert" else ModelOptions().pooling
    train = FinetuneConfig(max_length=settings["max_length"], dtype=dtype)
    classifier = load_classifier(str(folder), len(names), jax.random.key(0), train, ModelOptions(pooling=pooling))
    head_name = HEADS[family][0]
    with safe_open(folder / "model.safetensors", framework="numpy") as f:
        missing = {f"{head_name}.weight", f"{head_name}.bias"} - set(f.keys())
        if missing:
            raise ValueError(f"{folder}/model.safetensors has no classification head ({sorted(missing)})")
        head = {"kernel": f.get_tensor(f"{head_name}.weight").T, "bias": f.get_tensor(f"{head_name}.bias")}
    want = jax.tree.map(np.shape, classifier.params["head"])
    if jax.tree.map(np.shape, head) != want:
        raise ValueError(f"{folder}: the head's shapes {jax.tree.map(np.shape, head)} do not fit {len(names)} "
                         f"classes ({want})")
    params = {**classifier.params, "head": jax.tree.map(np.asarray, head)}
    return SavedClassifier(dataclasses.replace(classifier, params=params), tuple(names), settings["max_length"])
