"""Buggy drivers: receive-path mistakes (RX-1..RX-7).

Each factory is a step-wise ``skeleton`` or ``loopback`` from ``_bases`` with one step
overridden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.buggy._bases import (
    CARD_CMD,
    CARD_CMD_RX_NEXT,
    StepLoopback,
    StepSkeleton,
)

if TYPE_CHECKING:
    from netdevspec.reference.device import Device
    from netdevspec.reference.skbuff import SkBuff

__all__ = [
    "CopyWithCrc",
    "EthTypeTransBeforePut",
    "RxLockedFrame",
    "RxNoDev",
    "RxNoProtocol",
    "copy_with_crc",
    "eth_type_trans_before_put",
    "rx_locked_frame",
    "rx_no_dev",
    "rx_no_protocol",
]


class CopyWithCrc(StepSkeleton):
    """skeleton that copies each received frame with eth_copy_and_sum, 4 bytes too many
    (SKB-1, SKB-4)."""

    def rx_fill(self, dev: Device, skb: SkBuff, pkt_len: int) -> None:
        """Bug: copies the frame and the 4-byte CRC the card keeps after it into a buffer
        sized for the frame: the copy runs 4 bytes past the end of the data area."""
        h = self._h
        ioaddr = dev.base_addr
        h.skb_reserve(skb, 2)
        h.skb_put(skb, pkt_len)
        frame = self.read_frame(ioaddr, pkt_len)
        h.eth_copy_and_sum(skb, frame + bytes(4), pkt_len + 4, 0)  # BUG: + the CRC
        h.outb(CARD_CMD_RX_NEXT, ioaddr + CARD_CMD)


class RxNoDev(StepSkeleton):
    """skeleton that passes received frames up without ``skb->dev`` (RX-3)."""

    def rx_pass_up(self, dev: Device, skb: SkBuff) -> None:
        """Bug: no ``skb.dev = dev`` before ``netif_rx``."""
        h = self._h
        skb.protocol = h.eth_type_trans(skb, dev)  # BUG: skb.dev never set
        h.netif_rx(skb)


class RxNoProtocol(StepSkeleton):
    """skeleton.c as shipped: received frames get no ``skb->protocol`` (RX-4, HAZ-8)."""

    def rx_pass_up(self, dev: Device, skb: SkBuff) -> None:
        """Bug: no ``eth_type_trans``, so no protocol handler will ever take the frame."""
        skb.dev = dev
        self._h.netif_rx(skb)  # BUG: skb.protocol is still 0


class EthTypeTransBeforePut(StepSkeleton):
    """skeleton that classifies the frame before copying it into the buffer (RX-4)."""

    def rx_fill(self, dev: Device, skb: SkBuff, pkt_len: int) -> None:
        """Bug: ``eth_type_trans`` on the still-empty buffer (to pick the protocol early);
        ``rx_pass_up`` then classifies the filled frame again."""
        h = self._h
        ioaddr = dev.base_addr
        h.skb_reserve(skb, 2)
        skb.protocol = h.eth_type_trans(skb, dev)  # BUG: the buffer holds 0 bytes
        at = h.skb_put(skb, pkt_len)
        h.skb_write(skb, at, self.read_frame(ioaddr, pkt_len))
        h.outb(CARD_CMD_RX_NEXT, ioaddr + CARD_CMD)


class RxLockedFrame(StepLoopback):
    """loopback.c that forgets to unlock the reused frame before ``netif_rx`` (RX-7)."""

    def pass_up(self, skb: SkBuff, dev: Device, unlock: bool) -> None:
        """Bug: never calls ``skb_device_unlock``: the frame reaches the protocols still
        device-locked, so their ``kfree_skb`` only defers and the buffer is never freed."""
        h = self._h
        skb.dev = dev
        skb.protocol = h.eth_type_trans(skb, dev)
        skb.ip_summed = h.CHECKSUM_UNNECESSARY
        h.netif_rx(skb)  # BUG: still locked


rx_no_dev = RxNoDev
rx_no_protocol = RxNoProtocol
eth_type_trans_before_put = EthTypeTransBeforePut
rx_locked_frame = RxLockedFrame
copy_with_crc = CopyWithCrc
