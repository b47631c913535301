"""rlsel: RL-guided data selection for language-model finetuning, in pure JAX.

`rlsel.select(texts, labels, budget=0.05, method="ppo")` selects from Python (see rlsel/api.py); it is
imported on first use, so `import rlsel` stays light.
"""

__version__ = "0.1.0"
__all__ = ["select"]


def __getattr__(name: str):
    if name == "select":
        from rlsel.api import select

        return select
    raise AttributeError(f"module 'rlsel' has no attribute {name!r}")
