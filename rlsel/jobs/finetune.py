"""The finetune job: resolve the data and model, train, test once, checkpoint, and write finetune.json.

`run_finetune(config, workdir)` is what experiments/finetune.py calls. Bad input (unknown model, missing
or mismatched selection, bad dataset, an unusable workdir) raises ValueError before anything is written;
`checkpoint/` (and with `save_model`, `model/`: a Hugging Face folder of the chosen params, see
rlsel/finetune/export.py) and `finetune.json` are staged and moved into place together, `finetune.json` last.
"""

from __future__ import annotations

import pathlib
import time

import jax
import ml_collections

from rlsel.checkpoint import save_checkpoint
from rlsel.data.holdout import seeded_test_rows, validation_halves
from rlsel.finetune.backbones import load_classifier
from rlsel.finetune.export import save_classifier
from rlsel.finetune.source import load_source, resolve_source
from rlsel.finetune.trainer import evaluate, finetune
from rlsel.jobs.settings import finetune_settings
from rlsel.metrics_log import MetricsLog
from rlsel.outputs import versions, write_json
from rlsel.workdir import check_workdir, commit, fresh_folder, staging


def run_finetune(config: ml_collections.ConfigDict, workdir: str | pathlib.Path, *, save_model: bool = False) -> dict:
    """Finetune `config.model` on the chosen train examples and write `workdir/finetune.json`; with `save_model`
    also `workdir/model/`, the params chosen on validation as a Hugging Face folder."""
    start = time.perf_counter()
    workdir = pathlib.Path(workdir)
    outputs = ["checkpoint", "model"] if save_model else ["checkpoint"]
    check_workdir(workdir, outputs)
    settings = finetune_settings(config)
    source = resolve_source(settings.selection, settings.dataset, settings.data)
    splits, train, fp = load_source(source)
    timings = {"load_s": time.perf_counter() - start}

    tick = time.perf_counter()
    init_key, train_key = jax.random.split(jax.random.key(settings.seed))
    names = splits["train"].features["label"].names
    classifier = load_classifier(settings.model, len(names), init_key, settings.train, settings.options)
    timings["model_s"] = time.perf_counter() - tick

    _, choice_rows = validation_halves(splits["validation"]["label"], source.data.split_seed)
    with MetricsLog(workdir, "finetune") as log:
        result = finetune(classifier, train, splits["validation"].select(choice_rows), settings.train, train_key,
                          log=log)
    timings["train_s"] = result.train_s
    tick = time.perf_counter()
    test_rows = seeded_test_rows(splits["test"]["label"], settings.train.test_rows, source.data.split_seed)
    test = evaluate(classifier, result.params, splits["test"].select(test_rows), settings.train)
    timings["test_s"] = time.perf_counter() - tick

    tick = time.perf_counter()
    checkpoint_dir, staged = workdir / "checkpoint", staging(workdir)
    fresh_folder(staged / "checkpoint")
    save_checkpoint(str(staged / "checkpoint"), result.best_step, result.trainable, settings.config)
    if save_model:
        fresh_folder(staged / "model")
        save_classifier(staged / "model", classifier, result.params, names, settings.train.max_length)
    timings["checkpoint_s"] = time.perf_counter() - tick

    record = {
        "model": settings.model,
        "model_family": settings.family,
        "dataset": source.data.dataset,
        "dataset_fingerprint": fp,
        "selection": source.selection,
        "method": source.method,
        "seed": settings.seed,
        "num_train_examples": len(train),
        "class_names": list(names),
        "test_accuracy": test["accuracy"],
        "test_macro_f1": test["macro_f1"],
        "val_accuracy": result.val_accuracy,  # on the validation rows the selection reward never reads
        "num_val_examples": len(choice_rows),
        "num_test_examples": len(test_rows),  # fewer than the test split's with train.test_rows
        "best_step": result.best_step,
        "steps": result.steps,
        "planned_steps": result.planned_steps,
        "step_s": round(result.step_s, 4),
        "wall_s": round(time.perf_counter() - start, 3),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "compute_dtype": settings.train.compute_dtype.name,
        "backend": jax.default_backend(),
        "checkpoint": str(checkpoint_dir / str(result.best_step)),
        "saved_model": str(workdir / "model") if save_model else None,
        "history": list(result.history),
        "config": settings.config,
        "versions": versions(),
    }
    write_json(staged / "finetune.json", record)
    commit(staged, [*outputs, "finetune.json"])
    return record
