"""``dummy.c`` of Linux 2.0.1 as a driver model: a device that discards what it is sent.

As in C: ``init_module`` finds a free name ``dummy0`` .. ``dummy99`` with ``dev_get``
(REG-7; -ENFILE when all are taken) and registers a static device whose probe
(``dummy_init``) sets the methods, calls ``ether_setup`` and then adds ``IFF_NOARP``
(REG-12, FLG-4). ``open``/``stop`` only move the use count (MOD-3); transmit frees the
frame with ``dev_kfree_skb`` and returns 0 (CB-4). The statistics that 2.0.1 compiles
out (``DUMMY_STATS``) are compiled in here: ``get_stats`` counts transmitted frames.
``cleanup_module`` unregisters the device and drops ``priv`` (MOD-2, FLD-11).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.drivers.base import module_name, take_params

if TYPE_CHECKING:
    from netdevspec.conformance.handle import KernelHandle
    from netdevspec.reference.device import Device, EnetStatistics
    from netdevspec.reference.skbuff import SkBuff

__all__ = ["FACTORY", "MAX_UNITS", "Dummy"]

#: dummy.c tries dummy0 .. dummy99 (REG-7, REG-11).
MAX_UNITS = 100


class Dummy:
    """One loaded copy of the dummy driver (see the module docstring)."""

    def __init__(self, handle: KernelHandle, /, *, instance: int = 0, **params: int) -> None:
        take_params("dummy", params, {})
        self._h = handle
        self.name = module_name("dummy", instance)
        #: The driver's static ``struct device dev_dummy`` (a fresh image per init_module).
        self.dev = self._new_device()

    def _new_device(self) -> Device:
        # dummy.c: a writable name area and dummy_probe as init, everything else zero.
        return self._h.Device("dummy0", init=self.dummy_probe)

    # -- module entry points (MOD-1, MOD-2) -------------------------------------------------------

    def init_module(self) -> int:
        """Pick the first free name dummyN (REG-7) and register the device; -ENFILE when
        dummy0..dummy99 are all taken, -EIO when registration fails."""
        h = self._h
        dev = self.dev = self._new_device()
        ct = 1
        while h.dev_get(dev.name) is not None:  # REG-7: no uniqueness check in 2.0.1
            if ct >= MAX_UNITS:
                return -h.ENFILE
            dev.name = f"dummy{ct}"
            ct += 1
        if h.register_netdev(dev) != 0:
            return -h.EIO
        return 0

    def cleanup_module(self) -> None:
        """Unregister the device and drop its private data (MOD-2, FLD-11)."""
        self._h.unregister_netdev(self.dev)
        self.dev.priv = None

    # -- probe (CB-1) -----------------------------------------------------------------------------

    def dummy_probe(self, dev: Device) -> int:
        """``dev->init``: dummy.c's dummy_probe, which runs dummy_init."""
        return self.dummy_init(dev)

    def dummy_init(self, dev: Device) -> int:
        """Set the methods and the Ethernet defaults, then IFF_NOARP (REG-12, FLG-4)."""
        h = self._h
        dev.hard_start_xmit = self.dummy_xmit
        dev.priv = h.EnetStatistics()  # FLD-11 (DUMMY_STATS)
        dev.get_stats = self.dummy_get_stats
        dev.open = self.dummy_open
        dev.stop = self.dummy_close
        h.ether_setup(dev)  # REG-12: overwrites flags, so IFF_NOARP comes after
        dev.flags |= h.IFF_NOARP
        return 0

    # -- callbacks --------------------------------------------------------------------------------

    def dummy_open(self, dev: Device) -> int:
        """``open``: mark the device started (CB-2) and count the use (MOD-3).

        2.0.1's dummy_open only counts the use. Like skeleton's net_open, this one also
        sets start, as the spec's open contract (cb.open.status) asks.
        """
        dev.start, dev.tbusy, dev.interrupt = 1, 0, 0
        self._h.MOD_INC_USE_COUNT()
        return 0

    def dummy_close(self, dev: Device) -> int:
        """``stop``: mark the device stopped (CB-3) and give the use count back (MOD-3)."""
        dev.start, dev.tbusy = 0, 1
        self._h.MOD_DEC_USE_COUNT()
        return 0

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """``hard_start_xmit``: accept and free the frame (CB-4); NULL is a no-op (CB-6)."""
        if skb is None:
            return 0
        self._h.dev_kfree_skb(skb, self._h.FREE_WRITE)  # CB-4: accepted, released at once
        self._stats(dev).tx_packets += 1
        return 0

    def dummy_get_stats(self, dev: Device) -> EnetStatistics:
        """``get_stats`` (CB-12)."""
        return self._stats(dev)

    def _stats(self, dev: Device) -> EnetStatistics:
        stats = dev.priv
        if not isinstance(stats, self._h.EnetStatistics):
            raise TypeError(f"dummy: {dev.name}'s priv is {stats!r}, not its statistics")
        return stats


#: The dummy driver's factory (see :mod:`netdevspec.reference.drivers`).
FACTORY = Dummy
