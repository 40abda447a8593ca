"""Helpers for the reference-kernel tests: Ethernet frames and a skeleton.c-style driver."""

from __future__ import annotations

from netdevspec.reference import (
    EAGAIN,
    ENODEV,
    ENXIO,
    ETH_ZLEN,
    FREE_WRITE,
    NET_BH,
    Device,
    EnetStatistics,
    Kernel,
    Module,
    SimpleNic,
    SkBuff,
)

NIC_EXTENT = SimpleNic.EXTENT
PORTLIST = (0x200, 0x240, 0x280, 0x2C0, 0x300, 0x320, 0x340)
MAC = b"\x00\x42\x65\x00\x00\x01"
PEER = b"\x00\x42\x65\x00\x00\x99"


def eth_frame(dst: bytes = MAC, src: bytes = PEER, proto: int = 0x0800,
              payload: bytes = b"hello world!") -> bytes:
    """An Ethernet frame: destination, source, type, payload."""
    return dst + src + proto.to_bytes(2, "big") + payload


class NicDriver:
    """A driver for :class:`SimpleNic` written the way 2.0's skeleton.c is.

    The probe honours base_addr (0 = scan the port list, ≤ 0x1ff = -ENXIO), checks each
    region before touching it, identifies the card by its 00:42:65 address prefix, claims
    the region and calls ether_setup. open claims the IRQ, stop frees it; the use count
    follows. Knobs let tests make it misbehave.
    """

    def __init__(self, kernel: Kernel, io: int = 0, irq: int = 5, name: str = "",
                 module_name: str = "nic", set_protocol: bool = True) -> None:
        self.k = kernel
        self.irq_param = irq
        self.set_protocol = set_protocol
        self.stats = EnetStatistics()
        self.dev = Device(name, base_addr=io, init=self.probe)
        self.module = Module(module_name, init_module=self.init_module,
                             cleanup_module=self.cleanup_module)
        self.release_on_cleanup = True
        self.busy_always = False
        self.received: list[SkBuff] = []

    # -- module entry points ---------------------------------------------------------------

    def init_module(self) -> int:
        rc = self.k.register_netdev(self.dev)
        return 0 if rc == 0 else rc

    def cleanup_module(self) -> None:
        self.k.unregister_netdev(self.dev)
        if self.release_on_cleanup:
            self.k.release_region(self.dev.base_addr, NIC_EXTENT)

    # -- probe ------------------------------------------------------------------------------

    def probe(self, dev: Device) -> int:
        base = dev.base_addr
        if base > 0x1FF:
            return self.probe1(dev, base)
        if base != 0:
            return -ENXIO
        for port in PORTLIST:
            if self.k.check_region(port, NIC_EXTENT):
                continue
            if self.probe1(dev, port) == 0:
                return 0
        return -ENODEV

    def probe1(self, dev: Device, ioaddr: int) -> int:
        k = self.k
        if (k.inb(ioaddr) != 0x00 or k.inb(ioaddr + 1) != 0x42
                or k.inb(ioaddr + 2) != 0x65):
            return -ENODEV
        dev.base_addr = ioaddr
        for i in range(6):
            dev.dev_addr[i] = k.inb(ioaddr + i)
        dev.irq = self.irq_param
        k.request_region(ioaddr, NIC_EXTENT, "nic")
        dev.priv = self.stats
        dev.open = self.open
        dev.stop = self.stop
        dev.hard_start_xmit = self.xmit
        dev.get_stats = lambda d: self.stats
        k.ether_setup(dev)
        return 0

    # -- open / stop ------------------------------------------------------------------------

    def open(self, dev: Device) -> int:
        k = self.k
        if k.request_irq(dev.irq, self.interrupt, 0, "nic", None):
            return -EAGAIN
        k.irq2dev_map[dev.irq] = dev
        base = dev.base_addr
        k.outb(SimpleNic.CMD_RESET, base + SimpleNic.CMD)
        k.outb(SimpleNic.ISR_RX | SimpleNic.ISR_TX, base + SimpleNic.IMR)
        k.outb(SimpleNic.CMD_START, base + SimpleNic.CMD)
        dev.tbusy = 0
        dev.interrupt = 0
        dev.start = 1
        k.mod_inc_use_count()
        return 0

    def stop(self, dev: Device) -> int:
        k = self.k
        dev.tbusy = 1
        dev.start = 0
        k.outb(SimpleNic.CMD_STOP, dev.base_addr + SimpleNic.CMD)
        k.outb(0, dev.base_addr + SimpleNic.IMR)
        k.free_irq(dev.irq, None)
        k.irq2dev_map[dev.irq] = None
        k.mod_dec_use_count()
        return 0

    # -- transmit ---------------------------------------------------------------------------

    def xmit(self, skb: SkBuff | None, dev: Device) -> int:
        k = self.k
        if self.busy_always:
            dev.tbusy = 1
            return 1
        if dev.tbusy:
            if k.jiffies - dev.trans_start < 5:
                return 1
            dev.tbusy = 0
            dev.trans_start = k.jiffies
        if skb is None:
            k.dev_tint(dev)
            return 0
        dev.tbusy = 1
        length = max(skb.len, ETH_ZLEN)
        data = k.skb_read(skb, skb.data, skb.len).ljust(length, b"\0")
        base = dev.base_addr
        k.outw(length, base + SimpleNic.TXLEN)
        k.outsw(base + SimpleNic.DATA, data)
        k.outb(SimpleNic.CMD_TX, base + SimpleNic.CMD)
        dev.trans_start = k.jiffies
        k.dev_kfree_skb(skb, FREE_WRITE)
        return 0

    # -- interrupt and receive --------------------------------------------------------------

    def interrupt(self, irq: int, dev_id: object, regs: object) -> None:
        k = self.k
        dev = k.irq2dev_map[irq]
        assert dev is not None
        dev.interrupt = 1
        base = dev.base_addr
        status = k.inb(base + SimpleNic.ISR)
        if status & SimpleNic.ISR_RX:
            self.rx(dev)
        if status & SimpleNic.ISR_TX:
            self.stats.tx_packets += 1
            dev.tbusy = 0
            k.mark_bh(NET_BH)
        k.outb(status, base + SimpleNic.ISR)
        dev.interrupt = 0

    def rx(self, dev: Device) -> None:
        k = self.k
        base = dev.base_addr
        while k.inb(base + SimpleNic.RXCOUNT):
            pkt_len = k.inw(base + SimpleNic.RXLEN)
            skb = k.dev_alloc_skb(pkt_len)
            if skb is None:
                k.printk(f"{dev.name}: Memory squeeze, dropping packet.")
                self.stats.rx_dropped += 1
                k.outb(SimpleNic.CMD_RX_NEXT, base + SimpleNic.CMD)
                continue
            skb.dev = dev
            at = k.skb_put(skb, pkt_len)
            k.skb_write(skb, at, k.insw(base + SimpleNic.DATA, (pkt_len + 1) // 2)[:pkt_len])
            k.outb(SimpleNic.CMD_RX_NEXT, base + SimpleNic.CMD)
            if self.set_protocol:
                skb.protocol = k.eth_type_trans(skb, dev)
            k.netif_rx(skb)
            self.stats.rx_packets += 1
