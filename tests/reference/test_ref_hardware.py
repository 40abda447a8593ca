"""Simulated ISA hardware and a whole skeleton-style driver life cycle on it."""

from __future__ import annotations

import pytest
from netdevspec.reference import (
    EBUSY,
    ETH_P_IP,
    IFF_RUNNING,
    IFF_UP,
    Device,
    IsaBus,
    IsaCard,
    Kernel,
    Module,
    PacketType,
    SimpleNic,
    SkBuff,
)
from reftools import MAC, PEER, NicDriver, eth_frame


def test_floating_bus_reads_all_ones(kernel: Kernel) -> None:
    """RES-12: a port with no card reads 0xff (0xffff for a word); writes are lost."""
    assert kernel.inb(0x280) == 0xFF and kernel.inw(0x280) == 0xFFFF
    kernel.outb(0x12, 0x280)
    assert kernel.insb(0x280, 3) == b"\xff\xff\xff"


def test_port_arguments_are_checked(kernel: Kernel) -> None:
    """Ports are 16-bit ints; anything else is a Python-level error that says so."""
    with pytest.raises(ValueError, match="outside the ISA port space"):
        kernel.inb(0x10000)
    with pytest.raises(TypeError, match="port must be an int"):
        kernel.inb("0x300")  # type: ignore[arg-type]


def test_cards_cannot_overlap() -> None:
    """Two cards on the same ports is a hardware conflict, refused with a clear error."""
    bus = IsaBus()
    bus.attach(SimpleNic(), 0x300)
    with pytest.raises(ValueError, match="already belongs to another card"):
        bus.attach(IsaCard(4), 0x31C)


def test_station_address_prom(kernel: Kernel, nic: SimpleNic) -> None:
    """CB-1, RES-12: the card's address PROM is readable at base+0..5 (skeleton's probe)."""
    assert bytes(kernel.inb(0x300 + i) for i in range(6)) == MAC


def test_port_access_outside_claimed_regions(kernel: Kernel, nic: SimpleNic) -> None:
    """RES-8, RES-11: a module's port access outside the regions it claimed is recorded but
    performed; probing a range it found free with check_region is allowed until someone
    claims it."""
    m, other = Module("m"), Module("other")
    kernel.insmod(m)
    kernel.insmod(other)
    with kernel.running(m):
        assert kernel.inb(0x300) == 0x00
        assert kernel.check_region(0x300, 32) == 0
        assert kernel.inb(0x301) == 0x42
    with kernel.running(other):
        kernel.request_region(0x300, 32, "other")
    with kernel.running(m):
        assert kernel.inb(0x302) == 0x65
        kernel.request_region(0x3F0, 8, "m")
        kernel.outb(1, 0x3F7)
    assert kernel.misuse_kinds() == ["port_outside_region", "port_outside_region"]
    assert [x.detail["port"] for x in kernel.misuse] == [0x300, 0x302]


def test_driver_probes_and_registers(kernel: Kernel, nic: SimpleNic) -> None:
    """CB-1, REG-3, FLD-2: insmod probes the port list, finds the card by its address prefix,
    claims its region, names it eth0 and fills dev_addr; nothing is misused."""
    drv = NicDriver(kernel)
    assert kernel.insmod(drv.module) == 0
    dev = drv.dev
    assert dev.registered and dev.name == "eth0" and dev.base_addr == 0x300
    assert bytes(dev.dev_addr[:6]) == MAC and dev.owner is drv.module
    (region,) = kernel.regions
    assert (region.start, region.num, region.owner) == (0x300, 32, drv.module)
    assert kernel.misuse == []


def test_probe_honours_base_addr(kernel: Kernel, nic: SimpleNic) -> None:
    """FLD-2, REG-5: base_addr ≤ 0x1ff (not 0) is -ENXIO; an empty port is -ENODEV; both
    make register_netdev answer -EIO and insmod -EBUSY."""
    assert kernel.insmod(NicDriver(kernel, io=0x100).module) == -EBUSY
    assert kernel.insmod(NicDriver(kernel, io=0x340, module_name="n2").module) == -EBUSY
    assert kernel.dev_base == [] and kernel.regions == ()


