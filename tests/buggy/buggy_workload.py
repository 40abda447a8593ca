"""The buggy-driver catalogue's own workload: enough of a driver's life to show each bug.

:func:`run_workload` loads a driver model into a fresh reference kernel (with a SimpleNic
at 0x300, IRQ 5, when it needs a card) and runs the whole life once: insmod (a second
instance too when asked), ifconfig up, an rmmod attempt while up, frames at priorities
0..2 plus one its owner keeps (``free`` 0), the bottom half, frames from the wire,
five multicast groups, ifconfig down, rmmod. It notes what it saw on the way
(:attr:`Run.notes`) and records every driver→kernel call with its result
(:class:`ResultMonitor`). The conformance harness has its own workloads; this one only
proves that each catalogue bug is real on the reference kernel.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netdevspec.conformance import handle as handle_module
from netdevspec.conformance.handle import KernelHandle
from netdevspec.reference import (
    ETH_P_IP,
    IFF_UP,
    MAX_DMA_CHANNELS,
    NR_IRQS,
    Device,
    Kernel,
    Module,
    PacketType,
    SimpleNic,
    SkBuff,
)
from netdevspec.reference.drivers import DriverFactory, DriverModel

MAC_A = b"\x00\x42\x65\x00\x00\x01"
PEER = b"\x00\x42\x65\x00\x00\x99"
#: Lines and channels the kernel holds from boot.
KERNEL_IRQS = frozenset({0, 2, 13})
KERNEL_DMA = frozenset({4})
#: A payload long enough that every frame is at least ETH_ZLEN (60) bytes.
PAYLOAD_LEN = 50
GROUPS = tuple(bytes([0x01, 0x00, 0x5E, 0x00, 0x00, i]) for i in range(5))
_PRIVATE = frozenset({"_kernel", "_k", "_module", "_monitor"})
_HANDLE_FILE = handle_module.__file__


def eth_frame(dst: bytes, payload: bytes, src: bytes = PEER, proto: int = ETH_P_IP) -> bytes:
    """An Ethernet frame as it arrives from the wire."""
    return dst + src + proto.to_bytes(2, "big") + payload


def out_frame(kernel: Kernel, dev: Device, payload: bytes, *, free: int = 1) -> SkBuff:
    """A frame built by the protocol side (owned by the kernel): 16 bytes of headroom, the
    payload, then the device's hard_header, as the IP layer builds it."""
    skb = kernel.alloc_skb(len(payload) + 16 + 14)
    assert skb is not None
    kernel.skb_reserve(skb, 16)
    kernel.skb_put_data(skb, payload)
    assert dev.hard_header is not None
    assert dev.hard_header(skb, dev, ETH_P_IP, PEER, None, len(payload)) == 14
    skb.free = free
    skb.arp = 1
    return skb


class Sink:
    """An ETH_P_IP packet handler on the kernel side that records payloads and frees."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.payloads: list[bytes] = []
        self.pt = PacketType(ETH_P_IP, self._rcv)
        kernel.dev_add_pack(self.pt)

    def _rcv(self, skb: SkBuff, dev: Device | None, pt: PacketType) -> None:
        self.payloads.append(skb.payload())
        self.kernel.kfree_skb(skb)


@dataclass(frozen=True)
class Call:
    """One driver→kernel call: its kernel name, arguments, result, and for each device
    argument whether it was registered when the call was made."""

    name: str
    args: tuple[object, ...]
    result: object
    registered: tuple[bool, ...]


class ResultMonitor:
    """A handle monitor that records every call with its result (see :class:`Call`)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def call(self, name: str, fn: Callable[..., object], args: tuple[object, ...]) -> object:
        """Note the device arguments' state, make the call, record it."""
        registered = tuple(a.registered for a in args if isinstance(a, Device))
        result = fn(*args)
        self.calls.append(Call(name, args, result, registered))
        return result

    @property
    def names(self) -> list[str]:
        """The kernel names of the calls, in order."""
        return [c.name for c in self.calls]


