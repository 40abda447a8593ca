"""Legitimate variants of the skeleton driver that real 2.0.1 drivers ship, and one that
is not legitimate.

The skeleton claims its IRQ line and DMA channel in ``open`` and gives them back in
``stop`` (RES-11), and its ``stop`` sets ``tbusy``. 2.0.1's own drivers differ where the
API lets them (api-facts RES-11, CB-3), and a rule that forbade it would flag correct
drivers on every ``ifconfig down``:

* :class:`ProbeClaims` is built as ``ne.c`` and ``wd.c`` are: the probe claims the IRQ
  line (``ne.c:382``, ``wd.c:256``; ``at1700.c:195`` too) and here also the DMA channel,
  ``open`` and ``stop`` leave both alone (``ne_open``/``ne_close``, ``ne.c:430-445``) and
  ``cleanup_module`` frees them (``ne.c:724-735``, ``wd.c:486-497``). Its ``stop`` is
  ``8390.c``'s ``ei_close`` (``8390.c:128-132``): it clears ``start`` and, through
  ``NS8390_init`` (``8390.c:774``), leaves ``tbusy`` clear rather than set.
* :class:`Watchdog` keeps a transmit watchdog on a kernel timer as ``atp.c`` does
  (``add_timer`` in open, ``del_timer`` in stop).
* :class:`SharedMem` has a shared-memory packet buffer, as ``wd.c``'s cards do, which it
  reaches with ``memcpy_toio`` and ``readb`` inside its ``mem_start`` .. ``mem_end``.
* :class:`ProbeDma` is built as ``lance.c`` is: the probe claims the DMA channel
  (``lance.c:545``), ``open`` the IRQ line (``lance.c:622``), ``stop`` frees the IRQ
  line only (``lance.c:1116``), and ``cleanup_module`` the channel.

:class:`OpenIrqKept` is the bug those variants must not hide: it claims the IRQ and the
DMA channel in ``open`` but frees them only in ``cleanup_module``, so the line stays
claimed while the interface is down and a second ``ifconfig up`` fails with -EBUSY
(``cb.stop.irq``, ``cb.stop.dma``).

Each takes the skeleton's insmod parameters and is used like the reference drivers
(``FACTORY(handle, instance=0, **params)``); none is in
:data:`netdevspec.reference.drivers.DRIVERS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.drivers.skeleton import CARDNAME, NETCARD_IO_EXTENT, Skeleton

if TYPE_CHECKING:
    from netdevspec.conformance.handle import KernelHandle
    from netdevspec.reference.device import Device

__all__ = ["VARIANTS", "OpenIrqKept", "ProbeClaims", "ProbeDma", "SharedMem", "Watchdog"]


def _started(drv: Skeleton, dev: Device) -> int:
    """The end of every variant's open once its card is set up: the device marked
    started and the module in use (skeleton.c net_open)."""
    drv._lp(dev).open_time = drv._h.jiffies
    dev.tbusy = 0
    dev.interrupt = 0
    dev.start = 1
    drv._h.MOD_INC_USE_COUNT()
    return 0


class ProbeClaims(Skeleton):
    """IRQ and DMA claimed by the probe, freed by cleanup_module; ei_close's stop."""

    def netcard_probe1(self, dev: Device, ioaddr: int) -> int:
        """The skeleton's probe, then the IRQ line and DMA channel (ne.c:382)."""
        rc = super().netcard_probe1(dev, ioaddr)
        if rc:
            return rc
        h = self._h
        if h.request_irq(dev.irq, self.net_interrupt, 0, CARDNAME, dev):
            h.release_region(ioaddr, NETCARD_IO_EXTENT)  # ne.c:385: give the ports back
            return -h.EAGAIN
        if h.request_dma(dev.dma, CARDNAME):
            h.free_irq(dev.irq, dev)
            h.release_region(ioaddr, NETCARD_IO_EXTENT)
            return -h.EAGAIN
        return 0

    def net_open(self, dev: Device) -> int:
        """ne_open: reset the card; the IRQ and DMA are held since the probe."""
        self.chipset_init(dev)
        return _started(self, dev)

    def net_close(self, dev: Device) -> int:
        """ne_close/ei_close: quiesce the card, start = 0, tbusy left clear (8390.c:774)."""
        h = self._h
        ioaddr = dev.base_addr
        h.outb(0, ioaddr + 0x08)  # no more interrupts from the card (IMR)
        h.outb(0x10, ioaddr + 0x07)  # receiver off (CMD STOP)
        dev.tbusy = 0  # NS8390_init(dev, 0)
        dev.start = 0
        h.MOD_DEC_USE_COUNT()
        return 0

    def cleanup_module(self) -> None:
        """ne.c:724-735: unregister, then the IRQ (and DMA) the probe claimed, the ports."""
        h = self._h
        dev = self.dev
        registered = dev.priv is not None
        h.unregister_netdev(dev)
        if registered:
            h.free_dma(dev.dma)
            h.free_irq(dev.irq, dev)
        h.release_region(dev.base_addr, NETCARD_IO_EXTENT)
        dev.priv = None