def test_whole_life_cycle(kernel: Kernel, nic: SimpleNic) -> None:
    """CB-2..CB-7, RX-1..RX-5, MOD-2, MOD-3: open, receive, transmit, close and unload,
    with the card raising its IRQ; every claim is released and nothing is misused."""
    drv = NicDriver(kernel)
    kernel.insmod(drv.module)
    dev = drv.dev
    got: list[tuple[bytes, object]] = []

    def ip_rcv(skb: SkBuff, d: Device | None, pt: PacketType) -> None:
        got.append((skb.payload(), skb.owner))
        kernel.kfree_skb(skb)
    kernel.dev_add_pack(PacketType(ETH_P_IP, ip_rcv))
    assert kernel.dev_open(dev) == 0
    assert dev.flags & (IFF_UP | IFF_RUNNING) and dev.start == 1
    assert drv.module.use_count == 1 and kernel.irq_actions(5)[0].owner is drv.module
    assert kernel.rmmod("nic") == -EBUSY

    assert nic.push_frame(eth_frame(payload=b"ping"))
    assert got == [(b"ping", None)] and drv.stats.rx_packets == 1

    skb = kernel.alloc_skb(128)
    assert skb is not None
    kernel.skb_reserve(skb, 16)
    kernel.skb_put_data(skb, b"pong")
    assert dev.hard_header is not None
    assert dev.hard_header(skb, dev, ETH_P_IP, PEER, None, 4) == 14
    skb.free = 1
    skb.arp = 1
    kernel.dev_queue_xmit(skb, dev, 0)
    assert nic.sent == [eth_frame(PEER, MAC, ETH_P_IP, b"pong").ljust(60, b"\0")]
    assert not skb.alive and dev.tbusy == 0 and drv.stats.tx_packets == 1

    assert kernel.dev_close(dev) == 0
    assert drv.module.use_count == 0 and kernel.irq_actions(5) == ()
    assert kernel.rmmod("nic") == 0
    assert kernel.dev_base == [] and kernel.regions == ()
    assert kernel.misuse == [] and kernel.net_skbcount == 0


def test_transmit_waits_for_the_card(kernel: Kernel) -> None:
    """CB-5, CB-10, CB-11: while the card is busy the driver answers busy and the frame waits
    at the head of its queue; the transmit-complete interrupt clears tbusy and marks
    NET_BH, whose dev_tint sends it."""
    card = kernel.attach_card(SimpleNic(mac=MAC, irq=5, auto_tx_complete=False), 0x300)
    drv = NicDriver(kernel)
    kernel.insmod(drv.module)
    kernel.dev_open(drv.dev)
    frames = []
    for tag in (b"one", b"two"):
        skb = kernel.alloc_skb(64)
        assert skb is not None
        kernel.skb_put_data(skb, eth_frame(PEER, MAC, ETH_P_IP, tag))
        skb.free = skb.arp = 1
        frames.append(skb)
        kernel.dev_queue_xmit(skb, drv.dev, 0)
    assert len(card.sent) == 1 and drv.dev.tbusy == 1
    assert list(drv.dev.buffs[0]) == [frames[1]] and frames[1].lock == 0
    card.complete_tx()
    assert len(card.sent) == 2 and card.sent[1].startswith(eth_frame(PEER, MAC, ETH_P_IP, b"two"))
    assert drv.dev.buffs[0].qlen == 0
    assert kernel.misuse == []


def test_skeleton_forgets_the_protocol(kernel: Kernel, nic: SimpleNic) -> None:
    """RX-4 (HAZ-8): the 2.0.1 skeleton never sets skb->protocol; its frames reach no
    handler and the omission is recorded."""
    drv = NicDriver(kernel, set_protocol=False)
    kernel.insmod(drv.module)
    kernel.dev_open(drv.dev)
    got: list[SkBuff] = []
    kernel.dev_add_pack(PacketType(ETH_P_IP, lambda s, d, p: got.append(s)))
    nic.push_frame(eth_frame())
    assert got == [] and kernel.misuse_kinds() == ["rx_no_protocol"]


def test_memory_squeeze_on_receive(kernel: Kernel, nic: SimpleNic) -> None:
    """RX-1: when dev_alloc_skb fails in the interrupt handler the frame is dropped."""
    drv = NicDriver(kernel)
    kernel.insmod(drv.module)
    kernel.dev_open(drv.dev)
    kernel.fail_next_alloc()
    nic.push_frame(eth_frame())
    assert drv.stats.rx_dropped == 1 and kernel.log[-1] == "eth0: Memory squeeze, dropping packet."


def test_unreleased_region_breaks_the_next_insmod(kernel: Kernel, nic: SimpleNic) -> None:
    """MOD-2: a cleanup_module that does not release its region leaks it (recorded), and a
    later insmod fails to probe."""
    drv = NicDriver(kernel)
    drv.release_on_cleanup = False
    kernel.insmod(drv.module)
    assert kernel.rmmod("nic") == 0
    assert kernel.misuse_kinds() == ["leak_region"]
    assert kernel.insmod(NicDriver(kernel).module) == -EBUSY
