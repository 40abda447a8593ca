"""The reference drivers (dummy, loopback, skeleton) under real workloads and faults.

Each test loads driver models into a fresh kernel through the handle, drives them from
the kernel side (ifconfig up/down, dev_queue_xmit at priorities 0..2, card receive and
transmit-complete interrupts, multicast changes, rmmod) and checks real outcomes: the
frames on the wire are the frames sent, received frames reach a packet handler with
skb->dev and skb->protocol set, everything is released after rmmod, and the kernel
recorded no misuse.
"""

from __future__ import annotations

from typing import cast

import pytest
from drivertools import (
    MAC_A,
    MAC_B,
    PEER,
    HandoffMonitor,
    Sink,
    assert_clean,
    device_of,
    eth_frame,
    load,
    out_frame,
)
from netdevspec.conformance.handle import RecordingMonitor, make_module
from netdevspec.reference import (
    EAGAIN,
    EBUSY,
    ENOENT,
    ETH_P_IP,
    IFF_ALLMULTI,
    IFF_BROADCAST,
    IFF_LOOPBACK,
    IFF_MULTICAST,
    IFF_NOARP,
    IFF_PROMISC,
    IFF_RUNNING,
    IFF_UP,
    PACKET_HOST,
    Device,
    EnetStatistics,
    Kernel,
    Module,
    SimpleNic,
    Sock,
)
from netdevspec.reference.device import ARPHRD_LOOPBACK
from netdevspec.reference.drivers import dummy, loopback, skeleton
from netdevspec.reference.drivers.skeleton import RX_ALLMULTI, RX_MCFILTER, RX_PROMISC, NetLocal

PRIORITIES = (0, 1, 2)


def stats(kernel: Kernel, dev: Device) -> EnetStatistics:
    s = kernel.dev_get_stats(dev)
    assert isinstance(s, EnetStatistics)
    return s


def holder(kernel: Kernel, name: str = "other") -> Module:
    """Another loaded module, to hold resources the driver wants."""
    m = Module(name)
    assert kernel.insmod(m) == 0
    return m


def _no_irq(irq: int, dev_id: object, regs: object) -> None:
    return None


# =============================================================================================
# dummy
# =============================================================================================


