"""Correct driver models the buggy ones build on: reference drivers cut into smaller steps.

Each class here behaves exactly like a correct driver (tests/buggy runs each through the
catalogue's workload and checks that the reference kernel records no misuse), but splits a
long reference method into steps, or adds one ordinary feature, so that every bug in the
catalogue is *one small override* of one method:

* :class:`QueueDummy`: dummy with a one-frame private transmit queue (the frame accepted
  last is "on the wire" until the next one arrives); ``stop`` purges the queue.
* :class:`StepSkeleton`: skeleton whose ``net_rx`` is ``rx_alloc`` → ``rx_fill`` →
  ``rx_pass_up`` per frame.
* :class:`NullDevIdSkeleton`: skeleton in the 2.0 style, claiming its IRQ with a NULL
  ``dev_id`` (legal for an unshared line) and finding its device without it.
* :class:`StepLoopback`: loopback whose ``loopback_xmit`` is ``take_frame`` (the clone
  decision) → ``pass_up`` (dev, protocol, unlock, ``netif_rx``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.drivers.dummy import Dummy
from netdevspec.reference.drivers.loopback import Loopback
from netdevspec.reference.drivers.skeleton import CARDNAME, Skeleton

if TYPE_CHECKING:
    from netdevspec.conformance.handle import KernelHandle
    from netdevspec.reference.device import Device, EnetStatistics
    from netdevspec.reference.skbuff import SkBuff, SkBuffHead

__all__ = [
    "CARD_CMD",
    "CARD_CMD_RX_NEXT",
    "CARD_DATA",
    "CARD_IMR",
    "CARD_RXCOUNT",
    "CARD_RXLEN",
    "NullDevIdSkeleton",
    "QueueDummy",
    "StepLoopback",
    "StepSkeleton",
]

# SimpleNic's registers (offsets from base_addr), as skeleton programs them.
CARD_CMD = 0x07
CARD_IMR = 0x08
CARD_RXCOUNT = 0x09
CARD_RXLEN = 0x0A
CARD_DATA = 0x10
CARD_CMD_RX_NEXT = 0x02
_CMD_STOP = 0x10
_RX_BUDGET = 32


class QueueDummy(Dummy):
    """dummy with a private one-frame transmit queue (Q-1..Q-3), purged at ``stop``."""

    def __init__(self, handle: KernelHandle, /, *, instance: int = 0, **params: int) -> None:
        super().__init__(handle, instance=instance, **params)
        #: The private transmit queue (initialised by the probe, so owned by the module).
        self.txq: SkBuffHead | None = None

    def dummy_init(self, dev: Device) -> int:
        """The reference probe, plus the private queue (Q-1: the module owns it)."""
        rc = super().dummy_init(dev)
        self.txq = self._h.skb_queue_head_init(self._h.SkBuffHead())
        return rc

    def queue(self) -> SkBuffHead:
        """The private queue (set up by the probe)."""
        if self.txq is None:
            raise RuntimeError(f"{self.name}: the private queue was never initialised")
        return self.txq

    def send_pending(self) -> None:
        """The previous frame has gone out: take it off the queue and release it."""
        prev = self._h.skb_dequeue(self.queue())
        if prev is not None:
            self._h.dev_kfree_skb(prev, self._h.FREE_WRITE)

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Send the frame queued last time, then queue this one (accepted: 0)."""
        if skb is None:
            return 0
        self.send_pending()
        self._h.skb_queue_tail(self.queue(), skb)
        self.stats_of(dev).tx_packets += 1
        return 0

    def purge(self) -> None:
        """Release every frame still on the private queue (Q-3, MOD-2)."""
        h = self._h
        while (skb := h.skb_dequeue(self.queue())) is not None:
            h.dev_kfree_skb(skb, h.FREE_WRITE)

    def dummy_close(self, dev: Device) -> int:
        """``stop``: purge the private queue, then the use count (CB-3, MOD-3)."""
        self.purge()
        return super().dummy_close(dev)

    def stats_of(self, dev: Device) -> EnetStatistics:
        """The device's statistics (``dev->priv``)."""
        return self._stats(dev)


