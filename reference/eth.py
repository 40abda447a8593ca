"""Ethernet framing, after Linux 2.0.1's ``net/ethernet/eth.c``.

``eth_header`` (``eth.c:90``, CB-14), ``eth_rebuild_header`` (``eth.c:140``, CB-15)
and ``eth_type_trans`` (``eth.c:173``, RX-4). ARP is not simulated: a rebuilt header
only gets its source address.
"""

from __future__ import annotations

from netdevspec.reference.common import KernelCore, need_int
from netdevspec.reference.device import (
    ETH_ALEN,
    ETH_HLEN,
    ETH_P_802_2,
    ETH_P_802_3,
    ETH_P_IP,
    IFF_ALLMULTI,
    IFF_LOOPBACK,
    IFF_PROMISC,
    Device,
    need_dev,
)
from netdevspec.reference.skbuff import (
    PACKET_BROADCAST,
    PACKET_MULTICAST,
    PACKET_OTHERHOST,
    SkbOps,
    SkBuff,
    _need_skb,
)

__all__ = ["Eth"]


class Eth:
    """The Ethernet link-layer helpers drivers and the kernel call."""

    def __init__(self, core: KernelCore, skb: SkbOps) -> None:
        self._k = core
        self._skb = skb
        self._misuse = core._misuse

    def eth_header(self, skb: SkBuff, dev: Device, type_: int, daddr: bytes | None,
                   saddr: bytes | None, length: int) -> int:
        """Push and fill the 14-byte Ethernet header (CB-14); +14 when complete, -14 when
        the destination is not known yet."""
        at = self._skb.skb_push(skb, ETH_HLEN)
        proto = length if type_ == ETH_P_802_3 else type_
        src = bytes(saddr[:dev.addr_len]) if saddr else bytes(dev.dev_addr[:dev.addr_len])
        if dev.flags & IFF_LOOPBACK:
            dst = bytes(dev.addr_len)
            complete = True
        else:
            dst = bytes(daddr[:dev.addr_len]) if daddr else bytes(dev.addr_len)
            complete = daddr is not None
        self._poke(skb, at, dst.ljust(ETH_ALEN, b"\0")[:ETH_ALEN]
                   + src.ljust(ETH_ALEN, b"\0")[:ETH_ALEN] + (proto & 0xFFFF).to_bytes(2, "big"))
        return dev.hard_header_len if complete else -dev.hard_header_len

    def eth_rebuild_header(self, buff: int, dev: Device, raddr: int, skb: SkBuff) -> int:
        """Complete a header before transmission (CB-15, ``eth.c:140``): the source address
        is filled in and 0 (complete) returned. For a frame that is not IP, 2.0.1 also
        prints "unable to resolve type"; for IP it asks ARP, which the reference does not
        simulate (decision.arp): the header counts as complete."""
        if skb.alive and skb.len >= ETH_HLEN:
            hdr = self._peek(skb, buff, ETH_HLEN)
            if hdr[12:14] != ETH_P_IP.to_bytes(2, "big"):
                # %X of h_proto read as a little-endian unsigned short, as on i386
                self._k.printk(f"{dev.name}: unable to resolve type "
                               f"{hdr[12] | hdr[13] << 8:X} addresses.")
            self._poke(skb, skb.data + ETH_ALEN, bytes(dev.dev_addr[:ETH_ALEN]))
        return 0

    def _poke(self, skb: SkBuff, at: int, data: bytes) -> None:
        """Kernel-internal write into a buffer (no ownership records)."""
        start = at - skb.head
        if start < 0 or start + len(data) > skb.end - skb.head:
            return
        skb.area.bytes_()[start:start + len(data)] = data

    def _peek(self, skb: SkBuff, at: int, n: int) -> bytes:
        buf = skb.area.buf
        start = at - skb.head
        if buf is None or start < 0:
            return bytes(n)
        return bytes(buf[start:start + n]).ljust(n, b"\0")

    def eth_copy_and_sum(self, dest: SkBuff, src: bytes | bytearray, length: int,
                         base: int = 0) -> None:
        """``memcpy(dest->data, src, length)`` (``eth.c:266``). The checksum 2.0.1 computes
        on the way for an IP frame (``csum_partial_copy``, ``ip_summed = 1``) is not
        modelled: the bytes are the same. A copy outside the buffer is recorded as
        skb_write records it."""
        n = need_int("eth_copy_and_sum", "length", length)
        self._skb.skb_write(dest, dest.data, bytes(src[:max(n, 0)]).ljust(max(n, 0), b"\0"))

    def eth_type_trans(self, skb: SkBuff, dev: Device) -> int:
        """Pull the Ethernet header, set ``pkt_type`` and return the protocol (RX-4).

        The protocol is returned in host order (0x0800 for IP): ``h_proto`` when it is at
        least 1536, else ETH_P_802_3 for a raw IPX frame (payload starting 0xffff) or
        ETH_P_802_2. A frame shorter than the header is recorded (``eth_short_frame``).
        """
        try:
            alive = skb.alive
        except AttributeError:
            _need_skb("eth_type_trans", skb)
            raise
        if not alive or (self._k.current is not None and skb.owner is not self._k.current):
            self._skb._bad_use(skb, "eth_type_trans")
        dev = need_dev("eth_type_trans", dev)
        if skb.len < ETH_HLEN:
            self._misuse("eth_short_frame", f"eth_type_trans on buffer #{skb.id} holding "
                         f"{skb.len} bytes, less than an Ethernet header", skb=skb.id)
        hdr = self._peek(skb, skb.data, ETH_HLEN)
        skb.mac_raw = skb.data
        hlen = dev.hard_header_len
        if hlen <= skb.len:
            skb.data += hlen
            skb.len -= hlen
        dest = hdr[:ETH_ALEN]
        if dest[0] & 1:
            bcast = bytes(dev.broadcast[:ETH_ALEN])
            skb.pkt_type = PACKET_BROADCAST if dest == bcast else PACKET_MULTICAST
        elif dev.flags & (IFF_PROMISC | IFF_ALLMULTI) and dest != bytes(dev.dev_addr[:ETH_ALEN]):
            skb.pkt_type = PACKET_OTHERHOST
        proto = (hdr[12] << 8) | hdr[13]
        if proto >= 1536:
            return proto
        if self._peek(skb, skb.data, 2) == b"\xff\xff":
            return ETH_P_802_3
        return ETH_P_802_2
