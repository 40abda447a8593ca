"""Transmit and receive paths against api-facts CB-4..CB-11 and RX-1..RX-7."""

from __future__ import annotations

from collections.abc import Callable

from netdevspec.reference import (
    ETH_P_802_2,
    ETH_P_802_3,
    ETH_P_ALL,
    ETH_P_ARP,
    ETH_P_IP,
    FREE_WRITE,
    IFF_PROMISC,
    NETDEV_MAX_BACKLOG,
    PACKET_BROADCAST,
    PACKET_HOST,
    PACKET_MULTICAST,
    PACKET_OTHERHOST,
    Device,
    Kernel,
    Module,
    PacketType,
    SkBuff,
    Sock,
)
from reftools import MAC, PEER, eth_frame

XmitFn = Callable[[SkBuff | None, Device], int]


class Wire:
    """A minimal driver module: one Ethernet device whose transmit the test controls."""

    def __init__(self, k: Kernel, xmit: XmitFn | None = None, name: str = "wire") -> None:
        self.k = k
        self.sent: list[SkBuff] = []
        self.busy = False
        self.module = Module(name)
        self.dev = Device("", init=self.init)
        self.xmit_fn = xmit
        assert k.insmod(self.module) == 0
        with k.running(self.module):
            assert k.register_netdev(self.dev) == 0
        assert k.dev_open(self.dev) == 0

    def init(self, dev: Device) -> int:
        self.k.ether_setup(dev)
        dev.dev_addr[:6] = MAC
        dev.open = lambda d: 0
        dev.hard_start_xmit = self.xmit_fn or self.xmit
        return 0

    def xmit(self, skb: SkBuff | None, dev: Device) -> int:
        if self.busy:
            return 1
        assert skb is not None
        self.sent.append(skb)
        return 0


def frame(k: Kernel, payload: bytes = b"data", free: int = 1) -> SkBuff:
    """A protocol-side frame (owned by the kernel), header complete."""
    skb = k.alloc_skb(128)
    assert skb is not None
    k.skb_reserve(skb, 16)
    k.skb_put_data(skb, eth_frame(PEER, MAC, ETH_P_IP, payload))
    skb.free = free
    skb.arp = 1
    return skb


# -- transmit ---------------------------------------------------------------------------------

def test_xmit_lends_the_frame_to_the_driver(kernel: Kernel) -> None:
    """CB-9, CB-4, SKB-14: dev_queue_xmit locks the frame, sets skb->dev and hands it to
    hard_start_xmit, lent to the driver's module; 0 means the driver keeps it."""
    seen: list[tuple[int, object, object]] = []

    def xmit(skb: SkBuff | None, dev: Device) -> int:
        assert skb is not None
        seen.append((skb.lock, skb.owner, kernel.current))
        return 0
    w = Wire(kernel, xmit)
    skb = frame(kernel)
    kernel.dev_queue_xmit(skb, w.dev, 0)
    assert seen == [(1, w.module, w.module)]
    assert skb.dev is w.dev and skb.owner is w.module and skb in w.module.skbs
    with kernel.running(w.module):
        kernel.dev_kfree_skb(skb, FREE_WRITE)
    assert not skb.alive and kernel.misuse == []


def test_busy_requeues_at_the_head(kernel: Kernel) -> None:
    """CB-4, CB-9: a busy answer puts the frame back, unlocked and the kernel's, at the head
    of buffs[pri]; later frames queue behind it and go out in order."""
    w = Wire(kernel)
    w.busy = True
    a, b = frame(kernel, b"a"), frame(kernel, b"b")
    kernel.dev_queue_xmit(a, w.dev, 1)
    assert list(w.dev.buffs[1]) == [a] and a.lock == 0 and a.owner is None
    w.dev.tbusy = 1
    kernel.dev_queue_xmit(b, w.dev, 1)
    assert list(w.dev.buffs[1]) == [a, b]
    w.busy = False
    w.dev.tbusy = 0
    kernel.dev_tint(w.dev)
    assert w.sent == [a, b] and w.dev.buffs[1].qlen == 0
    assert kernel.misuse == []


