"""A HF `tokenizers.Tokenizer` rebuilt from a GGUF file's `tokenizer.ggml.*` metadata (no hub download).

Supports the byte-level BPE family (`tokenizer.ggml.model == "gpt2"`). The SmolLM2 / StarCoder
pre-tokenizer splits every digit on its own before the GPT-2 byte-level split, as llama.cpp does.
"""

from __future__ import annotations

import os

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

from rlsel.models.gguf_llama import metadata, open_gguf

_CONTROL = 3  # llama.cpp token type of special tokens such as <|im_start|>
_DIGIT_SPLIT_PRE = ("smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva")


def _pre_tokenizer(pre: str | None) -> pre_tokenizers.PreTokenizer:
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    if pre in _DIGIT_SPLIT_PRE:
        return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
    if pre in (None, "default", "gpt2"):
        return byte_level
    known = ", ".join(("gpt2", *_DIGIT_SPLIT_PRE))
    raise ValueError(f"GGUF pre-tokenizer {pre!r} is not supported (known: {known})")


def gguf_tokenizer(path: str | os.PathLike | None = None) -> Tokenizer:
    """Byte-level BPE tokenizer of a GGUF file (default: SmolLM2); control tokens become special tokens."""
    reader = open_gguf(path)
    kind = metadata(reader, "tokenizer.ggml.model")
    if kind != "gpt2":
        raise ValueError(f"GGUF tokenizer model {kind!r} is not supported; only byte-level BPE ('gpt2')")
    tokens = metadata(reader, "tokenizer.ggml.tokens")
    types = metadata(reader, "tokenizer.ggml.token_type", [])
    merges = [tuple(m.split(" ", 1)) for m in metadata(reader, "tokenizer.ggml.merges")]
    tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tokenizer.pre_tokenizer = _pre_tokenizer(metadata(reader, "tokenizer.ggml.pre"))
    tokenizer.decoder = decoders.ByteLevel()
    special = [tokens[i] for i, kind in enumerate(types) if kind == _CONTROL]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    return tokenizer


def special_token_ids(path: str | os.PathLike | None = None) -> dict[str, int | None]:
    """`bos`, `eos`, `padding` and `unknown` token ids from the GGUF metadata (None where absent)."""
    reader = open_gguf(path)
    return {
        name: metadata(reader, f"tokenizer.ggml.{name}_token_id")
        for name in ("bos", "eos", "padding", "unknown")
    }
