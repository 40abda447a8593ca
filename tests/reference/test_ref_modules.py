"""Loadable modules against api-facts MOD-1..MOD-3 and the end-of-life duties."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from netdevspec.reference import (
    EBUSY,
    EEXIST,
    ENODEV,
    ENOENT,
    MOD_LIVE,
    MOD_UNLOADED,
    Device,
    Kernel,
    Module,
    PacketType,
)


def test_insmod_runs_init_with_use_count_raised(kernel: Kernel,
                                               module_factory: Callable[..., Module]) -> None:
    """MOD-1: insmod calls init_module as the module, with the use count raised by 1 while
    it runs; 0 leaves the module live."""
    seen: list[tuple[object, int, str]] = []
    m = module_factory("m")
    m.init_module = lambda: seen.append((kernel.current, m.use_count, m.state)) or 0
    assert kernel.insmod(m) == 0
    assert seen == [(m, 1, "initializing")]
    assert m.state == MOD_LIVE and m.use_count == 0 and kernel.modules == {"m": m}


@pytest.mark.parametrize("rc", [-ENODEV, -5, 1])
def test_failed_init_gives_ebusy(kernel: Kernel, module_factory: Callable[..., Module],
                                 rc: int) -> None:
    """MOD-1: sys_init_module maps every non-zero init_module result to -EBUSY; the module
    is unloaded again."""
    m = module_factory("m", init=lambda: rc)
    assert kernel.insmod(m) == -EBUSY
    assert m.state == MOD_UNLOADED and kernel.modules == {}


def test_failed_init_reports_what_it_kept(kernel: Kernel,
                                          module_factory: Callable[..., Module]) -> None:
    """MOD-1, MOD-2: a module whose init fails must have released what it claimed."""
    def init() -> int:
        kernel.request_region(0x300, 32, "leaky")
        return -ENODEV
    assert kernel.insmod(module_factory("m", init=init)) == -EBUSY
    assert kernel.misuse_kinds() == ["leak_region"]
    assert len(kernel.regions) == 1  # left as 2.0 would


def test_insmod_twice(kernel: Kernel, module_factory: Callable[..., Module]) -> None:
    """MOD-1: loading a module that is already loaded answers -EEXIST."""
    m = module_factory("m")
    assert kernel.insmod(m) == 0
    assert kernel.insmod(m) == -EEXIST
    assert kernel.insmod(module_factory("m")) == -EEXIST
    assert kernel.misuse_kinds() == ["insmod_loaded", "insmod_loaded"]


def test_rmmod_refused_while_in_use(kernel: Kernel, module_factory: Callable[..., Module]) -> None:
    """MOD-2, MOD-3: rmmod answers -EBUSY while the use count is non-zero; cleanup_module
    runs only once the count is back to 0."""
    cleaned: list[object] = []
    m = module_factory("m", cleanup=lambda: cleaned.append(kernel.current))
    kernel.insmod(m)
    kernel.mod_inc_use_count(m)
    assert kernel.mod_in_use(m)
    assert kernel.rmmod("m") == -EBUSY and cleaned == [] and m.state == MOD_LIVE
    kernel.mod_dec_use_count(m)
    assert kernel.rmmod("m") == 0 and cleaned == [m] and m.state == MOD_UNLOADED
    assert kernel.rmmod("m") == -ENOENT


def test_use_count_macros(kernel: Kernel, module_factory: Callable[..., Module]) -> None:
    """MOD-3: MOD_INC/DEC_USE_COUNT act on the running module and are no-ops for the
    kernel; going below zero is recorded and, as in 2.0, blocks rmmod."""
    m = module_factory("m")
    kernel.insmod(m)
    kernel.mod_inc_use_count()
    assert m.use_count == 0
    with kernel.running(m):
        kernel.mod_inc_use_count()
        kernel.mod_dec_use_count()
        kernel.mod_dec_use_count()
    assert m.use_count == -1
    assert kernel.misuse_kinds() == ["mod_dec_below_zero"]
    assert kernel.rmmod("m") == -EBUSY


def test_leaks_at_unload_are_recorded_not_freed(kernel: Kernel,
                                                 module_factory: Callable[..., Module]) -> None:
    """MOD-2 (mod.exit.*): what a module still holds after cleanup_module is recorded per
    kind and left in place, as 2.0 would."""
    m = module_factory("m")
    kernel.insmod(m)
    with kernel.running(m):
        kernel.register_netdev(Device("leak0", init=lambda d: 0))
        kernel.request_irq(7, lambda i, d, r: None, 0, "leak", None)
        kernel.request_region(0x300, 32, "leak")
        kernel.request_dma(1, "leak")
        skb = kernel.alloc_skb(10)
        q = kernel.skb_queue_head_init()
        other = kernel.alloc_skb(10)
        assert skb is not None and other is not None
        kernel.skb_queue_tail(q, other)
        kernel.dev_add_pack(PacketType(0x1234, lambda s, d, p: None))
    assert kernel.rmmod("m") == 0
    assert kernel.misuse_kinds() == ["leak_device", "leak_irq", "leak_region", "leak_dma",
                                     "leak_skb", "leak_skb", "leak_queue", "leak_packet_type"]
    assert all(x.module == "m" for x in kernel.misuse)
    assert kernel.dev_get("leak0") is not None and kernel.irq_actions(7)
    assert kernel.dma_claim(1) is not None and skb.alive


def test_callbacks_run_as_the_owning_module(kernel: Kernel,
                                            module_factory: Callable[..., Module]) -> None:
    """MOD-1, CB-2: a device registered in init_module belongs to the module; the kernel
    runs its callbacks as that module."""
    who: list[object] = []
    dev = Device("d0", init=lambda d: who.append(kernel.current) or 0,
                 open=lambda d: who.append(kernel.current) or 0,
                 stop=lambda d: who.append(kernel.current))
    m = module_factory("m", init=lambda: kernel.register_netdev(dev),
                       cleanup=lambda: kernel.unregister_netdev(dev))
    assert kernel.insmod(m) == 0
    assert dev.owner is m
    assert kernel.dev_open(dev) == 0
    kernel.dev_close(dev)
    assert kernel.rmmod("m") == 0
    assert who == [m, m, m] and kernel.misuse == []


def test_running_an_unloaded_module(kernel: Kernel) -> None:
    """MOD-2: code of a module that is not loaded must not run."""
    with kernel.running(Module("ghost")):
        pass
    assert kernel.misuse_kinds() == ["module_not_loaded"]


def test_module_needs_a_name() -> None:
    """MOD-1: a module is named (rmmod and the records use the name)."""
    with pytest.raises(ValueError, match="non-empty str"):
        Module("")