class StepSkeleton(Skeleton):
    """skeleton whose receive loop calls one overridable step per stage of a frame."""

    def net_rx(self, dev: Device) -> None:
        """Pass every frame waiting on the card up (RX-1..RX-6), step by step."""
        h = self._h
        lp = self._lp(dev)
        ioaddr = dev.base_addr
        for _ in range(_RX_BUDGET):
            if not h.inb(ioaddr + CARD_RXCOUNT):
                break
            pkt_len = h.inw(ioaddr + CARD_RXLEN)
            if pkt_len < h.ETH_HLEN or pkt_len > h.ETH_FRAME_LEN:  # RX-6
                lp.stats.rx_errors += 1
                lp.stats.rx_length_errors += 1
                h.outb(CARD_CMD_RX_NEXT, ioaddr + CARD_CMD)
                continue
            skb = self.rx_alloc(dev, pkt_len)
            if skb is None:
                h.printk(f"{dev.name}: Memory squeeze, dropping packet.")
                lp.stats.rx_dropped += 1  # RX-1
                h.outb(CARD_CMD_RX_NEXT, ioaddr + CARD_CMD)
                continue
            self.rx_fill(dev, skb, pkt_len)
            self.rx_pass_up(dev, skb)
            lp.stats.rx_packets += 1  # RX-6

    def rx_alloc(self, dev: Device, pkt_len: int) -> SkBuff | None:
        """RX-1, RX-2: room for the frame plus 2 bytes to align the IP header."""
        return self._h.dev_alloc_skb(pkt_len + 2)

    def rx_fill(self, dev: Device, skb: SkBuff, pkt_len: int) -> None:
        """RX-2: align (the buffer is still empty, SKB-7), copy the frame in, free the
        card's slot."""
        h = self._h
        ioaddr = dev.base_addr
        h.skb_reserve(skb, 2)
        at = h.skb_put(skb, pkt_len)
        h.skb_write(skb, at, self.read_frame(ioaddr, pkt_len))
        h.outb(CARD_CMD_RX_NEXT, ioaddr + CARD_CMD)

    def read_frame(self, ioaddr: int, pkt_len: int) -> bytes:
        """The frame's bytes from the card's data port."""
        h = self._h
        data = h.insw(ioaddr + CARD_DATA, pkt_len >> 1)
        if pkt_len & 1:
            data += h.insb(ioaddr + CARD_DATA, 1)
        return data

    def rx_pass_up(self, dev: Device, skb: SkBuff) -> None:
        """RX-3..RX-5: name the device, set the protocol, hand the frame to the kernel."""
        h = self._h
        skb.dev = dev  # RX-3
        skb.protocol = h.eth_type_trans(skb, dev)  # RX-4
        h.netif_rx(skb)  # RX-5: the kernel's from here on


class NullDevIdSkeleton(StepSkeleton):
    """skeleton as 2.0 drivers wrote it: ``request_irq(..., dev_id=NULL)`` on an unshared
    line, ``free_irq(irq, NULL)``, and the handler finds its device without ``dev_id``."""

    def net_open(self, dev: Device) -> int:
        """``open``: IRQ (NULL dev_id, not shared), then DMA, then reset the card."""
        h = self._h
        lp = self._lp(dev)
        if h.request_irq(dev.irq, self.net_interrupt, 0, CARDNAME, None):
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

    def net_close(self, dev: Device) -> int:
        """``stop``: quiesce the card, DMA then the IRQ (NULL dev_id) back."""
        h = self._h
        self._lp(dev).open_time = 0
        dev.tbusy = 1
        dev.start = 0
        h.outb(0, dev.base_addr + CARD_IMR)
        h.outb(_CMD_STOP, dev.base_addr + CARD_CMD)
        h.disable_dma(dev.dma)
        h.free_dma(dev.dma)
        h.free_irq(dev.irq, None)
        h.MOD_DEC_USE_COUNT()
        return 0

    def net_interrupt(self, irq: int, dev_id: object, regs: object) -> None:
        """The handler: ``dev_id`` is NULL, so the device is the driver's own (RES-4)."""
        super().net_interrupt(irq, self.dev, regs)


class StepLoopback(Loopback):
    """loopback whose transmit is ``take_frame`` (clone or not) then ``pass_up``."""

    def loopback_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """``hard_start_xmit``: hand the frame to the receive path (RX-7)."""
        h = self._h
        if skb is None:
            return 0  # CB-6
        stats = self._stats(dev)
        if skb.len < dev.hard_header_len:  # no header to pass up (as the reference does)
            stats.tx_dropped += 1
            h.dev_kfree_skb(skb, h.FREE_WRITE)
            return 0
        flags = h.save_flags()
        h.cli()
        if dev.tbusy:  # CB-5
            h.restore_flags(flags)
            stats.tx_errors += 1
            return 1
        dev.tbusy = 1
        h.restore_flags(flags)
        taken = self.take_frame(skb, dev)
        if taken is None:
            dev.tbusy = 0
            stats.tx_dropped += 1
            return 0
        frame, unlock = taken
        self.pass_up(frame, dev, unlock)
        stats.tx_packets += 1
        stats.rx_packets += 1
        dev.tbusy = 0
        return 0

    def take_frame(self, skb: SkBuff, dev: Device) -> tuple[SkBuff, bool] | None:
        """The frame to pass up and whether it is still device-locked: a clone of a frame
        its owner keeps (free 0, SKB-13, SKB-15), else the frame itself. None: the clone
        failed and the frame was dropped (released, CB-4)."""
        h = self._h
        if skb.free == 0:
            clone = h.skb_clone(skb, h.GFP_ATOMIC)
            h.dev_kfree_skb(skb, h.FREE_WRITE)  # SKB-14: unlocks; free 0 keeps it alive
            if clone is None:
                return None
            return clone, False
        if skb.sk is not None:
            skb.sk.wmem_alloc -= skb.truesize  # ART-3
        return skb, True

    def pass_up(self, skb: SkBuff, dev: Device, unlock: bool) -> None:
        """RX-3..RX-5, RX-7: device, protocol, unlock, then ``netif_rx``."""
        h = self._h
        skb.dev = dev  # RX-3
        skb.protocol = h.eth_type_trans(skb, dev)  # RX-4
        skb.ip_summed = h.CHECKSUM_UNNECESSARY
        if unlock:
            h.skb_device_unlock(skb)  # SKB-14, RX-7
        h.netif_rx(skb)  # RX-5
