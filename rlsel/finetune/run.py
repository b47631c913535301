"""The finetune job: resolve the data and model, train, test once, checkpoint, and write finetune.json.

`run_finetune(config, workdir)` is what experiments/finetune.py calls. Bad input (unknown model, missing
or mismatched selection, bad dataset, an unusable workdir) raises ValueError before anything is written;
`checkpoint/` and `finetune.json` are staged and moved into place together, `finetune.json` last.
"""

from __future__ import annotations

import dataclasses
import pathlib
import time

import jax
import ml_collections

from rlsel.checkpoint import save_checkpoint
from rlsel.data.holdout import validation_halves
from rlsel.finetune.backbones import load_classifier, model_family
from rlsel.finetune.config import FinetuneConfig, ModelOptions
from rlsel.finetune.source import load_source, resolve_source
from rlsel.finetune.trainer import evaluate, finetune
from rlsel.outputs import versions, write_json
from rlsel.workdir import check_workdir, commit, fresh_folder, staging


def finetune_config(config: ml_collections.ConfigDict, family: str) -> FinetuneConfig:
    """Typed train settings; decoders (LoRA) use `config.lora.learning_rate` instead of the full-model one."""
    fields = {f.name: config.train[f.name] for f in dataclasses.fields(FinetuneConfig)}
    if family == "llama":
        fields["learning_rate"] = config.lora.learning_rate
    return FinetuneConfig(**fields)


def model_options(config: ml_collections.ConfigDict) -> ModelOptions:
    """Typed head/adapter settings from `config.encoder` and `config.lora`."""
    return ModelOptions(pooling=config.encoder.pooling, dropout=config.encoder.dropout,
                        lora_rank=config.lora.rank, lora_alpha=config.lora.alpha, lora_dropout=config.lora.dropout)


def run_finetune(config: ml_collections.ConfigDict, workdir: str | pathlib.Path) -> dict:
    """Finetune `config.model` on the chosen train examples and write `workdir/finetune.json`."""
    start = time.perf_counter()
    workdir = pathlib.Path(workdir)
    check_workdir(workdir, ("checkpoint",))
    family = model_family(config.model)
    train_config, options = finetune_config(config, family), model_options(config)
    source = resolve_source(config)
    splits, train, fp = load_source(source)
    timings = {"load_s": time.perf_counter() - start}

    tick = time.perf_counter()
    init_key, train_key = jax.random.split(jax.random.key(config.seed))
    names = splits["train"].features["label"].names
    classifier = load_classifier(config.model, len(names), init_key, train_config, options)
    timings["model_s"] = time.perf_counter() - tick

    _, choice_rows = validation_halves(splits["validation"]["label"], source.data.split_seed)
    result = finetune(classifier, train, splits["validation"].select(choice_rows), train_config, train_key)
    timings["train_s"] = result.train_s
    tick = time.perf_counter()
    test = evaluate(classifier, result.params, splits["test"], train_config)
    timings["test_s"] = time.perf_counter() - tick

    tick = time.perf_counter()
    checkpoint_dir, staged = workdir / "checkpoint", staging(workdir)
    fresh_folder(staged / "checkpoint")
    save_checkpoint(str(staged / "checkpoint"), result.best_step, result.trainable, config.to_dict())
    timings["checkpoint_s"] = time.perf_counter() - tick

    record = {
        "model": config.model,
        "model_family": family,
        "dataset": source.data.dataset,
        "dataset_fingerprint": fp,
        "selection": source.selection,
        "method": source.method,
        "seed": config.seed,
        "num_train_examples": len(train),
        "class_names": list(names),
        "test_accuracy": test["accuracy"],
        "test_macro_f1": test["macro_f1"],
        "val_accuracy": result.val_accuracy,  # on the validation rows the selection reward never reads
        "num_val_examples": len(choice_rows),
        "best_step": result.best_step,
        "steps": result.steps,
        "planned_steps": result.planned_steps,
        "step_s": round(result.step_s, 4),
        "wall_s": round(time.perf_counter() - start, 3),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "compute_dtype": train_config.compute_dtype.name,
        "backend": jax.default_backend(),
        "checkpoint": str(checkpoint_dir / str(result.best_step)),
        "history": list(result.history),
        "config": config.to_dict(),
        "versions": versions(),
    }
    write_json(staged / "finetune.json", record)
    commit(staged, ["checkpoint", "finetune.json"])
    return record