def spy_handle_class() -> tuple[type[KernelHandle], list[str]]:
    """A KernelHandle subclass that notes reads of its private attributes (``_kernel``,
    ``_module``, ``_monitor``) made from outside the handle's own code, and the list it
    notes them in."""
    reads: list[str] = []

    class SpyHandle(KernelHandle):
        """A KernelHandle that notes reads of its internals from driver code."""

        __slots__ = ()

        def __getattribute__(self, name: str) -> Any:
            if name in _PRIVATE and sys._getframe(1).f_code.co_filename != _HANDLE_FILE:
                reads.append(name)
            return super().__getattribute__(name)

    return SpyHandle, reads


@dataclass
class Loaded:
    """One driver model loaded (or not) into the kernel."""

    module: Module
    handle: KernelHandle
    model: DriverModel
    monitor: ResultMonitor
    insmod_rc: int

    @property
    def dev(self) -> Device | None:
        """The device the model keeps in ``dev`` (every reference driver does)."""
        dev = getattr(self.model, "dev", None)
        return dev if isinstance(dev, Device) else None


def load_model(kernel: Kernel, factory: DriverFactory, *, instance: int = 0,
               handle_cls: type[KernelHandle] = KernelHandle, **params: int) -> Loaded:
    """Build the model on a fresh handle (of ``handle_cls``) as
    :func:`netdevspec.conformance.handle.make_module` does, and insmod it (the result is
    noted, not asserted)."""
    module = Module("<driver model being built>")
    monitor = ResultMonitor()
    handle = handle_cls(kernel, module, monitor)
    model = factory(handle, instance=instance, **params)
    module.name = model.name
    module.init_module = model.init_module
    module.cleanup_module = model.cleanup_module
    return Loaded(module, handle, model, monitor, kernel.insmod(module))


@dataclass
class Run:
    """What one workload run did and saw."""

    kernel: Kernel
    loaded: list[Loaded]
    card: SimpleNic | None
    sink: Sink
    #: Frames the kernel side sent, and those of them whose owner keeps them (free 0).
    sent: list[SkBuff] = field(default_factory=list)
    kept: list[SkBuff] = field(default_factory=list)
    #: Observations by name; keys of instance n > 0 end in ``@n``.
    notes: dict[str, Any] = field(default_factory=dict)
    #: Private handle attributes the driver read (spy handle only).
    private_reads: list[str] = field(default_factory=list)

    @property
    def first(self) -> Loaded:
        """Instance 0."""
        return self.loaded[0]

    def misuse_kinds(self) -> set[str]:
        """The kinds of misuse the kernel recorded."""
        return set(self.kernel.misuse_kinds())


def _live(ld: Loaded) -> bool:
    return ld.module.loaded


def _up(ld: Loaded) -> Device | None:
    dev = ld.dev
    if _live(ld) and dev is not None and dev.registered and dev.flags & IFF_UP:
        return dev
    return None


