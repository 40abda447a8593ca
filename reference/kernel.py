"""The reference kernel side of the Linux 2.0 network-driver API: :class:`Kernel`.

One :class:`Kernel` object is one simulated machine: the device list, the IRQ lines,
I/O regions and DMA channels, the buffers and queues (inherited from
:class:`~netdevspec.reference.skbuff.SkbOps`), the transmit and receive paths, loadable
modules and an ISA bus with simulated cards. It behaves as Linux 2.0.1 does where
``api-facts.md`` describes it, with the spec's decisions where 2.0.1 and 2.2 disagree:

* ``register_netdev`` answers -EEXIST for a taken explicit name and -ENFILE for a blank
  name when all 16 eth slots are taken (2.2's answers), links nothing with ``init`` None
  (2.0.1, recorded), and -EIO when the probe fails;
* ``unregister_netdev`` of a device that is up closes it first (recorded);
* IRQ lines 0 (timer), 2 (cascade) and 13 (math error) and DMA channel 4 (cascade) are
  held by the kernel from boot; DMA channel 0 is claimable;
* ``dev_close`` drains ``dev.buffs[]``, freeing the frames whose ``free`` is non-zero.

Interrupts are delivered between kernel calls, never in the middle of one: a card that
raises its line while driver code runs (or while interrupts are off with :meth:`cli`)
latches it, and the kernel delivers it when the outermost kernel call returns, then
runs the network bottom half if it was marked. This keeps runs deterministic.

Misuse that 2.0.1 lets through is carried out as 2.0.1 would where that is sensible and
recorded in :attr:`Kernel.misuse`; see :data:`netdevspec.reference.MISUSE_KINDS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from netdevspec.reference.common import (
    EBUSY,
    EEXIST,
    EINVAL,
    EIO,
    ENFILE,
    ENODEV,
    ENOENT,
    ENOMEM,
    EOPNOTSUPP,
)
from netdevspec.reference.device import (
    AF_INET,
    ARPHRD_ETHER,
    DEV_NUMBUFFS,
    ETH_ALEN,
    ETH_DATA_LEN,
    ETH_HLEN,
    ETH_P_802_2,
    ETH_P_802_3,
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
)
from netdevspec.reference.hardware import IsaBus, IsaCard
from netdevspec.reference.modules import (
    MOD_CLEANING_UP,
    MOD_INITIALIZING,
    MOD_LIVE,
    MOD_UNLOADED,
    Module,
)
from netdevspec.reference.skbuff import (
    FREE_READ,
    FREE_WRITE,
    PACKET_BROADCAST,
    PACKET_MULTICAST,
    PACKET_OTHERHOST,
    SkbOps,
    SkBuff,
    SkBuffHead,
    _need_skb,
)

__all__ = [
    "IOTABLE_SIZE",
    "MAX_DMA_CHANNELS",
    "MAX_ETH_CARDS",
    "NETDEV_MAX_BACKLOG",
    "NET_BH",
    "NR_IRQS",
    "SA_INTERRUPT",
    "SA_SAMPLE_RANDOM",
    "SA_SHIRQ",
    "DmaClaim",
    "IrqAction",
    "Kernel",
    "PacketType",
    "Region",
]

# include/asm-i386/signal.h (RES-1)
SA_INTERRUPT = 0x20000000
SA_SHIRQ = 0x04000000
SA_SAMPLE_RANDOM = 0x10000000
NR_IRQS = 16
MAX_DMA_CHANNELS = 8
DMA_CASCADE = 4
IOTABLE_SIZE = 64
MAX_ETH_CARDS = 16
NETDEV_MAX_BACKLOG = 300
#: include/linux/interrupt.h: the network bottom half's number.
NET_BH = 8
_PORT_MAX = 0xFFFF
_FLUSH_LIMIT = 100_000
_USER_FLAGS = (IFF_BROADCAST | IFF_DEBUG | IFF_LOOPBACK | IFF_POINTOPOINT | IFF_NOTRAILERS
               | IFF_RUNNING | IFF_NOARP | IFF_PROMISC | IFF_ALLMULTI | IFF_SLAVE | IFF_MASTER
               | IFF_MULTICAST)
_ETH_NAME = re.compile(r"eth(0|[1-9][0-9]*)")

IrqHandler = Callable[[int, object, object], object]
_Card = TypeVar("_Card", bound=IsaCard)
PacketFunc = Callable[[SkBuff, "Device | None", "PacketType"], object]
#: ``tracer(event, fields)``: see :data:`TRACE_EVENTS`.
Tracer = Callable[[str, dict[str, object]], object]

#: The events a :attr:`Kernel.tracer` receives, with their fields. Each marks a point
#: where one internal step of a kernel call is complete and the next has not begun, so a
#: checker can split a call that runs several steps (dev_queue_xmit lending a frame to the
#: driver, the bottom half delivering frames) into those steps.
TRACE_EVENTS: dict[str, str] = {
    "callback.begin": "driver code is about to run (what, owner, args): init, open, stop, "
                      "hard_start_xmit, an interrupt handler, a packet handler, ...",
    "callback.end": "driver code returned (what, owner, ok, result); ok is False when it "
                    "raised",
    "irq.begin": "an interrupt on a line is being delivered (line)",
    "irq.end": "every handler on the line has run (line)",
    "xmit.dropped": "dev_queue_xmit freed the frame: the queue is over tx_queue_len "
                    "(skb, dev, pri)",
    "xmit.queued": "dev_queue_xmit put the frame at the tail of dev->buffs[pri], unlocked "
                   "and owned by the kernel (skb, dev, pri)",
    "xmit.lend": "the head frame left its queue, is device-locked and lent to the driver; "
                 "hard_start_xmit is called next (skb, dev, pri)",
    "xmit.idle": "dev_tint found dev->buffs[pri] empty: nothing to send from it "
                 "(dev, pri)",
    "xmit.return": "the kernel has dealt with hard_start_xmit's return: kept by the driver "
                   "(rc 0) or requeued at the head (busy) (skb, dev, pri, rc)",
    "bh.begin": "the network bottom half starts",
    "bh.deliver": "the first backlog frame left the backlog for the protocols (skb)",
    "bh.delivered": "the frame went to its packet handlers, or was freed for want of one "
                    "(skb)",
    "bh.end": "the backlog is empty and dropping mode is over",
}


@dataclass(eq=False)
class IrqAction:
    """One ``struct irqaction`` on a line: the handler, flags, name, dev_id and owner."""

    line: int
    handler: IrqHandler
    flags: int
    name: str
    dev_id: object
    owner: Module | None


@dataclass(eq=False)
class Region:
    """One claimed I/O region ``[start, start + num)`` with its name and owner (RES-9)."""

    start: int
    num: int
    name: str
    owner: Module | None

    @property
    def last(self) -> int:
        """The last port of the region."""
        return self.start + self.num - 1


@dataclass(frozen=True)
class DmaClaim:
    """A locked DMA channel: the device_id string given to request_dma and the owner."""

    name: str
    owner: Module | None


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


def _same_id(a: object, b: object) -> bool:
    """dev_id cookies match when they are the same object (or equal non-None values)."""
    return a is b or (a is not None and b is not None and a == b)


def _no_action(irq: int, dev_id: object, regs: object) -> None:
    """The handler of the kernel's cascade and math-error lines."""


def _eth_slot(name: str) -> int | None:
    m = _ETH_NAME.fullmatch(name)
    if m is None:
        return None
    i = int(m.group(1))
    return i if i < MAX_ETH_CARDS else None


