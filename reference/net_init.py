"""Device naming and registration, after Linux 2.0.1's ``drivers/net/net_init.c``.

``ethdev_index[16]`` (``net_init.c:61``), ``init_etherdev`` (``net_init.c:76``),
``eth_mac_addr`` (``net_init.c:140``), ``eth_change_mtu`` (``net_init.c:149``),
``ether_setup`` (``net_init.c:157``), ``ether_config`` (``net_init.c:234``),
``register_netdev`` (``net_init.c:251``) and ``unregister_netdev``
(``net_init.c:294``), with the spec's decisions where 2.0.1 and 2.2 disagree
(``register_netdev`` answers -EEXIST for a taken name and -ENFILE when no eth slot is
free, as 2.2 does). ``dev_alloc_name`` is 2.2's (``net/core/dev.c``), offered for
drivers written against it.
"""

from __future__ import annotations

import re

from netdevspec.reference.common import EBUSY, EEXIST, EINVAL, EIO, ENFILE, KernelCore, need_int
from netdevspec.reference.dev import Dev
from netdevspec.reference.device import (
    AF_INET,
    ARPHRD_ETHER,
    DEV_NUMBUFFS,
    ETH_ALEN,
    ETH_DATA_LEN,
    ETH_HLEN,
    IFF_BROADCAST,
    IFF_MULTICAST,
    IFF_UP,
    Device,
    IfMap,
    need_dev,
)
from netdevspec.reference.eth import Eth
from netdevspec.reference.skbuff import SkbOps

__all__ = ["MAX_ETH_CARDS", "NetInit"]

#: net_init.c:60: the automatic eth slots.
MAX_ETH_CARDS = 16
_ETH_NAME = re.compile(r"eth(0|[1-9][0-9]*)")


def _eth_slot(name: str) -> int | None:
    m = _ETH_NAME.fullmatch(name)
    if m is None:
        return None
    i = int(m.group(1))
    return i if i < MAX_ETH_CARDS else None


def strtoul_index(text: str) -> int:
    """``simple_strtoul(text, NULL, 0)`` for ether_setup (``net_init.c:167``): the
    leading number in C notation (0x.. hex, 0.. octal, else decimal), 0 if none."""
    if text[:2].lower() == "0x":
        digits = re.match(r"[0-9a-fA-F]*", text[2:])
        return int(digits.group(0), 16) if digits and digits.group(0) else 0
    if text[:1] == "0":
        digits = re.match(r"[0-7]*", text[1:])
        return int(digits.group(0), 8) if digits and digits.group(0) else 0
    digits = re.match(r"[0-9]*", text)
    return int(digits.group(0)) if digits and digits.group(0) else 0


