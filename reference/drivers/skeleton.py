"""``skeleton.c`` of Linux 2.0.1 as a driver model, completed for :class:`SimpleNic`.

The shape is Donald Becker's template (api-facts section 12): a static device with a
blank name (auto-named ethN, REG-3) and ``netcard_probe`` as ``init``; the probe walks
``netcard_portlist``, checks each range with ``check_region`` before touching it,
recognises the card by its station-address prefix 00:42:65 and claims its 32 ports
(CB-1, RES-8, RES-11, RES-12). ``open`` claims the IRQ and then the DMA channel and
resets the card; ``stop`` releases them in reverse order (RES-5, CB-2, CB-3). Transmit
copies the frame to the card with ``outsw``/``outsb`` and frees it (CB-4, CB-7), with
skeleton.c's busy/timeout protocol (CB-5). The interrupt handler acknowledges the
card's interrupt status, passes received frames up (RX-1..RX-6) and, on transmit-done,
clears ``tbusy`` and marks NET_BH (CB-5, CB-11). ``set_multicast_list`` programs the
card's receive mode (CB-13).

Where skeleton.c's placeholders (``hardware_send_packet``, ``chipset_init``,
``hardware_set_filter``) stand, this driver programs SimpleNic's registers. It also
fixes the template's known defects (api-facts section 12 and hazard 8): received frames
get ``skb->protocol`` (RX-4); ``request_irq`` is given the device as a non-NULL
``dev_id`` (RES-2, RES-4), which the handler uses instead of ``irq2dev_map``; the DMA
channel is released before the IRQ (RES-5; skeleton.c frees the IRQ first); a single
given ``io=`` address is checked with ``check_region`` before it is probed (RES-8); and
received frames are aligned with ``dev_alloc_skb(len + 2)``/``skb_reserve(2)`` as 3c501
and de600 do (RX-2).

Insmod parameters (skeleton.c's ``io``, ``irq``, ``dma``, ``mem``): ``io=0`` probes
the port list (with skeleton.c's warning, MOD-4), ``io`` > 0x1ff probes only there,
other values answer -ENXIO (FLD-2); ``irq`` (default 5, 2 means 9, FLD-3) and ``dma``
(default 3, claimed at open) cannot be probed on this card and must match it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar

from netdevspec.reference.drivers.base import module_name, take_params

if TYPE_CHECKING:
    from netdevspec.conformance.handle import KernelHandle
    from netdevspec.reference.device import Device, EnetStatistics
    from netdevspec.reference.skbuff import SkBuff

__all__ = [
    "CARDNAME",
    "FACTORY",
    "NETCARD_IO_EXTENT",
    "NETCARD_PORTLIST",
    "NetLocal",
    "Skeleton",
]

#: The name used in messages and resource claims.
CARDNAME = "netcard"
#: skeleton.c's zero-terminated list of I/O addresses to probe (without the 0).
NETCARD_PORTLIST = (0x200, 0x240, 0x280, 0x2C0, 0x300, 0x320, 0x340)
#: The number of I/O ports the card uses (SimpleNic.EXTENT).
NETCARD_IO_EXTENT = 32
#: The station-address prefix that identifies the card (RES-12).
SA_ADDR = (0x00, 0x42, 0x65)
#: Ticks before a stuck transmitter is reset (skeleton.c: 5, CB-5).
TX_TIMEOUT = 5
#: How many multicast addresses the (notional) hardware filter holds.
HW_MAX_ADDRS = 4
#: Base addresses meaning "do not probe" (FLD-2).
_NO_PROBE = (1, 0xFFE0)
#: Passes over the interrupt status per interrupt, and frames per receive pass.
_BOGUS_INTERRUPTS = 20
_RX_BUDGET = 32

# SimpleNic's registers (offsets from base_addr) and bits; see reference/hardware.py.
_SA_PROM = 0x00
_ISR = 0x06
_CMD = 0x07
_IMR = 0x08
_RXCOUNT = 0x09
_RXLEN = 0x0A
_TXLEN = 0x0C
_CONFIG = 0x0E
_STATUS = 0x0F
_DATA = 0x10
_ISR_RX = 0x01
_ISR_TX = 0x02
_CMD_TX = 0x01
_CMD_RX_NEXT = 0x02
_CMD_RESET = 0x04
_CMD_START = 0x08
_CMD_STOP = 0x10
_STATUS_TX_BUSY = 0x04
# The CONFIG register holds the receive mode this driver programs (the card stores it).
RX_PROMISC = 0x01
RX_ALLMULTI = 0x02
RX_MCFILTER = 0x04


@dataclass
class NetLocal:
    """``struct net_local``: the driver's private data, kept in ``dev->priv`` (FLD-11)."""

    stats: EnetStatistics
    open_time: int = 0
    #: The receive mode last programmed into the card (RX_* bits).
    rx_mode: int = 0
    #: The multicast addresses last loaded into the (notional) hardware filter.
    mc_filter: list[bytes] = field(default_factory=list)


