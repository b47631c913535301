"""Proxy models that turn a chosen set of clusters into a validation score (the MDP's reward signal)."""

from rlsel.proxy.config import ProxyConfig
from rlsel.proxy.data import ProxyData, make_proxy_data
from rlsel.proxy.ridge import RidgeProxy
from rlsel.proxy.sgd import SGDProxy


def make_proxy(config: ProxyConfig, num_classes: int):
    """The proxy object for `config.kind`; all share init_carry / add / empty_score."""
    if config.kind == "ridge":
        return RidgeProxy(config)
    return SGDProxy(config, num_classes)


__all__ = ["ProxyConfig", "ProxyData", "make_proxy_data", "make_proxy", "RidgeProxy", "SGDProxy"]
