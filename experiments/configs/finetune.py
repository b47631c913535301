"""Default configuration of experiments/finetune.py (override any field with --config.FIELD=VALUE).

Defaults are sized for a 2-core CPU: MiniLM on all 8k movie_sentences train sentences is 1 epoch of
255 steps at batch 32 and max_length 64. Subsets train for at least `min_steps` (see
rlsel/finetune/config.py for the budget rule).
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.selection = "full"  # path to a selection.json, or "full" for the whole train split
    c.dataset = ""  # with selection=full: built-in name, file path or hf:ID (empty: movie_sentences);
    # with a selection.json: leave empty (taken from the selection) or it must match
    c.text_column = "text"  # these and `prepare` apply with selection=full; a selection brings its own
    c.label_column = "label"
    c.hf_config = ""
    c.label_noise = 0.0  # flip this fraction of train labels (seeded by prepare.split_seed; val/test clean)
    c.encoding = "utf-8"  # codec of a local dataset file's text; e.g. latin-1 for files not saved as UTF-8
    c.prepare = ml_collections.ConfigDict(dict(split_seed=0, val_fraction=0.1, test_fraction=0.1))
    c.model = "minilm"  # minilm | smollm2 | PATH to a local HF folder (config.json model_type bert or llama)
    c.seed = 0

    c.train = ml_collections.ConfigDict(dict(
        epochs=1.0, min_steps=200, max_steps=2000, batch_size=32, learning_rate=1e-4, warmup_fraction=0.1,
        weight_decay=0.01, max_grad_norm=1.0, eval_every=100, patience=3, max_length=64,
        dtype="auto",  # auto: bfloat16 on GPU/TPU, float32 on CPU
    ))
    c.encoder = ml_collections.ConfigDict(dict(pooling="mean", dropout=0.1))  # minilm / bert folders
    c.lora = ml_collections.ConfigDict(dict(rank=8, alpha=16.0, dropout=0.05, learning_rate=1e-3))  # decoders
    return c
