"""Differential tests against Linux 2.0.1's ``net/ethernet/eth.c``."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import (
    ETH_P_802_2,
    ETH_P_802_3,
    ETH_P_ARP,
    ETH_P_IP,
    IFF_LOOPBACK,
    IFF_PROMISC,
    PACKET_BROADCAST,
    PACKET_HOST,
    PACKET_MULTICAST,
    PACKET_OTHERHOST,
    Device,
    Kernel,
)
from reftools import MAC, PEER, eth_frame

ETH = "net/ethernet/eth.c"


def ethdev(kernel: Kernel) -> Device:
    dev = Device("x")
    kernel.ether_setup(dev)
    dev.dev_addr[:6] = MAC
    return dev


@branch(f"{ETH}:101", "eth_header", "h_proto = type")
@branch(f"{ETH}:103", "eth_header", "ETH_P_802_3: h_proto = len")
@branch(f"{ETH}:112", "eth_header", "no saddr: dev_addr is the source")
@branch(f"{ETH}:127", "eth_header", "daddr given: +hard_header_len")
@branch(f"{ETH}:130", "eth_header", "no daddr: -hard_header_len")
@branch(f"{ETH}:121", "eth_header", "IFF_LOOPBACK: zero destination, +hard_header_len")
def test_eth_header(kernel: Kernel) -> None:
    dev = ethdev(kernel)

    def header(type_: int, daddr: bytes | None, saddr: bytes | None) -> tuple[int, bytes]:
        skb = kernel.dev_alloc_skb(64)
        assert skb is not None
        rc = kernel.eth_header(skb, dev, type_, daddr, saddr, 40)
        return rc, kernel.skb_read(skb, skb.data, 14)

    assert header(ETH_P_IP, PEER, None) == (14, PEER + MAC + b"\x08\x00")
    rc, hdr = header(ETH_P_802_3, None, PEER)
    assert rc == -14 and hdr[6:] == PEER + b"\x00\x28"
    dev.flags |= IFF_LOOPBACK
    rc, hdr = header(ETH_P_IP, PEER, None)
    assert rc == 14 and hdr[:6] == bytes(6)


@branch(f"{ETH}:151", "eth_rebuild_header", "not IP: source filled, printed, 0")
def test_eth_rebuild_header_non_ip(kernel: Kernel) -> None:
    dev = ethdev(kernel)
    skb = kernel.dev_alloc_skb(64)
    assert skb is not None
    kernel.skb_put_data(skb, eth_frame(PEER, bytes(6), ETH_P_ARP))
    assert kernel.eth_rebuild_header(skb.data, dev, 0, skb) == 0
    assert kernel.skb_read(skb, skb.data + 6, 6) == MAC
    assert kernel.log == ["x: unable to resolve type 608 addresses."]


@branch(f"{ETH}:160", "eth_rebuild_header", "IP: ARP resolves (1 while it holds the frame)")
def test_eth_rebuild_header_ip(kernel: Kernel) -> None:
    """ARP is not simulated: the reference fills the source in and answers 0
    (decision.arp)."""
    dev = ethdev(kernel)
    skb = kernel.dev_alloc_skb(64)
    assert skb is not None
    kernel.skb_put_data(skb, eth_frame(PEER, bytes(6), ETH_P_IP))
    assert kernel.eth_rebuild_header(skb.data, dev, 0, skb) == 0
    assert kernel.skb_read(skb, skb.data + 6, 6) == MAC and kernel.log == []


@branch(f"{ETH}:179", "eth_type_trans", "mac.raw = data; the header pulled")
@branch(f"{ETH}:185", "eth_type_trans", "group bit, broadcast address: PACKET_BROADCAST")
@branch(f"{ETH}:187", "eth_type_trans", "group bit, other: PACKET_MULTICAST")
@branch(f"{ETH}:198", "eth_type_trans", "promiscuous, not our address: PACKET_OTHERHOST")
@branch(f"{ETH}:202", "eth_type_trans", "h_proto ≥ 1536: h_proto")
@branch(f"{ETH}:213", "eth_type_trans", "payload starts 0xffff: ETH_P_802_3 (raw IPX)")
@branch(f"{ETH}:218", "eth_type_trans", "else ETH_P_802_2")
def test_eth_type_trans(kernel: Kernel) -> None:
    dev = ethdev(kernel)

    def trans(frame: bytes) -> tuple[int, int, int]:
        skb = kernel.dev_alloc_skb(64)
        assert skb is not None
        kernel.skb_put_data(skb, frame)
        start = skb.data
        proto = kernel.eth_type_trans(skb, dev)
        assert skb.mac_raw == start and skb.data == start + 14
        return proto, skb.pkt_type, skb.len

    assert trans(eth_frame(MAC, PEER, ETH_P_IP)) == (ETH_P_IP, PACKET_HOST, 12)
    assert trans(eth_frame(b"\xff" * 6, PEER, ETH_P_ARP))[:2] == (ETH_P_ARP, PACKET_BROADCAST)
    assert trans(eth_frame(b"\x01\x00\x5e\x00\x00\x01", PEER))[1] == PACKET_MULTICAST
    assert trans(eth_frame(PEER, MAC, 46, b"\xff\xff" + bytes(44)))[0] == ETH_P_802_3
    assert trans(eth_frame(PEER, MAC, 46, b"\xaa\xaa" + bytes(44)))[0] == ETH_P_802_2
    dev.flags |= IFF_PROMISC
    assert trans(eth_frame(PEER, MAC, ETH_P_IP))[1] == PACKET_OTHERHOST
    assert trans(eth_frame(MAC, PEER, ETH_P_IP))[1] == PACKET_HOST
