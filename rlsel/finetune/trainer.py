"""Finetune a `Classifier` on a labelled `datasets.Dataset`, choosing params on the validation split only.

AdamW (decay on matrices only, global-norm clipping) with linear warmup and cosine decay to zero over
the steps of the budget rule (`config.num_train_steps`). Validation accuracy is measured every
`eval_every` steps and at the end; the best params are kept, and training stops early after `patience`
evaluations without improvement. The test split is never seen here: `evaluate` is called once, after.
Each step's loss and learning rate, and each validation accuracy, go to a metrics log and a progress bar.
"""

from __future__ import annotations

import dataclasses
import functools
import time

import datasets
import jax
import numpy as np
import optax
from absl import logging

from rlsel.finetune.classifier import Classifier
from rlsel.finetune.config import FinetuneConfig, num_train_steps
from rlsel.finetune.data import Encoded, encode, eval_batches, length_buckets, pad, train_batches
from rlsel.finetune.metrics import accuracy, classification_metrics
from rlsel.finetune.params import merge_params, split_params
from rlsel.metrics_log import MetricsLog
from rlsel.progress import bar as progress_bar


@dataclasses.dataclass(frozen=True)
class FinetuneResult:
    """The chosen params (full tree and its trainable part), when and how well they scored, and timings."""

    params: dict
    trainable: dict
    best_step: int
    val_accuracy: float
    steps: int
    planned_steps: int
    step_s: float
    train_s: float
    history: tuple[dict, ...]


def learning_rate_schedule(config: FinetuneConfig, total_steps: int) -> optax.Schedule:
    """Linear warmup over `warmup_fraction` of the steps (if any), then cosine decay to zero."""
    warmup = int(config.warmup_fraction * total_steps)
    if warmup:
        return optax.warmup_cosine_decay_schedule(0.0, config.learning_rate, warmup, total_steps, 0.0)
    return optax.cosine_decay_schedule(config.learning_rate, total_steps)


def make_optimizer(config: FinetuneConfig, total_steps: int) -> optax.GradientTransformation:
    """Clip to `max_grad_norm`, then AdamW on a warmup + cosine schedule; biases and norms are not decayed."""
    schedule = learning_rate_schedule(config, total_steps)
    decay_mask = lambda tree: jax.tree.map(lambda x: x.ndim >= 2, tree)
    return optax.chain(optax.clip_by_global_norm(config.max_grad_norm),
                       optax.adamw(schedule, weight_decay=config.weight_decay, mask=decay_mask))


def _train_step(module, optimizer, trainable, opt_state, frozen, ids, mask, labels, key):
    def loss_fn(t):
        logits = module.apply({"params": merge_params(t, frozen)}, ids, mask, deterministic=False,
                              rngs={"dropout": key})
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    loss, grads = jax.value_and_grad(loss_fn)(trainable)
    updates, opt_state = optimizer.update(grads, opt_state, trainable)
    return optax.apply_updates(trainable, updates), opt_state, loss


@functools.lru_cache(maxsize=4)
def _compiled_step(module, config: FinetuneConfig, total_steps: int):
    """`(optimizer, jitted train step)`, one per module and settings, so the finetunes of one process (the demo's,
    compare.py's) trace and compile each batch shape once."""
    optimizer = make_optimizer(config, total_steps)
    return optimizer, jax.jit(functools.partial(_train_step, module, optimizer))


@functools.partial(jax.jit, static_argnums=0)
def _predict_batch(module, params, ids, mask):
    return module.apply({"params": params}, ids, mask).argmax(-1)


def predict(classifier: Classifier, params: dict, data: Encoded, config: FinetuneConfig) -> np.ndarray:
    """Predicted class per example of `data`, in input order, from full-size padded batches."""
    preds = np.zeros(len(data.labels), np.int32)
    buckets = length_buckets(config.max_length)
    for rows in eval_batches(data.lengths, config.batch_size):
        ids, mask = pad(data, rows, config.batch_size, buckets)
        preds[rows] = np.asarray(_predict_batch(classifier.module, params, ids, mask))[: len(rows)]
    return preds