def test_dummy_life_cycle() -> None:
    """dummy.c: dummy0 with IFF_NOARP after ether_setup (REG-12, FLG-4); transmit frees the
    frame at once (CB-4), or leaves a frame its owner keeps (free 0) to the owner (SKB-13,
    SKB-14); the use count blocks rmmod while up (MOD-3)."""
    kernel = Kernel()
    dm = load(kernel, dummy.FACTORY)
    dev = device_of(dm)
    assert dev.registered and dev.name == "dummy0" and dev.owner is dm.module
    assert dev.flags == IFF_BROADCAST | IFF_MULTICAST | IFF_NOARP
    assert kernel.dev_open(dev) == 0 and dev.flags & IFF_UP
    assert kernel.rmmod(dm.module) == -EBUSY

    sent = [out_frame(kernel, dev, b"p%d-%d" % (pri, i)) for pri in PRIORITIES for i in range(5)]
    for skb in sent:
        kernel.dev_queue_xmit(skb, dev, sent.index(skb) // 5)
    assert not any(s.alive for s in sent)
    kept = out_frame(kernel, dev, b"kept", free=0)
    kernel.dev_queue_xmit(kept, dev, 1)
    assert kept.alive and kept.lock == 0 and kept.owner is None
    kernel.kfree_skb(kept)
    assert stats(kernel, dev).tx_packets == 16
    assert all(q.qlen == 0 for q in dev.buffs)

    assert kernel.dev_close(dev) == 0 and dm.module.use_count == 0
    assert kernel.rmmod(dm.module) == 0
    assert dev.priv is None
    assert_clean(kernel, dm.module)


def test_dummy_two_instances_pick_free_names() -> None:
    """REG-7: each copy finds the first free dummyN with dev_get; rmmod in any order, and a
    reload gets the lowest free name again."""
    kernel = Kernel()
    a, b = load(kernel, dummy.FACTORY), load(kernel, dummy.FACTORY, instance=1)
    assert (device_of(a).name, device_of(b).name) == ("dummy0", "dummy1")
    assert (a.module.name, b.module.name) == ("dummy", "dummy1")
    for dm in (a, b):
        assert kernel.dev_open(device_of(dm)) == 0
        kernel.dev_queue_xmit(out_frame(kernel, device_of(dm), b"x"), device_of(dm), 0)
        assert stats(kernel, device_of(dm)).tx_packets == 1
    kernel.dev_close(device_of(a))
    assert kernel.rmmod("dummy") == 0
    assert kernel.insmod(a.module) == 0 and device_of(a).name == "dummy0"
    kernel.dev_close(device_of(b))
    assert kernel.rmmod("dummy1") == 0 and kernel.rmmod("dummy") == 0
    assert_clean(kernel, a.module, b.module)


def test_dummy_gives_up_after_100_names() -> None:
    """REG-7, REG-11: with dummy0..dummy99 taken, init_module answers -ENFILE (insmod: -EBUSY,
    MOD-1) and leaves nothing behind."""
    kernel = Kernel()
    other = holder(kernel)
    taken = [Device(f"dummy{i}", init=lambda d: 0) for i in range(100)]
    with kernel.running(other):
        for d in taken:
            assert kernel.register_netdev(d) == 0
    dm = make_module(kernel, dummy.FACTORY)
    assert kernel.insmod(dm.module) == -EBUSY and not dm.module.loaded
    assert all(v == 0 for v in dm.module.holdings().values())
    with kernel.running(other):
        for d in taken:
            kernel.unregister_netdev(d)
    assert kernel.rmmod(other) == 0
    assert_clean(kernel, dm.module, other)


# =============================================================================================
# loopback
# =============================================================================================


def test_loopback_turns_transmit_into_receive() -> None:
    """RX-7: frames the protocol lets go (free 1) are passed up themselves; frames it keeps
    (free 0) are cloned and the clone passed up, the original returned unlocked to its
    owner. Passed-up frames carry skb->dev and the protocol (RX-3, RX-4) and the driver
    never touches them after netif_rx (RX-5)."""
    kernel = Kernel()
    mon = HandoffMonitor()
    dm = load(kernel, loopback.FACTORY, monitor=mon)
    dev = device_of(dm)
    assert dev.name == "lo" and dev.type == ARPHRD_LOOPBACK and dev.tx_queue_len == 50000
    assert dev.flags == IFF_LOOPBACK | IFF_BROADCAST and dev.pa_alen == 4
    sink = Sink(kernel)
    assert kernel.dev_open(dev) == 0 and dev.flags & IFF_RUNNING

    frames = [out_frame(kernel, dev, b"free-%d" % pri) for pri in PRIORITIES]
    ids = [s.id for s in frames]
    kept = [out_frame(kernel, dev, b"kept-%d" % pri, free=0) for pri in PRIORITIES]
    for pri in PRIORITIES:
        kernel.dev_queue_xmit(frames[pri], dev, pri)
        kernel.dev_queue_xmit(kept[pri], dev, pri)
    assert sink.payloads == [p for pri in PRIORITIES for p in (b"free-%d" % pri,
                                                               b"kept-%d" % pri)]
    got_ids = [g.skb_id for g in sink.got]
    assert got_ids[0::2] == ids  # reused, not copied
    assert not set(got_ids[1::2]) & {s.id for s in kept}  # clones
    assert all(g.dev == "lo" and g.protocol == ETH_P_IP and g.pkt_type == PACKET_HOST
               and g.owner is None for g in sink.got)
    for skb in kept:
        assert skb.alive and skb.lock == 0 and skb.owner is None
        kernel.kfree_skb(skb)
    s = stats(kernel, dev)
    assert (s.tx_packets, s.rx_packets, s.tx_dropped) == (6, 6, 0)
    assert mon.violations == [] and mon.names.count("netif_rx") == 6
    assert dev.tbusy == 0

    kernel.dev_close(dev)
    sink.remove()
    assert kernel.rmmod(dm.module) == 0
    assert_clean(kernel, dm.module)


def test_loopback_stops_charging_the_socket() -> None:
    """ART-3, RX-7: a looped frame no longer counts against its socket's send memory."""
    kernel = Kernel()
    dm = load(kernel, loopback.FACTORY)
    dev = device_of(dm)
    kernel.dev_open(dev)
    sink = Sink(kernel)
    skb = out_frame(kernel, dev, b"from a socket")
    sk = Sock("udp")
    skb.sk = sk
    sk.wmem_alloc = skb.truesize
    kernel.dev_queue_xmit(skb, dev, 0)
    assert sink.payloads == [b"from a socket"] and sk.wmem_alloc == 0
    kernel.dev_close(dev)
    sink.remove()
    kernel.rmmod(dm.module)
    assert_clean(kernel, dm.module)


def test_loopback_clone_failure_drops_the_frame() -> None:
    """CB-4: when the clone cannot be allocated the frame is accepted and dropped (its owner
    keeps it), counted in tx_dropped; the device is not left busy."""
    kernel = Kernel()
    dm = load(kernel, loopback.FACTORY)
    dev = device_of(dm)
    kernel.dev_open(dev)
    sink = Sink(kernel)
    kept = out_frame(kernel, dev, b"kept", free=0)
    kernel.fail_next_alloc(1)
    kernel.dev_queue_xmit(kept, dev, 0)
    assert sink.got == [] and stats(kernel, dev).tx_dropped == 1
    assert kept.alive and kept.lock == 0 and kept.owner is None and dev.tbusy == 0
    assert all(q.qlen == 0 for q in dev.buffs)
    kernel.dev_queue_xmit(kept, dev, 0)  # the owner retransmits; now it goes through
    assert sink.payloads == [b"kept"]
    kernel.kfree_skb(kept)
    kernel.dev_close(dev)
    sink.remove()
    kernel.rmmod(dm.module)
    assert_clean(kernel, dm.module)


def test_loopback_two_instances() -> None:
    """Two copies register lo and lo1 and loop their own frames."""
    kernel = Kernel()
    a, b = load(kernel, loopback.FACTORY), load(kernel, loopback.FACTORY, instance=1)
    sink = Sink(kernel)
    for dm in (a, b):
        kernel.dev_open(device_of(dm))
        kernel.dev_queue_xmit(out_frame(kernel, device_of(dm), b"x"), device_of(dm), 2)
    assert [g.dev for g in sink.got] == ["lo", "lo1"]
    for dm in (a, b):
        kernel.dev_close(device_of(dm))
        assert kernel.rmmod(dm.module) == 0
    sink.remove()
    assert_clean(kernel, a.module, b.module)


# =============================================================================================
# skeleton
# =============================================================================================


def nic_at(kernel: Kernel, base: int = 0x300, mac: bytes = MAC_A, irq: int = 5,
           auto_tx_complete: bool = True) -> SimpleNic:
    return kernel.attach_card(SimpleNic(mac=mac, irq=irq, auto_tx_complete=auto_tx_complete),
                              base)


def lp_of(dev: Device) -> NetLocal:
    return cast(NetLocal, dev.priv)


def wire(payload: bytes, dst: bytes = PEER, src: bytes = MAC_A) -> bytes:
    """What the card puts on the wire for a frame: header, payload, padded to 60 (CB-7)."""
    return eth_frame(dst, src, ETH_P_IP, payload).ljust(60, b"\0")


def test_skeleton_probes_the_port_list() -> None:
    """CB-1, RES-8, RES-11, RES-12: the probe checks each port range before reading it,
    finds the card at 0x320 by its address prefix, claims its 32 ports, names it eth0
    (REG-3) and reads the station address; no port outside those is touched."""
    kernel = Kernel()
    nic_at(kernel, 0x320)
    mon = RecordingMonitor()
    dm = load(kernel, skeleton.FACTORY, monitor=mon)
    dev = device_of(dm)
    assert dev.name == "eth0" and dev.base_addr == 0x320 and bytes(dev.dev_addr[:6]) == MAC_A
    assert [(r.start, r.num, r.name, r.owner) for r in kernel.regions] == [
        (0x320, 32, "netcard", dm.module)]
    assert dev.open is not None and dev.set_multicast_list is not None
    checked = [args[0] for name, args in mon.calls if name == "check_region"]
    assert checked == [0x200, 0x240, 0x280, 0x2C0, 0x300, 0x320]
    assert "netcard: You shouldn't use auto-probing with insmod!" in kernel.log
    assert "eth0: netcard found at 0x320, 00:42:65:00:00:01" in kernel.log
    assert kernel.misuse == []
    assert kernel.rmmod(dm.module) == 0
    assert_clean(kernel, dm.module)


def test_skeleton_workload() -> None:
    """The whole life: open (IRQ then DMA, RES-5), bursts at priorities 0..2 go out as sent
    (CB-4, CB-7), card receive interrupts reach the handler with dev and protocol (RX-1..
    RX-6), multicast changes program the card (CB-13), close releases DMA then IRQ (RES-5),
    rmmod releases the region (MOD-2); nothing is misused or left behind."""
    kernel = Kernel()
    nic = nic_at(kernel)
    mon = HandoffMonitor()
    dm = load(kernel, skeleton.FACTORY, monitor=mon)
    dev = device_of(dm)
    sink = Sink(kernel)
    mark = len(mon.names)
    assert kernel.dev_open(dev) == 0
    opened = mon.names[mark:]
    assert opened.index("request_irq") < opened.index("request_dma")
    assert dev.start == 1 and dev.tbusy == 0 and dm.module.use_count == 1
    assert kernel.irq_actions(5)[0].owner is dm.module and kernel.irq_actions(5)[0].dev_id is dev
    claim = kernel.dma_claim(3)
    assert claim is not None and claim.owner is dm.module
    assert nic.running and nic.imr == SimpleNic.ISR_RX | SimpleNic.ISR_TX
    assert kernel.rmmod(dm.module) == -EBUSY

    expected = []
    for rnd in range(3):
        for pri in PRIORITIES:
            payload = b"round %d pri %d " % (rnd, pri) + bytes(range(rnd * 7))
            kernel.dev_queue_xmit(out_frame(kernel, dev, payload), dev, pri)
            expected.append(wire(payload))
        for i in range(2):
            assert nic.push_frame(eth_frame(MAC_A, payload=b"in %d.%d" % (rnd, i)))
    long_frame = bytes(range(256)) * 5 + b"odd"  # 1283 bytes: an odd length on the wire
    kernel.dev_queue_xmit(out_frame(kernel, dev, long_frame), dev, 1)
    expected.append(wire(long_frame))
    assert nic.sent == expected
    assert sink.payloads == [b"in %d.%d" % (r, i) for r in range(3) for i in range(2)]
    assert all(g.dev == "eth0" and g.protocol == ETH_P_IP for g in sink.got)
    s = stats(kernel, dev)
    assert (s.tx_packets, s.rx_packets, s.rx_dropped, s.tx_errors) == (10, 6, 0, 0)

    lp = lp_of(dev)
    group = [bytes([0x01, 0, 0x5E, 0, 0, i]) for i in range(5)]
    kernel.dev_mc_add(dev, group[0])
    assert nic.config == RX_MCFILTER and lp.mc_filter == [group[0]]
    for g in group[1:]:
        kernel.dev_mc_add(dev, g)
    assert nic.config == RX_ALLMULTI and lp.mc_filter == []  # 5 > the filter's 4
    kernel.dev_mc_delete(dev, group[4])
    # dev_mc_add puts a new address at the head of mc_list (2.0.1 dev_mcast.c:128)
    assert nic.config == RX_MCFILTER and lp.mc_filter == group[3::-1]
    assert kernel.dev_change_flags(dev, dev.flags | IFF_PROMISC) == 0
    assert nic.config == RX_PROMISC | RX_ALLMULTI
    kernel.dev_change_flags(dev, (dev.flags & ~IFF_PROMISC) | IFF_ALLMULTI)
    assert nic.config == RX_ALLMULTI
    assert nic.push_frame(eth_frame(group[0], payload=b"to the group"))
    assert sink.got[-1].payload == b"to the group" and sink.got[-1].pkt_type != PACKET_HOST

    mark = len(mon.names)
    assert kernel.dev_close(dev) == 0
    closed = mon.names[mark:]
    assert closed.index("free_dma") < closed.index("free_irq")
    assert kernel.irq_actions(5) == () and kernel.dma_claim(3) is None and not nic.running
    assert not nic.push_frame(eth_frame(MAC_A))  # the receiver is off once stopped
    assert stats(kernel, dev).rx_packets == 7  # get_stats works while closed (CB-12)
    assert kernel.rmmod(dm.module) == 0
    assert mon.violations == []
    sink.remove()
    assert_clean(kernel, dm.module)


def test_skeleton_busy_transmitter_and_priorities() -> None:
    """CB-4, CB-5, CB-9..CB-11: while the card transmits, the driver answers busy with tbusy
    set and the kernel queues frames per priority; each transmit-done interrupt clears
    tbusy and marks NET_BH, whose dev_tint sends buffs[0] first, then [1], then [2]."""
    kernel = Kernel()
    nic = nic_at(kernel, auto_tx_complete=False)
    dm = load(kernel, skeleton.FACTORY)
    dev = device_of(dm)
    kernel.dev_open(dev)
    order = [(0, b"a"), (2, b"b"), (1, b"c"), (0, b"d"), (2, b"e")]
    frames = []
    for pri, payload in order:
        skb = out_frame(kernel, dev, payload)
        frames.append(skb)
        kernel.dev_queue_xmit(skb, dev, pri)
    assert nic.sent == [wire(b"a")] and dev.tbusy == 1
    assert [q.qlen for q in dev.buffs] == [1, 1, 2]
    assert all(s.lock == 0 and s.owner is None for s in frames[1:])
    for n in range(2, 6):
        nic.complete_tx()
        assert len(nic.sent) == n
    nic.complete_tx()
    assert nic.sent == [wire(p) for p in (b"a", b"d", b"c", b"b", b"e")]
    assert not any(s.alive for s in frames) and dev.tbusy == 0
    assert stats(kernel, dev).tx_packets == 5
    kernel.dev_close(dev)
    kernel.rmmod(dm.module)
    assert_clean(kernel, dm.module)


def test_skeleton_transmit_timeout_resets_the_card() -> None:
    """CB-5: a frame arriving while tbusy is busy for 5 ticks; after that the driver
    reports the timeout, resets the card, clears tbusy and sends it."""
    kernel = Kernel()
    nic = nic_at(kernel, auto_tx_complete=False)
    dm = load(kernel, skeleton.FACTORY)
    dev = device_of(dm)
    kernel.dev_open(dev)
    kernel.dev_queue_xmit(out_frame(kernel, dev, b"first"), dev, 0)
    kernel.dev_queue_xmit(out_frame(kernel, dev, b"second"), dev, 0)
    kernel.tick(4)
    kernel.dev_queue_xmit(out_frame(kernel, dev, b"third"), dev, 0)
    assert nic.sent == [wire(b"first")] and dev.buffs[0].qlen == 2
    kernel.tick(1)
    kernel.dev_queue_xmit(out_frame(kernel, dev, b"fourth"), dev, 0)
    assert nic.sent == [wire(b"first"), wire(b"second")]
    assert kernel.log[-1] == "eth0: transmit timed out, network cable problem?"
    assert stats(kernel, dev).tx_errors == 1 and dev.trans_start == 5
    nic.complete_tx()
    nic.complete_tx()
    nic.complete_tx()
    assert nic.sent[2:] == [wire(b"third"), wire(b"fourth")] and dev.buffs[0].qlen == 0
    kernel.dev_close(dev)
    kernel.rmmod(dm.module)
    assert_clean(kernel, dm.module)


def test_skeleton_null_kick_sends_what_waits() -> None:
    """CB-6: hard_start_xmit(NULL, dev), the legacy kick, runs dev_tint (after the timeout
    reset when the transmitter is stuck) and returns 0."""
    kernel = Kernel()
    nic = nic_at(kernel, auto_tx_complete=False)
    dm = load(kernel, skeleton.FACTORY)
    dev = device_of(dm)
    kernel.dev_open(dev)
    kernel.dev_queue_xmit(out_frame(kernel, dev, b"one"), dev, 0)
    kernel.dev_queue_xmit(out_frame(kernel, dev, b"two"), dev, 1)
    assert dev.hard_start_xmit is not None
    assert dev.hard_start_xmit(None, dev) == 1  # still within the timeout: busy
    kernel.tick(5)
    assert dev.hard_start_xmit(None, dev) == 0
    assert nic.sent == [wire(b"one"), wire(b"two")] and dev.buffs[1].qlen == 0
    nic.complete_tx()
    kernel.dev_close(dev)
    kernel.rmmod(dm.module)
    assert_clean(kernel, dm.module)


def test_skeleton_receive_memory_squeeze() -> None:
    """RX-1: when dev_alloc_skb fails the frame is dropped on the card and counted in
    rx_dropped; the frames after it in the same interrupt still go up."""
    kernel = Kernel()
    nic = nic_at(kernel)
    dm = load(kernel, skeleton.FACTORY)
    dev = device_of(dm)
    kernel.dev_open(dev)
    sink = Sink(kernel)
    kernel.cli()  # as the kernel: the card's interrupts wait, so one interrupt sees all
    for i in range(4):
        assert nic.push_frame(eth_frame(MAC_A, payload=b"f%d" % i))
    kernel.fail_next_alloc(2)
    kernel.sti()
    assert sink.payloads == [b"f2", b"f3"] and not nic.rx_fifo
    s = stats(kernel, dev)
    assert (s.rx_dropped, s.rx_packets) == (2, 2)
    assert kernel.log.count("eth0: Memory squeeze, dropping packet.") == 2
    assert nic.push_frame(b"runt")  # shorter than a header: a length error (RX-6)
    assert (s.rx_errors, s.rx_length_errors) == (1, 1) and not nic.rx_fifo
    kernel.dev_close(dev)
    kernel.rmmod(dm.module)
    sink.remove()
    assert_clean(kernel, dm.module)


def test_skeleton_irq_line_held_by_another_module() -> None:
    """RES-1, CB-2: with IRQ 5 held, open answers -EAGAIN, the device stays down and the
    driver holds no IRQ or DMA; rmmod is then allowed."""
    kernel = Kernel()
    nic_at(kernel)
    other = holder(kernel)
    with kernel.running(other):
        assert kernel.request_irq(5, _no_irq, 0, "other", None) == 0
    dm = load(kernel, skeleton.FACTORY)
    dev = device_of(dm)
    assert kernel.dev_open(dev) == -EAGAIN
    assert not dev.flags & IFF_UP and dev.start == 0 and dm.module.use_count == 0
    assert dm.module.holdings()["irqs"] == 0 and kernel.dma_claim(3) is None
    assert kernel.rmmod(dm.module) == 0
    with kernel.running(other):
        kernel.free_irq(5, None)
    kernel.rmmod(other)
    assert_clean(kernel, dm.module, other)


def test_skeleton_dma_channel_held_gives_the_irq_back() -> None:
    """RES-5: when the DMA channel is busy after the IRQ was claimed, open frees the IRQ
    before answering -EAGAIN."""
    kernel = Kernel()
    nic_at(kernel)
    other = holder(kernel)
    with kernel.running(other):
        assert kernel.request_dma(3, "other") == 0
    mon = RecordingMonitor()
    dm = load(kernel, skeleton.FACTORY, monitor=mon)
    mark = len(mon.names)
    assert kernel.dev_open(device_of(dm)) == -EAGAIN
    assert mon.names[mark:] == ["request_irq", "request_dma", "free_irq"]
    assert kernel.irq_actions(5) == ()
    kernel.rmmod(dm.module)
    with kernel.running(other):
        kernel.free_dma(3)
    kernel.rmmod(other)
    assert_clean(kernel, dm.module, other)


def test_skeleton_irq_allocation_failure() -> None:
    """RES-1: request_irq's allocation fails (-ENOMEM); open answers -EAGAIN, and a
    second open works."""
    kernel = Kernel()
    nic_at(kernel)
    dm = load(kernel, skeleton.FACTORY)
    dev = device_of(dm)
    kernel.fail_next_alloc(1)
    assert kernel.dev_open(dev) == -EAGAIN and kernel.irq_actions(5) == ()
    assert kernel.dev_open(dev) == 0
    kernel.dev_close(dev)
    kernel.rmmod(dm.module)
    assert_clean(kernel, dm.module)


@pytest.mark.parametrize("io", [0, 0x300])
def test_skeleton_region_held_by_another_module(io: int) -> None:
    """RES-8: the only card's ports are claimed by someone else, so the probe skips them
    (or, given io=0x300, refuses); insmod fails (-EBUSY, MOD-1) and nothing is left."""
    kernel = Kernel()
    nic_at(kernel)
    other = holder(kernel)
    with kernel.running(other):
        kernel.request_region(0x300, 32, "other")
    dm = make_module(kernel, skeleton.FACTORY, io=io)
    assert kernel.insmod(dm.module) == -EBUSY
    assert [r.owner for r in kernel.regions] == [other] and kernel.dev_base == []
    with kernel.running(other):
        kernel.release_region(0x300, 32)
    kernel.rmmod(other)
    assert_clean(kernel, dm.module, other)


@pytest.mark.parametrize("io", [0, 0x300, 0x100, 0xFFE0])
def test_skeleton_without_a_card(io: int) -> None:
    """FLD-2, REG-5: no card (or a "don't probe" address): the probe fails, register_netdev
    answers -EIO, insmod -EBUSY; no port was touched unchecked and nothing leaks."""
    kernel = Kernel()
    nic_at(kernel, 0x360)  # a card where skeleton does not look
    dm = make_module(kernel, skeleton.FACTORY, io=io)
    assert kernel.insmod(dm.module) == -EBUSY
    assert kernel.rmmod(dm.module) == -ENOENT
    assert not any("found" in line for line in kernel.log)
    assert_clean(kernel, dm.module)


def test_skeleton_given_io_address() -> None:
    """FLD-2: io > 0x1ff probes only there."""
    kernel = Kernel()
    nic_at(kernel, 0x300)
    nic_at(kernel, 0x340, mac=MAC_B)
    dm = load(kernel, skeleton.FACTORY, io=0x340)
    dev = device_of(dm)
    assert dev.base_addr == 0x340 and bytes(dev.dev_addr[:6]) == MAC_B
    assert not any("auto-probing" in line for line in kernel.log)
    kernel.rmmod(dm.module)
    assert_clean(kernel, dm.module)


def test_skeleton_two_cards_two_instances() -> None:
    """Two copies on two cards: the second probe skips the first card's claimed ports
    (RES-8) and finds the other; each device sends on its own card and receives from it;
    they unload in either order."""
    kernel = Kernel()
    nic_a = nic_at(kernel, 0x300, MAC_A, irq=5)
    nic_b = nic_at(kernel, 0x320, MAC_B, irq=7)
    a = load(kernel, skeleton.FACTORY, irq=5, dma=3)
    b = load(kernel, skeleton.FACTORY, instance=1, irq=7, dma=5)
    dev_a, dev_b = device_of(a), device_of(b)
    assert (dev_a.name, dev_a.base_addr, dev_b.name, dev_b.base_addr) == (
        "eth0", 0x300, "eth1", 0x320)
    sink = Sink(kernel)
    assert kernel.dev_open(dev_a) == 0 and kernel.dev_open(dev_b) == 0
    for i in range(3):
        kernel.dev_queue_xmit(out_frame(kernel, dev_a, b"A%d" % i), dev_a, i)
        kernel.dev_queue_xmit(out_frame(kernel, dev_b, b"B%d" % i), dev_b, 2 - i)
        nic_b.push_frame(eth_frame(MAC_B, payload=b"to B %d" % i))
        nic_a.push_frame(eth_frame(MAC_A, payload=b"to A %d" % i))
    assert nic_a.sent == [wire(b"A%d" % i) for i in range(3)]
    assert nic_b.sent == [wire(b"B%d" % i, src=MAC_B) for i in range(3)]
    assert [(g.dev, g.payload) for g in sink.got] == [
        (dev, b"to %s %d" % (c, i)) for i in range(3) for dev, c in (("eth1", b"B"),
                                                                        ("eth0", b"A"))]
    assert stats(kernel, dev_a).rx_packets == stats(kernel, dev_b).rx_packets == 3
    kernel.dev_close(dev_a)
    assert kernel.rmmod(a.module) == 0 and kernel.regions[0].owner is b.module
    nic_b.push_frame(eth_frame(MAC_B, payload=b"still B"))
    assert sink.payloads[-1] == b"still B"
    kernel.dev_close(dev_b)
    assert kernel.rmmod(b.module) == 0
    sink.remove()
    assert_clean(kernel, a.module, b.module)


def test_skeleton_reload_after_rmmod() -> None:
    """MOD-2: cleanup released the region, so a second insmod probes the card again."""
    kernel = Kernel()
    nic = nic_at(kernel)
    dm = load(kernel, skeleton.FACTORY)
    first = device_of(dm)
    kernel.dev_open(first)
    kernel.dev_close(first)
    assert kernel.rmmod(dm.module) == 0 and first.priv is None
    assert kernel.insmod(dm.module) == 0
    dev = device_of(dm)
    assert dev is not first and dev.name == "eth0" and dev.registered
    kernel.dev_open(dev)
    kernel.dev_queue_xmit(out_frame(kernel, dev, b"again"), dev, 0)
    assert nic.sent == [wire(b"again")]
    kernel.dev_close(dev)
    kernel.rmmod(dm.module)
    assert_clean(kernel, dm.module)


def test_all_three_side_by_side() -> None:
    """The three drivers loaded together, each with traffic, then unloaded."""
    kernel = Kernel()
    nic = nic_at(kernel)
    mods = [load(kernel, f) for f in (dummy.FACTORY, loopback.FACTORY, skeleton.FACTORY)]
    devs = [device_of(dm) for dm in mods]
    assert [d.name for d in devs] == ["dummy0", "lo", "eth0"]
    sink = Sink(kernel)
    for dev in devs:
        assert kernel.dev_open(dev) == 0
        for pri in PRIORITIES:
            kernel.dev_queue_xmit(out_frame(kernel, dev, b"%s %d" % (dev.name.encode(), pri)),
                                  dev, pri)
    nic.push_frame(eth_frame(MAC_A, payload=b"wire"))
    assert sink.payloads == [b"lo 0", b"lo 1", b"lo 2", b"wire"]
    assert len(nic.sent) == 3
    for dm, dev in zip(mods, devs, strict=True):
        kernel.dev_close(dev)
        assert kernel.rmmod(dm.module) == 0
    sink.remove()
    assert_clean(kernel, *(dm.module for dm in mods))
