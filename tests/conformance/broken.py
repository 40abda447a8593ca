"""Broken variants of the reference dummy driver, shared by the conformance tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netdevspec.reference.drivers import dummy

#: Makes a replacement method from the handle and the method it replaces.
Patch = Callable[[Any, Any], Any]


def patched(**methods: Patch) -> Any:
    """dummy's factory with some of the model's methods replaced (each gets the handle and
    the original method)."""
    def factory(handle: Any, instance: int = 0, **params: int) -> Any:
        model = dummy.FACTORY(handle, instance=instance, **params)
        for name, make in methods.items():
            setattr(model, name, make(handle, getattr(model, name)))
        return model
    return factory


def double_free(h: Any, orig: Any) -> Any:
    """hard_start_xmit frees each frame a second time (skb.use.alive)."""
    def xmit(skb: Any, dev: Any) -> int:
        rc = orig(skb, dev)
        h.dev_kfree_skb(skb, h.FREE_WRITE)
        return int(rc)
    return xmit


def leak(h: Any, orig: Any) -> Any:
    """hard_start_xmit accepts each frame and never frees it (mod.exit.buffers)."""
    def xmit(skb: Any, dev: Any) -> int:
        return 0
    return xmit