def _strtoul_index(text: str) -> int:
    """``simple_strtoul(text, NULL, 0)`` for ether_setup: the leading number, 0 if none."""
    if text[:2].lower() == "0x":
        digits = re.match(r"[0-9a-fA-F]*", text[2:])
        return int(digits.group(0), 16) if digits and digits.group(0) else 0
    digits = re.match(r"[0-9]*", text)
    return int(digits.group(0)) if digits and digits.group(0) else 0


def _need_dev(fn: str, dev: object) -> Device:
    if isinstance(dev, Device):
        return dev
    raise TypeError(f"{fn}: dev must be a Device, got {type(dev).__name__}; pass the device "
                    "structure the driver filled in")


def _need_int(fn: str, name: str, value: object) -> int:
    if isinstance(value, int):
        return value
    raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__} {value!r}")


def _need_port(fn: str, port: object) -> int:
    p = _need_int(fn, "port", port)
    if not 0 <= p <= _PORT_MAX:
        raise ValueError(f"{fn}: port {p:#x} is outside the ISA port space 0..0xffff; pass a "
                         "16-bit port number")
    return p


class Kernel(SkbOps):
    """A simulated Linux 2.0.1 kernel: the kernel side of the network-driver API.

    ``kernel.current`` is the module whose code is running (None: the kernel). Use
    ``with kernel.running(module):`` to run module code outside a callback; the kernel sets
    it itself around ``init_module``/``cleanup_module``, device callbacks, interrupt
    handlers and packet handlers. Everything claimed or freed is attributed to it.

    ``bus`` is the ISA bus the port functions (:meth:`inb`, :meth:`outb`, ...) reach; a
    new empty one if not given. Attach cards with :meth:`attach_card`.
    """

    def __init__(self, bus: IsaBus | None = None) -> None:
        super().__init__()
        #: The device list (2.0's dev_base), in registration order.
        self.dev_base: list[Device] = []
        self.ethdev_index: list[Device | None] = [None] * MAX_ETH_CARDS
        #: irq2dev_map[16] (RES-4): drivers set and clear it themselves.
        self.irq2dev_map: list[Device | None] = [None] * NR_IRQS
        self._irq: list[list[IrqAction]] = [[] for _ in range(NR_IRQS)]
        self._irq_disabled = [0] * NR_IRQS
        #: How often each line was raised (delivered or not).
        self.irq_raised = [0] * NR_IRQS
        self._pending: dict[int, None] = {}
        self._irq_enabled = True
        self._depth = 0
        self._flushing = False
        self._in_irq = 0
        self._in_bh = False
        self._bh_active = 0
        self._autoirq_snapshot: list[int] | None = None
        self._autoirq_lines: list[int] = []
        self._probe_snapshot: list[int] | None = None
        self._regions: list[Region] = []
        #: Counts claims and releases of I/O regions (a cheap "has the table changed").
        self.region_changes = 0
        self._dma: list[DmaClaim | None] = [None] * MAX_DMA_CHANNELS
        self._dma[DMA_CASCADE] = DmaClaim("cascade", None)
        self._ptype_all: list[PacketType] = []
        self._ptype_base: list[list[PacketType]] = [[] for _ in range(16)]
        #: The receive backlog (RX-5), owned by the kernel.
        self.backlog = SkBuffHead(None, "backlog")
        self._rx_dropping = False
        self.rx_dropped = 0
        self.tx_dropped = 0
        #: Loaded modules by name.
        self.modules: dict[str, Module] = {}
        #: Called as ``tracer(event, fields)`` at each internal step boundary listed in
        #: :data:`TRACE_EVENTS` (None: no tracing, no cost beyond one test per boundary).
        self.tracer: Tracer | None = None
        self.jiffies = 0
        self.bus = bus if bus is not None else IsaBus()
        for line, name in ((0, "timer"), (2, "cascade"), (13, "math error")):
            handler: IrqHandler = self._timer_interrupt if line == 0 else _no_action
            self._irq[line].append(IrqAction(line, handler, SA_INTERRUPT, name, None, None))

    # =========================================================================================
    # Who is running; callbacks; deferred interrupts
    # =========================================================================================

    @contextmanager
    def running(self, module: Module | None) -> Iterator[None]:
        """Run the ``with`` body as ``module``'s code (None: as the kernel).

        Interrupts raised meanwhile are delivered when the outermost kernel call or
        ``running`` block ends. Running code of a module that is not loaded is recorded
        (``module_not_loaded``).
        """
        if module is not None:
            if not isinstance(module, Module):
                raise TypeError(f"running: module must be a Module or None, got "
                                f"{type(module).__name__}")
            if not module.loaded:
                self._misuse_as(module, "module_not_loaded",
                                f"code of module {module.name} runs while it is not loaded")
        prev = self.current
        self.current = module
        self._depth += 1
        try:
            yield
        finally:
            self.current = prev
            self._leave()

    def _misuse_as(self, module: Module | None, kind: str, message: str,
                   **detail: object) -> None:
        prev = self.current
        self.current = module
        try:
            self._misuse(kind, message, **detail)
        finally:
            self.current = prev

    def _leave(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._flush()

    def _call(self, owner: Module | None, what: str, fn: Callable[..., object],
              *args: object) -> tuple[bool, object]:
        """Call driver code as ``owner``; an exception is recorded, never propagated."""
        prev = self.current
        self.current = owner
        self._depth += 1
        tracer = self.tracer
        if tracer is not None:
            tracer("callback.begin", {"what": what, "owner": owner, "args": args})
        ok, result = False, None
        try:
            result = fn(*args)
            ok = True
        except Exception as exc:  # a driver bug must not corrupt the kernel
            self._misuse("callback_raised", f"{what} raised {type(exc).__name__}: {exc}",
                         callback=what, error=repr(exc))
        finally:
            self.current = prev
            self._depth -= 1
        if tracer is not None:
            tracer("callback.end", {"what": what, "owner": owner, "ok": ok, "result": result})
        return ok, result

    def _flush(self) -> None:
        """Deliver latched interrupts, then run marked bottom halves, until nothing is left."""
        if self._flushing:
            return
        self._flushing = True
        try:
            for _ in range(_FLUSH_LIMIT):
                if not self._irq_enabled:
                    return
                line = next((ln for ln in self._pending if not self._irq_disabled[ln]), None)
                if line is not None:
                    del self._pending[line]
                    if self._irq[line]:
                        self._deliver(line)
                    continue
                if self._bh_active & (1 << NET_BH) and not self._in_bh:
                    self._run_net_bh()
                    continue
                return
            self.printk("too many interrupts: giving up delivering them")
            self._misuse("irq_storm", f"more than {_FLUSH_LIMIT} interrupts or bottom halves "
                         "in a row", pending=list(self._pending))
            self._pending.clear()
            self._bh_active = 0
        finally:
            self._flushing = False

    # =========================================================================================
    # Interrupts
    # =========================================================================================

    def _timer_interrupt(self, irq: int, dev_id: object, regs: object) -> None:
        self.jiffies += 1

    def tick(self, n: int = 1) -> None:
        """Advance ``jiffies`` by ``n`` (the timer interrupt without the delivery)."""
        self.jiffies += _need_int("tick", "n", n)

    def request_irq(self, irq: int, handler: IrqHandler | None, flags: int = 0,
                    devname: str = "", dev_id: object = None) -> int:
        """Install ``handler`` on line ``irq`` (RES-1, RES-3); 0 or a negative errno.

        -EINVAL for a line outside 0..15 or no handler, -ENOMEM when the action cannot be
        allocated, -EBUSY when the line is held and not both claims have SA_SHIRQ, or
        their SA_INTERRUPT differs. A shared claim with a None or already used ``dev_id``
        is recorded (``irq_shared_dev_id``) and installed, as 2.0 does.
        """
        _need_int("request_irq", "irq", irq)
        _need_int("request_irq", "flags", flags)
        if irq < 0 or irq >= NR_IRQS or handler is None:
            return -EINVAL
        if not callable(handler):
            raise TypeError(f"request_irq: handler must be callable as handler(irq, dev_id, "
                            f"regs), got {type(handler).__name__}")
        if (self._fail_budget or self.alloc_fails is not None) and self._alloc_failed():
            return -ENOMEM
        actions = self._irq[irq]
        if actions:
            old = actions[0]
            if not (old.flags & flags & SA_SHIRQ):
                return -EBUSY
            if (old.flags ^ flags) & SA_INTERRUPT:
                return -EBUSY
        if flags & SA_SHIRQ and (dev_id is None or any(_same_id(a.dev_id, dev_id)
                                                       for a in actions)):
            self._misuse("irq_shared_dev_id",
                         f"request_irq({irq}, SA_SHIRQ) with dev_id {dev_id!r}: a shared line "
                         "needs a distinct non-NULL dev_id per claim, or free_irq cannot tell "
                         "the claims apart", irq=irq)
        action = IrqAction(irq, handler, flags, str(devname), dev_id, self.current)
        actions.append(action)
        if action.owner is not None:
            action.owner.irqs.append(action)
        return 0

    def free_irq(self, irq: int, dev_id: object = None) -> None:
        """Remove the first action on ``irq`` whose dev_id is ``dev_id`` (RES-2).

        A line outside 0..15 (``free_irq_bad_line``) and a line with no such action
        (``free_irq_not_held``) are logged and recorded; freeing another module's action is
        recorded (``free_irq_unowned``) and done, as 2.0 never checks.
        """
        _need_int("free_irq", "irq", irq)
        if irq < 0 or irq >= NR_IRQS:
            self.printk(f"Trying to free IRQ{irq}")
            self._misuse("free_irq_bad_line", f"free_irq({irq}): no such line", irq=irq)
            return
        actions = self._irq[irq]
        for i, action in enumerate(actions):
            if _same_id(action.dev_id, dev_id):
                cur = self.current
                if cur is not None and action.owner is not cur:
                    holder = "the kernel" if action.owner is None else action.owner.name
                    self._misuse("free_irq_unowned",
                                 f"free_irq({irq}) removed the action {action.name!r} of "
                                 f"{holder}", irq=irq, name=action.name)
                del actions[i]
                if action.owner is not None:
                    action.owner.irqs.remove(action)
                return
        self.printk(f"Trying to free free IRQ{irq}")
        self._misuse("free_irq_not_held", f"free_irq({irq}, {dev_id!r}): no action with that "
                     "dev_id", irq=irq)

    def irq_actions(self, irq: int) -> tuple[IrqAction, ...]:
        """The actions installed on line ``irq``, in order."""
        return tuple(self._irq[irq])

    def disable_irq(self, irq: int) -> None:
        """Mask line ``irq`` (nesting); raised interrupts wait until :meth:`enable_irq`."""
        if 0 <= _need_int("disable_irq", "irq", irq) < NR_IRQS:
            self._irq_disabled[irq] += 1

    def enable_irq(self, irq: int) -> None:
        """Undo one :meth:`disable_irq`; latched interrupts are then delivered."""
        if 0 <= _need_int("enable_irq", "irq", irq) < NR_IRQS and self._irq_disabled[irq]:
            self._irq_disabled[irq] -= 1
            if self._depth == 0:
                self._flush()

    def cli(self) -> None:
        """Disable interrupts: raised lines are latched until :meth:`sti`."""
        self._irq_enabled = False

    def sti(self) -> None:
        """Enable interrupts and deliver what was latched (when no kernel call is running)."""
        self._irq_enabled = True
        if self._depth == 0:
            self._flush()

    def save_flags(self) -> bool:
        """The interrupt-enable state, for :meth:`restore_flags`."""
        return self._irq_enabled

    def restore_flags(self, flags: bool) -> None:
        """Restore the interrupt-enable state saved by :meth:`save_flags`."""
        if flags:
            self.sti()
        else:
            self.cli()

    def raise_irq(self, line: int) -> None:
        """A card asserts ``line``: call every action on it in order, each as its owner.

        Delivered now when no kernel call or driver code is running and interrupts are on,
        otherwise latched and delivered when that ends; after delivery, the network bottom
        half runs if it was marked (``mark_bh(NET_BH)``). A line with no action is counted
        and ignored.
        """
        _need_int("raise_irq", "line", line)
        if not 0 <= line < NR_IRQS:
            raise ValueError(f"raise_irq: line {line} is not an ISA IRQ line (0..15)")
        self.irq_raised[line] += 1
        if not self._irq[line]:
            return
        if self._depth or self._flushing or not self._irq_enabled or self._irq_disabled[line]:
            self._pending[line] = None
            return
        self._depth += 1
        try:
            self._deliver(line)
        finally:
            self._leave()

    def _deliver(self, line: int) -> None:
        self.intr_count += 1
        self._in_irq += 1
        if self.tracer is not None:
            self.tracer("irq.begin", {"line": line})
        try:
            for action in list(self._irq[line]):
                self._call(action.owner, f"interrupt handler {action.name!r} (IRQ {line})",
                           action.handler, line, action.dev_id, None)
        finally:
            self.intr_count -= 1
            self._in_irq -= 1
        if self.tracer is not None:
            self.tracer("irq.end", {"line": line})

    @property
    def in_interrupt(self) -> bool:
        """True while an interrupt handler or bottom half runs (2.0's intr_count != 0)."""
        return self.intr_count != 0

    def autoirq_setup(self, waittime: int = 0) -> int:
        """Start IRQ autoprobing (RES-13): watch every free line; returns how many."""
        self._autoirq_snapshot = list(self.irq_raised)
        self._autoirq_lines = [ln for ln in range(1, NR_IRQS) if not self._irq[ln]]
        return len(self._autoirq_lines)

    def autoirq_report(self, waittime: int = 0) -> int:
        """The free line that was raised since :meth:`autoirq_setup`, or 0 (RES-13)."""
        snap = self._autoirq_snapshot
        self._autoirq_snapshot = None
        if snap is None:
            return 0
        for line in self._autoirq_lines:
            if self.irq_raised[line] > snap[line]:
                return line
        return 0

    def probe_irq_on(self) -> int:
        """Start probing (RES-13): returns the mask of free lines 1..15."""
        self._probe_snapshot = list(self.irq_raised)
        return sum(1 << ln for ln in range(1, NR_IRQS) if not self._irq[ln])

    def probe_irq_off(self, irqs: int) -> int:
        """The one line in ``irqs`` raised since :meth:`probe_irq_on`; 0 if none, negative
        (minus the lowest) if several (RES-13)."""
        snap = self._probe_snapshot
        self._probe_snapshot = None
        if snap is None:
            return 0
        fired = [ln for ln in range(NR_IRQS)
                 if irqs & (1 << ln) and self.irq_raised[ln] > snap[ln]]
        if not fired:
            return 0
        return fired[0] if len(fired) == 1 else -fired[0]

    # =========================================================================================
    # I/O regions
    # =========================================================================================

    def _overlapping(self, start: int, num: int) -> Region | None:
        last = start + num - 1
        for r in self._regions:
            if r.start <= last and start <= r.last:
                return r
        return None

    def check_region(self, start: int, num: int) -> int:
        """0 if ``[start, start+num)`` is free, -EBUSY if it overlaps a claimed region or
        is empty (RES-8). A free answer lets the calling module probe those ports."""
        _need_int("check_region", "from", start)
        _need_int("check_region", "num", num)
        if num <= 0 or self._overlapping(start, num) is not None:
            return -EBUSY
        cur = self.current
        if cur is not None:
            cur.checked.append((start, num))
            if len(cur.checked) > IOTABLE_SIZE:
                del cur.checked[0]
        return 0

    def request_region(self, start: int, num: int, name: str = "") -> None:
        """Claim ``[start, start+num)`` for the caller (RES-9); void, as in 2.0.

        A full 64-entry table is logged and recorded (``request_region_full``); a range
        that is not free is recorded (``request_region_busy``); neither claims anything.
        A range past port 0xffff is recorded (``region_bad_range``) and claimed.
        """
        _need_int("request_region", "from", start)
        _need_int("request_region", "num", num)
        if len(self._regions) >= IOTABLE_SIZE:
            self.printk("warning: ioport table is full")
            self._misuse("request_region_full", f"request_region({start:#x}, {num}): the "
                         f"{IOTABLE_SIZE}-entry table is full", start=start, num=num)
            return
        clash = self._overlapping(start, num) if num > 0 else None
        if num <= 0 or clash is not None:
            holder = ("" if clash is None else f", which overlaps {clash.name!r} "
                      f"[{clash.start:#x}-{clash.last:#x}]")
            self._misuse("request_region_busy", f"request_region({start:#x}, {num}) ignored"
                         f"{holder}", start=start, num=num)
            return
        if start < 0 or start + num - 1 > _PORT_MAX:
            self._misuse("region_bad_range", f"request_region({start:#x}, {num}) reaches "
                         "outside the port space 0..0xffff", start=start, num=num)
        region = Region(start, num, str(name), self.current)
        at = 0
        while at < len(self._regions) and self._regions[at].start < start:
            at += 1
        self._regions.insert(at, region)
        self.region_changes += 1
        if region.owner is not None:
            region.owner.regions.append(region)

    def release_region(self, start: int, num: int) -> None:
        """Release the region with exactly this extent (RES-10).

        No exact match: recorded (``release_region_nomatch``), nothing happens. Another
        module's region: recorded (``release_region_unowned``) and released, as 2.0 does.
        """
        _need_int("release_region", "from", start)
        _need_int("release_region", "num", num)
        for i, r in enumerate(self._regions):
            if r.start == start and r.num == num:
                cur = self.current
                if cur is not None and r.owner is not cur:
                    holder = "the kernel" if r.owner is None else f"module {r.owner.name}"
                    self._misuse("release_region_unowned",
                                 f"release_region({start:#x}, {num}) released {r.name!r} "
                                 f"of {holder}", start=start, num=num)
                del self._regions[i]
                self.region_changes += 1
                if r.owner is not None:
                    r.owner.regions.remove(r)
                return
        self._misuse("release_region_nomatch", f"release_region({start:#x}, {num}): no "
                     "region has exactly this extent", start=start, num=num)

    @property
    def regions(self) -> tuple[Region, ...]:
        """The claimed I/O regions, by start port."""
        return tuple(self._regions)

    def region_owner(self, port: int) -> Region | None:
        """The claimed region containing ``port``, or None."""
        return self._overlapping(port, 1)

    # =========================================================================================
    # DMA
    # =========================================================================================

    def request_dma(self, dmanr: int, device_id: str = "") -> int:
        """Lock DMA channel ``dmanr`` for the caller (RES-6): 0, -EINVAL (not 0..7) or
        -EBUSY (already locked; channel 4 is the cascade)."""
        _need_int("request_dma", "dmanr", dmanr)
        if dmanr < 0 or dmanr >= MAX_DMA_CHANNELS:
            return -EINVAL
        if self._dma[dmanr] is not None:
            return -EBUSY
        cur = self.current
        self._dma[dmanr] = DmaClaim(str(device_id), cur)
        if cur is not None:
            cur.dma.add(dmanr)
        return 0

    def free_dma(self, dmanr: int) -> None:
        """Unlock DMA channel ``dmanr`` (RES-7).

        Not 0..7 (``free_dma_bad``) or not locked (``free_dma_not_held``): logged and
        recorded. Another owner's channel: recorded (``free_dma_unowned``) and unlocked, as
        2.0 never checks.
        """
        _need_int("free_dma", "dmanr", dmanr)
        if dmanr < 0 or dmanr >= MAX_DMA_CHANNELS:
            self.printk(f"Trying to free DMA{dmanr}")
            self._misuse("free_dma_bad", f"free_dma({dmanr}): no such channel", dma=dmanr)
            return
        claim = self._dma[dmanr]
        if claim is None:
            self.printk(f"Trying to free free DMA{dmanr}")
            self._misuse("free_dma_not_held", f"free_dma({dmanr}): the channel is free",
                         dma=dmanr)
            return
        cur = self.current
        if cur is not None and claim.owner is not cur:
            holder = "the kernel" if claim.owner is None else f"module {claim.owner.name}"
            self._misuse("free_dma_unowned", f"free_dma({dmanr}) unlocked {claim.name!r} of "
                         f"{holder}", dma=dmanr)
        self._dma[dmanr] = None
        if claim.owner is not None:
            claim.owner.dma.discard(dmanr)

    def dma_claim(self, dmanr: int) -> DmaClaim | None:
        """Who holds DMA channel ``dmanr`` (None: free)."""
        return self._dma[dmanr]

    def disable_dma(self, dmanr: int) -> None:
        """Mask a DMA channel (the controller is not simulated; a no-op)."""

    def enable_dma(self, dmanr: int) -> None:
        """Unmask a DMA channel (the controller is not simulated; a no-op)."""

    # =========================================================================================
    # Ports and cards
    # =========================================================================================

    def attach_card(self, card: _Card, base: int) -> _Card:
        """Put ``card`` on the bus at ports ``base .. base + card.extent - 1``; returns it."""
        self.bus.attach(card, base)
        card.kernel = self
        return card

    def _port_check(self, port: int, width: int, op: str) -> None:
        cur = self.current
        if cur is None:
            return
        last = port + width - 1
        for r in cur.regions:
            if r.start <= port and last <= r.last:
                return
        for start, num in cur.checked:
            if start <= port and last < start + num and self._overlapping(port, width) is None:
                return  # probing ports it found free with check_region (RES-8, RES-12)
        self._misuse("port_outside_region",
                     f"{op} on port {port:#x} outside every region module {cur.name} claimed",
                     port=port, op=op)

    def inb(self, port: int) -> int:
        """Read a byte from ``port`` (0xff where no card answers)."""
        self._port_check(_need_port("inb", port), 1, "inb")
        return self.bus.read(port, 1)

    def inw(self, port: int) -> int:
        """Read a 16-bit word from ``port``."""
        self._port_check(_need_port("inw", port), 2, "inw")
        return self.bus.read(port, 2)

    def inl(self, port: int) -> int:
        """Read a 32-bit word from ``port``."""
        self._port_check(_need_port("inl", port), 4, "inl")
        return self.bus.read(port, 4)

    def outb(self, value: int, port: int) -> None:
        """Write a byte to ``port`` (C order: value first)."""
        self._port_check(_need_port("outb", port), 1, "outb")
        self.bus.write(port, 1, _need_int("outb", "value", value) & 0xFF)

    def outw(self, value: int, port: int) -> None:
        """Write a 16-bit word to ``port`` (C order: value first)."""
        self._port_check(_need_port("outw", port), 2, "outw")
        self.bus.write(port, 2, _need_int("outw", "value", value) & 0xFFFF)

    def outl(self, value: int, port: int) -> None:
        """Write a 32-bit word to ``port`` (C order: value first)."""
        self._port_check(_need_port("outl", port), 4, "outl")
        self.bus.write(port, 4, _need_int("outl", "value", value) & 0xFFFF_FFFF)

    inb_p = inb
    inw_p = inw
    outb_p = outb
    outw_p = outw

    def insb(self, port: int, count: int) -> bytes:
        """Read ``count`` bytes from ``port`` (a string read)."""
        self._port_check(_need_port("insb", port), 1, "insb")
        return self.bus.read_string(port, 1, _need_int("insb", "count", count))

    def insw(self, port: int, count: int) -> bytes:
        """Read ``count`` 16-bit words from ``port`` (little-endian bytes, 2*count long)."""
        self._port_check(_need_port("insw", port), 2, "insw")
        return self.bus.read_string(port, 2, _need_int("insw", "count", count))

    def outsb(self, port: int, data: bytes | bytearray) -> None:
        """Write ``data`` to ``port`` byte by byte."""
        self._port_check(_need_port("outsb", port), 1, "outsb")
        self.bus.write_string(port, 1, bytes(data))

    def outsw(self, port: int, data: bytes | bytearray) -> None:
        """Write ``data`` to ``port`` as 16-bit words (an odd length is padded with 0)."""
        self._port_check(_need_port("outsw", port), 2, "outsw")
        self.bus.write_string(port, 2, bytes(data))

    # =========================================================================================
    # Devices
    # =========================================================================================

    def dev_get(self, name: str) -> Device | None:
        """The first registered device called ``name``, or None (REG-1)."""
        for dev in self.dev_base:
            if dev.name == name:
                return dev
        return None

    def dev_alloc_name(self, dev: Device, fmt: str) -> int:
        """Name ``dev`` ``fmt % i`` with the lowest unit 0..99 no registered device uses;
        returns the unit or -ENFILE (REG-8, 2.2). ``fmt`` must hold exactly one ``%d``."""
        dev = _need_dev("dev_alloc_name", dev)
        if not isinstance(fmt, str) or fmt.count("%d") != 1:
            raise ValueError(f"dev_alloc_name: the format {fmt!r} must contain exactly one %d "
                             "(e.g. \"dummy%d\"), where the unit number goes")
        taken = {d.name for d in self.dev_base}
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
        dev = _need_dev("register_netdev", dev)
        if dev.init is None:
            self._misuse("register_no_init", f"register_netdev({dev.name!r}) with no init "
                         "function: 2.0.1 returns 0 and registers nothing", dev=dev.name)
            return 0
        if dev.registered:
            self._misuse("register_twice", f"register_netdev({dev.name!r}): the device is "
                         "already registered (2.0.1 would corrupt the list)", dev=dev.name)
            return -EEXIST
        self._depth += 1
        try:
            return self._register(dev)
        finally:
            self._leave()

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
        cur = self.current
        dev.owner = cur
        init = dev.init
        assert init is not None
        ok, rc = self._call(cur, f"init of {dev.name!r}", init, dev)
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
        other = self.dev_get(dev.name)
        if other is not None:
            self._misuse("register_name_taken", f"register_netdev: the name {dev.name!r} is "
                         "already registered (check with dev_get first)", dev=dev.name)
            self._release_slots(dev)
            dev.owner = None
            return -EEXIST
        self.dev_base.append(dev)
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
        dev = _need_dev("unregister_netdev", dev)
        busy = bool(dev.start) or bool(dev.flags & IFF_UP)
        if dev.start:
            self.printk(f"ERROR '{dev.name}' busy and not MOD_IN_USE.")
        if not dev.registered:
            self.printk(f"unregister_netdev: '{dev.name}' not found")
            self._misuse("unregister_not_found", f"unregister_netdev({dev.name!r}): not "
                         "registered", dev=dev.name)
            return
        cur = self.current
        if cur is not None and dev.owner is not cur:
            holder = "the kernel" if dev.owner is None else f"module {dev.owner.name}"
            self._misuse("unregister_unowned", f"unregister_netdev({dev.name!r}) of a device "
                         f"registered by {holder}", dev=dev.name)
        if busy:
            self._misuse("unregister_busy", f"unregister_netdev({dev.name!r}) while it is "
                         "still up; closing it first", dev=dev.name)
        self._depth += 1
        try:
            if dev.flags & IFF_UP:
                self._dev_close(dev)
            self.dev_base.remove(dev)
            dev.registered = False
            self._release_slots(dev)
            if dev.owner is not None:
                dev.owner.devices.pop(id(dev), None)
            self._dev_close(dev)
        finally:
            self._leave()

    def init_etherdev(self, dev: Device | None, sizeof_priv: int = 0) -> Device | None:
        """Set up an Ethernet device (REG-13): auto-name a blank name, ``ether_setup`` it.

        With ``dev`` None a new zeroed device is made (``priv`` a zeroed bytearray of
        ``sizeof_priv`` bytes, or None), named ethN after the lowest free slot and linked
        at the tail of the device list, owned by the caller, without a probe; None is
        returned if no slot is free (where 2.0.1 would link a nameless device).
        """
        _need_int("init_etherdev", "sizeof_priv", sizeof_priv)
        new_device = dev is None
        if dev is None:
            dev = Device()
            dev.priv = bytearray((sizeof_priv + 3) & ~3) if sizeof_priv > 0 else None
        else:
            dev = _need_dev("init_etherdev", dev)
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
            cur = self.current
            dev.owner = cur
            self.dev_base.append(dev)
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
        dev = _need_dev("ether_setup", dev)
        for i in range(DEV_NUMBUFFS):
            q = dev.buffs[i]
            if q.qlen:
                self._misuse("queue_reinit_nonempty", f"ether_setup({dev.name!r}) "
                             f"re-initialised buffs[{i}] holding {q.qlen} frame(s)",
                             dev=dev.name, qlen=q.qlen)
                self._detach_all(q)
            if q.owner is not None:
                q.owner.queues.discard(q)
            q.owner = None
        if dev.name.startswith("eth"):
            i = _strtoul_index(dev.name[3:])
            if i >= MAX_ETH_CARDS:
                self._misuse("eth_index_range", f"ether_setup({dev.name!r}): eth slot {i} is "
                             f"past the {MAX_ETH_CARDS}-entry table (2.0.1 writes out of "
                             "bounds)", dev=dev.name)
            elif self.ethdev_index[i] is None:
                self.ethdev_index[i] = dev
            elif self.ethdev_index[i] is not dev:
                self.printk(f"ether_setup: Ouch! Someone else took {dev.name}")
        dev.change_mtu = self.eth_change_mtu
        dev.hard_header = self.eth_header
        dev.rebuild_header = self.eth_rebuild_header
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

    # -- Ethernet helpers (net/ethernet/eth.c, net_init.c) -------------------------------------

    def eth_header(self, skb: SkBuff, dev: Device, type_: int, daddr: bytes | None,
                   saddr: bytes | None, length: int) -> int:
        """Push and fill the 14-byte Ethernet header (CB-14); +14 when complete, -14 when
        the destination is not known yet."""
        at = self.skb_push(skb, ETH_HLEN)
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
        """Complete a header before transmission (CB-15). ARP is not simulated: the source
        address is filled in and 0 (complete) returned."""
        if skb.alive and skb.len >= ETH_HLEN:
            self._poke(skb, skb.data + ETH_ALEN, bytes(dev.dev_addr[:ETH_ALEN]))
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
        if not alive or (self.current is not None and skb.owner is not self.current):
            self._bad_use(skb, "eth_type_trans")
        dev = _need_dev("eth_type_trans", dev)
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

    # -- open / close ---------------------------------------------------------------------------

    def dev_open(self, dev: Device) -> int:
        """Bring a registered device up (CB-2): call ``open``; on 0 set IFF_UP|IFF_RUNNING
        and load the multicast list.

        -ENODEV if the device has no ``open`` or is not registered (what ``ifconfig`` would
        get; recorded as ``device_not_registered``). An up device is left alone (0). An
        ``open`` that raises counts as -EIO.
        """
        dev = _need_dev("dev_open", dev)
        if not dev.registered:
            self._misuse("device_not_registered", f"dev_open({dev.name!r}): not registered",
                         dev=dev.name)
            return -ENODEV
        if dev.flags & IFF_UP:
            return 0
        if dev.open is None:
            return -ENODEV
        self._depth += 1
        try:
            dev.phase = 1
            ok, rc = self._call(dev.owner, f"open of {dev.name!r}", dev.open, dev)
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
                self._mc_upload(dev)
            return rc
        finally:
            self._leave()

    def dev_close(self, dev: Device) -> int:
        """Take a registered device down (CB-3): ``stop`` if it is up (its result ignored),
        clear IFF_UP|IFF_RUNNING, drop the multicast list and drain ``buffs[]`` (frames
        with ``free`` != 0 are freed, the others left to their owner). Returns 0, or
        -ENODEV for a device that is not registered (recorded)."""
        dev = _need_dev("dev_close", dev)
        if not dev.registered:
            self._misuse("device_not_registered", f"dev_close({dev.name!r}): not registered",
                         dev=dev.name)
            return -ENODEV
        self._depth += 1
        try:
            return self._dev_close(dev)
        finally:
            self._leave()

    def _dev_close(self, dev: Device) -> int:
        if dev.flags & IFF_UP and dev.stop is not None:
            dev.phase = 2
            self._call(dev.owner, f"stop of {dev.name!r}", dev.stop, dev)
            dev.phase = 0
        dev.flags &= ~(IFF_UP | IFF_RUNNING)
        self._mc_discard(dev)
        for q in dev.buffs:
            while True:
                skb = self._dequeue(q)
                if skb is None:
                    break
                if skb.free:
                    self._kfree(skb, FREE_WRITE)
        return 0

    def dev_change_flags(self, dev: Device, flags: int) -> int:
        """SIOCSIFFLAGS (FLG-2, FLG-3): take the user-settable flags, keep IFF_UP, and open
        or close the device when the requested IFF_UP differs."""
        dev = _need_dev("dev_change_flags", dev)
        _need_int("dev_change_flags", "flags", flags)
        if not dev.registered:
            self._misuse("device_not_registered", f"SIOCSIFFLAGS on {dev.name!r}: not "
                         "registered", dev=dev.name)
            return -ENODEV
        old = dev.flags
        dev.flags = (flags & _USER_FLAGS) | (old & IFF_UP)
        self._mc_upload(dev)
        ret = 0
        if (old ^ flags) & IFF_UP:
            if old & IFF_UP:
                ret = self.dev_close(dev)
            else:
                ret = self.dev_open(dev)
                if ret < 0:
                    dev.flags &= ~IFF_UP
        self._mc_upload(dev)
        return ret

    def dev_get_stats(self, dev: Device) -> object:
        """Call ``get_stats`` (CB-12); None when the device has none."""
        dev = _need_dev("dev_get_stats", dev)
        if dev.get_stats is None:
            return None
        ok, stats = self._call(dev.owner, f"get_stats of {dev.name!r}", dev.get_stats, dev)
        return stats if ok else None

    def _sioc(self, dev: Device, method: str, *args: object) -> int:
        """Call one of the ioctl-path methods (CB-16..19): -EOPNOTSUPP without one, -EIO
        when it raises or returns something that is not an int."""
        fn = getattr(dev, method)
        if fn is None:
            return -EOPNOTSUPP
        ok, rc = self._call(dev.owner, f"{method} of {dev.name!r}", fn, dev, *args)
        if not ok:
            return -EIO
        if not isinstance(rc, int) or isinstance(rc, bool):
            self._misuse("callback_bad_return", f"{method} of {dev.name!r} returned {rc!r}, "
                         "not an int", dev=dev.name)
            return -EIO
        return rc

    def dev_set_mac_address(self, dev: Device, addr: bytes) -> int:
        """SIOCSIFHWADDR: ``dev->set_mac_address(dev, addr)`` (CB-16)."""
        return self._sioc(_need_dev("dev_set_mac_address", dev), "set_mac_address", addr)

    def dev_set_config(self, dev: Device, map_: IfMap) -> int:
        """SIOCSIFMAP: ``dev->set_config(dev, map)`` (CB-18)."""
        return self._sioc(_need_dev("dev_set_config", dev), "set_config", map_)

    def dev_private_ioctl(self, dev: Device, ifr: object, cmd: int) -> int:
        """SIOCDEVPRIVATE..+15: ``dev->do_ioctl(dev, ifr, cmd)`` (CB-17)."""
        return self._sioc(_need_dev("dev_private_ioctl", dev), "do_ioctl", ifr, cmd)

    def dev_set_mtu(self, dev: Device, mtu: int) -> int:
        """SIOCSIFMTU: ``dev->change_mtu(dev, mtu)`` (CB-19), or set it directly without one."""
        dev = _need_dev("dev_set_mtu", dev)
        if dev.change_mtu is None:
            if mtu < 0:
                return -EINVAL
            dev.mtu = mtu
            return 0
        return self._sioc(dev, "change_mtu", mtu)

    def _mc_upload(self, dev: Device) -> None:
        if dev.flags & IFF_UP and dev.set_multicast_list is not None:
            self._call(dev.owner, f"set_multicast_list of {dev.name!r}",
                       dev.set_multicast_list, dev)

    def _mc_discard(self, dev: Device) -> None:
        dev.mc_list.clear()
        dev.mc_count = 0

    def dev_mc_add(self, dev: Device, addr: bytes, alen: int = ETH_ALEN,
                   newonly: int = 0) -> None:
        """Add a multicast address (CB-13) and reprogram the filter."""
        a = bytes(addr[:alen])
        if a not in dev.mc_list:
            dev.mc_list.append(a)
            dev.mc_count += 1
        self._mc_upload(dev)

    def dev_mc_delete(self, dev: Device, addr: bytes, alen: int = ETH_ALEN,
                      all_: int = 0) -> None:
        """Remove a multicast address (CB-13) and reprogram the filter."""
        a = bytes(addr[:alen])
        if a in dev.mc_list:
            dev.mc_list.remove(a)
            dev.mc_count -= 1
            self._mc_upload(dev)

    # =========================================================================================
    # Transmit
    # =========================================================================================

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
        dev = _need_dev("dev_queue_xmit", dev)
        _need_int("dev_queue_xmit", "pri", pri)
        if not skb.alive:
            self._bad_use(skb, "dev_queue_xmit")
            return
        cur = self.current
        if cur is not None and skb.owner is not cur:
            self._bad_use(skb, "dev_queue_xmit")
        if not dev.registered or not dev.flags & IFF_UP:
            self._misuse("xmit_device_down", f"dev_queue_xmit on {dev.name!r}, which is not "
                         "registered and up", dev=dev.name, skb=skb.id)
        if skb.list is not None:
            self._misuse("queue_twice", f"dev_queue_xmit of buffer #{skb.id}, still on queue "
                         f"{skb.list.name or '?'}", skb=skb.id, op="dev_queue_xmit")
            self._unlink(skb)
        self._depth += 1
        self.intr_count += 1  # start_bh_atomic
        try:
            self._do_xmit(skb, dev, pri)
        finally:
            self.intr_count -= 1
            self._leave()

    def _do_xmit(self, skb: SkBuff, dev: Device, pri: int) -> int:
        """2.0's do_dev_queue_xmit; returns 1 when the frame went back on the queue busy."""
        if pri >= 0 and not skb.lock:
            self._lock(skb)
        skb.dev = dev
        retransmission = pri < 0
        if retransmission:
            pri = -pri - 1
        if pri >= DEV_NUMBUFFS:
            self.printk("bad priority in dev_queue_xmit.")
            self._misuse("xmit_bad_priority", f"dev_queue_xmit priority {pri}", pri=pri)
            pri = 1
        self._give(skb, None)
        if not skb.arp and dev.rebuild_header is not None:
            ok, held = self._call(dev.owner, f"rebuild_header of {dev.name!r}",
                                  dev.rebuild_header, skb.data, dev, skb.raddr, skb)
            if not ok:
                self._dev_kfree(skb, FREE_WRITE)
                return 0
            if held:
                return 0  # ARP holds the frame now (owner: the kernel)
        q = dev.buffs[pri]
        if not retransmission:
            if q.qlen and q.qlen > dev.tx_queue_len:
                self.tx_dropped += 1
                self._dev_kfree(skb, FREE_WRITE)
                if self.tracer is not None:
                    self.tracer("xmit.dropped", {"skb": skb, "dev": dev, "pri": pri})
                return 0
            # Always keep order (2.0.1 dev.c, ``if (!where)``): the frame joins the tail,
            # unlocked, and the head frame is locked and sent instead.
            self._unlock(skb)
            self._enqueue_tail(q, skb)
            if self.tracer is not None:
                self.tracer("xmit.queued", {"skb": skb, "dev": dev, "pri": pri})
            head = self._dequeue(q)
            assert head is not None
            skb = head
            self._lock(skb)
            if self._ptype_all:
                self._xmit_taps(skb, dev)
        rc = self._hand_to_driver(skb, dev, pri)
        return rc

    def _hand_to_driver(self, skb: SkBuff, dev: Device, pri: int) -> int:
        rc = self._xmit_call(skb, dev, pri)
        if self.tracer is not None:
            self.tracer("xmit.return", {"skb": skb, "dev": dev, "pri": pri, "rc": rc})
        return rc

    def _xmit_call(self, skb: SkBuff, dev: Device, pri: int) -> int:
        xmit = dev.hard_start_xmit
        if xmit is None:
            self._misuse("xmit_no_method", f"{dev.name!r} has no hard_start_xmit; the frame "
                         "is dropped", dev=dev.name, skb=skb.id)
            self._dev_kfree(skb, FREE_WRITE)
            return 0
        owner = dev.owner
        self._give(skb, owner)
        dev.phase = 3
        dev.xmit_pri = pri
        if self.tracer is not None:
            self.tracer("xmit.lend", {"skb": skb, "dev": dev, "pri": pri})
        ok, rc = self._call(owner, f"hard_start_xmit of {dev.name!r}", xmit, skb, dev)
        dev.phase = 0
        if not ok:
            # Documented choice: a raising driver is treated as having accepted and dropped
            # the frame (dev_kfree_skb), so it is never retried in a loop.
            if skb.alive and skb.owner is owner and skb.list is None:
                self._dev_kfree(skb, FREE_WRITE)
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
        self._unlock(skb)
        self._give(skb, None)
        self._enqueue_head(dev.buffs[pri], skb)
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
        prev = self.current
        self.current = None
        try:
            return self.skb_clone(skb)
        finally:
            self.current = prev

    def dev_tint(self, dev: Device) -> None:
        """Send what waits on ``dev``'s queues (CB-10): buffs[0], then [1], then [2], each
        head frame locked and handed to ``hard_start_xmit``, until ``tbusy`` is set.

        Called from inside the device's own ``hard_start_xmit`` with a frame it is recorded
        (``tint_in_xmit``) and does nothing. A driver that answers busy without setting
        ``tbusy`` would make 2.0 spin here forever: recorded (``xmit_busy_no_tbusy``) and
        stopped.
        """
        dev = _need_dev("dev_tint", dev)
        if dev.phase == 3:
            self._misuse("tint_in_xmit", f"dev_tint({dev.name!r}) from inside its own "
                         "hard_start_xmit", dev=dev.name)
            return
        self._depth += 1
        try:
            self._tint(dev)
        finally:
            self._leave()

    def _tint(self, dev: Device) -> None:
        for i in range(DEV_NUMBUFFS):
            q = dev.buffs[i]
            if not q.qlen and self.tracer is not None:
                self.tracer("xmit.idle", {"dev": dev, "pri": i})
            while q.qlen:
                skb = self._dequeue(q)
                if skb is None:
                    break
                self._lock(skb)
                busy = self._do_xmit(skb, dev, -i - 1)
                if dev.tbusy:
                    return
                if busy:
                    self._misuse("xmit_busy_no_tbusy", f"hard_start_xmit of {dev.name!r} "
                                 "returned busy without setting tbusy (2.0's dev_tint would "
                                 "spin forever)", dev=dev.name)
                    return

    def mark_bh(self, nr: int = NET_BH) -> None:
        """Mark bottom half ``nr`` (NET_BH) to run when the current interrupt or kernel
        call ends."""
        self._bh_active |= 1 << _need_int("mark_bh", "nr", nr)

    def net_bh(self) -> None:
        """Run the network bottom half now (unless it is already running): transmit on every
        idle device (``dev_tint``), then hand each backlog frame to the protocols."""
        if self._in_bh:
            return
        self._depth += 1
        try:
            self._run_net_bh()
        finally:
            self._leave()

    def do_bottom_half(self) -> None:
        """Deliver latched interrupts and run marked bottom halves (as a return from a
        system call would), unless a kernel call is running."""
        if self._depth == 0:
            self._flush()

    def _run_net_bh(self) -> None:
        self._bh_active &= ~(1 << NET_BH)
        prev = self.current
        self.current = None
        self._in_bh = True
        self.intr_count += 1
        self._depth += 1
        tracer = self.tracer
        if tracer is not None:
            tracer("bh.begin", {})
        try:
            for dev in list(self.dev_base):
                if dev.flags != 0 and not dev.tbusy and dev.phase == 0:
                    self._tint(dev)
            backlog = self.backlog
            while backlog.qlen:
                skb = self._dequeue(backlog)
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
            self._depth -= 1
            self.intr_count -= 1
            self._in_bh = False
            self.current = prev

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
            self._kfree(skb, FREE_WRITE)

    def _to_handler(self, pt: PacketType, skb: SkBuff) -> None:
        self._give(skb, pt.owner)
        self._call(pt.owner, f"packet handler for type {pt.type:#06x}", pt.func, skb, skb.dev,
                   pt)

    def dev_add_pack(self, pt: PacketType) -> None:
        """Register a protocol handler (ETH_P_ALL: a tap), owned by the caller."""
        if not isinstance(pt, PacketType):
            raise TypeError(f"dev_add_pack: pt must be a PacketType, got {type(pt).__name__}")
        pt.owner = self.current
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
        self.printk("dev_remove_pack: packet type not found.")
        self._misuse("remove_pack_not_found", f"dev_remove_pack of an unknown handler for "
                     f"type {pt.type:#06x}")

    # =========================================================================================
    # Receive
    # =========================================================================================

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
            self._bad_use(skb, "netif_rx")
            return
        cur = self.current
        if cur is not None and skb.owner is not cur:
            self._bad_use(skb, "netif_rx")
        if skb.list is not None:
            self._misuse("queue_twice", f"netif_rx of buffer #{skb.id}, still on queue "
                         f"{skb.list.name or '?'}", skb=skb.id, op="netif_rx")
            self._unlink(skb)
        if skb.dev is None or not skb.dev.registered:
            self._misuse("rx_no_dev", f"netif_rx of buffer #{skb.id} without skb->dev set to a "
                         "registered device", skb=skb.id)
        if skb.protocol == 0:
            self._misuse("rx_no_protocol", f"netif_rx of buffer #{skb.id} without "
                         "skb->protocol (call eth_type_trans)", skb=skb.id)
        skb.sk = None
        skb.free = 1
        if skb.stamp == 0:
            skb.stamp = self.jiffies
        self._give(skb, None)
        backlog = self.backlog
        if not backlog.qlen:
            self._rx_dropping = False
        elif backlog.qlen > NETDEV_MAX_BACKLOG:
            self._rx_dropping = True
        if self._rx_dropping:
            self.rx_dropped += 1
            self._kfree(skb, FREE_READ)
            return
        self._enqueue_tail(backlog, skb)
        self._bh_active |= 1 << NET_BH

    @property
    def rx_dropping(self) -> bool:
        """True while netif_rx drops arrivals (the backlog went over 300)."""
        return self._rx_dropping

    # =========================================================================================
    # Modules
    # =========================================================================================

    def insmod(self, module: Module) -> int:
        """Load ``module`` and run its ``init_module`` (MOD-1): 0, or -EBUSY when
        ``init_module`` returns non-zero (2.0 maps every failure to it; the module is
        unloaded again and what it still holds is recorded as ``leak_*``), or -EEXIST if a
        module of that name is loaded. The use count is raised by 1 while init runs."""
        if not isinstance(module, Module):
            raise TypeError(f"insmod: expected a Module, got {type(module).__name__}")
        if module.loaded or module.name in self.modules:
            self._misuse("insmod_loaded", f"insmod {module.name}: already loaded",
                         module=module.name)
            return -EEXIST
        self.modules[module.name] = module
        module.state = MOD_INITIALIZING
        module.use_count = 1
        self._depth += 1
        try:
            rc: object = 0
            ok = True
            if module.init_module is not None:
                ok, rc = self._call(module, f"init_module of {module.name}", module.init_module)
            module.use_count -= 1
            if ok and not isinstance(rc, int):
                self._misuse_as(module, "callback_bad_return", f"init_module of {module.name} "
                                f"returned {rc!r}, not an int")
                ok = False
            if not ok or rc != 0:
                self._leak_check(module, "init_module failed")
                module.state = MOD_UNLOADED
                # 2.0 frees the module (and its count) here; a later insmod starts at 0.
                module.use_count = 0
                del self.modules[module.name]
                return -EBUSY
            module.state = MOD_LIVE
            return 0
        finally:
            self._leave()

    def rmmod(self, name: str | Module) -> int:
        """Unload a module (MOD-2): -ENOENT if none is loaded under ``name``, -EBUSY while
        its use count is non-zero, else ``cleanup_module`` runs and the module goes away.
        What it still holds then is recorded (``leak_device``, ``leak_irq``,
        ``leak_region``, ``leak_dma``, ``leak_skb``, ``leak_queue``,
        ``leak_packet_type``) and left as it is, as 2.0 would."""
        if isinstance(name, Module):
            name = name.name
        module = self.modules.get(name)
        if module is None:
            return -ENOENT
        if module.use_count != 0:
            return -EBUSY
        module.state = MOD_CLEANING_UP
        self._depth += 1
        try:
            if module.cleanup_module is not None:
                self._call(module, f"cleanup_module of {module.name}", module.cleanup_module)
            self._leak_check(module, "cleanup_module returned")
            module.state = MOD_UNLOADED
            module.use_count = 0  # as after a failed init: the module is gone
            del self.modules[module.name]
            return 0
        finally:
            self._leave()

    def _leak_check(self, m: Module, when: str) -> None:
        for dev in list(m.devices.values()):
            self._misuse_as(m, "leak_device", f"{when}: module {m.name} left device "
                            f"{dev.name!r} registered", dev=dev.name)
        for a in list(m.irqs):
            self._misuse_as(m, "leak_irq", f"{when}: module {m.name} left IRQ {a.line} "
                            f"({a.name!r}) claimed", irq=a.line)
        for r in list(m.regions):
            self._misuse_as(m, "leak_region", f"{when}: module {m.name} left I/O region "
                            f"{r.start:#x}-{r.last:#x} claimed", start=r.start, num=r.num)
        for ch in sorted(m.dma):
            self._misuse_as(m, "leak_dma", f"{when}: module {m.name} left DMA {ch} claimed",
                            dma=ch)
        for skb in sorted(m.skbs, key=lambda s: s.id):
            self._misuse_as(m, "leak_skb", f"{when}: module {m.name} still holds buffer "
                            f"#{skb.id}", skb=skb.id)
        for q in list(m.queues):
            if q.qlen:
                self._misuse_as(m, "leak_queue", f"{when}: module {m.name} left {q.qlen} "
                                f"buffer(s) on its queue {q.name or '?'}", qlen=q.qlen)
        for pt in list(m.packet_types):
            self._misuse_as(m, "leak_packet_type", f"{when}: module {m.name} left a packet "
                            f"handler for type {pt.type:#06x} registered", type=pt.type)
        m.checked.clear()

    def mod_inc_use_count(self, module: Module | None = None) -> None:
        """MOD_INC_USE_COUNT for ``module`` (default: the running module; a no-op for the
        kernel, as outside a module)."""
        m = self.current if module is None else module
        if m is not None:
            m.use_count += 1

    def mod_dec_use_count(self, module: Module | None = None) -> None:
        """MOD_DEC_USE_COUNT; going below zero is recorded (``mod_dec_below_zero``) and done,
        as 2.0 does (the module then stays "in use")."""
        m = self.current if module is None else module
        if m is not None:
            if m.use_count <= 0:
                self._misuse_as(m, "mod_dec_below_zero", f"MOD_DEC_USE_COUNT of {m.name} at "
                                f"use count {m.use_count}", use_count=m.use_count)
            m.use_count -= 1

    def mod_in_use(self, module: Module | None = None) -> bool:
        """MOD_IN_USE: the use count is non-zero."""
        m = self.current if module is None else module
        return m is not None and m.use_count != 0
