"""tiny: a driver model for the simulated SimpleNic card (the tutorial's driver).

A 2.0-style ISA Ethernet driver in the shape of skeleton.c, cut down to what the card
needs: probe a list of ports with check_region before touching them, claim the card's
32 ports, take the IRQ line at open and give it back at stop, copy frames to the card
in hard_start_xmit, and pass received frames up from the interrupt handler.

Insmod parameters: ``io`` (0: probe the port list) and ``irq`` (the card's line, which
cannot be probed; default 5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netdevspec.conformance.handle import KernelHandle
    from netdevspec.reference.device import Device, EnetStatistics
    from netdevspec.reference.skbuff import SkBuff

# SimpleNic's registers (offsets from the base port) and their bits.
SA_PROM = 0x00  # station address, 6 bytes
ISR = 0x06  # interrupt causes; writing 1s clears them
CMD = 0x07  # command register
IMR = 0x08  # interrupt mask
RXCOUNT = 0x09  # frames waiting in the receive FIFO
RXLEN = 0x0A  # length of the head frame (16 bits)
TXLEN = 0x0C  # length of the frame to send (16 bits)
DATA = 0x10  # data port: reads the head frame, writes the transmit buffer
ISR_RX, ISR_TX = 0x01, 0x02
CMD_TX, CMD_RX_NEXT, CMD_RESET, CMD_START, CMD_STOP = 0x01, 0x02, 0x04, 0x08, 0x10

TINY_EXTENT = 32  # ports the card decodes
TINY_PORTLIST = (0x280, 0x2C0, 0x300, 0x320, 0x340)  # where to look for a card
TINY_SIGNATURE = (0x00, 0x42, 0x65)  # the first bytes of every SimpleNic address
TX_TIMEOUT = 5  # ticks before a stuck transmitter is reset


class Tiny:
    """One loaded copy of the tiny driver: ``FACTORY(handle, instance=0, io=0, irq=5)``."""

    def __init__(self, handle: KernelHandle, /, *, instance: int = 0, io: int = 0,
                 irq: int = 5) -> None:
        self.h = handle
        self.name = "tiny" if instance == 0 else f"tiny{instance}"
        self.io = io
        self.irq = irq
        self.dev = handle.Device("", init=self.tiny_probe)  # "": named ethN at register
        self.stats = handle.EnetStatistics()

    # -- module entry points ---------------------------------------------------------------

    def init_module(self) -> int:
        """Register one device; its probe (``dev.init``) finds the card."""
        self.dev.base_addr = self.io
        self.dev.irq = self.irq
        return self.h.register_netdev(self.dev)

    def cleanup_module(self) -> None:
        """Undo init_module: unregister the device, then release its ports."""
        self.h.unregister_netdev(self.dev)
        self.h.release_region(self.dev.base_addr, TINY_EXTENT)

    # -- probe -------------------------------------------------------------------------------

    def tiny_probe(self, dev: Device) -> int:
        """``dev->init``: look for the card at ``io=`` or along the port list."""
        h = self.h
        ports = (dev.base_addr,) if dev.base_addr else TINY_PORTLIST
        for ioaddr in ports:
            if h.check_region(ioaddr, TINY_EXTENT):
                continue  # someone else's ports: do not even read them
            prefix = tuple(h.inb(ioaddr + SA_PROM + i) for i in range(3))
            if prefix == TINY_SIGNATURE:
                return self.tiny_setup(dev, ioaddr)
        return -h.ENODEV

    def tiny_setup(self, dev: Device, ioaddr: int) -> int:
        """Claim the card's ports and fill in the device structure."""
        h = self.h
        h.request_region(ioaddr, TINY_EXTENT, "tiny")
        dev.base_addr = ioaddr
        for i in range(h.ETH_ALEN):
            dev.dev_addr[i] = h.inb(ioaddr + SA_PROM + i)
        dev.open = self.tiny_open
        dev.stop = self.tiny_stop
        dev.hard_start_xmit = self.tiny_xmit
        dev.get_stats = self.tiny_get_stats
        h.ether_setup(dev)
        h.printk(f"{dev.name}: tiny at {ioaddr:#x}, irq {dev.irq}")
        return 0

    # -- open and stop ---------------------------------------------------------------------

    def tiny_open(self, dev: Device) -> int:
        """``open``: take the IRQ line, start the card, count the use."""
        h = self.h
        if h.request_irq(dev.irq, self.tiny_interrupt, 0, "tiny", dev):
            return -h.EAGAIN
        self.tiny_reset(dev)
        dev.tbusy, dev.interrupt, dev.start = 0, 0, 1
        h.MOD_INC_USE_COUNT()
        return 0

    def tiny_stop(self, dev: Device) -> int:
        """``stop``: quiesce the card, give the IRQ line back, drop the use."""
        h = self.h
        dev.tbusy, dev.start = 1, 0
        h.outb(0, dev.base_addr + IMR)  # no more interrupts
        h.outb(CMD_STOP, dev.base_addr + CMD)  # receiver off
        h.free_irq(dev.irq, dev)
        h.MOD_DEC_USE_COUNT()
        return 0

    def tiny_reset(self, dev: Device) -> None:
        """Reset the card, unmask its interrupts and start the receiver."""
        h = self.h
        h.outb(CMD_RESET, dev.base_addr + CMD)
        h.outb(ISR_RX | ISR_TX, dev.base_addr + IMR)
        h.outb(CMD_START, dev.base_addr + CMD)

    # -- transmit ----------------------------------------------------------------------------

    def tiny_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """``hard_start_xmit``: 1 (busy, frame untouched) or 0 (frame sent and freed)."""
        h = self.h
        if skb is None:
            return 0
        if dev.tbusy:
            if h.jiffies - dev.trans_start < TX_TIMEOUT:
                return 1  # busy: the kernel keeps the frame and tries again later
            h.printk(f"{dev.name}: transmit timed out, resetting the card")
            self.stats.tx_errors += 1
            self.tiny_reset(dev)
        dev.tbusy = 1  # until the card's transmit-done interrupt
        frame = h.skb_read(skb, skb.data, skb.len).ljust(h.ETH_ZLEN, b"\0")
        h.outw(len(frame), dev.base_addr + TXLEN)
        h.outsb(dev.base_addr + DATA, frame)
        h.outb(CMD_TX, dev.base_addr + CMD)
        dev.trans_start = h.jiffies
        h.dev_kfree_skb(skb, h.FREE_WRITE)  # the card has its copy
        return 0

    # -- interrupt and receive -------------------------------------------------------------

    def tiny_interrupt(self, irq: int, dev_id: object, regs: object) -> None:
        """The interrupt handler: acknowledge the card, then receive and transmit-done."""
        h = self.h
        dev = self.dev
        if dev_id is not dev:  # request_irq was given dev as dev_id
            return
        dev.interrupt = 1
        status = h.inb(dev.base_addr + ISR)
        h.outb(status, dev.base_addr + ISR)  # acknowledge what we handle
        if status & ISR_RX:
            self.tiny_rx(dev)
        if status & ISR_TX:
            self.stats.tx_packets += 1
            dev.tbusy = 0
            h.mark_bh(h.NET_BH)  # the kernel sends what waits on the queues
        dev.interrupt = 0

    def tiny_rx(self, dev: Device) -> None:
        """Pass every frame waiting on the card up to the kernel."""
        h = self.h
        ioaddr = dev.base_addr
        while h.inb(ioaddr + RXCOUNT):
            length = h.inw(ioaddr + RXLEN)
            skb = None
            if h.ETH_HLEN <= length <= h.ETH_FRAME_LEN:
                skb = h.dev_alloc_skb(length + 2)
            if skb is None:  # a bad length, or no memory: drop the frame
                self.stats.rx_dropped += 1
            else:
                h.skb_reserve(skb, 2)  # align the IP header on 16 bytes
                h.skb_put_data(skb, h.insb(ioaddr + DATA, length))
                skb.dev = dev
                skb.protocol = h.eth_type_trans(skb, dev)
                h.netif_rx(skb)  # the kernel's from here on
                self.stats.rx_packets += 1
            h.outb(CMD_RX_NEXT, ioaddr + CMD)  # next frame

    def tiny_get_stats(self, dev: Device) -> EnetStatistics:
        """``get_stats``."""
        return self.stats


#: The factory ``netdevspec check tiny:FACTORY`` loads.
FACTORY = Tiny
