"""Tokenisation, bucketed batching and the classification metrics."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from planted_text import VOCAB, planted_dataset, word_tokenizer
from rlsel.finetune.data import encode, eval_batches, length_buckets, pad, train_batches
from rlsel.finetune.metrics import accuracy, macro_f1


def test_length_buckets_end_at_max_length():
    assert length_buckets(64) == (16, 32, 48, 64)
    assert length_buckets(40) == (16, 32, 40)


def test_encode_truncates_and_keeps_special_tokens():
    tokenizer = word_tokenizer()
    data = encode(tokenizer, planted_dataset(20, 0), max_length=6)
    assert data.lengths.max() == 6 and data.lengths.min() >= 5  # 4+ words plus [CLS]/[SEP], cut at 6
    assert all(x[0] == VOCAB["[CLS]"] and x[-1] == VOCAB["[SEP]"] for x in data.ids)
    assert tokenizer.truncation is None  # the caller's tokenizer is left untouched


def test_pad_picks_smallest_bucket_and_masks_padding():
    data = encode(word_tokenizer(), planted_dataset(8, 0), max_length=64)
    ids, mask = pad(data, np.array([0, 1]), batch_size=4, buckets=(8, 16, 64))
    assert ids.shape == (4, 16 if data.lengths[:2].max() > 8 else 8)
    assert mask.sum(1).tolist() == [data.lengths[0], data.lengths[1], 0, 0]
    assert np.array_equal(ids[0, : data.lengths[0]], data.ids[0])


def test_train_batches_are_full_and_use_every_example_once_per_epoch():
    lengths = np.random.default_rng(0).integers(1, 50, size=40)
    batches = train_batches(np.random.default_rng(1), lengths, batch_size=4, window=2)
    epoch = [next(batches) for _ in range(10)]  # 10 batches of 4 = one epoch of 40
    assert all(len(b) == 4 for b in epoch)
    assert sorted(np.concatenate(epoch).tolist()) == list(range(40))
    spread = np.mean([np.ptp(lengths[b]) for b in epoch])
    assert spread < np.ptp(lengths) / 2  # length grouping: rows of a batch have similar lengths


def test_train_batches_fill_a_batch_from_a_tiny_subset():
    batch = next(train_batches(np.random.default_rng(0), np.array([3, 5, 7]), batch_size=8))
    assert len(batch) == 8 and set(batch.tolist()) == {0, 1, 2}


def test_eval_batches_cover_each_row_once():
    rows = np.concatenate(list(eval_batches(np.array([5, 1, 3, 2, 4]), batch_size=2)))
    assert sorted(rows.tolist()) == [0, 1, 2, 3, 4]


def test_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    labels, preds = rng.integers(0, 4, 200), rng.integers(0, 3, 200)  # class 3 is never predicted
    assert accuracy(labels, preds) == pytest.approx(np.mean(labels == preds))
    assert macro_f1(labels, preds) == pytest.approx(f1_score(labels, preds, average="macro"))


def test_macro_f1_penalises_majority_guessing():
    labels = np.array([0] * 9 + [1])
    assert accuracy(labels, np.zeros(10, int)) == 0.9
    assert macro_f1(labels, np.zeros(10, int)) == pytest.approx((18 / 19) / 2)


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="shapes"):
        accuracy(np.zeros(3), np.zeros(4))
