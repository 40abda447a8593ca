"""The callback-return and end-of-life rules admit what 2.0.1's drivers legitimately do.

Each legitimate variant of :mod:`netdevspec.reference.drivers.variants` (IRQ and DMA
claimed at probe and freed in cleanup_module, as ne.c/wd.c do; a DMA channel claimed at
probe before the IRQ open claims, as lance.c does; a stop that leaves tbusy clear, as
8390.c's ei_close does) goes through the same life under the spec monitor: insmod,
ifconfig up, a frame out, a frame in, down, up again, down, rmmod. It must get no finding,
leave no misuse in the kernel and hold nothing afterwards. The buggy variant (IRQ and DMA
claimed in open and kept over stop) must still be caught by cb.stop.irq and cb.stop.dma.
"""

from __future__ import annotations

import pytest
from drivertools import MAC_A, PEER, Sink, device_of, eth_frame, load, out_frame
from netdevspec.conformance.monitor import SpecMonitor
from netdevspec.reference import EAGAIN, Kernel, SharedMemory, SimpleNic
from netdevspec.reference.drivers import DriverFactory
from netdevspec.reference.drivers.skeleton import Skeleton
from netdevspec.reference.drivers.variants import (
    VARIANTS,
    OpenIrqKept,
    ProbeClaims,
    ProbeDma,
    SharedMem,
    Watchdog,
)


def life(factory: DriverFactory) -> tuple[Kernel, SpecMonitor, list[int]]:
    """Run one driver through its life under the monitor; the open return codes."""
    k = Kernel()
    nic = k.attach_card(SimpleNic(mac=MAC_A, irq=5), 0x300)
    sink = Sink(k)
    mon = SpecMonitor(k).attach()
    dm = load(k, factory, monitor=mon, io=0x300, irq=5, dma=3)
    mon.modules = {dm.module.name}
    dev = device_of(dm)
    mon.see_device(dev)
    opens = []
    for _ in range(2):
        opens.append(k.dev_open(dev))
        k.dev_queue_xmit(out_frame(k, dev, b"out"), dev, 0)
        nic.push_frame(eth_frame(MAC_A, PEER, payload=b"in"))
        k.dev_close(dev)
    assert k.rmmod(dm.module) == 0
    sink.remove()
    return k, mon, opens


@pytest.mark.parametrize("factory", [Skeleton, ProbeClaims, ProbeDma, Watchdog, SharedMem],
                         ids=["skeleton", "probe-claims", "probe-dma", "watchdog", "shared-mem"])
def test_a_legitimate_variant_gets_no_finding(factory: DriverFactory) -> None:
    k, mon, opens = life(factory)
    assert opens == [0, 0]
    assert [(f.rule, f.message) for f in mon.findings] == []
    assert k.misuse == []
    # The rules this issue relaxed were evaluated, not skipped.
    for rid in ("cb.stop.irq", "cb.stop.dma", "cb.stop.status", "mod.exit.irqs",
                "mod.exit.dma"):
        assert mon.exercised[rid] >= 1, rid


def test_the_probe_time_claims_are_held_while_down_and_freed_at_rmmod() -> None:
    """ProbeClaims really keeps its line over ifconfig down (else the test proves nothing)."""
    k = Kernel()
    k.attach_card(SimpleNic(mac=MAC_A, irq=5), 0x300)
    dm = load(k, ProbeClaims, io=0x300, irq=5, dma=3)
    dev = device_of(dm)
    assert [a.owner for a in k.irq_actions(5)] == [dm.module]
    k.dev_open(dev)
    k.dev_close(dev)
    assert [a.owner for a in k.irq_actions(5)] == [dm.module]
    assert k.dma_claim(3) is not None and dev.tbusy == 0 and dev.start == 0
    assert k.rmmod(dm.module) == 0
    assert k.irq_actions(5) == () and k.dma_claim(3) is None


def test_the_claim_kept_over_stop_after_open_is_still_caught() -> None:
    _k, mon, opens = life(OpenIrqKept)
    found = {f.rule for f in mon.findings}
    assert {"cb.stop.irq", "cb.stop.dma"} <= found, found
    f = next(f for f in mon.findings if f.rule == "cb.stop.irq")
    assert "left IRQ dev->irq, which open claimed, claimed by skeleton" in f.message
    # The consequence 2.0.1 shows: the second ifconfig up cannot get the line.
    assert opens == [0, -EAGAIN]


def test_variants_are_named() -> None:
    assert set(VARIANTS) == {"probe-claims", "probe-dma", "watchdog", "shared-mem",
                             "open-irq-kept"}


def test_the_watchdog_runs_while_up_and_is_taken_back_at_stop() -> None:
    """Watchdog's timer really runs (as the module, re-armed while up) and stop's del_timer
    leaves nothing pending, so mod.exit.timers is exercised on a timer that existed."""
    k = Kernel()
    k.attach_card(SimpleNic(mac=MAC_A, irq=5), 0x300)
    mon = SpecMonitor(k).attach()
    dm = load(k, Watchdog, monitor=mon, io=0x300, irq=5, dma=3)
    mon.modules = {dm.module.name}
    model = dm.model
    assert isinstance(model, Watchdog)
    dev = device_of(dm)
    assert k.dev_open(dev) == 0
    k.tick(2 * Watchdog.PERIOD)
    assert model.runs == 2 and model.timer.pending
    k.dev_close(dev)
    assert not model.timer.pending
    assert k.rmmod(dm.module) == 0
    assert mon.findings == [] and k.misuse == []
    assert mon.exercised["timer.add.idle"] >= 3 and mon.exercised["mod.exit.timers"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_netdevspec_check_agrees(name: str) -> None:
    """The whole check (driver in its own process, generated scenarios): the legitimate
    variants pass every rule; the buggy one fails the stop rules (and the second open's
    request_irq, its consequence) and nothing else."""
    from netdevspec.conformance.check import check_driver

    report = check_driver(VARIANTS[name], f"netdevspec.reference.drivers.variants:{name}",
                          examples=30)
    failed = {r.rule.id for r in report.failed}
    if name == "open-irq-kept":
        assert {"cb.stop.irq", "cb.stop.dma"} <= failed <= {"cb.stop.irq", "cb.stop.dma",
                                                             "res.irq.request.held"}
    else:
        assert failed == set()


def test_the_shared_memory_buffer_is_written_through_its_window() -> None:
    """SharedMem really reaches its card's memory (else the no-finding test proves little):
    the reset clears the buffer, and only inside mem_start .. mem_end."""
    k = Kernel()
    k.attach_card(SimpleNic(mac=MAC_A, irq=5), 0x300)
    mem = k.attach_memory(SharedMemory(SharedMem.SIZE), SharedMem.BASE)
    mem.ram[:4] = b"junk"
    mon = SpecMonitor(k).attach()
    dm = load(k, SharedMem, monitor=mon, io=0x300, irq=5, dma=3)
    mon.modules = {dm.module.name}
    dev = device_of(dm)
    assert (dev.mem_start, dev.mem_end) == (0xD0000, 0xD2000)
    assert k.dev_open(dev) == 0
    assert bytes(mem.ram[:4]) == bytes(4)
    assert mon.exercised["fld.mem.window"] == 3 and mon.findings == [] and k.misuse == []
