"""rlsel: RL-guided data selection for language-model finetuning, in pure JAX."""

__version__ = "0.1.0"
