"""Fixtures for the reference-kernel tests: a kernel, a SimpleNic, a loaded driver."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from netdevspec.reference import Kernel, Module, SimpleNic
from reftools import MAC, NicDriver


@pytest.fixture
def kernel() -> Kernel:
    """A fresh kernel."""
    return Kernel()


@pytest.fixture
def nic(kernel: Kernel) -> SimpleNic:
    """A SimpleNic at 0x300 on IRQ 5."""
    card = SimpleNic(mac=MAC, irq=5)
    kernel.attach_card(card, 0x300)
    return card


@pytest.fixture
def driver(kernel: Kernel, nic: SimpleNic) -> NicDriver:
    """The skeleton-style driver, loaded (its device registered as eth0, not up)."""
    drv = NicDriver(kernel)
    assert kernel.insmod(drv.module) == 0
    return drv


@pytest.fixture
def module_factory() -> Callable[..., Module]:
    """Make a module whose init/cleanup are the given callables (default: succeed)."""
    def make(name: str = "m", init: Callable[[], int] | None = None,
             cleanup: Callable[[], object] | None = None) -> Module:
        return Module(name, init_module=init or (lambda: 0), cleanup_module=cleanup)
    return make
