"""Buggy drivers: callback and transmit-path mistakes (CB-2..CB-10).

Each factory is the reference ``dummy`` or ``skeleton`` with one method overridden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.drivers.dummy import Dummy
from netdevspec.reference.drivers.skeleton import CARDNAME, Skeleton

if TYPE_CHECKING:
    from netdevspec.reference.device import Device
    from netdevspec.reference.skbuff import SkBuff

__all__ = [
    "BusyWithoutTbusy",
    "FreeAfterBusy",
    "OpenLeavesStartClear",
    "OpenPositiveReturn",
    "StopLeavesStarted",
    "TintInXmit",
    "busy_without_tbusy",
    "free_after_busy",
    "open_leaves_start_clear",
    "open_positive_return",
    "stop_leaves_started",
    "tint_in_xmit",
]

# SimpleNic's registers, as skeleton programs them.
_IMR = 0x08
_CMD = 0x07
_CMD_STOP = 0x10


class FreeAfterBusy(Dummy):
    """dummy that drops the frame when its (notional) transmitter is full, yet says busy."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: marks the transmitter busy (tbusy), releases the frame with
        ``dev_kfree_skb`` and then returns 1 (busy), so the kernel takes back a frame that
        is gone (CB-4: busy means neither freed nor kept)."""
        if skb is None:
            return 0
        h = self._h
        dev.tbusy = 1
        h.dev_kfree_skb(skb, h.FREE_WRITE)  # BUG: frees ...
        self._stats(dev).tx_dropped += 1
        return 1  # ... and says busy


class BusyWithoutTbusy(Dummy):
    """dummy whose (notional) transmitter is always full, answered busy without tbusy."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: returns 1 (busy, frame untouched) but never sets ``dev->tbusy``, so 2.0's
        ``dev_tint`` would resubmit the frame forever (CB-5, CB-10)."""
        if skb is None:
            return 0
        self._stats(dev).tx_errors += 1
        return 1  # BUG: busy without set_bit(0, &dev->tbusy)


class TintInXmit(Dummy):
    """dummy that kicks the transmit queues from inside its own ``hard_start_xmit``."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: ``dev_tint(dev)`` after sending a real frame (CB-10: only from the
        interrupt path, or for the legacy NULL kick)."""
        rc = super().dummy_xmit(skb, dev)
        if skb is not None:
            self._h.dev_tint(dev)  # BUG: re-enters the transmit path
        return rc


class OpenPositiveReturn(Dummy):
    """dummy whose ``open`` refuses with a positive errno (CB-2)."""

    def dummy_open(self, dev: Device) -> int:
        """Bug: ``return EIO`` instead of ``return -EIO`` ("no carrier")."""
        return self._h.EIO  # BUG: sign error


class OpenLeavesStartClear(Skeleton):
    """skeleton whose ``open`` forgets ``dev->start = 1`` (CB-2)."""

    def net_open(self, dev: Device) -> int:
        """Bug: the reference ``net_open`` without ``dev.start = 1``."""
        h = self._h
        lp = self._lp(dev)
        if h.request_irq(dev.irq, self.net_interrupt, 0, CARDNAME, dev):
            return -h.EAGAIN
        if h.request_dma(dev.dma, CARDNAME):
            h.free_irq(dev.irq, dev)
            return -h.EAGAIN
        self.chipset_init(dev)
        lp.open_time = h.jiffies
        dev.tbusy = 0
        dev.interrupt = 0
        # BUG: no dev.start = 1
        h.MOD_INC_USE_COUNT()
        return 0


class StopLeavesStarted(Skeleton):
    """skeleton whose ``stop`` forgets ``dev->start = 0`` (CB-3)."""

    def net_close(self, dev: Device) -> int:
        """Bug: the reference ``net_close`` without ``dev.start = 0``; the device then
        looks busy to ``unregister_netdev`` at rmmod."""
        h = self._h
        self._lp(dev).open_time = 0
        dev.tbusy = 1
        # BUG: no dev.start = 0
        h.outb(0, dev.base_addr + _IMR)
        h.outb(_CMD_STOP, dev.base_addr + _CMD)
        h.disable_dma(dev.dma)
        h.free_dma(dev.dma)
        h.free_irq(dev.irq, dev)
        h.MOD_DEC_USE_COUNT()
        return 0


free_after_busy = FreeAfterBusy
busy_without_tbusy = BusyWithoutTbusy
tint_in_xmit = TintInXmit
open_positive_return = OpenPositiveReturn
open_leaves_start_clear = OpenLeavesStartClear
stop_leaves_started = StopLeavesStarted
