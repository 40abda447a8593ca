"""``loopback.c`` of Linux 2.0.1 as a driver model: transmit becomes receive.

In 2.0 the loopback device is built in (``loopback_dev`` in ``Space.c``, which the reference
kernel's booted PC has: :mod:`netdevspec.reference.loopback`); here it is a module
registering a device named as dummy.c names its own: the first of ``lo``, ``lo1``, ...,
``lo99`` (from ``lo<instance>`` on) that ``dev_get`` does not find, -ENFILE when none is
free. On a booted PC the first copy is ``lo1``; on the empty machine ``lo``. ``init`` is
``loopback_init``: MTU ``PAGE_SIZE*7/8``, no queue limit (tx_queue_len 50000),
ARPHRD_LOOPBACK, IFF_LOOPBACK|IFF_BROADCAST, 127.0.0.1/8 (FLD-10, FLD-12, FLG-4). It
calls ``ether_setup`` first for the queues and the Ethernet header methods (loopback.c
sets ``eth_header``/``eth_rebuild_header`` and initialises ``buffs[]`` itself, which
comes to the same) and then clears the two Ethernet methods loopback.c does not have.

Transmit (RX-7): a frame whose owner keeps it (``skb->free == 0``) is cloned and the
clone passed up, the original released with ``dev_kfree_skb``; any other frame is passed
up itself, after crediting its socket's send memory (ART-3). The frame passed up gets
``skb->dev``, ``skb->protocol = eth_type_trans(skb, dev)`` (RX-3, RX-4) and then goes to
``netif_rx`` (RX-5). Three deliberate differences from loopback.c:

* loopback.c unlocks the reused frame (``skb_device_unlock``) *after* ``netif_rx``, under
  ``cli()``; here it is unlocked just before, so the driver never touches a frame the
  kernel owns (the result is the same: nothing runs in between);
* a frame shorter than the device's link header (a program can send one through a
  SOCK_PACKET socket; 2.0's packet_sendmsg has no lower bound) is dropped, counted in
  ``tx_dropped``: loopback.c hands it to ``eth_type_trans``, which reads a header the
  frame does not have (RX-4, rule rx.eth.header);
* when the clone fails, loopback.c returns 1 (busy) with ``tbusy`` clear, which would
  make 2.0's ``dev_tint`` spin (CB-5, CB-10; the reference kernel records
  ``xmit_busy_no_tbusy``). Here the frame is dropped instead: released with
  ``dev_kfree_skb``, counted in ``tx_dropped``, and 0 returned (CB-4).

``open``/``stop`` move the use count (MOD-3), which loopback.c, never a module, lacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.drivers.base import module_name, take_params

if TYPE_CHECKING:
    from netdevspec.conformance.handle import KernelHandle
    from netdevspec.reference.device import Device, EnetStatistics
    from netdevspec.reference.skbuff import SkBuff

__all__ = ["FACTORY", "LOOPBACK_MTU", "Loopback"]

#: loopback.c: ``dev->mtu = PAGE_SIZE*7/8`` (i386 pages of 4096 bytes).
LOOPBACK_MTU = 4096 * 7 // 8
#: loopback.c: "No limit on loopback" (FLD-10).
LOOPBACK_TX_QUEUE_LEN = 50000
# in_aton("127.0.0.1"), "127.255.255.255", "255.0.0.0": network byte order read as a
# little-endian (i386) unsigned long, as 2.0 stores them.
_LOOPBACK_ADDR = 0x0100007F
_LOOPBACK_BRDADDR = 0xFFFFFF7F
_LOOPBACK_MASK = 0x000000FF
#: lo, lo1, ..., lo99, as dummy.c's dummy0..dummy99.
_MAX_UNITS = 100


class Loopback:
    """One loaded copy of the loopback driver (see the module docstring)."""

    def __init__(self, handle: KernelHandle, /, *, instance: int = 0, **params: int) -> None:
        take_params("loopback", params, {})
        self._h = handle
        self.name = module_name("loopback", instance)
        self._first_unit = instance
        self._devname = "lo" if instance == 0 else f"lo{instance}"
        #: The driver's ``struct device`` (a fresh image per init_module).
        self.dev = handle.Device(self._devname, init=self.loopback_init)

    # -- module entry points (MOD-1, MOD-2) -------------------------------------------------------

    def init_module(self) -> int:
        """Register the loopback device under the first free name (REG-7, as dummy.c);
        -ENFILE when lo..lo99 are all taken, -EIO if registration fails (MOD-1)."""
        h = self._h
        dev = self.dev = h.Device(self._devname, init=self.loopback_init)
        ct = self._first_unit
        while h.dev_get(dev.name) is not None:  # 2.0.1 never checks names (REG-7)
            ct += 1
            if ct >= _MAX_UNITS:
                return -h.ENFILE
            dev.name = f"lo{ct}"
        if h.register_netdev(dev) != 0:
            return -h.EIO
        return 0

    def cleanup_module(self) -> None:
        """Unregister the device and drop its statistics (MOD-2, FLD-11)."""
        self._h.unregister_netdev(self.dev)
        self.dev.priv = None

    # -- probe (CB-1) -----------------------------------------------------------------------------

    def loopback_init(self, dev: Device) -> int:
        """``dev->init``: loopback.c's loopback_init (see the module docstring)."""
        h = self._h
        h.ether_setup(dev)  # queues, eth_header, eth_rebuild_header (FLD-9)
        dev.change_mtu = None  # loopback.c has neither: the MTU is set directly (CB-19)
        dev.set_mac_address = None
        dev.mtu = LOOPBACK_MTU  # FLD-10
        dev.tbusy = 0
        dev.hard_start_xmit = self.loopback_xmit
        dev.tx_queue_len = LOOPBACK_TX_QUEUE_LEN
        dev.type = h.ARPHRD_LOOPBACK
        dev.open = self.loopback_open
        dev.stop = self.loopback_close
        dev.flags = h.IFF_LOOPBACK | h.IFF_BROADCAST  # FLG-4, after ether_setup (REG-12)
        dev.family = h.AF_INET  # FLD-12
        dev.pa_addr = _LOOPBACK_ADDR
        dev.pa_brdaddr = _LOOPBACK_BRDADDR
        dev.pa_mask = _LOOPBACK_MASK
        dev.pa_alen = 4
        dev.priv = h.EnetStatistics()  # FLD-11
        dev.get_stats = self.get_stats
        return 0

    # -- callbacks --------------------------------------------------------------------------------

    def loopback_open(self, dev: Device) -> int:
        """``open`` (CB-2): loopback.c's, plus the use count of a module (MOD-3)."""
        dev.flags |= self._h.IFF_LOOPBACK
        self._h.MOD_INC_USE_COUNT()
        return 0

    def loopback_close(self, dev: Device) -> int:
        """``stop`` (CB-3): the use count back (MOD-3)."""
        self._h.MOD_DEC_USE_COUNT()
        return 0

    def get_stats(self, dev: Device) -> EnetStatistics:
        """``get_stats`` (CB-12)."""
        return self._stats(dev)

    def loopback_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """``hard_start_xmit``: hand the frame to the receive path (RX-7)."""
        h = self._h
        if skb is None:
            return 0  # CB-6
        stats = self._stats(dev)
        if skb.len < dev.hard_header_len:  # no header to pass up (module docstring)
            stats.tx_dropped += 1
            h.dev_kfree_skb(skb, h.FREE_WRITE)  # CB-4: accepted, so released
            return 0
        flags = h.save_flags()
        h.cli()
        if dev.tbusy:  # CB-5: busy with tbusy set, frame untouched (CB-4)
            h.restore_flags(flags)
            stats.tx_errors += 1
            return 1
        dev.tbusy = 1
        h.restore_flags(flags)

        unlock = True
        if skb.free == 0:
            # RX-7, SKB-13: the owner keeps this buffer; pass a clone up (read-only data,
            # SKB-15) and release ours.
            clone = h.skb_clone(skb, h.GFP_ATOMIC)
            if clone is None:
                # Dropped rather than loopback.c's busy-without-tbusy (module docstring).
                dev.tbusy = 0
                stats.tx_dropped += 1
                h.dev_kfree_skb(skb, h.FREE_WRITE)  # CB-4: accepted, so released
                return 0
            h.dev_kfree_skb(skb, h.FREE_WRITE)  # SKB-14: unlocks; free 0 keeps it alive
            skb = clone
            unlock = False
        elif skb.sk is not None:
            # ART-3: sent but looped back; stop charging the socket for it (netif_rx
            # clears skb->sk, so the final free will not credit it).
            skb.sk.wmem_alloc -= skb.truesize

        skb.dev = dev  # RX-3
        skb.protocol = h.eth_type_trans(skb, dev)  # RX-4
        skb.ip_summed = h.CHECKSUM_UNNECESSARY
        if unlock:
            h.skb_device_unlock(skb)  # SKB-14, RX-7 (before netif_rx: see the docstring)
        h.netif_rx(skb)  # RX-5: the kernel's from here on; not touched again
        stats.tx_packets += 1
        stats.rx_packets += 1
        dev.tbusy = 0
        return 0

    def _stats(self, dev: Device) -> EnetStatistics:
        stats = dev.priv
        if not isinstance(stats, self._h.EnetStatistics):
            raise TypeError(f"loopback: {dev.name}'s priv is {stats!r}, not its statistics")
        return stats


#: The loopback driver's factory (see :mod:`netdevspec.reference.drivers`).
FACTORY = Loopback
