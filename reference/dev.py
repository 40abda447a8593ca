"""Devices, transmit and the network bottom half, after Linux 2.0.1's ``net/core/dev.c``.

The device list ``dev_base`` and ``dev_get`` (``dev.c:202``); ``dev_open``
(``dev.c:239``) and ``dev_close`` (``dev.c:270``); the transmit path
``dev_queue_xmit`` (``do_dev_queue_xmit``, ``dev.c:335``) and ``dev_tint``
(``dev.c:731``); the receive path ``netif_rx`` (``dev.c:479``) and ``net_bh``
(``dev.c:561``, with ``dev_transmit``, ``dev.c:531``); packet handlers and taps
(``dev_add_pack``/``dev_remove_pack``, ``dev.c:149``/``dev.c:171``); and the
driver-facing part of ``dev_ifsioc`` (``dev.c:958``): SIOCSIFFLAGS, SIOCSIFMTU,
SIOCSIFHWADDR, SIOCSIFMAP, private ioctls and statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from netdevspec.reference.common import EINVAL, EIO, ENODEV, EOPNOTSUPP, KernelCore, need_int
from netdevspec.reference.dev_mcast import DevMcast
from netdevspec.reference.device import (
    DEV_NUMBUFFS,
    ETH_P_ALL,
    IFF_ALLMULTI,
    IFF_BROADCAST,
    IFF_DEBUG,
    IFF_LOOPBACK,
    IFF_MASTER,
    IFF_MULTICAST,
    IFF_NOARP,
    IFF_NOTRAILERS,
    IFF_POINTOPOINT,
    IFF_PROMISC,
    IFF_RUNNING,
    IFF_SLAVE,
    IFF_UP,
    Device,
    IfMap,
    need_dev,
)
from netdevspec.reference.modules import Module
from netdevspec.reference.skbuff import FREE_READ, FREE_WRITE, SkbOps, SkBuff, SkBuffHead, _need_skb
from netdevspec.reference.softirq import NET_BH, Softirq
from netdevspec.reference.timer import Timer

__all__ = ["NETDEV_MAX_BACKLOG", "Dev", "PacketFunc", "PacketType"]

#: dev.c: the backlog length past which netif_rx drops (RX-5).
NETDEV_MAX_BACKLOG = 300
_USER_FLAGS = (IFF_BROADCAST | IFF_DEBUG | IFF_LOOPBACK | IFF_POINTOPOINT | IFF_NOTRAILERS
               | IFF_RUNNING | IFF_NOARP | IFF_PROMISC | IFF_ALLMULTI | IFF_SLAVE | IFF_MASTER
               | IFF_MULTICAST)

PacketFunc = Callable[[SkBuff, "Device | None", "PacketType"], object]


@dataclass(eq=False)
class PacketType:
    """``struct packet_type``: a protocol handler for ``type`` (ETH_P_ALL for a tap).

    ``func(skb, dev, pt)`` receives a buffer it then owns. ``dev`` None means any device.
    The kernel sets ``owner`` to the module that called ``dev_add_pack``.
    """

    type: int
    func: PacketFunc
    dev: Device | None = None
    data: object = None
    owner: Module | None = field(default=None, repr=False)


class Dev:
    """The device list, the transmit and receive paths and the packet handlers."""

    def __init__(self, core: KernelCore, skb: SkbOps, softirq: Softirq, mcast: DevMcast,
                 timer: Timer) -> None:
        self._k = core
        self._skb = skb
        self._softirq = softirq
        self._mcast = mcast
        self._timer = timer
        self._misuse = core._misuse
        self.printk = core.printk
        #: The device list (2.0's dev_base), in registration order.
        self.dev_base: list[Device] = []
        self._ptype_all: list[PacketType] = []
        self._ptype_base: list[list[PacketType]] = [[] for _ in range(16)]
        #: The receive backlog (RX-5), owned by the kernel.
        self.backlog = SkBuffHead(None, "backlog")
        self._rx_dropping = False
        #: Frames netif_rx dropped (backlog full) and dev_queue_xmit dropped (queue full).
        self.rx_dropped = 0
        self.tx_dropped = 0
        softirq.init_bh(NET_BH, self._run_net_bh)

    # -- building a kernel in a given state ----------------------------------------------------

    def link(self, dev: Device, owner: Module | None) -> None:
        """Append a registered device to the list without register_netdev's probe (building
        a kernel in a given state)."""
        dev.registered = True
        dev.owner = owner
        self.dev_base.append(dev)
        if owner is not None:
            owner.devices[id(dev)] = dev

    def set_rx_dropping(self, dropping: bool) -> None:
        """Set netif_rx's dropping mode (building a kernel in a given state)."""
        self._rx_dropping = dropping

    def dev_get(self, name: str) -> Device | None:
        """The first registered device called ``name``, or None (REG-1)."""
        for dev in self.dev_base:
            if dev.name == name:
                return dev
        return None

    def dev_open(self, dev: Device) -> int:
        """Bring a registered device up (CB-2): call ``open``; on 0 set IFF_UP|IFF_RUNNING
        and load the multicast list.

        -ENODEV if the device has no ``open`` or is not registered (what ``ifconfig`` would
        get; recorded as ``device_not_registered``). An up device is left alone (0). An
        ``open`` that raises counts as -EIO.
        """
        dev = need_dev("dev_open", dev)
        if not dev.registered:
            self._misuse("device_not_registered", f"dev_open({dev.name!r}): not registered",
                         dev=dev.name)
            return -ENODEV
        if dev.flags & IFF_UP:
            return 0
        if dev.open is None:
            return -ENODEV
        self._k.depth += 1
        try:
            dev.phase = 1
            ok, rc = self._k.call(dev.owner, f"open of {dev.name!r}", dev.open, dev)
            dev.phase = 0
            if not ok:
                return -EIO
            if not isinstance(rc, int):
                self._misuse("callback_bad_return", f"open of {dev.name!r} returned {rc!r}, "
                             "not an int", dev=dev.name)
                return -EIO
            if rc > 0:
                self._misuse("open_bad_return", f"open of {dev.name!r} returned {rc}, not 0 "
                             "or a negative errno", dev=dev.name, rc=rc)
            if rc == 0:
                dev.flags |= IFF_UP | IFF_RUNNING
                self._mcast.dev_mc_upload(dev)
            return rc
        finally:
            self._k.leave()

    def dev_close(self, dev: Device) -> int:
        """Take a registered device down (CB-3): ``stop`` if it is up (its result ignored),
        clear IFF_UP|IFF_RUNNING, drop the multicast list and drain ``buffs[]`` (frames
        with ``free`` != 0 are freed, the others left to their owner). Returns 0, or
        -ENODEV for a device that is not registered (recorded)."""
        dev = need_dev("dev_close", dev)
        if not dev.registered:
            self._misuse("device_not_registered", f"dev_close({dev.name!r}): not registered",
                         dev=dev.name)
            return -ENODEV
        self._k.depth += 1
        try:
            return self._dev_close(dev)
        finally:
            self._k.leave()

    def _dev_close(self, dev: Device) -> int:
        if dev.flags & IFF_UP and dev.stop is not None:
            dev.phase = 2
            self._k.call(dev.owner, f"stop of {dev.name!r}", dev.stop, dev)
            dev.phase = 0
        dev.flags &= ~(IFF_UP | IFF_RUNNING)
        self._mcast.dev_mc_discard(dev)
        for q in dev.buffs:
            while True:
                skb = self._skb._dequeue(q)
                if skb is None:
                    break
                if skb.free:
                    self._skb._kfree(skb, FREE_WRITE)
        return 0

    def dev_change_flags(self, dev: Device, flags: int) -> int:
        """SIOCSIFFLAGS (FLG-2, FLG-3): take the user-settable flags, keep IFF_UP, and open
        or close the device when the requested IFF_UP differs."""
        dev = need_dev("dev_change_flags", dev)
        need_int("dev_change_flags", "flags", flags)
        if not dev.registered:
            self._misuse("device_not_registered", f"SIOCSIFFLAGS on {dev.name!r}: not "
                         "registered", dev=dev.name)
            return -ENODEV
        old = dev.flags
        dev.flags = (flags & _USER_FLAGS) | (old & IFF_UP)
        self._mcast.dev_mc_upload(dev)
        ret = 0
        if (old ^ flags) & IFF_UP:
            if old & IFF_UP:
                ret = self.dev_close(dev)
            else:
                ret = self.dev_open(dev)
                if ret < 0:
                    dev.flags &= ~IFF_UP
        self._mcast.dev_mc_upload(dev)
        return ret

    def dev_get_stats(self, dev: Device) -> object:
        """Call ``get_stats`` (CB-12); None when the device has none."""
        dev = need_dev("dev_get_stats", dev)
        if dev.get_stats is None:
            return None
        ok, stats = self._k.call(dev.owner, f"get_stats of {dev.name!r}", dev.get_stats, dev)
        return stats if ok else None

    def _sioc(self, dev: Device, method: str, *args: object) -> int:
        """Call one of the ioctl-path methods (CB-16..19): -EOPNOTSUPP without one, -EIO
        when it raises or returns something that is not an int."""
        fn = getattr(dev, method)
        if fn is None:
            return -EOPNOTSUPP
        ok, rc = self._k.call(dev.owner, f"{method} of {dev.name!r}", fn, dev, *args)
        if not ok:
            return -EIO
        if not isinstance(rc, int) or isinstance(rc, bool):
            self._misuse("callback_bad_return", f"{method} of {dev.name!r} returned {rc!r}, "
                         "not an int", dev=dev.name)
            return -EIO
        return rc

    def dev_set_mac_address(self, dev: Device, addr: bytes) -> int:
        """SIOCSIFHWADDR: ``dev->set_mac_address(dev, addr)`` (CB-16)."""
        return self._sioc(need_dev("dev_set_mac_address", dev), "set_mac_address", addr)

    def dev_set_config(self, dev: Device, map_: IfMap) -> int:
        """SIOCSIFMAP: ``dev->set_config(dev, map)`` (CB-18)."""
        return self._sioc(need_dev("dev_set_config", dev), "set_config", map_)

    def dev_private_ioctl(self, dev: Device, ifr: object, cmd: int) -> int:
        """SIOCDEVPRIVATE..+15: ``dev->do_ioctl(dev, ifr, cmd)`` (CB-17)."""
        return self._sioc(need_dev("dev_private_ioctl", dev), "do_ioctl", ifr, cmd)

    def dev_set_mtu(self, dev: Device, mtu: int) -> int:
        """SIOCSIFMTU (``dev.c:1200``, CB-19): -EINVAL below 68 without asking the driver,
        else ``dev->change_mtu(dev, mtu)``, or set it directly without one."""
        dev = need_dev("dev_set_mtu", dev)
        if need_int("dev_set_mtu", "mtu", mtu) < 68:
            return -EINVAL
        if dev.change_mtu is None:
            dev.mtu = mtu
            return 0
        return self._sioc(dev, "change_mtu", mtu)

    def dev_queue_xmit(self, skb: SkBuff | None, dev: Device, pri: int = 0) -> None:
        """Queue a frame for ``dev`` and try to send it (CB-9), as the protocol layer does.

        The frame is device-locked and belongs to the kernel. If ``buffs[pri]`` holds more
        than ``tx_queue_len`` frames it is dropped (``dev_kfree_skb``); otherwise it joins
        the tail and the head frame is handed to ``hard_start_xmit`` (lent to the driver's
        module): 0 means the driver keeps it, non-zero means busy and the kernel takes it
        back, unlocks it and requeues it at the head. A negative ``pri`` (-p-1) is 2.0's
        retry from the head of queue p. Recorded: a device that is down or unregistered
        (``xmit_device_down``), a bad priority (``xmit_bad_priority``, priority 1 used).
        """
        if skb is None:
            self._misuse("xmit_null", "dev_queue_xmit(NULL)")
            return
        skb = _need_skb("dev_queue_xmit", skb)
        dev = need_dev("dev_queue_xmit", dev)
        need_int("dev_queue_xmit", "pri", pri)
        if not skb.alive:
            self._skb._bad_use(skb, "dev_queue_xmit")
            return
        cur = self._k.current
        if cur is not None and skb.owner is not cur:
            self._skb._bad_use(skb, "dev_queue_xmit")
        if not dev.registered or not dev.flags & IFF_UP:
            self._misuse("xmit_device_down", f"dev_queue_xmit on {dev.name!r}, which is not "
                         "registered and up", dev=dev.name, skb=skb.id)
        if skb.list is not None:
            self._misuse("queue_twice", f"dev_queue_xmit of buffer #{skb.id}, still on queue "
                         f"{skb.list.name or '?'}", skb=skb.id, op="dev_queue_xmit")
            self._skb._unlink(skb)
        self._k.depth += 1
        self._k.intr_count += 1  # start_bh_atomic
        try:
            self._do_xmit(skb, dev, pri)
        finally:
            self._k.intr_count -= 1
            self._k.leave()

    def _do_xmit(self, skb: SkBuff, dev: Device, pri: int) -> int:
        """2.0's do_dev_queue_xmit; returns 1 when the frame went back on the queue busy."""
        if pri >= 0 and not skb.lock:
            self._skb._lock(skb)
        skb.dev = dev
        retransmission = pri < 0
        if retransmission:
            pri = -pri - 1
        if pri >= DEV_NUMBUFFS:
            self.printk("bad priority in dev_queue_xmit.")
            self._misuse("xmit_bad_priority", f"dev_queue_xmit priority {pri}", pri=pri)
            pri = 1
        self._skb._give(skb, None)
        if not skb.arp and dev.rebuild_header is not None:
            ok, held = self._k.call(dev.owner, f"rebuild_header of {dev.name!r}",
                                  dev.rebuild_header, skb.data, dev, skb.raddr, skb)
            if not ok:
                self._skb._dev_kfree(skb, FREE_WRITE)
                return 0
            if held:
                return 0  # ARP holds the frame now (owner: the kernel)
        q = dev.buffs[pri]
        if not retransmission:
            if q.qlen and q.qlen > dev.tx_queue_len:
                self.tx_dropped += 1
                self._skb._dev_kfree(skb, FREE_WRITE)
                if self._k.tracer is not None:
                    self._k.tracer("xmit.dropped", {"skb": skb, "dev": dev, "pri": pri})
                return 0
            # Taps see the frame being queued, stamped, before any reordering (dev.c:419).
            if self._ptype_all:
                skb.stamp = self._timer.jiffies
                self._xmit_taps(skb, dev)
            # Keep order (dev.c:438): the frame joins the tail, unlocked, and the head frame
            # is locked and sent instead. 2.0.1 skips the round trip when the queue is empty;
            # the result is the same frame with the same lock count.
            self._skb._unlock(skb)
            self._skb._enqueue_tail(q, skb)
            if self._k.tracer is not None:
                self._k.tracer("xmit.queued", {"skb": skb, "dev": dev, "pri": pri})
            head = self._skb._dequeue(q)
            assert head is not None
            skb = head
            self._skb._lock(skb)
        rc = self._hand_to_driver(skb, dev, pri)
        return rc

    def _hand_to_driver(self, skb: SkBuff, dev: Device, pri: int) -> int:
        rc = self._xmit_call(skb, dev, pri)
        if self._k.tracer is not None:
            self._k.tracer("xmit.return", {"skb": skb, "dev": dev, "pri": pri, "rc": rc})
        return rc

    def _xmit_call(self, skb: SkBuff, dev: Device, pri: int) -> int:
        xmit = dev.hard_start_xmit
        if xmit is None:
            self._misuse("xmit_no_method", f"{dev.name!r} has no hard_start_xmit; the frame "
                         "is dropped", dev=dev.name, skb=skb.id)
            self._skb._dev_kfree(skb, FREE_WRITE)
            return 0
        owner = dev.owner
        self._skb._give(skb, owner)
        dev.phase = 3
        dev.xmit_pri = pri
        if self._k.tracer is not None:
            self._k.tracer("xmit.lend", {"skb": skb, "dev": dev, "pri": pri})
        ok, rc = self._k.call(owner, f"hard_start_xmit of {dev.name!r}", xmit, skb, dev)
        dev.phase = 0
        if not ok:
            # Documented choice: a raising driver is treated as having accepted and dropped
            # the frame (dev_kfree_skb), so it is never retried in a loop.
            if skb.alive and skb.owner is owner and skb.list is None:
                self._skb._dev_kfree(skb, FREE_WRITE)
            return 0
        if not isinstance(rc, int):
            self._misuse("callback_bad_return", f"hard_start_xmit of {dev.name!r} returned "
                         f"{rc!r}, not an int; taken as 0 (accepted)", dev=dev.name)
            return 0
        if rc == 0:
            return 0
        # Busy: the driver must have neither freed nor kept the frame (CB-4).
        if (not skb.alive or skb.owner is not owner or skb.list is not None or skb.lock < 1
                or skb.free == 3):
            self._misuse("xmit_busy_consumed", f"hard_start_xmit of {dev.name!r} returned "
                         f"busy but freed, queued, unlocked or handed on buffer #{skb.id}",
                         dev=dev.name, skb=skb.id)
            if not skb.alive or skb.list is not None:
                return 1
        self._skb._unlock(skb)
        self._skb._give(skb, None)
        self._skb._enqueue_head(dev.buffs[pri], skb)
        return 1

    def _xmit_taps(self, skb: SkBuff, dev: Device) -> None:
        for pt in list(self._ptype_all):
            # Never back to the socket the frame came from (2.0 compares ptype->data and
            # skb->sk as pointers, so a tap with no data sees only frames of a socket).
            if (pt.dev is None or pt.dev is dev) and pt.data is not skb.sk:
                clone = self._kclone(skb)
                if clone is None:
                    break
                clone.h_raw = clone.data + dev.hard_header_len
                clone.mac_raw = clone.data
                self._to_handler(pt, clone)

    def _kclone(self, skb: SkBuff) -> SkBuff | None:
        prev = self._k.current
        self._k.current = None
        try:
            return self._skb.skb_clone(skb)
        finally:
            self._k.current = prev

    def dev_tint(self, dev: Device) -> None:
        """Send what waits on ``dev``'s queues (CB-10): buffs[0], then [1], then [2], each
        head frame locked and handed to ``hard_start_xmit``, until ``tbusy`` is set.

        Called from inside the device's own ``hard_start_xmit`` with a frame it is recorded
        (``tint_in_xmit``) and does nothing. A driver that answers busy without setting
        ``tbusy`` would make 2.0 spin here forever: recorded (``xmit_busy_no_tbusy``) and
        stopped.
        """
        dev = need_dev("dev_tint", dev)
        if dev.phase == 3:
            self._misuse("tint_in_xmit", f"dev_tint({dev.name!r}) from inside its own "
                         "hard_start_xmit", dev=dev.name)
            return
        self._k.depth += 1
        try:
            self._tint(dev)
        finally:
            self._k.leave()

    def _tint(self, dev: Device) -> None:
        for i in range(DEV_NUMBUFFS):
            q = dev.buffs[i]
            if not q.qlen and self._k.tracer is not None:
                self._k.tracer("xmit.idle", {"dev": dev, "pri": i})
            while q.qlen:
                skb = self._skb._dequeue(q)
                if skb is None:
                    break
                self._skb._lock(skb)
                busy = self._do_xmit(skb, dev, -i - 1)
                if dev.tbusy:
                    return
                if busy:
                    self._misuse("xmit_busy_no_tbusy", f"hard_start_xmit of {dev.name!r} "
                                 "returned busy without setting tbusy (2.0's dev_tint would "
                                 "spin forever)", dev=dev.name)
                    return

    def net_bh(self) -> None:
        """Run the network bottom half now (unless it is already running): transmit on every
        idle device (``dev_tint``), then hand each backlog frame to the protocols."""
        if self._softirq.in_bh:
            return
        self._k.depth += 1
        self._k.intr_count += 1  # as do_bottom_half would run it (entry.S:272)
        try:
            self._run_net_bh()
        finally:
            self._k.intr_count -= 1
            self._k.leave()

    def _run_net_bh(self) -> None:
        self._softirq.bh_active &= ~(1 << NET_BH)
        prev = self._k.current
        self._k.current = None
        self._softirq.in_bh = True
        self._k.depth += 1
        tracer = self._k.tracer
        if tracer is not None:
            tracer("bh.begin", {})
        try:
            for dev in list(self.dev_base):
                if dev.flags != 0 and not dev.tbusy and dev.phase == 0:
                    self._tint(dev)
            backlog = self.backlog
            while backlog.qlen:
                skb = self._skb._dequeue(backlog)
                if skb is None:
                    break
                if tracer is not None:
                    tracer("bh.deliver", {"skb": skb})
                skb.h_raw = skb.data
                self._deliver_rx(skb)
                if tracer is not None:
                    tracer("bh.delivered", {"skb": skb})
            if not backlog.qlen:
                self._rx_dropping = False
            if tracer is not None:
                tracer("bh.end", {})
        finally:
            self._k.depth -= 1
            self._softirq.in_bh = False
            self._k.current = prev

    def _deliver_rx(self, skb: SkBuff) -> None:
        prev: PacketType | None = None
        for pt in list(self._ptype_all):
            if prev is not None:
                clone = self._kclone(skb)
                if clone is not None:
                    self._to_handler(prev, clone)
            prev = pt
        proto = skb.protocol
        for pt in list(self._ptype_base[proto & 15]):
            if pt.type == proto and (pt.dev is None or pt.dev is skb.dev):
                if prev is not None:
                    clone = self._kclone(skb)
                    if clone is not None:
                        self._to_handler(prev, clone)
                prev = pt
        if prev is not None:
            self._to_handler(prev, skb)
        else:
            self._skb._kfree(skb, FREE_WRITE)

    def _to_handler(self, pt: PacketType, skb: SkBuff) -> None:
        self._skb._give(skb, pt.owner)
        self._k.call(pt.owner, f"packet handler for type {pt.type:#06x}", pt.func, skb, skb.dev,
                   pt)

    def dev_add_pack(self, pt: PacketType) -> None:
        """Register a protocol handler (ETH_P_ALL: a tap), owned by the caller."""
        if not isinstance(pt, PacketType):
            raise TypeError(f"dev_add_pack: pt must be a PacketType, got {type(pt).__name__}")
        pt.owner = self._k.current
        if pt.type == ETH_P_ALL:
            self._ptype_all.insert(0, pt)
        else:
            self._ptype_base[pt.type & 15].insert(0, pt)
        if pt.owner is not None:
            pt.owner.packet_types.append(pt)

    def dev_remove_pack(self, pt: PacketType) -> None:
        """Unregister a protocol handler; an unknown one is logged and recorded
        (``remove_pack_not_found``)."""
        chain = self._ptype_all if pt.type == ETH_P_ALL else self._ptype_base[pt.type & 15]
        if pt in chain:
            chain.remove(pt)
            if pt.owner is not None and pt in pt.owner.packet_types:
                pt.owner.packet_types.remove(pt)
            return
        # dev.c:189 prints the pointer (%p: 8 hex digits on i386)
        self.printk(f"dev_remove_pack: {id(pt) & 0xFFFF_FFFF:08x} not found.")
        self._misuse("remove_pack_not_found", f"dev_remove_pack of an unknown handler for "
                     f"type {pt.type:#06x}")

    def netif_rx(self, skb: SkBuff | None) -> None:
        """A driver passes a received frame up (RX-5); the buffer is the kernel's from now on.

        Sets ``sk`` None and ``free`` 1, stamps it, and queues it on the backlog, marking
        NET_BH. Once the backlog holds more than 300 frames the kernel drops arrivals
        (frees them) until it has drained. Recorded: a frame without ``skb.dev`` set to a
        registered device (``rx_no_dev``) or without ``skb.protocol`` (``rx_no_protocol``;
        no handler will take it).
        """
        if skb is None:
            self._misuse("rx_null", "netif_rx(NULL)")
            return
        try:
            alive = skb.alive
        except AttributeError:
            _need_skb("netif_rx", skb)
            raise
        if not alive:
            self._skb._bad_use(skb, "netif_rx")
            return
        cur = self._k.current
        if cur is not None and skb.owner is not cur:
            self._skb._bad_use(skb, "netif_rx")
        if skb.list is not None:
            self._misuse("queue_twice", f"netif_rx of buffer #{skb.id}, still on queue "
                         f"{skb.list.name or '?'}", skb=skb.id, op="netif_rx")
            self._skb._unlink(skb)
        if skb.dev is None or not skb.dev.registered:
            self._misuse("rx_no_dev", f"netif_rx of buffer #{skb.id} without skb->dev set to a "
                         "registered device", skb=skb.id)
        if skb.protocol == 0:
            self._misuse("rx_no_protocol", f"netif_rx of buffer #{skb.id} without "
                         "skb->protocol (call eth_type_trans)", skb=skb.id)
        skb.sk = None
        skb.free = 1
        if skb.stamp == 0:
            skb.stamp = self._timer.jiffies
        self._skb._give(skb, None)
        backlog = self.backlog
        if not backlog.qlen:
            self._rx_dropping = False
        elif backlog.qlen > NETDEV_MAX_BACKLOG:
            self._rx_dropping = True
        if self._rx_dropping:
            self.rx_dropped += 1
            self._skb._kfree(skb, FREE_READ)
            return
        self._skb._enqueue_tail(backlog, skb)
        self._softirq.bh_active |= 1 << NET_BH

    @property
    def rx_dropping(self) -> bool:
        """True while netif_rx drops arrivals (the backlog went over 300)."""
        return self._rx_dropping

