"""Split a parameter tree into its trainable and frozen parts and join them again.

Gradients and optimizer state then cover only the trainable part (LoRA adapters and head for a decoder),
so frozen base weights cost neither backward work nor Adam moments.
"""

from __future__ import annotations

from flax import traverse_util


def split_params(params: dict, trainable: dict) -> tuple[dict, dict]:
    """`(trainable_part, frozen_part)`: nested dicts holding the leaves where the bool tree is True / False."""
    flat, mask = traverse_util.flatten_dict(params), traverse_util.flatten_dict(trainable)
    if flat.keys() != mask.keys():
        raise ValueError(f"the trainable mask does not match the params: {sorted(flat.keys() ^ mask.keys())[:3]}")
    pick = lambda keep: traverse_util.unflatten_dict({k: v for k, v in flat.items() if bool(mask[k]) == keep})
    return pick(True), pick(False)


def merge_params(trainable: dict, frozen: dict) -> dict:
    """The full parameter tree from its two parts (inverse of `split_params`)."""
    flat = {**traverse_util.flatten_dict(frozen), **traverse_util.flatten_dict(trainable)}
    return traverse_util.unflatten_dict(flat)
