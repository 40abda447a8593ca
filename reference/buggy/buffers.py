"""Buggy drivers: socket-buffer mistakes (SKB-1..SKB-18).

Each factory is a reference driver (or a correct step-wise variant from ``_bases``) with
one method overridden to carry one bug; the manifest (``manifest.json``) says which rule
the conformance suite must report for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.buggy._bases import (
    CARD_CMD,
    CARD_CMD_RX_NEXT,
    StepLoopback,
    StepSkeleton,
)
from netdevspec.reference.drivers.dummy import Dummy

if TYPE_CHECKING:
    from netdevspec.reference.device import Device
    from netdevspec.reference.skbuff import SkBuff

__all__ = [
    "DoubleFree",
    "FreeAfterNetifRx",
    "LeakAtRmmod",
    "PushPastHead",
    "PutOnClone",
    "PutPastEnd",
    "ReserveAfterPut",
    "RxNonatomicAlloc",
    "TouchAfterNetifRx",
    "XmitNeverFrees",
    "double_free",
    "free_after_netif_rx",
    "leak_at_rmmod",
    "push_past_head",
    "put_on_clone",
    "put_past_end",
    "reserve_after_put",
    "rx_nonatomic_alloc",
    "touch_after_netif_rx",
    "xmit_never_frees",
]

#: The bytes a (notional) card header takes in front of the frame (PushPastHead).
CARD_HEADER_LEN = 8


class DoubleFree(Dummy):
    """dummy whose transmit releases the frame twice (SKB-12)."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: ``dev_kfree_skb`` once after "sending" and once more on the way out."""
        if skb is None:
            return 0
        h = self._h
        h.dev_kfree_skb(skb, h.FREE_WRITE)
        self._stats(dev).tx_packets += 1
        h.dev_kfree_skb(skb, h.FREE_WRITE)  # BUG: already freed
        return 0


class LeakAtRmmod(Dummy):
    """dummy that keeps a spare buffer from ``init_module`` and never frees it (MOD-2)."""

    def init_module(self) -> int:
        """Bug: allocates a spare buffer that ``cleanup_module`` never releases."""
        rc = super().init_module()
        if rc == 0:
            self.spare = self._h.alloc_skb(64, self._h.GFP_KERNEL)  # BUG: leaked at rmmod
        return rc


class XmitNeverFrees(Dummy):
    """dummy whose transmit accepts a frame (0) but never releases it (CB-4)."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: returns 0 (accepted) and forgets ``dev_kfree_skb``: every frame leaks."""
        if skb is None:
            return 0
        self._stats(dev).tx_packets += 1
        return 0  # BUG: the frame is the driver's now and is never released


class PushPastHead(Dummy):
    """dummy that prepends a card header without checking the headroom (SKB-5)."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: ``skb_push(skb, 8)`` on a frame with only 2 bytes of headroom."""
        if skb is None:
            return 0
        h = self._h
        at = h.skb_push(skb, CARD_HEADER_LEN)  # BUG: no skb_headroom check: skpush:under
        h.skb_write(skb, at, bytes(CARD_HEADER_LEN))
        h.dev_kfree_skb(skb, h.FREE_WRITE)
        self._stats(dev).tx_packets += 1
        return 0


class PutPastEnd(StepSkeleton):
    """skeleton that allocates receive buffers 2 bytes short (SKB-4, RX-2)."""

    def rx_alloc(self, dev: Device, pkt_len: int) -> SkBuff | None:
        """Bug: ``dev_alloc_skb(pkt_len)`` though ``rx_fill`` reserves 2 bytes first, so the
        ``skb_put(pkt_len)`` runs 2 bytes past the end (skput:over)."""
        return self._h.dev_alloc_skb(pkt_len)  # BUG: should be pkt_len + 2


class ReserveAfterPut(StepSkeleton):
    """skeleton that aligns the receive buffer after filling it (SKB-7)."""

    def rx_fill(self, dev: Device, skb: SkBuff, pkt_len: int) -> None:
        """Bug: ``skb_reserve(skb, 2)`` after ``skb_put``: the buffer is no longer empty."""
        h = self._h
        ioaddr = dev.base_addr
        at = h.skb_put(skb, pkt_len)
        h.skb_write(skb, at, self.read_frame(ioaddr, pkt_len))
        h.skb_reserve(skb, 2)  # BUG: reserve on a buffer holding data
        h.outb(CARD_CMD_RX_NEXT, ioaddr + CARD_CMD)


class PutOnClone(StepLoopback):
    """loopback that passes up a clone of every frame and pads the clone in place (SKB-15)."""

    def take_frame(self, skb: SkBuff, dev: Device) -> tuple[SkBuff, bool] | None:
        """Bug: pads the clone to ETH_ZLEN with ``skb_put`` while it still shares its data
        with the original (clones are read-only; ``skb_copy`` was needed)."""
        h = self._h
        clone = h.skb_clone(skb, h.GFP_ATOMIC)
        if clone is not None:
            pad = max(0, h.ETH_ZLEN - clone.len)
            h.skb_write(clone, h.skb_put(clone, pad), bytes(pad))  # BUG: writes a clone
        h.dev_kfree_skb(skb, h.FREE_WRITE)
        return None if clone is None else (clone, False)


class RxNonatomicAlloc(StepSkeleton):
    """skeleton that allocates receive buffers with GFP_KERNEL in its interrupt handler."""

    def rx_alloc(self, dev: Device, pkt_len: int) -> SkBuff | None:
        """Bug: ``alloc_skb(..., GFP_KERNEL)`` from interrupt context (SKB-3, CB-21)."""
        return self._h.alloc_skb(pkt_len + 2, self._h.GFP_KERNEL)  # BUG: must be GFP_ATOMIC


class TouchAfterNetifRx(StepLoopback):
    """loopback that reads the frame after handing it to ``netif_rx`` (RX-5)."""

    def pass_up(self, skb: SkBuff, dev: Device, unlock: bool) -> None:
        """Bug: reads the header back for a debug message after ``netif_rx``."""
        super().pass_up(skb, dev, unlock)
        h = self._h
        header = h.skb_read(skb, skb.mac_raw, h.ETH_HLEN)  # BUG: the kernel's buffer now
        h.printk(f"{dev.name}: looped {header.hex()}")


class FreeAfterNetifRx(StepSkeleton):
    """skeleton that frees a received frame after passing it up (RX-5, SKB-12)."""

    def rx_pass_up(self, dev: Device, skb: SkBuff) -> None:
        """Bug: ``kfree_skb`` after ``netif_rx``, as if the kernel had copied the frame."""
        super().rx_pass_up(dev, skb)
        self._h.kfree_skb(skb, self._h.FREE_READ)  # BUG: handed on; not ours to free


double_free = DoubleFree
leak_at_rmmod = LeakAtRmmod
xmit_never_frees = XmitNeverFrees
push_past_head = PushPastHead
put_past_end = PutPastEnd
reserve_after_put = ReserveAfterPut
put_on_clone = PutOnClone
rx_nonatomic_alloc = RxNonatomicAlloc
touch_after_netif_rx = TouchAfterNetifRx
free_after_netif_rx = FreeAfterNetifRx
