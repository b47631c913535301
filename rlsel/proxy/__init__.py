"""Proxy models that turn a chosen set of clusters into a validation score (the MDP's reward signal)."""

from rlsel.proxy.config import ProxyConfig
from rlsel.proxy.coverage import CoveredProxy
from rlsel.proxy.data import ProxyData, make_proxy_data
from rlsel.proxy.ridge import RidgeProxy
from rlsel.proxy.sgd import SGDProxy


def make_proxy(config: ProxyConfig, num_classes: int):
    """The proxy object for `config.kind` (plus coverage when `config.coverage_weight` > 0); all share
    init_carry / add / empty_score."""
    proxy = RidgeProxy(config) if config.kind == "ridge" else SGDProxy(config, num_classes)
    return CoveredProxy(proxy, config.coverage_weight, config.coverage_kind) if config.coverage_weight > 0 else proxy


__all__ = ["ProxyConfig", "ProxyData", "make_proxy_data", "make_proxy", "RidgeProxy", "SGDProxy", "CoveredProxy"]
