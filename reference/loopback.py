"""The loopback device built into Linux 2.0.1: ``loopback_dev`` of ``drivers/net/Space.c``
(``Space.c:437``-``450``, the head of ``dev_base``) and ``drivers/net/loopback.c``.

Every 2.0.1 kernel links ``lo`` first in its device list and ``net_dev_init``
(``net/core/dev.c:1427``-``1446``) initialises its queues and calls ``loopback_init``,
which cannot fail unless ``kmalloc`` does. No module registered it and none may
unregister it: it belongs to the module that stands for the drivers built into the kernel
(:func:`~netdevspec.reference.boot.builtin_module`, never unloaded; the spec counts
built-in drivers so, ``reg.name.set``). Its code runs as that module, except that the
device's queues stay the kernel's. :meth:`~netdevspec.reference.kernel.Kernel.pc` boots
with it; ``Kernel()``, the empty machine, has no device.

It does what loopback.c does, line by line, including what a driver model may not do:

* ``loopback_xmit`` unlocks the frame it passed up *after* ``netif_rx``
  (``loopback.c:96``-``98``);
* when the clone of a frame its owner keeps cannot be allocated it answers 1 (busy) with
  ``tbusy`` clear (``loopback.c:76``-``77``), which the reference's ``dev_tint`` records
  as ``xmit_busy_no_tbusy`` (decision ``decision.tint.spin``);
* the device has no ``stop``: ``dev_close`` only clears its flags.

The reference driver model :mod:`netdevspec.reference.drivers.loopback` is the same code as
a loadable module, for checking; it names its device ``lo1`` and up when ``lo`` is taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.device import (
    AF_INET,
    ARPHRD_LOOPBACK,
    DEV_NUMBUFFS,
    ETH_ALEN,
    ETH_HLEN,
    IFF_BROADCAST,
    IFF_LOOPBACK,
    Device,
    EnetStatistics,
)
from netdevspec.reference.skbuff import FREE_WRITE, GFP_ATOMIC, SkBuff

if TYPE_CHECKING:
    from netdevspec.reference.kernel import Kernel

__all__ = ["CHECKSUM_UNNECESSARY", "LOOPBACK_MTU", "LOOPBACK_TX_QUEUE_LEN", "BuiltinLoopback"]

#: loopback.c:53 ``LOOPBACK_MTU (PAGE_SIZE*7/8)``, i386 pages of 4096 bytes.
LOOPBACK_MTU = 4096 * 7 // 8
#: loopback.c:128 "No limit on loopback".
LOOPBACK_TX_QUEUE_LEN = 50000
#: include/linux/skbuff.h: ``skb->ip_summed`` when no checksum is needed.
CHECKSUM_UNNECESSARY = 2
# loopback.c:135-137: in_aton() of 127.0.0.1, 127.255.255.255, 255.0.0.0: the address in
# network byte order read as an i386 (little-endian) unsigned long.
LOOPBACK_ADDR = 0x0100007F
LOOPBACK_BRDADDR = 0xFFFFFF7F
LOOPBACK_MASK = 0x000000FF


class BuiltinLoopback:
    """``loopback_dev`` and loopback.c's functions, bound to one kernel."""

    def __init__(self, kernel: Kernel) -> None:
        self.k = kernel
        #: Space.c:437: ``{"lo", 0, 0, 0, 0, 0, 0, 0, 0, 0, NEXT_DEV, loopback_init}``.
        self.dev = Device("lo", init=self.loopback_init)

    def loopback_init(self, dev: Device) -> int:
        """loopback.c:118-154: the loopback device's fields; -ENOMEM when the statistics
        cannot be allocated (never, here: the kernel's kmalloc is not failed)."""
        dev.mtu = LOOPBACK_MTU
        dev.tbusy = 0
        dev.hard_start_xmit = self.loopback_xmit
        dev.hard_header = self.k.eth_header
        dev.hard_header_len = ETH_HLEN
        dev.addr_len = ETH_ALEN
        dev.tx_queue_len = LOOPBACK_TX_QUEUE_LEN
        dev.type = ARPHRD_LOOPBACK
        dev.rebuild_header = self.k.eth_rebuild_header
        dev.open = self.loopback_open
        dev.flags = IFF_LOOPBACK | IFF_BROADCAST
        dev.family = AF_INET
        dev.pa_addr = LOOPBACK_ADDR  # CONFIG_INET: every kernel with TCP/IP
        dev.pa_brdaddr = LOOPBACK_BRDADDR
        dev.pa_mask = LOOPBACK_MASK
        dev.pa_alen = 4
        dev.priv = EnetStatistics()
        dev.get_stats = self.get_stats
        with self.k.running(None):  # a device's queues are the kernel's (dev.queues.ready)
            for i in range(DEV_NUMBUFFS):  # loopback.c:150
                self.k.skb_queue_head_init(dev.buffs[i])
        return 0

    def loopback_open(self, dev: Device) -> int:
        """loopback.c:111: sets IFF_LOOPBACK, returns 0."""
        dev.flags |= IFF_LOOPBACK
        return 0

    def get_stats(self, dev: Device) -> EnetStatistics:
        """loopback.c:106: the statistics in ``dev->priv``."""
        stats = dev.priv
        if not isinstance(stats, EnetStatistics):
            raise TypeError(f"lo's priv is {stats!r}, not its statistics: loopback_init "
                            "was not run on this device")
        return stats

    def loopback_xmit(self, skb: SkBuff | None, dev: Device | None) -> int:
        """loopback.c:59-104: the frame goes back up through ``netif_rx``; a frame whose
        owner keeps it (``free`` 0) is cloned and the clone goes up."""
        k = self.k
        if skb is None or dev is None:
            return 0
        stats = self.get_stats(dev)
        unlock = True
        if skb.free == 0:
            kept = skb
            clone = k.skb_clone(kept, GFP_ATOMIC)
            if clone is None:
                return 1  # loopback.c:77: busy, with tbusy clear
            k.dev_kfree_skb(kept, FREE_WRITE)
            skb = clone
            unlock = False
        elif skb.sk is not None:
            # loopback.c:87: atomic_sub(skb->truesize, &skb->sk->wmem_alloc); the
            # socket's write_space callback is the protocols' and is not simulated.
            skb.sk.wmem_alloc -= skb.truesize
        skb.protocol = k.eth_type_trans(skb, dev)
        skb.dev = dev
        skb.ip_summed = CHECKSUM_UNNECESSARY
        k.netif_rx(skb)
        if unlock:
            k.skb_device_unlock(skb)
        stats.rx_packets += 1
        stats.tx_packets += 1
        return 0
