"""Buggy drivers: IRQ, I/O region and DMA mistakes (RES-1..RES-12).

Each factory is the reference ``skeleton`` (or the NULL-dev_id variant from ``_bases``)
with one method overridden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.buggy._bases import CARD_CMD, CARD_IMR, NullDevIdSkeleton
from netdevspec.reference.drivers.skeleton import (
    CARDNAME,
    NETCARD_IO_EXTENT,
    NETCARD_PORTLIST,
    Skeleton,
)

if TYPE_CHECKING:
    from netdevspec.conformance.handle import KernelHandle
    from netdevspec.reference.device import Device

__all__ = [
    "DmaClaimedBeforeIrq",
    "DmaFreedAfterIrq",
    "FreeDmaNotHeld",
    "FreeIrqTwice",
    "IrqClaimedTwice",
    "OpenFailKeepsIrq",
    "PortOutsideRegion",
    "ProbeWithoutCheckRegion",
    "RegionNotReleased",
    "ReleaseRegionWrongExtent",
    "SharedIrqNullDevId",
    "StopKeepsDma",
    "StopKeepsIrq",
    "dma_claimed_before_irq",
    "dma_freed_after_irq",
    "free_dma_not_held",
    "free_irq_twice",
    "irq_claimed_twice",
    "open_fail_keeps_irq",
    "port_outside_region",
    "probe_without_check_region",
    "region_not_released",
    "release_region_wrong_extent",
    "shared_irq_null_dev_id",
    "stop_keeps_dma",
    "stop_keeps_irq",
]

_CMD_STOP = 0x10
#: The DMA cascade channel: always held by the kernel, so a claim of it always fails.
DMA_CASCADE = 4


class _ClosingSkeleton(Skeleton):
    """skeleton with its ``stop`` preamble as a helper, for the overrides below."""

    def quiesce(self, dev: Device) -> None:
        """What the reference ``net_close`` does before releasing anything (CB-3)."""
        h = self._h
        self._lp(dev).open_time = 0
        dev.tbusy = 1
        dev.start = 0
        h.outb(0, dev.base_addr + CARD_IMR)
        h.outb(_CMD_STOP, dev.base_addr + CARD_CMD)
        h.disable_dma(dev.dma)


class StopKeepsIrq(_ClosingSkeleton):
    """skeleton whose ``stop`` forgets ``free_irq`` (CB-3, RES-11)."""

    def net_close(self, dev: Device) -> int:
        """Bug: releases the DMA channel but not the IRQ line."""
        self.quiesce(dev)
        self._h.free_dma(dev.dma)
        # BUG: no free_irq(dev.irq, dev)
        self._h.MOD_DEC_USE_COUNT()
        return 0


class StopKeepsDma(_ClosingSkeleton):
    """skeleton whose ``stop`` forgets ``free_dma`` (CB-3, RES-11)."""

    def net_close(self, dev: Device) -> int:
        """Bug: releases the IRQ line but not the DMA channel."""
        self.quiesce(dev)
        # BUG: no free_dma(dev.dma)
        self._h.free_irq(dev.irq, dev)
        self._h.MOD_DEC_USE_COUNT()
        return 0


class DmaFreedAfterIrq(_ClosingSkeleton):
    """skeleton whose ``stop`` releases the IRQ before the DMA channel (RES-5)."""

    def net_close(self, dev: Device) -> int:
        """Bug: ``free_irq`` then ``free_dma`` (skeleton.c's own order; RES-5 wants DMA
        first)."""
        self.quiesce(dev)
        self._h.free_irq(dev.irq, dev)  # BUG: the IRQ goes first ...
        self._h.free_dma(dev.dma)  # ... and the DMA channel after it
        self._h.MOD_DEC_USE_COUNT()
        return 0


class FreeIrqTwice(_ClosingSkeleton):
    """skeleton whose ``stop`` frees its IRQ line twice (RES-2)."""

    def net_close(self, dev: Device) -> int:
        """Bug: a second ``free_irq`` of a line it no longer holds ("Trying to free free
        IRQ")."""
        self.quiesce(dev)
        self._h.free_dma(dev.dma)
        self._h.free_irq(dev.irq, dev)
        self._h.free_irq(dev.irq, dev)  # BUG: not held any more
        self._h.MOD_DEC_USE_COUNT()
        return 0


class FreeDmaNotHeld(Skeleton):
    """skeleton whose ``cleanup_module`` also frees the DMA channel ``stop`` already freed."""

    def cleanup_module(self) -> None:
        """Bug: ``free_dma(dev.dma)`` at cleanup as if it were claimed at probe (RES-11's
        exception): the channel is free ("Trying to free free DMA")."""
        super().cleanup_module()
        self._h.free_dma(self.dev.dma)  # BUG: stop released it


class DmaClaimedBeforeIrq(Skeleton):
    """skeleton whose ``open`` claims the DMA channel before the IRQ line (RES-5)."""

    def net_open(self, dev: Device) -> int:
        """Bug: ``request_dma`` then ``request_irq`` (RES-5 wants the IRQ first)."""
        h = self._h
        lp = self._lp(dev)
        if h.request_dma(dev.dma, CARDNAME):  # BUG: DMA first ...
            return -h.EAGAIN
        if h.request_irq(dev.irq, self.net_interrupt, 0, CARDNAME, dev):  # ... IRQ second
            h.free_dma(dev.dma)
            return -h.EAGAIN
        self.chipset_init(dev)
        lp.open_time = h.jiffies
        dev.tbusy = 0
        dev.interrupt = 0
        dev.start = 1
        h.MOD_INC_USE_COUNT()
        return 0


class IrqClaimedTwice(Skeleton):
    """skeleton that installs a second handler on its own line without SA_SHIRQ (RES-3)."""

    def net_open(self, dev: Device) -> int:
        """Bug: after the reference ``open`` claimed the line, a second ``request_irq``
        (a separate transmit-done handler) on the same line without SA_SHIRQ; the -EBUSY
        answer is ignored."""
        rc = super().net_open(dev)
        if rc == 0:
            self._h.request_irq(dev.irq, self.net_interrupt, 0, CARDNAME + "-tx",
                                dev)  # BUG: the line is held, not shared: -EBUSY
        return rc


class OpenFailKeepsIrq(Skeleton):
    """skeleton whose ``open`` error path forgets to give the IRQ back (RES-5, CB-2).

    The factory's default DMA channel is 4 (the cascade, always held by the kernel), so
    the DMA claim in ``open`` always fails and the faulty error path always runs.
    """

    def __init__(self, handle: KernelHandle, /, *, instance: int = 0, **params: int) -> None:
        params.setdefault("dma", DMA_CASCADE)
        super().__init__(handle, instance=instance, **params)

    def net_open(self, dev: Device) -> int:
        """Bug: when ``request_dma`` fails it returns -EAGAIN with the IRQ still claimed."""
        h = self._h
        lp = self._lp(dev)
        if h.request_irq(dev.irq, self.net_interrupt, 0, CARDNAME, dev):
            return -h.EAGAIN
        if h.request_dma(dev.dma, CARDNAME):
            return -h.EAGAIN  # BUG: no free_irq(dev.irq, dev) first
        self.chipset_init(dev)
        lp.open_time = h.jiffies
        dev.tbusy = 0
        dev.interrupt = 0
        dev.start = 1
        h.MOD_INC_USE_COUNT()
        return 0


class SharedIrqNullDevId(NullDevIdSkeleton):
    """The NULL-dev_id skeleton asking for a shared line (RES-3)."""

    def net_open(self, dev: Device) -> int:
        """Bug: ``request_irq(irq, handler, SA_SHIRQ, name, NULL)``: a shared claim needs
        a distinct non-NULL ``dev_id`` or ``free_irq`` cannot tell the sharers apart."""
        h = self._h
        lp = self._lp(dev)
        if h.request_irq(dev.irq, self.net_interrupt, h.SA_SHIRQ, CARDNAME, None):  # BUG
            return -h.EAGAIN
        if h.request_dma(dev.dma, CARDNAME):
            h.free_irq(dev.irq, None)
            return -h.EAGAIN
        self.chipset_init(dev)
        lp.open_time = h.jiffies
        dev.tbusy = 0
        dev.interrupt = 0
        dev.start = 1
        h.MOD_INC_USE_COUNT()
        return 0


class RegionNotReleased(Skeleton):
    """skeleton whose ``cleanup_module`` forgets ``release_region`` (MOD-2, RES-11)."""

    def cleanup_module(self) -> None:
        """Bug: unregisters the device but leaves its 32 ports claimed."""
        self._h.unregister_netdev(self.dev)
        # BUG: no release_region(dev.base_addr, NETCARD_IO_EXTENT)
        self.dev.priv = None


class ReleaseRegionWrongExtent(Skeleton):
    """skeleton that releases its region with the wrong extent (RES-10)."""

    def cleanup_module(self) -> None:
        """Bug: ``release_region(base, 16)`` for a region claimed as ``(base, 32)``: 2.0
        ignores it silently and the ports stay claimed."""
        h = self._h
        h.unregister_netdev(self.dev)
        h.release_region(self.dev.base_addr, NETCARD_IO_EXTENT // 2)  # BUG: wrong extent
        self.dev.priv = None


class ProbeWithoutCheckRegion(Skeleton):
    """skeleton that probes the port list without ``check_region`` (RES-8, RES-9)."""

    def netcard_probe(self, dev: Device) -> int:
        """Bug: reads every candidate address (and claims the card's) without asking
        ``check_region`` whether the ports are free first."""
        h = self._h
        if dev.base_addr > 0x1FF:
            return self.netcard_probe1(dev, dev.base_addr)  # BUG: no check_region
        if dev.base_addr != 0:
            return -h.ENXIO
        for ioaddr in NETCARD_PORTLIST:
            if self.netcard_probe1(dev, ioaddr) == 0:  # BUG: no check_region
                return 0
        return -h.ENODEV


class PortOutsideRegion(Skeleton):
    """skeleton that pulses a reset latch one port past its 32-port region (RES-11)."""

    def chipset_init(self, dev: Device) -> None:
        """Bug: ``outb`` to ``base + 32``, outside the region it claimed (and then the
        reference reset)."""
        self._h.outb(1, dev.base_addr + NETCARD_IO_EXTENT)  # BUG: not our port
        super().chipset_init(dev)


stop_keeps_irq = StopKeepsIrq
stop_keeps_dma = StopKeepsDma
dma_freed_after_irq = DmaFreedAfterIrq
free_irq_twice = FreeIrqTwice
free_dma_not_held = FreeDmaNotHeld
dma_claimed_before_irq = DmaClaimedBeforeIrq
irq_claimed_twice = IrqClaimedTwice
open_fail_keeps_irq = OpenFailKeepsIrq
shared_irq_null_dev_id = SharedIrqNullDevId
region_not_released = RegionNotReleased
release_region_wrong_extent = ReleaseRegionWrongExtent
probe_without_check_region = ProbeWithoutCheckRegion
port_outside_region = PortOutsideRegion
