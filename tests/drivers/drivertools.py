"""Helpers for the driver-model tests: frames, loading, a packet sink, monitors, a clean check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netdevspec.conformance.handle import CallMonitor, DriverModule, make_module
from netdevspec.reference import (
    ETH_P_IP,
    MAX_DMA_CHANNELS,
    NR_IRQS,
    Device,
    Kernel,
    Module,
    PacketType,
    SkBuff,
)
from netdevspec.reference.drivers import DriverFactory

MAC_A = b"\x00\x42\x65\x00\x00\x01"
MAC_B = b"\x00\x42\x65\x00\x00\x02"
PEER = b"\x00\x42\x65\x00\x00\x99"
#: Lines and channels the kernel holds from boot.
KERNEL_IRQS = {0, 2, 13}
KERNEL_DMA = {4}


def eth_frame(dst: bytes, src: bytes = PEER, proto: int = ETH_P_IP,
              payload: bytes = b"hello") -> bytes:
    """An Ethernet frame: destination, source, type, payload."""
    return dst + src + proto.to_bytes(2, "big") + payload


def load(kernel: Kernel, factory: DriverFactory, *, monitor: CallMonitor | None = None,
         instance: int = 0, **params: int) -> DriverModule:
    """Build the driver model and insmod it; the load must succeed."""
    dm = make_module(kernel, factory, monitor=monitor, instance=instance, **params)
    rc = kernel.insmod(dm.module)
    assert rc == 0, (rc, kernel.log, kernel.misuse)
    return dm


def device_of(dm: DriverModule) -> Device:
    """The device a reference driver model registered (its ``dev`` attribute)."""
    dev = getattr(dm.model, "dev", None)
    assert isinstance(dev, Device)
    return dev


def out_frame(kernel: Kernel, dev: Device, payload: bytes, *, dst: bytes = PEER,
              proto: int = ETH_P_IP, free: int = 1) -> SkBuff:
    """A frame built on the protocol side (owned by the kernel): headroom, payload, then
    the device's hard_header, as the IP layer would; ``free`` as the protocol chooses."""
    skb = kernel.alloc_skb(len(payload) + 16 + 14)
    assert skb is not None
    kernel.skb_reserve(skb, 16)
    kernel.skb_put_data(skb, payload)
    assert dev.hard_header is not None
    assert dev.hard_header(skb, dev, proto, dst, None, len(payload)) == 14
    skb.free = free
    skb.arp = 1
    return skb


@dataclass(frozen=True)
class Got:
    """One frame a packet handler received."""

    skb_id: int
    payload: bytes
    dev: str | None
    protocol: int
    pkt_type: int
    owner: Module | None


class Sink:
    """An ETH_P_IP packet handler (registered by the kernel side) that records and frees."""

    def __init__(self, kernel: Kernel, proto: int = ETH_P_IP) -> None:
        self.kernel = kernel
        self.got: list[Got] = []
        self.pt = PacketType(proto, self._rcv)
        kernel.dev_add_pack(self.pt)

    def _rcv(self, skb: SkBuff, dev: Device | None, pt: PacketType) -> None:
        self.got.append(Got(skb.id, skb.payload(), None if dev is None else dev.name,
                            skb.protocol, skb.pkt_type, skb.owner))
        self.kernel.kfree_skb(skb)

    @property
    def payloads(self) -> list[bytes]:
        """What arrived, in order."""
        return [g.payload for g in self.got]

    def remove(self) -> None:
        """Unregister the handler."""
        self.kernel.dev_remove_pack(self.pt)


class HandoffMonitor:
    """A monitor that checks one ownership rule (RX-5): once a driver passed a buffer to
    ``netif_rx`` it makes no further call with that buffer. ``violations`` lists the
    offending calls."""

    def __init__(self) -> None:
        #: Buffers handed to netif_rx, by id (kept alive here so ids are not reused).
        self.handed: dict[int, SkBuff] = {}
        self.names: list[str] = []
        self.violations: list[tuple[str, int]] = []

    def call(self, name: str, fn: Callable[..., object], args: tuple[object, ...]) -> object:
        """Check the arguments against the buffers already handed on, then make the call."""
        self.names.append(name)
        for a in args:
            if isinstance(a, SkBuff) and self.handed.get(id(a)) is a:
                self.violations.append((name, a.id))
        if name == "netif_rx" and args and isinstance(args[0], SkBuff):
            self.handed[id(args[0])] = args[0]
        return fn(*args)


def assert_clean(kernel: Kernel, *modules: Module) -> None:
    """Nothing was misused, the modules are gone and hold nothing, the kernel holds only
    what it held at boot, and no buffer is alive."""
    assert kernel.misuse == [], kernel.misuse
    for m in modules:
        assert not m.loaded, m
        assert all(v == 0 for v in m.holdings().values()), (m.name, m.holdings())
    assert kernel.dev_base == []
    assert kernel.regions == ()
    for line in range(NR_IRQS):
        if line not in KERNEL_IRQS:
            assert kernel.irq_actions(line) == (), line
    for ch in range(MAX_DMA_CHANNELS):
        if ch not in KERNEL_DMA:
            assert kernel.dma_claim(ch) is None, ch
    assert kernel.net_skbcount == 0
