"""Static configuration of the proxy model that scores a candidate subset."""

from __future__ import annotations

import dataclasses

from rlsel.proxy.coverage import COVERAGE_KINDS

PROXY_KINDS = ("ridge", "linear", "mlp")
METRICS = ("accuracy", "neg_loss")


@dataclasses.dataclass(frozen=True)
class ProxyConfig:
    """kind: `ridge` (closed form from per-cluster Gram matrices; the default) or `linear`/`mlp` (Adam on xi).

    metric: `accuracy` or `neg_loss` on the validation subsample. `dim`: PCA dimension of the embeddings the
    proxy sees (0 keeps them whole). The Adam heads train `train_steps` full-batch steps from scratch each
    env step, or from the previous step's parameters when `warm_start`.
    """

    kind: str = "ridge"
    metric: str = "accuracy"
    dim: int = 64
    ridge_lambda: float = 1.0
    class_balanced: bool = False
    train_steps: int = 50
    learning_rate: float = 0.05
    weight_decay: float = 1e-4
    hidden: int = 64
    warm_start: bool = False
    coverage_weight: float = 0.0
    coverage_kind: str = "mean"

    def __post_init__(self):
        if self.kind not in PROXY_KINDS:
            raise ValueError(f"proxy kind '{self.kind}' is not one of {PROXY_KINDS}")
        if self.coverage_kind not in COVERAGE_KINDS:
            raise ValueError(f"proxy coverage_kind '{self.coverage_kind}' is not one of {COVERAGE_KINDS}")
        if self.metric not in METRICS:
            raise ValueError(f"proxy metric '{self.metric}' is not one of {METRICS}")
        if self.dim < 0 or self.train_steps < 1 or self.ridge_lambda <= 0 or self.coverage_weight < 0:
            raise ValueError("proxy dim must be >= 0, train_steps >= 1, ridge_lambda > 0 and coverage_weight >= 0")