def run_workload(factory: DriverFactory, *, card: bool, second_instance: bool = False,
                 spy: bool = False, **params: int) -> Run:
    """Run the catalogue's workload on ``factory`` (see the module docstring)."""
    kernel = Kernel()
    nic = kernel.attach_card(SimpleNic(mac=MAC_A, irq=5), 0x300) if card else None
    sink = Sink(kernel)
    handle_cls: type[KernelHandle] = KernelHandle
    reads: list[str] = []
    if spy:
        handle_cls, reads = spy_handle_class()
    loaded = [load_model(kernel, factory, handle_cls=handle_cls, **params)]
    if second_instance:
        loaded.append(load_model(kernel, factory, instance=1, handle_cls=handle_cls, **params))
    run = Run(kernel, loaded, nic, sink, private_reads=reads)
    notes = run.notes

    def note(i: int, key: str, value: object) -> None:
        """Record an observation of instance ``i``."""
        notes[key if i == 0 else f"{key}@{i}"] = value

    for i, ld in enumerate(loaded):
        dev = ld.dev
        note(i, "insmod_rc", ld.insmod_rc)
        note(i, "use_count_after_insmod", ld.module.use_count)
        if dev is not None:
            note(i, "registered_after_insmod", dev.registered)
            note(i, "flags_after_insmod", dev.flags)
            note(i, "rmem_after_insmod", (dev.rmem_start, dev.rmem_end))

    # ifconfig up, then an rmmod attempt while up (refused while the use count holds it).
    for i, ld in enumerate(loaded):
        dev = ld.dev
        if not _live(ld) or dev is None or not dev.registered:
            continue
        note(i, "open_rc", kernel.dev_open(dev))
        note(i, "flags_after_open", dev.flags)
        note(i, "start_after_open", dev.start)
        note(i, "use_count_after_open", ld.module.use_count)
        note(i, "buffs_owners_after_open", [q.owner for q in dev.buffs])
        if dev.flags & IFF_UP:
            note(i, "rmmod_while_up", kernel.rmmod(ld.module))

    # Transmit: two rounds at priorities 0..2, one kept frame, then the bottom half.
    for ld in loaded:
        dev = _up(ld)
        if dev is None:
            continue
        for rnd in range(2):
            for pri in range(3):
                payload = (b"tx %d.%d " % (rnd, pri)).ljust(PAYLOAD_LEN, b".")
                skb = out_frame(kernel, dev, payload)
                run.sent.append(skb)
                kernel.dev_queue_xmit(skb, dev, pri)
        kept = out_frame(kernel, dev, b"kept ".ljust(PAYLOAD_LEN, b"."), free=0)
        run.sent.append(kept)
        run.kept.append(kept)
        kernel.dev_queue_xmit(kept, dev, 1)
        kernel.net_bh()

    # Receive: frames from the wire, when there is a card and the device is up.
    if nic is not None and any(_up(ld) is not None for ld in loaded):
        for n in range(3):
            nic.push_frame(eth_frame(MAC_A, (b"rx %d " % n).ljust(PAYLOAD_LEN, b".")))

    # Multicast: five groups (more than a 4-entry filter holds), then one fewer.
    for ld in loaded:
        dev = _up(ld)
        if dev is None:
            continue
        for group in GROUPS:
            kernel.dev_mc_add(dev, group)
        kernel.dev_mc_delete(dev, GROUPS[-1])

    # ifconfig down.
    for i, ld in enumerate(loaded):
        dev = _up(ld)
        if dev is None:
            continue
        note(i, "close_rc", kernel.dev_close(dev))
        note(i, "start_after_close", dev.start)
        note(i, "use_count_after_close", ld.module.use_count)

    _free_kept(run)
    # rmmod, last loaded first.
    for i in reversed(range(len(loaded))):
        ld = loaded[i]
        if _live(ld):
            note(i, "rmmod_rc", kernel.rmmod(ld.module))
    _free_kept(run)
    kernel.dev_remove_pack(sink.pt)
    return run


def _free_kept(run: Run) -> None:
    """The protocol side frees its kept frames once nobody else holds them."""
    for skb in run.kept:
        if skb.alive and skb.owner is None and skb.lock == 0 and skb.list is None:
            run.kernel.kfree_skb(skb)


def leftovers(kernel: Kernel) -> dict[str, object]:
    """What is still held after a run: empty for a clean driver."""
    out: dict[str, object] = {}
    if kernel.dev_base:
        out["devices"] = [d.name for d in kernel.dev_base]
    if kernel.regions:
        out["regions"] = [(r.start, r.num) for r in kernel.regions]
    irqs = [line for line in range(NR_IRQS)
            if line not in KERNEL_IRQS and kernel.irq_actions(line)]
    if irqs:
        out["irqs"] = irqs
    dma = [ch for ch in range(MAX_DMA_CHANNELS)
           if ch not in KERNEL_DMA and kernel.dma_claim(ch) is not None]
    if dma:
        out["dma"] = dma
    if kernel.net_skbcount:
        out["buffers"] = kernel.net_skbcount
    if kernel.modules:
        out["modules"] = sorted(kernel.modules)
    return out