class Skeleton:
    """One loaded copy of the skeleton driver (see the module docstring)."""

    #: The insmod parameters and their defaults (skeleton.c's ``io``, ``irq``, ``dma``,
    #: ``mem``): what the driver takes, and what a check varies (``FACTORY.PARAMS``).
    PARAMS: ClassVar[Mapping[str, int]] = MappingProxyType(
        {"io": 0, "irq": 5, "dma": 3, "mem": 0})

    def __init__(self, handle: KernelHandle, /, *, instance: int = 0, **params: int) -> None:
        p = take_params("skeleton", params, self.PARAMS)
        self._h = handle
        self.name = module_name("skeleton", instance)
        self.io = p["io"]
        self.irq = p["irq"]
        self.dma = p["dma"]
        self.mem = p["mem"]
        self._version_printed = False
        #: ``this_device``: blank name (filled in by register_netdev), probe as init.
        self.dev = self._new_device()

    def _new_device(self) -> Device:
        return self._h.Device("", init=self.netcard_probe)

    # -- module entry points (MOD-1, MOD-2) -------------------------------------------------------

    def init_module(self) -> int:
        """Copy the insmod parameters into the device and register it (MOD-1)."""
        h = self._h
        if self.io == 0:
            h.printk(f"{CARDNAME}: You shouldn't use auto-probing with insmod!")  # MOD-4
        dev = self.dev = self._new_device()
        dev.base_addr = self.io
        dev.irq = self.irq
        dev.dma = self.dma
        dev.mem_start = self.mem  # FLD-5
        return h.register_netdev(dev)

    def cleanup_module(self) -> None:
        """Unregister the device, release its ports, drop ``priv`` (MOD-2)."""
        h = self._h
        dev = self.dev
        h.unregister_netdev(dev)
        h.release_region(dev.base_addr, NETCARD_IO_EXTENT)  # RES-10, RES-11
        dev.priv = None  # FLD-11

    # -- probe (CB-1, FLD-2, RES-8, RES-11, RES-12) ------------------------------------------------

    def netcard_probe(self, dev: Device) -> int:
        """``dev->init``: find the card; 0, -ENODEV, -ENXIO or -EBUSY."""
        h = self._h
        base_addr = dev.base_addr
        if base_addr in _NO_PROBE:  # FLD-2: "don't probe"
            return -h.ENXIO
        if base_addr > 0x1FF:  # FLD-2: check a single specified location
            if h.check_region(base_addr, NETCARD_IO_EXTENT):  # RES-8: before any inb
                return -h.EBUSY
            return self.netcard_probe1(dev, base_addr)
        if base_addr != 0:
            return -h.ENXIO
        for ioaddr in NETCARD_PORTLIST:
            if h.check_region(ioaddr, NETCARD_IO_EXTENT):  # RES-8: someone else's ports
                continue
            if self.netcard_probe1(dev, ioaddr) == 0:
                return 0
        return -h.ENODEV

    def netcard_probe1(self, dev: Device, ioaddr: int) -> int:
        """Identify the card at ``ioaddr`` (reads only, RES-12) and set the device up."""
        h = self._h
        if (h.inb(ioaddr + _SA_PROM) != SA_ADDR[0] or h.inb(ioaddr + _SA_PROM + 1) != SA_ADDR[1]
                or h.inb(ioaddr + _SA_PROM + 2) != SA_ADDR[2]):
            return -h.ENODEV
        if not self._version_printed:
            self._version_printed = True
            h.printk("skeleton.c: a driver model after skeleton.c v1.51 (Donald Becker)")
        dev.base_addr = ioaddr  # FLD-2
        for i in range(h.ETH_ALEN):
            dev.dev_addr[i] = h.inb(ioaddr + _SA_PROM + i)
        address = ":".join(f"{b:02x}" for b in dev.dev_addr[:h.ETH_ALEN])
        h.printk(f"{dev.name}: {CARDNAME} found at {ioaddr:#x}, {address}")
        if dev.irq == 2:
            dev.irq = 9  # FLD-3: IRQ 2 is the cascade, wired to 9
        dev.priv = NetLocal(h.EnetStatistics())  # FLD-11
        h.request_region(ioaddr, NETCARD_IO_EXTENT, CARDNAME)  # RES-9, RES-11: at probe
        dev.open = self.net_open
        dev.stop = self.net_close
        dev.hard_start_xmit = self.net_send_packet
        dev.get_stats = self.net_get_stats
        dev.set_multicast_list = self.set_multicast_list
        h.ether_setup(dev)  # CB-1, REG-12, FLD-9
        return 0

    # -- open / close (CB-2, CB-3, RES-5) ----------------------------------------------------------

    def net_open(self, dev: Device) -> int:
        """``open``: IRQ, then DMA, then reset the card; -EAGAIN if either is busy."""
        h = self._h
        lp = self._lp(dev)
        # RES-1, RES-2, RES-4: the device is the dev_id, so free_irq names our claim.
        if h.request_irq(dev.irq, self.net_interrupt, 0, CARDNAME, dev):
            return -h.EAGAIN
        if h.request_dma(dev.dma, CARDNAME):  # RES-5: DMA after the IRQ ...
            h.free_irq(dev.irq, dev)  # ... and the IRQ back if the DMA is busy
            return -h.EAGAIN
        self.chipset_init(dev)  # CB-2: reinitialise the hardware at every open
        lp.open_time = h.jiffies
        dev.tbusy = 0
        dev.interrupt = 0
        dev.start = 1
        h.MOD_INC_USE_COUNT()  # MOD-3
        return 0

    def net_close(self, dev: Device) -> int:
        """``stop``: quiesce the card, release the DMA channel, then the IRQ (RES-5)."""
        h = self._h
        lp = self._lp(dev)
        ioaddr = dev.base_addr
        lp.open_time = 0
        dev.tbusy = 1  # CB-3
        dev.start = 0
        h.outb(0, ioaddr + _IMR)  # no more interrupts from the card
        h.outb(_CMD_STOP, ioaddr + _CMD)  # receiver off
        h.disable_dma(dev.dma)
        h.free_dma(dev.dma)  # RES-5: DMA first ...
        h.free_irq(dev.irq, dev)  # ... then the IRQ (RES-2)
        h.MOD_DEC_USE_COUNT()  # MOD-3
        return 0

    def chipset_init(self, dev: Device) -> None:
        """Reset the card and start it: receive mode, interrupt mask, receiver on."""
        h = self._h
        lp = self._lp(dev)
        ioaddr = dev.base_addr
        h.outb(_CMD_RESET, ioaddr + _CMD)
        h.outb(lp.rx_mode, ioaddr + _CONFIG)
        h.outb(_ISR_RX | _ISR_TX, ioaddr + _IMR)
        h.outb(_CMD_START, ioaddr + _CMD)

    # -- transmit (CB-4..CB-7) --------------------------------------------------------------------

    def net_send_packet(self, skb: SkBuff | None, dev: Device) -> int:
        """``hard_start_xmit``: 1 (busy, frame untouched) while the card is busy within
        the timeout; otherwise the frame goes to the card and is freed, and 0."""
        h = self._h
        lp = self._lp(dev)
        ioaddr = dev.base_addr
        if dev.tbusy:
            tickssofar = h.jiffies - dev.trans_start
            if tickssofar < TX_TIMEOUT:
                return 1  # CB-4, CB-5: busy; tbusy is set, the kernel requeues the frame
            tx_done = not h.inb(ioaddr + _STATUS) & _STATUS_TX_BUSY
            h.printk(f"{dev.name}: transmit timed out, "
                     f"{'IRQ conflict' if tx_done else 'network cable problem'}?")
            lp.stats.tx_errors += 1
            self.chipset_init(dev)  # CB-5: reset the chip and carry on
            dev.tbusy = 0
            dev.trans_start = h.jiffies
        if skb is None:  # CB-6: the legacy "kick"
            h.dev_tint(dev)
            return 0
        # set_bit(0, &dev->tbusy): atomic test-and-set (CB-5).
        flags = h.save_flags()
        h.cli()
        conflict = dev.tbusy != 0
        dev.tbusy = 1
        h.restore_flags(flags)
        if conflict:
            h.printk(f"{dev.name}: Transmitter access conflict.")
        else:
            length = max(skb.len, h.ETH_ZLEN)  # CB-7
            buf = h.skb_read(skb, skb.data, skb.len).ljust(length, b"\0")
            self.hardware_send_packet(ioaddr, buf)
            dev.trans_start = h.jiffies  # FLD-13
        h.dev_kfree_skb(skb, h.FREE_WRITE)  # CB-4: accepted, released after the copy
        return 0

    def hardware_send_packet(self, ioaddr: int, buf: bytes) -> None:
        """Copy ``buf`` to the card's transmit buffer and start the transmission."""
        h = self._h
        h.outw(len(buf), ioaddr + _TXLEN)
        even = len(buf) & ~1
        h.outsw(ioaddr + _DATA, buf[:even])
        if len(buf) & 1:
            h.outsb(ioaddr + _DATA, buf[even:])
        h.outb(_CMD_TX, ioaddr + _CMD)

    # -- interrupt and receive (CB-8, RX) ----------------------------------------------------------

    def net_interrupt(self, irq: int, dev_id: object, regs: object) -> None:
        """The interrupt handler: acknowledge and handle receive and transmit-done."""
        h = self._h
        dev = self.dev
        if dev_id is not dev:
            h.printk(f"{CARDNAME}: irq {irq} for unknown device.")
            return
        lp = self._lp(dev)
        ioaddr = dev.base_addr
        dev.interrupt = 1  # CB-8
        for _ in range(_BOGUS_INTERRUPTS):
            status = h.inb(ioaddr + _ISR) & (_ISR_RX | _ISR_TX)
            if not status:
                break
            h.outb(status, ioaddr + _ISR)  # acknowledge what we are about to handle
            if status & _ISR_RX:
                self.net_rx(dev)
            if status & _ISR_TX:
                lp.stats.tx_packets += 1
                dev.tbusy = 0  # CB-5
                h.mark_bh(h.NET_BH)  # CB-5, CB-11: net_bh's dev_tint sends what waits
        dev.interrupt = 0

    def net_rx(self, dev: Device) -> None:
        """Pass every frame waiting on the card up (RX-1..RX-6)."""
        h = self._h
        lp = self._lp(dev)
        ioaddr = dev.base_addr
        for _ in range(_RX_BUDGET):
            if not h.inb(ioaddr + _RXCOUNT):
                break
            pkt_len = h.inw(ioaddr + _RXLEN)
            if pkt_len < h.ETH_HLEN or pkt_len > h.ETH_FRAME_LEN:  # RX-6
                lp.stats.rx_errors += 1
                lp.stats.rx_length_errors += 1
                h.outb(_CMD_RX_NEXT, ioaddr + _CMD)
                continue
            skb = h.dev_alloc_skb(pkt_len + 2)  # RX-1, RX-2
            if skb is None:
                h.printk(f"{dev.name}: Memory squeeze, dropping packet.")
                lp.stats.rx_dropped += 1  # RX-1
                h.outb(_CMD_RX_NEXT, ioaddr + _CMD)  # drop the frame on the card
                continue
            h.skb_reserve(skb, 2)  # RX-2: align the IP header (SKB-7: still empty)
            at = h.skb_put(skb, pkt_len)  # RX-2
            data = h.insw(ioaddr + _DATA, pkt_len >> 1)
            if pkt_len & 1:
                data += h.insb(ioaddr + _DATA, 1)
            h.skb_write(skb, at, data)
            h.outb(_CMD_RX_NEXT, ioaddr + _CMD)
            skb.dev = dev  # RX-3, SKB-18
            skb.protocol = h.eth_type_trans(skb, dev)  # RX-4
            h.netif_rx(skb)  # RX-5: the kernel's from here on
            lp.stats.rx_packets += 1  # RX-6

    # -- statistics and multicast (CB-12, CB-13) ---------------------------------------------------

    def net_get_stats(self, dev: Device) -> EnetStatistics:
        """``get_stats``: works whether the device is open or not (CB-12)."""
        return self._lp(dev).stats

    def set_multicast_list(self, dev: Device) -> None:
        """Program the receive mode (CB-13): promiscuous, all multicast (also when the
        list outgrows the filter), the multicast list, or normal."""
        h = self._h
        lp = self._lp(dev)
        mc_filter: list[bytes] = []
        if dev.flags & h.IFF_PROMISC:
            mode = RX_PROMISC | RX_ALLMULTI
        elif dev.flags & h.IFF_ALLMULTI or dev.mc_count > HW_MAX_ADDRS:
            mode = RX_ALLMULTI
        elif dev.mc_count:
            mode = RX_MCFILTER
            mc_filter = [bytes(a) for a in dev.mc_list]
        else:
            mode = 0
        lp.rx_mode = mode
        lp.mc_filter = mc_filter
        h.outb(mode, dev.base_addr + _CONFIG)

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _lp(dev: Device) -> NetLocal:
        lp = dev.priv
        if not isinstance(lp, NetLocal):
            raise TypeError(f"skeleton: {dev.name}'s priv is {lp!r}, not its struct net_local")
        return lp


#: The skeleton driver's factory (see :mod:`netdevspec.reference.drivers`).
FACTORY = Skeleton