class ProbeDma(Skeleton):
    """The DMA channel claimed by the probe (lance.c:545), the IRQ line by open."""

    def netcard_probe1(self, dev: Device, ioaddr: int) -> int:
        """The skeleton's probe, then the DMA channel on its own (lance.c:545)."""
        rc = super().netcard_probe1(dev, ioaddr)
        if rc:
            return rc
        h = self._h
        if h.request_dma(dev.dma, CARDNAME):
            h.release_region(ioaddr, NETCARD_IO_EXTENT)
            return -h.EAGAIN
        return 0

    def net_open(self, dev: Device) -> int:
        """lance_open: the IRQ line (lance.c:622), then the card."""
        h = self._h
        if h.request_irq(dev.irq, self.net_interrupt, 0, CARDNAME, dev):
            return -h.EAGAIN
        self.chipset_init(dev)
        return _started(self, dev)

    def net_close(self, dev: Device) -> int:
        """lance_close: quiesce the card and free the IRQ line only (lance.c:1116)."""
        h = self._h
        ioaddr = dev.base_addr
        dev.start = 0
        dev.tbusy = 1
        h.outb(0, ioaddr + 0x08)
        h.outb(0x10, ioaddr + 0x07)
        h.free_irq(dev.irq, dev)
        h.MOD_DEC_USE_COUNT()
        return 0

    def cleanup_module(self) -> None:
        """Unregister, then the DMA channel the probe claimed, then the ports."""
        h = self._h
        dev = self.dev
        registered = dev.priv is not None
        h.unregister_netdev(dev)
        if registered:
            h.free_dma(dev.dma)
        h.release_region(dev.base_addr, NETCARD_IO_EXTENT)
        dev.priv = None


class Watchdog(Skeleton):
    """The skeleton with a transmit watchdog on a kernel timer, as atp.c keeps one
    (``atp_timer``, ``atp.c:123``): ``open`` arms it (``init_timer`` once, then
    ``add_timer``), its function re-arms it while the device is up, and ``stop`` takes it
    back with ``del_timer`` before the module can go (atp.c:252-255, 639-641)."""

    #: Ticks between two watchdog runs (atp.c's TIMED_CHECKER is HZ/10 ... 3*HZ).
    PERIOD = 50

    def __init__(self, handle: KernelHandle, /, *, instance: int = 0, **params: int) -> None:
        super().__init__(handle, instance=instance, **params)
        self.timer = handle.TimerList(0, 0, self.watchdog)
        #: How often the watchdog ran.
        self.runs = 0

    def init_module(self) -> int:
        """``init_timer`` (include/linux/timer.h:94: next = prev = NULL), then the
        skeleton's init_module."""
        self._h.init_timer(self.timer)
        return super().init_module()

    def net_open(self, dev: Device) -> int:
        """The skeleton's open, then the watchdog armed."""
        rc = super().net_open(dev)
        if rc == 0:
            self.arm()
        return rc

    def arm(self) -> None:
        """Put the watchdog on the kernel's list, PERIOD ticks from now."""
        h = self._h
        self.timer.expires = h.jiffies + self.PERIOD
        h.add_timer(self.timer)

    def watchdog(self, data: int) -> None:
        """Every PERIOD ticks while up: a transmit stuck past the timeout is reported."""
        h = self._h
        self.runs += 1
        dev = self.dev
        if dev.start and dev.tbusy and h.jiffies - dev.trans_start > 5 * self.PERIOD:
            h.printk(f"{dev.name}: transmit watchdog: transmitter stuck")
        if dev.start:
            self.arm()  # off the list while it runs: adding it again is allowed

    def net_close(self, dev: Device) -> int:
        """The watchdog first (atp.c:639), then the skeleton's stop."""
        self._h.del_timer(self.timer)
        return super().net_close(dev)


class SharedMem(Skeleton):
    """The skeleton with a shared-memory packet buffer, as wd.c's cards have: the probe
    sets the window (``mem_start`` .. ``mem_end``, wd.c ``wd_probe1``), and every reset of
    the card clears the buffer through it with ``memcpy_toio`` and checks it with
    ``readb`` (FLD-5)."""

    #: The card's buffer: 8 KiB (wd.c's 8-bit cards).
    SIZE = 0x2000
    #: Where it is mapped when insmod gives no ``mem=``.
    BASE = 0xD0000

    def netcard_probe1(self, dev: Device, ioaddr: int) -> int:
        """The skeleton's probe, then the shared-memory window."""
        rc = super().netcard_probe1(dev, ioaddr)
        if rc == 0:
            if not dev.mem_start:
                dev.mem_start = self.BASE
            dev.mem_end = dev.mem_start + self.SIZE
        return rc

    def chipset_init(self, dev: Device) -> None:
        """The skeleton's reset, then the buffer cleared and checked."""
        super().chipset_init(dev)
        self.clear_buffer(dev)
        h = self._h
        h.readb(dev.mem_start)
        h.readb(dev.mem_end - 1)

    def clear_buffer(self, dev: Device) -> None:
        """Zero the whole buffer."""
        self._h.memcpy_toio(dev.mem_start, bytes(dev.mem_end - dev.mem_start))


class OpenIrqKept(Skeleton):
    """Bug: open claims the IRQ line and DMA channel, stop keeps them, cleanup frees."""

    def net_close(self, dev: Device) -> int:
        """The skeleton's stop without free_dma/free_irq (BUG: they stay claimed)."""
        h = self._h
        dev.tbusy = 1
        dev.start = 0
        h.outb(0, dev.base_addr + 0x08)
        self._held = True
        h.MOD_DEC_USE_COUNT()
        return 0

    def cleanup_module(self) -> None:
        """Free what stop kept, then the skeleton's cleanup."""
        h = self._h
        if getattr(self, "_held", False):
            h.free_dma(self.dev.dma)
            h.free_irq(self.dev.irq, self.dev)
        super().cleanup_module()


#: The variants by name: the legitimate ones, then the buggy one.
VARIANTS = {"probe-claims": ProbeClaims, "probe-dma": ProbeDma, "watchdog": Watchdog,
            "shared-mem": SharedMem, "open-irq-kept": OpenIrqKept}
