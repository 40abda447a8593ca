"""Differential tests against Linux 2.0.1's ``net/core/dev.c``: packet handlers, dev_get,
dev_open/dev_close, the transmit path (do_dev_queue_xmit, dev_tint), netif_rx, net_bh and
the driver-facing ioctls of dev_ifsioc."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import (
    EINVAL,
    ENODEV,
    EOPNOTSUPP,
    ETH_P_ALL,
    ETH_P_ARP,
    ETH_P_IP,
    FREE_WRITE,
    IFF_BROADCAST,
    IFF_MULTICAST,
    IFF_PROMISC,
    IFF_RUNNING,
    IFF_UP,
    Device,
    IfMap,
    Kernel,
    Module,
    PacketType,
    SkBuff,
)
from reftools import MAC, PEER, eth_frame

DEV = "net/core/dev.c"


class Wire:
    """A driver module with one Ethernet device whose transmit the test controls."""

    def __init__(self, k: Kernel, name: str = "wire") -> None:
        self.k = k
        self.sent: list[SkBuff] = []
        self.wire: list[bytes] = []
        self.busy = False
        self.set_tbusy = True
        self.opens = self.stops = self.uploads = 0
        self.module = Module(name)
        self.dev = Device("", init=self.init)
        assert k.insmod(self.module) == 0
        with k.running(self.module):
            assert k.register_netdev(self.dev) == 0

    def init(self, dev: Device) -> int:
        self.k.ether_setup(dev)
        dev.dev_addr[:6] = MAC
        dev.open = self.open
        dev.stop = self.stop
        dev.hard_start_xmit = self.xmit
        dev.set_multicast_list = self.upload
        return 0

    def open(self, dev: Device) -> int:
        self.opens += 1
        return 0

    def stop(self, dev: Device) -> int:
        self.stops += 1
        return 0

    def upload(self, dev: Device) -> None:
        self.uploads += 1

    def xmit(self, skb: SkBuff | None, dev: Device) -> int:
        if self.busy:
            if self.set_tbusy:
                dev.tbusy = 1
            return 1
        assert skb is not None
        self.sent.append(skb)
        self.wire.append(payload(self.k, skb))
        self.k.dev_kfree_skb(skb, FREE_WRITE)
        return 0


def frame(k: Kernel, payload: bytes = b"data", free: int = 1) -> SkBuff:
    """A protocol-side frame, header complete."""
    skb = k.alloc_skb(128)
    assert skb is not None
    k.skb_reserve(skb, 16)
    k.skb_put_data(skb, eth_frame(PEER, MAC, ETH_P_IP, payload))
    skb.free = free
    skb.arp = 1
    return skb


def payload(k: Kernel, skb: SkBuff) -> bytes:
    return k.skb_read(skb, skb.data + 14, skb.len - 14)


# -- packet handlers ----------------------------------------------------------------------------

@branch(f"{DEV}:156", "dev_add_pack", "ETH_P_ALL: at the head of ptype_all")
@branch(f"{DEV}:162", "dev_add_pack", "else at the head of ptype_base[type & 15]")
@branch(f"{DEV}:695", "net_bh", "the last matching handler gets the frame itself")
@branch(f"{DEV}:656", "net_bh", "every earlier handler (taps first) gets a clone")
def test_handlers_order_and_delivery(kernel: Kernel) -> None:
    got: list[tuple[str, SkBuff]] = []

    def handler(tag: str):  # type: ignore[no-untyped-def]
        def f(skb: SkBuff, dev: Device | None, pt: PacketType) -> None:
            got.append((tag, skb))
        return f

    for tag, t in (("tap1", ETH_P_ALL), ("ip1", ETH_P_IP), ("tap2", ETH_P_ALL),
                   ("ip2", ETH_P_IP)):
        kernel.dev_add_pack(PacketType(t, handler(tag)))
    w = Wire(kernel)
    skb = kernel.dev_alloc_skb(64)
    assert skb is not None
    kernel.skb_put_data(skb, eth_frame(MAC, PEER, ETH_P_IP))
    skb.dev = w.dev
    skb.protocol = kernel.eth_type_trans(skb, w.dev)
    kernel.netif_rx(skb)
    kernel.do_bottom_half()
    assert [t for t, _ in got] == ["tap2", "tap1", "ip2", "ip1"]
    assert got[-1][1] is skb and all(s is not skb for _, s in got[:-1])


@branch(f"{DEV}:701", "net_bh", "no handler for the protocol: kfree_skb")
def test_net_bh_frees_a_frame_nobody_takes(kernel: Kernel) -> None:
    w = Wire(kernel)
    skb = kernel.dev_alloc_skb(64)
    assert skb is not None
    kernel.skb_put_data(skb, eth_frame(MAC, PEER, ETH_P_ARP))
    skb.dev = w.dev
    skb.protocol = kernel.eth_type_trans(skb, w.dev)
    kernel.netif_rx(skb)
    kernel.do_bottom_half()
    assert not skb.alive and kernel.backlog.qlen == 0


@branch(f"{DEV}:189", "dev_remove_pack", "not found: printed")
def test_dev_remove_pack(kernel: Kernel) -> None:
    pt = PacketType(ETH_P_IP, lambda s, d, p: None)
    kernel.dev_add_pack(pt)
    kernel.dev_remove_pack(pt)
    kernel.dev_remove_pack(pt)
    assert kernel.log == [f"dev_remove_pack: {id(pt) & 0xFFFF_FFFF:08x} not found."]


# -- devices ------------------------------------------------------------------------------------

@branch(f"{DEV}:208", "dev_get", "the first device of that name, or NULL")
def test_dev_get(kernel: Kernel) -> None:
    a, b = Wire(kernel, "a"), Wire(kernel, "b")
    assert kernel.dev_get("eth0") is a.dev and kernel.dev_get("eth1") is b.dev
    assert kernel.dev_get("eth2") is None


@branch(f"{DEV}:241", "dev_open", "no open method: -ENODEV")
@branch(f"{DEV}:255", "dev_open", "open returned 0: IFF_UP|IFF_RUNNING, multicast uploaded")
def test_dev_open(kernel: Kernel) -> None:
    w = Wire(kernel)
    assert kernel.dev_open(w.dev) == 0
    assert w.dev.flags & (IFF_UP | IFF_RUNNING) == IFF_UP | IFF_RUNNING and w.uploads == 1
    x = Wire(kernel, "x")
    kernel.dev_close(x.dev)
    x.dev.open = None
    assert kernel.dev_open(x.dev) == -ENODEV


@branch(f"{DEV}:246", "dev_open", "open is called whatever the flags")
def test_dev_open_of_an_up_device(kernel: Kernel) -> None:
    """2.0.1 would call open again; the reference answers 0 and leaves the device alone
    (decision.dev.entry): 2.0.1 itself reaches dev_open only when IFF_UP changes."""
    w = Wire(kernel)
    assert kernel.dev_open(w.dev) == 0
    assert kernel.dev_open(w.dev) == 0
    assert w.opens == 1


@branch(f"{DEV}:279", "dev_close", "stop only if IFF_UP (its result ignored)")
@branch(f"{DEV}:286", "dev_close", "IFF_UP|IFF_RUNNING cleared")
@branch(f"{DEV}:295", "dev_close", "multicast list discarded")
@branch(f"{DEV}:304", "dev_close", "queued frames dequeued; those with free != 0 freed")
def test_dev_close(kernel: Kernel) -> None:
    w = Wire(kernel)
    assert kernel.dev_close(w.dev) == 0 and w.stops == 0  # not up: no stop
    kernel.dev_open(w.dev)
    kernel.dev_mc_add(w.dev, b"\x01\x00\x5e\x00\x00\x01")
    w.busy = True
    keep, drop = frame(kernel, free=0), frame(kernel, free=1)
    kernel.dev_queue_xmit(keep, w.dev, 0)
    kernel.dev_queue_xmit(drop, w.dev, 0)
    assert w.dev.buffs[0].qlen == 2
    assert kernel.dev_close(w.dev) == 0
    assert w.stops == 1 and not w.dev.flags & (IFF_UP | IFF_RUNNING)
    assert w.dev.mc_list == [] and w.dev.mc_count == 0
    assert w.dev.buffs[0].qlen == 0 and keep.alive and not drop.alive


# -- transmit -----------------------------------------------------------------------------------

@branch(f"{DEV}:344", "do_dev_queue_xmit", "pri ≥ 0: the frame is locked")
@branch(f"{DEV}:348", "do_dev_queue_xmit", "skb->dev = dev")
@branch(f"{DEV}:449", "do_dev_queue_xmit", "hard_start_xmit 0: the driver has it")
def test_xmit_locks_and_sends(kernel: Kernel) -> None:
    w = Wire(kernel)
    kernel.dev_open(w.dev)
    seen = []
    w.dev.hard_start_xmit = lambda skb, d: seen.append((skb.lock, skb.dev)) or 0
    skb = frame(kernel)
    kernel.dev_queue_xmit(skb, w.dev, 0)
    assert seen == [(1, w.dev)]


@branch(f"{DEV}:363", "do_dev_queue_xmit", "pri ≥ DEV_NUMBUFFS (CONFIG_NET_DEBUG): printed, 1")
def test_xmit_bad_priority(kernel: Kernel) -> None:
    """Without CONFIG_NET_DEBUG 2.0.1 indexes past buffs[]; the reference does what the debug
    build does (decision.memory.safety)."""
    w = Wire(kernel)
    kernel.dev_open(w.dev)
    w.busy = True
    skb = frame(kernel)
    kernel.dev_queue_xmit(skb, w.dev, 5)
    assert list(w.dev.buffs[1]) == [skb]
    assert kernel.log[-1] == "bad priority in dev_queue_xmit."


@branch(f"{DEV}:375", "do_dev_queue_xmit", "!skb->arp and rebuild_header non-zero: return")
def test_xmit_waits_for_the_header(kernel: Kernel) -> None:
    w = Wire(kernel)
    kernel.dev_open(w.dev)
    w.dev.rebuild_header = lambda buff, dev, raddr, skb: 1
    skb = frame(kernel)
    skb.arp = 0
    kernel.dev_queue_xmit(skb, w.dev, 0)
    assert w.sent == [] and w.dev.buffs[0].qlen == 0 and skb.alive


@branch(f"{DEV}:412", "do_dev_queue_xmit", "queue longer than tx_queue_len: dev_kfree_skb")
def test_xmit_drops_over_tx_queue_len(kernel: Kernel) -> None:
    w = Wire(kernel)
    kernel.dev_open(w.dev)
    w.dev.tx_queue_len = 2
    w.busy = True
    frames = [frame(kernel) for _ in range(5)]
    for f in frames:
        kernel.dev_queue_xmit(f, w.dev, 0)
    # 1 and 2 join the queue; 3 makes it 3 > 2; 4 and 5 are dropped
    assert w.dev.buffs[0].qlen == 3 and [f.alive for f in frames] == [True] * 3 + [False] * 2


@branch(f"{DEV}:419", "do_dev_queue_xmit", "taps get a clone of the frame being queued")
@branch(f"{DEV}:443", "do_dev_queue_xmit", "queue not empty: queued at the tail, head sent")
def test_taps_see_the_queued_frame(kernel: Kernel) -> None:
    tapped: list[bytes] = []
    # a tap's data is its socket; 2.0.1 skips frames whose skb->sk equals it (NULL too)
    kernel.dev_add_pack(PacketType(ETH_P_ALL, lambda s, d, p: tapped.append(
        payload(kernel, s)), data=object()))
    w = Wire(kernel)
    kernel.dev_open(w.dev)
    w.busy = True
    kernel.dev_queue_xmit(frame(kernel, b"one"), w.dev, 0)
    w.busy = False
    w.dev.tbusy = 0
    kernel.dev_queue_xmit(frame(kernel, b"two"), w.dev, 0)
    # "two" is tapped (not "one", which is sent first); one then two on the wire
    assert tapped == [b"one", b"two"]
    assert w.wire == [b"one"]  # the head frame went out; "two" waits for dev_tint


@branch(f"{DEV}:462", "do_dev_queue_xmit", "hard_start_xmit busy: unlocked, back at the head")
def test_xmit_busy_requeues_at_the_head(kernel: Kernel) -> None:
    w = Wire(kernel)
    kernel.dev_open(w.dev)
    w.busy = True
    skb = frame(kernel)
    kernel.dev_queue_xmit(skb, w.dev, 1)
    assert list(w.dev.buffs[1]) == [skb] and skb.lock == 0


@branch(f"{DEV}:751", "dev_tint", "queues in priority order 0, 1, 2")
@branch(f"{DEV}:772", "dev_tint", "stops as soon as tbusy is set")
def test_dev_tint(kernel: Kernel) -> None:
    w = Wire(kernel)
    kernel.dev_open(w.dev)
    w.busy = True
    for pri, tag in ((2, b"c"), (1, b"b"), (0, b"a"), (0, b"a2")):
        kernel.dev_queue_xmit(frame(kernel, tag), w.dev, pri)
    w.busy = False
    w.dev.tbusy = 0
    sent_before = len(w.sent)

    def one_then_busy(skb: SkBuff | None, dev: Device) -> int:
        assert skb is not None
        w.sent.append(skb)
        kernel.dev_kfree_skb(skb, FREE_WRITE)
        dev.tbusy = 1 if len(w.sent) - sent_before == 3 else 0
        return 0

    w.dev.hard_start_xmit = one_then_busy
    kernel.dev_tint(w.dev)
    assert [payload(kernel, s) if s.alive else None for s in w.sent] == [None] * 3
    assert [q.qlen for q in w.dev.buffs] == [0, 0, 1]


@branch(f"{DEV}:754", "dev_tint", "busy without tbusy: 2.0.1 loops forever")
def test_dev_tint_busy_without_tbusy(kernel: Kernel) -> None:
    """The reference stops and records it (decision.tint.spin)."""
    w = Wire(kernel)
    kernel.dev_open(w.dev)
    w.busy = True
    w.set_tbusy = False
    kernel.dev_queue_xmit(frame(kernel), w.dev, 0)
    kernel.clear_records()
    kernel.dev_tint(w.dev)
    assert kernel.misuse_kinds() == ["xmit_busy_no_tbusy"] and w.dev.buffs[0].qlen == 1


@branch(f"{DEV}:537", "dev_transmit", "net_bh kicks dev_tint on devices with flags and no tbusy")
def test_net_bh_transmits_first(kernel: Kernel) -> None:
    w = Wire(kernel)
    kernel.dev_open(w.dev)
    w.busy = True
    kernel.dev_queue_xmit(frame(kernel), w.dev, 0)
    w.busy = False
    kernel.net_bh()
    assert w.dev.buffs[0].qlen == 1  # tbusy still set: not kicked
    w.dev.tbusy = 0
    kernel.net_bh()
    assert w.dev.buffs[0].qlen == 0 and len(w.sent) == 1


# -- receive ------------------------------------------------------------------------------------

@branch(f"{DEV}:490", "netif_rx", "sk NULL, free 1, stamped, queued on the backlog")
@branch(f"{DEV}:523", "netif_rx", "mark_bh(NET_BH)")
def test_netif_rx(kernel: Kernel) -> None:
    w = Wire(kernel)
    got: list[SkBuff] = []
    kernel.dev_add_pack(PacketType(ETH_P_IP, lambda s, d, p: got.append(s)))
    kernel.tick(7)
    with kernel.running(w.module):
        skb = kernel.dev_alloc_skb(64)
        assert skb is not None
        kernel.skb_put_data(skb, eth_frame(MAC, PEER, ETH_P_IP))
        skb.dev = w.dev
        skb.protocol = kernel.eth_type_trans(skb, w.dev)
        kernel.netif_rx(skb)
        assert kernel.backlog.qlen == 1 and (skb.sk, skb.free, skb.stamp) == (None, 1, 7)
    assert got == [skb] and kernel.backlog.qlen == 0  # the bottom half ran on return


@branch(f"{DEV}:500", "netif_rx", "backlog over 300: dropping until it drains")
@branch(f"{DEV}:505", "netif_rx", "dropping: kfree_skb(FREE_READ)")
def test_netif_rx_drops_over_300(kernel: Kernel) -> None:
    w = Wire(kernel)
    with kernel.running(w.module):
        frames = []
        for _ in range(303):
            skb = kernel.dev_alloc_skb(64)
            assert skb is not None
            kernel.skb_put_data(skb, eth_frame(MAC, PEER, ETH_P_IP))
            skb.dev = w.dev
            skb.protocol = ETH_P_IP
            kernel.netif_rx(skb)
            frames.append(skb)
        assert kernel.backlog.qlen == 301 and kernel.rx_dropping
        assert [f.alive for f in frames[-3:]] == [True, False, False]


# -- ioctls (dev_ifsioc) ------------------------------------------------------------------------

@branch(f"{DEV}:1021", "dev_ifsioc", "SIOCSIFFLAGS: user flags taken, IFF_UP kept")
@branch(f"{DEV}:1034", "dev_ifsioc", "SIOCSIFFLAGS: IFF_UP changed: dev_open or dev_close")
@branch(f"{DEV}:1042", "dev_ifsioc", "SIOCSIFFLAGS: open failed: IFF_UP cleared")
def test_siocsifflags(kernel: Kernel) -> None:
    w = Wire(kernel)
    assert kernel.dev_change_flags(w.dev, IFF_BROADCAST | IFF_PROMISC | IFF_UP) == 0
    assert w.dev.flags == IFF_BROADCAST | IFF_PROMISC | IFF_UP | IFF_RUNNING
    assert kernel.dev_change_flags(w.dev, IFF_BROADCAST) == 0
    assert w.stops == 1 and w.dev.flags == IFF_BROADCAST
    w.dev.open = lambda d: -ENODEV
    assert kernel.dev_change_flags(w.dev, IFF_MULTICAST | IFF_UP) == -ENODEV
    assert w.dev.flags == IFF_MULTICAST


@branch(f"{DEV}:1200", "dev_ifsioc", "SIOCSIFMTU: mtu < 68: -EINVAL before the driver")
@branch(f"{DEV}:1204", "dev_ifsioc", "SIOCSIFMTU: change_mtu: its answer")
@branch(f"{DEV}:1207", "dev_ifsioc", "SIOCSIFMTU: no change_mtu: set directly")
def test_siocsifmtu_below_68(kernel: Kernel) -> None:
    w = Wire(kernel)
    asked: list[int] = []
    w.dev.change_mtu = lambda d, mtu: asked.append(mtu) or 0
    assert kernel.dev_set_mtu(w.dev, 67) == -EINVAL and asked == []
    assert kernel.dev_set_mtu(w.dev, 576) == 0 and asked == [576]
    w.dev.change_mtu = None
    assert kernel.dev_set_mtu(w.dev, 9000) == 0 and w.dev.mtu == 9000
    assert kernel.dev_set_mtu(w.dev, 0) == -EINVAL and w.dev.mtu == 9000


@branch(f"{DEV}:1227", "dev_ifsioc", "SIOCSIFHWADDR: no set_mac_address: -EOPNOTSUPP")
@branch(f"{DEV}:1244", "dev_ifsioc", "SIOCSIFMAP: no set_config: -EOPNOTSUPP, else its answer")
@branch(f"{DEV}:1270", "dev_ifsioc", "SIOCDEVPRIVATE: no do_ioctl: -EOPNOTSUPP, else its answer")
def test_driver_ioctls(kernel: Kernel) -> None:
    w = Wire(kernel)
    d = w.dev
    assert kernel.dev_set_mac_address(d, PEER) == 0 and bytes(d.dev_addr[:6]) == PEER
    d.set_mac_address = None
    assert kernel.dev_set_mac_address(d, MAC) == -EOPNOTSUPP
    assert kernel.dev_set_config(d, IfMap()) == -EOPNOTSUPP
    d.set_config = lambda dev, m: -EINVAL
    assert kernel.dev_set_config(d, IfMap()) == -EINVAL
    assert kernel.dev_private_ioctl(d, object(), 0x89F0) == -EOPNOTSUPP
    d.do_ioctl = lambda dev, ifr, cmd: 7
    assert kernel.dev_private_ioctl(d, object(), 0x89F0) == 7
    assert d.flags & IFF_MULTICAST


@branch(f"{DEV}:886", "sprintf_stats", "no get_stats: 'No statistics available'")
@branch(f"{DEV}:870", "sprintf_stats", "else the driver's get_stats(dev)")
def test_statistics(kernel: Kernel) -> None:
    """/proc/net/dev is not simulated; dev_get_stats answers what sprintf_stats reads."""
    w = Wire(kernel)
    assert kernel.dev_get_stats(w.dev) is None
    stats = object()
    w.dev.get_stats = lambda d: stats
    assert kernel.dev_get_stats(w.dev) is stats