def test_queue_over_tx_queue_len_drops(kernel: Kernel) -> None:
    """CB-9: with the queue holding more than tx_queue_len frames, a new frame is dropped
    (dev_kfree_skb: freed when free is 1, left to its owner when free is 0)."""
    w = Wire(kernel)
    w.busy = True
    w.dev.tx_queue_len = 2
    queued = [frame(kernel) for _ in range(3)]
    for skb in queued:
        kernel.dev_queue_xmit(skb, w.dev, 0)
    assert w.dev.buffs[0].qlen == 3
    dropped, kept = frame(kernel, free=1), frame(kernel, free=0)
    kernel.dev_queue_xmit(dropped, w.dev, 0)
    kernel.dev_queue_xmit(kept, w.dev, 0)
    assert not dropped.alive and kept.alive and kept.lock == 0 and kept.list is None
    assert w.dev.buffs[0].qlen == 3 and kernel.tx_dropped == 2


def test_dev_tint_priority_order_and_tbusy(kernel: Kernel) -> None:
    """CB-10: dev_tint sends buffs[0], then [1], then [2], and stops once tbusy is set."""
    order: list[bytes] = []

    def xmit(skb: SkBuff | None, dev: Device) -> int:
        assert skb is not None
        order.append(skb.payload()[14:])
        kernel.dev_kfree_skb(skb, FREE_WRITE)
        if len(order) == 3:
            dev.tbusy = 1
        return 0
    w = Wire(kernel, xmit)
    for pri, tag in ((2, b"p2"), (1, b"p1"), (0, b"p0"), (2, b"p2b")):
        kernel.skbuff._enqueue_tail(w.dev.buffs[pri], frame(kernel, tag))
    kernel.dev_tint(w.dev)
    assert order == [b"p0", b"p1", b"p2"] and w.dev.buffs[2].qlen == 1
    w.dev.tbusy = 0
    kernel.mark_bh()
    kernel.do_bottom_half()  # net_bh -> dev_transmit -> dev_tint
    assert order[-1] == b"p2b"


def test_busy_without_tbusy_is_stopped(kernel: Kernel) -> None:
    """CB-5, CB-10: a driver answering busy without setting tbusy would make 2.0's dev_tint
    spin; the reference stops and records it."""
    w = Wire(kernel)
    w.busy = True
    kernel.skbuff._enqueue_tail(w.dev.buffs[0], frame(kernel))
    kernel.dev_tint(w.dev)
    assert kernel.misuse_kinds() == ["xmit_busy_no_tbusy"]
    assert w.dev.buffs[0].qlen == 1


def test_busy_but_freed_is_recorded(kernel: Kernel) -> None:
    """CB-4: on busy the driver must neither free nor keep the frame."""
    def xmit(skb: SkBuff | None, dev: Device) -> int:
        kernel.dev_kfree_skb(skb, FREE_WRITE)
        dev.tbusy = 1
        return 1
    w = Wire(kernel, xmit)
    skb = frame(kernel)
    kernel.dev_queue_xmit(skb, w.dev, 0)
    assert kernel.misuse_kinds() == ["xmit_busy_consumed"]
    assert w.dev.buffs[0].qlen == 0


def test_raising_xmit_drops_the_frame(kernel: Kernel) -> None:
    """CB-4: a hard_start_xmit that raises is recorded; the kernel drops the frame (as if
    accepted and freed) so it is not retried forever."""
    def xmit(skb: SkBuff | None, dev: Device) -> int:
        raise RuntimeError("tx fifo")
    w = Wire(kernel, xmit)
    skb = frame(kernel)
    kernel.dev_queue_xmit(skb, w.dev, 0)
    assert not skb.alive and kernel.misuse_kinds() == ["callback_raised"]


def test_xmit_misuse(kernel: Kernel) -> None:
    """CB-9: transmitting on a device that is down, with a bad priority, or from inside
    hard_start_xmit via dev_tint is recorded."""
    def xmit(skb: SkBuff | None, dev: Device) -> int:
        kernel.dev_tint(dev)
        return 0
    w = Wire(kernel, xmit)
    kernel.dev_queue_xmit(frame(kernel), w.dev, 7)
    kernel.dev_close(w.dev)
    kernel.dev_queue_xmit(frame(kernel), w.dev, 0)
    kernel.dev_queue_xmit(None, w.dev, 0)
    assert kernel.misuse_kinds() == ["xmit_bad_priority", "tint_in_xmit", "xmit_device_down",
                                     "tint_in_xmit", "xmit_null"]
    assert kernel.log[-1] == "bad priority in dev_queue_xmit."