class NetInit:
    """``ethdev_index`` and the registration functions."""

    def __init__(self, core: KernelCore, skb: SkbOps, dev: Dev, eth: Eth) -> None:
        self._k = core
        self._skb = skb
        self._dev = dev
        self._eth = eth
        self._misuse = core._misuse
        self.printk = core.printk
        #: net_init.c:61: which device holds each automatic eth slot.
        self.ethdev_index: list[Device | None] = [None] * MAX_ETH_CARDS

    def dev_alloc_name(self, dev: Device, fmt: str) -> int:
        """Name ``dev`` ``fmt % i`` with the lowest unit 0..99 no registered device uses;
        returns the unit or -ENFILE (REG-8, 2.2). ``fmt`` must hold exactly one ``%d``."""
        dev = need_dev("dev_alloc_name", dev)
        if not isinstance(fmt, str) or fmt.count("%d") != 1:
            raise ValueError(f"dev_alloc_name: the format {fmt!r} must contain exactly one %d "
                             "(e.g. \"dummy%d\"), where the unit number goes")
        taken = {d.name for d in self._dev.dev_base}
        for i in range(100):
            name = fmt.replace("%d", str(i))
            if name not in taken:
                dev.name = name
                return i
        return -ENFILE

    def register_netdev(self, dev: Device | None) -> int:
        """Probe ``dev`` (``dev.init(dev)``) and link it at the tail of the device list.

        A blank name ("" or starting with a space) takes the lowest free slot of
        eth0..eth15 first (REG-3). Returns 0, -EIO when the probe fails (the slot is freed,
        REG-5), -EEXIST when the (explicit) name is already registered, -ENFILE when the
        name is blank and all 16 slots are taken (both after the probe, linking nothing),
        or -EEXIST at once for a device that is already registered (``register_twice``). A
        device with no ``init`` is not linked and 0 is returned, as 2.0.1 does; that is
        recorded (``register_no_init``). An explicit ethN name takes slot N.
        """
        if dev is None:
            self._misuse("register_no_init", "register_netdev(NULL)")
            return 0
        dev = need_dev("register_netdev", dev)
        if dev.init is None:
            self._misuse("register_no_init", f"register_netdev({dev.name!r}) with no init "
                         "function: 2.0.1 returns 0 and registers nothing", dev=dev.name)
            return 0
        if dev.registered:
            self._misuse("register_twice", f"register_netdev({dev.name!r}): the device is "
                         "already registered (2.0.1 would corrupt the list)", dev=dev.name)
            return -EEXIST
        self._k.depth += 1
        try:
            return self._register(dev)
        finally:
            self._k.leave()

    def _register(self, dev: Device) -> int:
        slot: int | None = None
        blank = dev.name == "" or dev.name[0] == " "
        if blank:
            for i in range(MAX_ETH_CARDS):
                if self.ethdev_index[i] is None:
                    slot = i
                    dev.name = f"eth{i}"
                    self.printk(f"loading device '{dev.name}'...")
                    self.ethdev_index[i] = dev
                    break
        cur = self._k.current
        dev.owner = cur
        init = dev.init
        assert init is not None
        ok, rc = self._k.call(cur, f"init of {dev.name!r}", init, dev)
        if ok and not isinstance(rc, int):
            self._misuse("callback_bad_return", f"init of {dev.name!r} returned {rc!r}, not "
                         "an int", dev=dev.name)
            ok = False
        if not ok or rc != 0:
            self._release_slots(dev)
            dev.owner = None
            return -EIO
        if blank and slot is None:
            dev.owner = None
            return -ENFILE
        other = self._dev.dev_get(dev.name)
        if other is not None:
            self._misuse("register_name_taken", f"register_netdev: the name {dev.name!r} is "
                         "already registered (check with dev_get first)", dev=dev.name)
            self._release_slots(dev)
            dev.owner = None
            return -EEXIST
        self._dev.dev_base.append(dev)
        dev.registered = True
        n = _eth_slot(dev.name)
        if n is not None and self.ethdev_index[n] is None:
            self.ethdev_index[n] = dev
        if cur is not None:
            cur.devices[id(dev)] = dev
        return 0

    def _release_slots(self, dev: Device) -> None:
        for i in range(MAX_ETH_CARDS):
            if self.ethdev_index[i] is dev:
                self.ethdev_index[i] = None

    def unregister_netdev(self, dev: Device | None) -> None:
        """Unlink ``dev`` from the device list and free its eth slot (REG-9, REG-10).

        None (``unregister_null``) and an unregistered device (``unregister_not_found``)
        are logged and recorded. A device still open or started is logged ("busy and not
        MOD_IN_USE") and recorded (``unregister_busy``), and closed first (``dev_close``
        calls ``stop``). Another module's device is recorded (``unregister_unowned``) and
        unregistered, as 2.0 never checks. The queues are drained (``dev_close``).
        """
        if dev is None:
            self.printk("was NULL")
            self._misuse("unregister_null", "unregister_netdev(NULL)")
            return
        dev = need_dev("unregister_netdev", dev)
        busy = bool(dev.start) or bool(dev.flags & IFF_UP)
        if dev.start:
            self.printk(f"ERROR '{dev.name}' busy and not MOD_IN_USE.")
        if not dev.registered:
            self.printk(f"unregister_netdev: '{dev.name}' not found")
            self._misuse("unregister_not_found", f"unregister_netdev({dev.name!r}): not "
                         "registered", dev=dev.name)
            return
        cur = self._k.current
        if cur is not None and dev.owner is not cur:
            holder = "the kernel" if dev.owner is None else f"module {dev.owner.name}"
            self._misuse("unregister_unowned", f"unregister_netdev({dev.name!r}) of a device "
                         f"registered by {holder}", dev=dev.name)
        if busy:
            self._misuse("unregister_busy", f"unregister_netdev({dev.name!r}) while it is "
                         "still up; closing it first", dev=dev.name)
        self._k.depth += 1
        try:
            # 2.0.1 unlinks first and then calls dev_close (net_init.c:324-373); the
            # reference closes first, so stop runs while the device is still registered
            # and its owner's (decision.unregister.order).
            if dev.flags & IFF_UP:
                self._dev._dev_close(dev)
            self._dev.dev_base.remove(dev)
            dev.registered = False
            self._release_slots(dev)
            if dev.owner is not None:
                dev.owner.devices.pop(id(dev), None)
            self._dev._dev_close(dev)
        finally:
            self._k.leave()

    def init_etherdev(self, dev: Device | None, sizeof_priv: int = 0) -> Device | None:
        """Set up an Ethernet device (REG-13): auto-name a blank name, ``ether_setup`` it.

        With ``dev`` None a new zeroed device is made (``priv`` a zeroed bytearray of
        ``sizeof_priv`` bytes, or None), named ethN after the lowest free slot and linked
        at the tail of the device list, owned by the caller, without a probe; None is
        returned if no slot is free (where 2.0.1 would link a nameless device).
        """
        need_int("init_etherdev", "sizeof_priv", sizeof_priv)
        new_device = dev is None
        if dev is None:
            dev = Device()
            dev.priv = bytearray((sizeof_priv + 3) & ~3) if sizeof_priv > 0 else None
        else:
            dev = need_dev("init_etherdev", dev)
        if dev.name == "" or dev.name[0] == " ":
            for i in range(MAX_ETH_CARDS):
                if self.ethdev_index[i] is None:
                    dev.name = f"eth{i}"
                    self.ethdev_index[i] = dev
                    break
            else:
                if new_device:
                    self.printk("init_etherdev: no free eth slot")
                    return None
        self.ether_setup(dev)
        if new_device:
            cur = self._k.current
            dev.owner = cur
            self._dev.dev_base.append(dev)
            dev.registered = True
            if cur is not None:
                cur.devices[id(dev)] = dev
        return dev

    def ether_setup(self, dev: Device) -> None:
        """Fill in the Ethernet defaults (FLD-9, REG-12).

        Initialises the three queues (kernel-owned), records a boot-style ``ethN`` name in
        its eth slot ("Ouch! Someone else took ..." if another device holds it), sets the
        Ethernet methods, MTU 1500, header 14, address length 6, tx_queue_len 100, the
        broadcast address, and overwrites ``flags`` with IFF_BROADCAST|IFF_MULTICAST.
        """
        dev = need_dev("ether_setup", dev)
        for i in range(DEV_NUMBUFFS):
            q = dev.buffs[i]
            if q.qlen:
                self._misuse("queue_reinit_nonempty", f"ether_setup({dev.name!r}) "
                             f"re-initialised buffs[{i}] holding {q.qlen} frame(s)",
                             dev=dev.name, qlen=q.qlen)
                self._skb._detach_all(q)
            if q.owner is not None:
                q.owner.queues.discard(q)
            q.owner = None
        if dev.name.startswith("eth"):
            i = strtoul_index(dev.name[3:])
            if i >= MAX_ETH_CARDS:
                self._misuse("eth_index_range", f"ether_setup({dev.name!r}): eth slot {i} is "
                             f"past the {MAX_ETH_CARDS}-entry table (2.0.1 writes out of "
                             "bounds)", dev=dev.name)
            elif self.ethdev_index[i] is None:
                self.ethdev_index[i] = dev
            elif self.ethdev_index[i] is not dev:
                self.printk(f"ether_setup: Ouch! Someone else took {dev.name}")
        dev.change_mtu = self.eth_change_mtu
        dev.hard_header = self._eth.eth_header
        dev.rebuild_header = self._eth.eth_rebuild_header
        dev.set_mac_address = self.eth_mac_addr
        dev.header_cache_bind = None
        dev.header_cache_update = None
        dev.type = ARPHRD_ETHER
        dev.hard_header_len = ETH_HLEN
        dev.mtu = ETH_DATA_LEN
        dev.addr_len = ETH_ALEN
        dev.tx_queue_len = 100
        dev.broadcast[:ETH_ALEN] = b"\xff" * ETH_ALEN
        dev.flags = IFF_BROADCAST | IFF_MULTICAST
        dev.family = AF_INET
        dev.pa_addr = 0
        dev.pa_brdaddr = 0
        dev.pa_mask = 0
        dev.pa_alen = 4

    def ether_config(self, dev: Device, map_: IfMap) -> int:
        """Apply an ``ifmap`` (CB-18): fields that are all ones are left unchanged."""
        if map_.mem_start != 0xFFFF_FFFF:
            dev.mem_start = map_.mem_start
        if map_.mem_end != 0xFFFF_FFFF:
            dev.mem_end = map_.mem_end
        if map_.base_addr != 0xFFFF:
            dev.base_addr = map_.base_addr
        if map_.irq != 0xFF:
            dev.irq = map_.irq
        if map_.dma != 0xFF:
            dev.dma = map_.dma
        if map_.port != 0xFF:
            dev.if_port = map_.port
        return 0

    def eth_mac_addr(self, dev: Device, addr: bytes) -> int:
        """Set the station address (CB-16): -EBUSY while the device is started."""
        if dev.start:
            return -EBUSY
        dev.dev_addr[:dev.addr_len] = bytes(addr[:dev.addr_len]).ljust(dev.addr_len, b"\0")
        return 0

    def eth_change_mtu(self, dev: Device, new_mtu: int) -> int:
        """Set the MTU if it is 68..1500, else -EINVAL (CB-19)."""
        if new_mtu < 68 or new_mtu > ETH_DATA_LEN:
            return -EINVAL
        dev.mtu = new_mtu
        return 0