def evaluate(classifier: Classifier, params: dict, ds: datasets.Dataset, config: FinetuneConfig) -> dict:
    """`{"accuracy", "macro_f1"}` of `params` on `ds` (call it once on the test split, after training)."""
    data = encode(classifier.tokenizer, ds, config.max_length)
    return classification_metrics(data.labels, predict(classifier, params, data, config))


def _check_labels(classifier: Classifier, *parts: Encoded) -> None:
    num_classes = classifier.module.num_classes
    top = max(int(part.labels.max()) for part in parts)
    if top >= num_classes or min(int(part.labels.min()) for part in parts) < 0:
        raise ValueError(f"labels must lie in [0, {num_classes}); found up to {top}. Build the classifier "
                         "with the dataset's number of classes.")


def _host_copy(tree: dict) -> dict:
    return jax.tree.map(np.array, tree)


def _show(bar, point: dict, history: list[dict]) -> None:
    """Advance the bar one step, showing the latest loss and (once measured) validation accuracy."""
    latest = {"val_acc": f"{history[-1]['val_accuracy']:.4f}"} if history else {}
    bar.set_postfix(loss=f"{point['loss']:.4f}", **latest, refresh=False)
    bar.update(1)


def finetune(classifier: Classifier, train: datasets.Dataset, validation: datasets.Dataset,
             config: FinetuneConfig, key: jax.Array, *, log: MetricsLog | None = None,
             progress: bool = True) -> FinetuneResult:
    """Train per the module docstring and return the params that scored best on `validation`. Every step's loss
    and learning rate, and each validation accuracy, go to `log` and to a progress bar."""
    train_data = encode(classifier.tokenizer, train, config.max_length)
    val_data = encode(classifier.tokenizer, validation, config.max_length)
    _check_labels(classifier, train_data, val_data)
    total = num_train_steps(len(train_data.labels), config)
    optimizer, step_fn = _compiled_step(classifier.module, config, total)
    schedule = learning_rate_schedule(config, total)
    log = log or MetricsLog(None, "finetune")
    trainable, frozen = split_params(classifier.params, classifier.trainable)
    opt_state = optimizer.init(trainable)
    order_key, dropout_key = jax.random.split(key)
    rng = np.random.default_rng(np.asarray(jax.random.key_data(order_key)))
    batches = train_batches(rng, train_data.lengths, config.batch_size)
    buckets = length_buckets(config.max_length)

    best, best_step, best_acc, stale = _host_copy(trainable), 0, -1.0, 0
    history, step_times, losses = [], [], []
    start = time.perf_counter()
    bar = progress_bar(total, "finetune", "step", enabled=progress)
    for step in range(1, total + 1):
        rows = next(batches)
        ids, mask = pad(train_data, rows, config.batch_size, buckets)
        tick = time.perf_counter()
        trainable, opt_state, loss = step_fn(trainable, opt_state, frozen, ids, mask, train_data.labels[rows],
                                             jax.random.fold_in(dropout_key, step))
        losses.append(float(loss))
        step_times.append(time.perf_counter() - tick)
        point = {"loss": losses[-1], "learning_rate": float(schedule(step - 1))}
        if step % config.eval_every and step < total:
            log.write(step, point)
            _show(bar, point, history)
            continue
        acc = accuracy(val_data.labels, predict(classifier, merge_params(trainable, frozen), val_data, config))
        history.append({"step": step, "train_loss": float(np.mean(losses)), "val_accuracy": acc})
        log.write(step, {**point, "train_loss": history[-1]["train_loss"], "val_accuracy": acc})
        _show(bar, point, history)
        logging.info("step %d/%d  train_loss %.4f  val_accuracy %.4f", step, total, history[-1]["train_loss"], acc)
        losses = []
        if acc > best_acc:
            best, best_step, best_acc, stale = _host_copy(trainable), step, acc, 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    bar.close()
    log.flush()
    return FinetuneResult(params=merge_params(best, frozen), trainable=best, best_step=best_step,
                          val_accuracy=best_acc, steps=step, planned_steps=total,
                          step_s=float(np.median(step_times)), train_s=time.perf_counter() - start,
                          history=tuple(history))