def test_taps_get_clones_of_transmitted_frames(kernel: Kernel) -> None:
    """CB-9: packet taps (ETH_P_ALL) receive a clone of every transmitted frame, except the
    tap of the socket the frame came from."""
    tapped: list[SkBuff] = []
    own, other = Sock("sender"), Sock("sniffer")
    kernel.dev_add_pack(PacketType(ETH_P_ALL, lambda s, d, p: tapped.append(s), data=other))
    kernel.dev_add_pack(PacketType(ETH_P_ALL, lambda s, d, p: tapped.append(s), data=own))
    w = Wire(kernel)
    skb = frame(kernel)
    skb.sk = own
    kernel.dev_queue_xmit(skb, w.dev, 0)
    assert len(tapped) == 1 and tapped[0].area is skb.area and tapped[0] is not skb
    assert tapped[0].owner is None and tapped[0].sk is None


def test_rebuild_header_holding_the_frame(kernel: Kernel) -> None:
    """CB-15, CB-9: when rebuild_header answers 1 (ARP holds the frame) nothing is sent."""
    w = Wire(kernel)
    w.dev.rebuild_header = lambda data, dev, raddr, skb: 1
    skb = frame(kernel)
    skb.arp = 0
    kernel.dev_queue_xmit(skb, w.dev, 0)
    assert w.sent == [] and skb.alive and skb.owner is None


# -- receive ----------------------------------------------------------------------------------

def rx_frame(k: Kernel, dev: Device, data: bytes, owner: Module | None = None) -> SkBuff:
    with k.running(owner):
        skb = k.dev_alloc_skb(len(data))
        assert skb is not None
        k.skb_put_data(skb, data)
        skb.dev = dev
        skb.protocol = k.eth_type_trans(skb, dev)
    return skb


def test_netif_rx_hands_the_buffer_to_the_kernel(kernel: Kernel) -> None:
    """RX-5, SKB-13: netif_rx sets sk NULL and free 1, queues the frame on the backlog
    (owned by the kernel) and marks NET_BH; net_bh gives it to the protocol handler."""
    w = Wire(kernel)
    got: list[tuple[bytes, object]] = []
    kernel.dev_add_pack(PacketType(ETH_P_IP, lambda s, d, p: got.append((s.payload(), d))))
    skb = rx_frame(kernel, w.dev, eth_frame(payload=b"ping"), w.module)
    assert skb.owner is w.module
    with kernel.running(w.module):
        kernel.netif_rx(skb)
    assert got == [(b"ping", w.dev)]  # the bottom half ran when the module's code returned
    assert skb.free == 1 and skb.sk is None and skb not in w.module.skbs
    assert kernel.misuse == []


def test_no_handler_means_freed(kernel: Kernel) -> None:
    """RX-4: a frame whose protocol has no handler is freed by net_bh."""
    w = Wire(kernel)
    skb = rx_frame(kernel, w.dev, eth_frame(proto=ETH_P_ARP))
    kernel.netif_rx(skb)
    assert skb.alive
    kernel.do_bottom_half()
    assert not skb.alive


def test_several_handlers_get_clones(kernel: Kernel) -> None:
    """RX-5: each matching handler gets the frame; all but the last get clones."""
    w = Wire(kernel)
    got: list[SkBuff] = []
    for _ in range(2):
        kernel.dev_add_pack(PacketType(ETH_P_IP, lambda s, d, p: got.append(s)))
    kernel.dev_add_pack(PacketType(ETH_P_IP, lambda s, d, p: got.append(s), dev=Device("x")))
    skb = rx_frame(kernel, w.dev, eth_frame())
    kernel.netif_rx(skb)
    kernel.do_bottom_half()
    assert len(got) == 2 and got[1] is skb and got[0].area is skb.area


def test_backlog_dropping_mode(kernel: Kernel) -> None:
    """RX-5: once the backlog holds more than 300 frames netif_rx drops arrivals until the
    backlog has drained."""
    w = Wire(kernel)
    kept = [rx_frame(kernel, w.dev, eth_frame()) for _ in range(NETDEV_MAX_BACKLOG + 1)]
    late = rx_frame(kernel, w.dev, eth_frame())
    again = rx_frame(kernel, w.dev, eth_frame())
    for skb in kept:
        kernel.netif_rx(skb)
    assert kernel.backlog.qlen == 301 and not kernel.rx_dropping
    kernel.netif_rx(late)
    assert not late.alive and kernel.rx_dropping and kernel.rx_dropped == 1
    kernel.do_bottom_half()
    assert kernel.backlog.qlen == 0 and not kernel.rx_dropping
    kernel.netif_rx(again)
    assert kernel.backlog.qlen == 1


