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
    c.text_column = "text"  # with selection=full: the file's or hub dataset's column of texts
    c.label_column = "label"  # with selection=full: the file's or hub dataset's column of labels
    c.hf_config = ""  # with selection=full and hf:ID: the hub dataset's configuration name
    c.label_noise = 0.0  # flip this fraction of train labels (seeded by prepare.split_seed; val/test clean)
    c.encoding = "utf-8"  # codec of a local dataset file's text; e.g. latin-1 for files not saved as UTF-8
    c.prepare = ml_collections.ConfigDict(dict(  # with selection=full: the splits (a selection brings its own)
        split_seed=0,  # seed of the train/validation/test split (and of label_noise)
        val_fraction=0.1,  # share of train carved out as the validation split (when the dataset has none)
        test_fraction=0.1,  # share of the data carved out as the test split (when the dataset has none)
    ))
    c.model = "minilm"  # minilm | smollm2 | PATH to a local HF folder (config.json model_type bert or llama)
    c.seed = 0  # seed of the head's initialisation, batch order and dropout

    c.train = ml_collections.ConfigDict(dict(
        epochs=1.0,  # passes over the training examples, within [min_steps, max_steps] steps
        min_steps=200,  # at least this many steps, so a small subset still trains
        max_steps=2000,  # at most this many steps, so the full split stays affordable
        batch_size=32,  # examples per step (and per evaluation batch)
        learning_rate=1e-4,  # AdamW peak learning rate (encoders; decoders take lora.learning_rate)
        warmup_fraction=0.1,  # share of the steps with linear warmup, before cosine decay to 0
        weight_decay=0.01,  # AdamW weight decay of the weight matrices
        max_grad_norm=1.0,  # global gradient-norm clip
        eval_every=100,  # steps between validation accuracies (and at the last step); the best params are kept
        patience=3,  # stop after this many validations without improvement
        max_length=64,  # tokens per text, longer texts truncated (train, validation and test)
        dtype="auto",  # auto: bfloat16 on GPU/TPU, float32 on CPU
        test_rows=0,  # test on a fixed stratified subset of about this many test rows (0: the whole test split)
    ))
    c.encoder = ml_collections.ConfigDict(dict(  # minilm / bert folders
        pooling="mean",  # mean | cls: how token states become the text's vector for the head
        dropout=0.1,  # dropout before the classification head
    ))
    c.lora = ml_collections.ConfigDict(dict(  # decoders (smollm2 / llama folders): LoRA adapters
        rank=8,  # adapter rank
        alpha=16.0,  # the adapters' update is scaled by alpha / rank
        dropout=0.05,  # dropout on the adapters' input
        learning_rate=1e-3,  # AdamW peak learning rate of the adapters and head
    ))
    return c