def test_rx_without_dev_or_protocol(kernel: Kernel) -> None:
    """RX-3, RX-4 (HAZ-8): a frame without skb->dev or skb->protocol is recorded; the
    skeleton's forgotten protocol means no handler takes it."""
    taken: list[SkBuff] = []
    kernel.dev_add_pack(PacketType(ETH_P_IP, lambda s, d, p: taken.append(s)))
    skb = kernel.dev_alloc_skb(60)
    assert skb is not None
    kernel.skb_put_data(skb, eth_frame())
    kernel.netif_rx(skb)
    kernel.do_bottom_half()
    assert kernel.misuse_kinds() == ["rx_no_dev", "rx_no_protocol"]
    assert taken == [] and not skb.alive


def test_driver_must_not_touch_after_netif_rx(kernel: Kernel) -> None:
    """RX-5: after netif_rx the buffer is the kernel's; a driver touching it is recorded
    (skb_not_owned while the kernel holds it, use_after_free once it was freed)."""
    w = Wire(kernel)
    skb = rx_frame(kernel, w.dev, eth_frame(proto=ETH_P_ARP), w.module)
    with kernel.running(w.module):
        kernel.netif_rx(skb)
        kernel.skb_pull(skb, 2)
    with kernel.running(w.module):
        kernel.skb_pull(skb, 2)
    assert kernel.misuse_kinds() == ["skb_not_owned", "use_after_free"]


def test_eth_type_trans(kernel: Kernel) -> None:
    """RX-4: eth_type_trans pulls 14 bytes, classifies broadcast/multicast/other-host and
    returns h_proto (≥ 1536), ETH_P_802_3 for raw IPX (0xffff) or ETH_P_802_2."""
    w = Wire(kernel)
    dev = w.dev
    cases = [
        (eth_frame(), ETH_P_IP, PACKET_HOST),
        (eth_frame(dst=b"\xff" * 6), ETH_P_IP, PACKET_BROADCAST),
        (eth_frame(dst=b"\x01\x00\x5e\x00\x00\x01"), ETH_P_IP, PACKET_MULTICAST),
        (eth_frame(proto=46, payload=b"\xff\xff" + bytes(44)), ETH_P_802_3, PACKET_HOST),
        (eth_frame(proto=46, payload=b"\xaa\xaa" + bytes(44)), ETH_P_802_2, PACKET_HOST),
    ]
    for data, proto, pkt_type in cases:
        skb = kernel.dev_alloc_skb(len(data))
        assert skb is not None
        kernel.skb_put_data(skb, data)
        assert kernel.eth_type_trans(skb, dev) == proto
        assert skb.pkt_type == pkt_type and skb.len == len(data) - 14
        assert skb.mac_raw == skb.data - 14
    dev.flags |= IFF_PROMISC
    skb = kernel.dev_alloc_skb(64)
    assert skb is not None
    kernel.skb_put_data(skb, eth_frame(dst=b"\x00\x11\x22\x33\x44\x55"))
    kernel.eth_type_trans(skb, dev)
    assert skb.pkt_type == PACKET_OTHERHOST
    short = kernel.dev_alloc_skb(10)
    assert short is not None
    kernel.skb_put(short, 10)
    kernel.eth_type_trans(short, dev)
    assert kernel.misuse_kinds() == ["eth_short_frame"] and short.len == 10


def test_loopback_style_transmit_becomes_receive(kernel: Kernel) -> None:
    """RX-7: a loopback-style driver passes the same buffer up with netif_rx, then unlocks
    it; the protocol gets it."""
    got: list[bytes] = []
    kernel.dev_add_pack(PacketType(ETH_P_IP, lambda s, d, p: got.append(s.payload())))

    def lo_xmit(skb: SkBuff | None, dev: Device) -> int:
        assert skb is not None
        skb.protocol = kernel.eth_type_trans(skb, dev)
        kernel.netif_rx(skb)
        kernel.skb_device_unlock(skb)
        return 0
    w = Wire(kernel, lo_xmit)
    kernel.dev_queue_xmit(frame(kernel, b"loop"), w.dev, 0)
    assert got == [b"loop"]
