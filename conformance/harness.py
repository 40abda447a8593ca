"""The harness: a driver model on the reference kernel, driven like a real system.

A :class:`Harness` is one machine:
- a fresh :class:`~netdevspec.reference.Kernel`, as a PC is after 2.0.1 has booted (the
  PC's own hardware holds its I/O regions and IRQ lines; ``machine="empty"`` starts
  from a kernel that holds only the timer, cascade and FPU lines);
- simulated cards (two :class:`~netdevspec.reference.SimpleNic` by default, at 0x300
  IRQ 5 and 0x320 IRQ 9);
- a kernel-side protocol that takes IP frames;
- a :class:`~netdevspec.conformance.monitor.SpecMonitor` watching every call the driver
  makes.

Its public methods are the steps of a scenario: load and unload driver instances,
ifconfig up/down, transmit bursts at priorities, frames arriving from the wire,
transmit-complete interrupts, multicast changes, clock ticks, and the faults (allocation
failures, a rival module holding a line, ports, a DMA channel or a name). A scenario is a
list of :class:`Step`. It runs with :func:`run_scenario`, and :func:`scenario_program`
renders it as a Python program that replays it.

A misbehaving driver does not stop the harness. The kernel catches exceptions in
callbacks. A callback that runs past the time limit is interrupted (SIGALRM, on the main
thread of POSIX systems) and the scenario ends there. Each of these is reported under a
``drv.*`` rule of :mod:`~netdevspec.conformance.model_rules`.
"""

from __future__ import annotations

import inspect
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

from netdevspec.conformance.boundary import (
    DriverGone,
    DriverHost,
    DriverProcess,
    DriverRaised,
    RemoteModule,
)
from netdevspec.conformance.handle import DriverModule, make_module
from netdevspec.conformance.monitor import SpecMonitor
from netdevspec.reference import (
    ETH_HLEN,
    ETH_P_IP,
    IFF_UP,
    SA_SHIRQ,
    Device,
    IfMap,
    Kernel,
    Module,
    PacketType,
    SimpleNic,
    SkBuff,
)

from netdevspec.errors import UsageError

__all__ = ["STEP_ACTIONS", "Arg", "CallbackTimeout", "Harness", "Step", "StepAction",
           "run_scenario", "scenario_program"]

Factory = Callable[..., Any]

#: The machines a harness can start from, by name.
MACHINES: dict[str, Callable[[], Kernel]] = {"pc": Kernel.pc, "empty": Kernel}

#: Cards every harness machine has: (base port, IRQ line, station address).
CARDS: tuple[tuple[int, int, bytes], ...] = (
    (0x300, 5, b"\x00\x42\x65\x00\x00\x01"),
    (0x320, 9, b"\x00\x42\x65\x00\x00\x02"),
)
PEER = b"\x00\x42\x65\x00\x00\x99"


class CallbackTimeout(BaseException):
    """Driver code ran past the time limit (a BaseException, so the kernel's guard against
    driver exceptions does not swallow it)."""


# -- the steps a scenario may take ----------------------------------------------------------
# A step names an action and gives its arguments; it may come from a trace file, which is
# untrusted input. The actions are a closed set: the Harness methods declared with
# @_action below, each with its arguments' types and bounds. Step.call, the trace schema
# (conformance/trace.schema.json) and the replay validation all read this one declaration.


@dataclass(frozen=True)
class Arg:
    """The type and bounds of one argument of a step action: an integer in
    ``low..high``, a flag (``bool``), or a string from ``choices``."""

    kind: type
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()

    def problem(self, value: Any) -> str | None:
        """None if ``value`` is a value of this argument, else what is wrong with it."""
        if self.kind is bool:
            return None if isinstance(value, bool) else f"{_short(value)} is not a boolean"
        if self.kind is int:
            if not isinstance(value, int) or isinstance(value, bool):
                return f"{_short(value)} is not an integer"
            if not self.low <= value <= self.high:
                return f"{_short(value)} is outside {self.low}..{self.high}"
            return None
        if value not in self.choices:
            return f"{_short(value)} is not one of {', '.join(self.choices)}"
        return None

    def json_schema(self) -> dict[str, Any]:
        """This argument as a JSON Schema."""
        if self.kind is bool:
            return {"type": "boolean"}
        if self.kind is int:
            return {"type": "integer", "minimum": self.low, "maximum": self.high}
        return {"type": "string", "enum": list(self.choices)}


def _int(low: int, high: int) -> Arg:
    return Arg(int, low, high)


def _one_of(*choices: str) -> Arg:
    return Arg(str, choices=choices)


_FLAG = Arg(bool)


def _short(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters (an error message stays one short line)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return "a very large integer"
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True)
class StepAction:
    """One action a scenario step may name: the :class:`Harness` method it runs and each
    keyword argument's :class:`Arg` (every argument has the method's default)."""

    name: str
    args: tuple[tuple[str, Arg], ...]
    method: Callable[..., None]
    doc: str

    def bind(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """``args`` checked against the declaration. Raises UsageError, naming the argument,
        for an unknown one or a value of the wrong type or out of bounds."""
        declared = dict(self.args)
        for key, value in args.items():
            arg = declared.get(key)
            if arg is None:
                raise UsageError(
                    f"the step {self.name} has no argument {_short(key)}",
                    f"{self.name} takes {', '.join(declared) or 'no argument'}",
                    "remove the argument or fix its name")
            problem = arg.problem(value)
            if problem is not None:
                raise UsageError(f"the step {self.name}: argument {key}: {problem}",
                                 "steps are bounded so that a scenario cannot run away",
                                 f"pass a value {_describe(arg)}")
        return dict(args)


def _describe(arg: Arg) -> str:
    if arg.kind is int:
        return f"in {arg.low}..{arg.high}"
    if arg.kind is bool:
        return "true or false"
    return f"among {', '.join(arg.choices)}"


#: The closed set of step actions, by name (filled by @_action on the Harness methods).
STEP_ACTIONS: dict[str, StepAction] = {}

_M = TypeVar("_M", bound=Callable[..., None])


def _action(**args: Arg) -> Callable[[_M], _M]:
    """Declare a Harness method a step action, with the type and bounds of each argument."""

    def declare(method: _M) -> _M:
        params = [p for p in inspect.signature(method).parameters.values()
                  if p.name != "self"]
        missing = [p.name for p in params if p.default is inspect.Parameter.empty]
        if [p.name for p in params] != list(args) or missing:
            raise TypeError(f"the step action {method.__name__} declares {sorted(args)} but "
                            f"takes {[p.name for p in params]} (each with a default)")
        doc = (method.__doc__ or "").strip().split("\n\n")[0]
        STEP_ACTIONS[method.__name__] = StepAction(method.__name__, tuple(args.items()),
                                                   method, " ".join(doc.split()))
        return method

    return declare


#: Driver instances a scenario may load, and the largest burst of frames in one step.
MAX_INSTANCES = 4
MAX_BURST = 64
#: Cards a machine may have (the first :data:`CARDS` are always there; ``plug`` adds).
MAX_CARDS = 4
#: The largest frame a step sends or receives: oversize for Ethernet (1514) and for the
#: loopback device's MTU (3584) alike.
MAX_FRAME = 4096
#: A frame's size in bytes, header included: from nothing (a runt, even without a whole
#: Ethernet header) through 60 and 1514 to oversize.
FRAME_SIZE = _int(0, MAX_FRAME)
_INSTANCE = _int(0, MAX_INSTANCES - 1)
_CARD = _int(0, MAX_CARDS - 1)
#: An insmod parameter of a step: -1 leaves the check's value (or the driver's default).
_PARAM = _int(-1, 0xFFFF)
_IFREQ = _one_of("stats", "mac", "config", "mtu", "private")


@dataclass(frozen=True)
class Step:
    """One step of a scenario: a declared step action (see :data:`STEP_ACTIONS`) and its
    keyword arguments."""

    action: str
    args: tuple[tuple[str, Any], ...] = ()

    def call(self, h: Harness) -> None:
        """Perform the step on ``h``. Raises UsageError for an action that is not declared
        or arguments that do not fit its declaration; no other attribute of ``h`` is
        reached."""
        action = STEP_ACTIONS.get(self.action)
        if action is None:
            raise UsageError(f"unknown step action {_short(self.action)}",
                             "a step is one of the declared actions",
                             f"use one of {', '.join(sorted(STEP_ACTIONS))}")
        action.method(h, **action.bind(dict(self.args)))

    def source(self) -> str:
        """The step as a line of Python."""
        return f"h.{self.action}({', '.join(f'{k}={v!r}' for k, v in self.args)})"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"action": self.action, "args": dict(self.args)}


def step(action: str, **args: Any) -> Step:
    """A :class:`Step` (keyword arguments in a stable order)."""
    return Step(action, tuple(sorted(args.items())))


@dataclass
class Harness:
    """A reference kernel with cards, a protocol and the driver under test, monitored.

    ``factory`` is the driver's ``FACTORY``; ``spec_ref`` names it (``module:attr``) for
    the replay program. With ``host`` (a started
    :class:`~netdevspec.conformance.boundary.DriverHost`), each driver instance runs in a
    process of its own and the host's limits apply (what ``netdevspec check`` does);
    without, the driver runs in this process (trusted code only: tests and benchmarks of
    the reference drivers), each step bounded by ``time_limit`` seconds (0: none).
    """

    factory: Factory | None
    spec_ref: str = "?"
    time_limit: float = 2.0
    params: dict[str, int] = field(default_factory=dict)
    record: Callable[[str, dict[str, Any]], None] | None = None
    host: DriverHost | None = None
    #: ``"pc"``: the machine Linux 2.0.1 leaves after booting a PC (the kernel holds the
    #: I/O regions and IRQ lines of the PC's own hardware, :meth:`Kernel.pc`); ``"empty"``:
    #: a kernel holding only the timer, cascade and FPU lines.
    machine: str = "pc"

    def __post_init__(self) -> None:
        if self.machine not in MACHINES:
            raise ValueError(f"unknown machine {self.machine!r}: choose one of "
                             f"{', '.join(MACHINES)}")
        self.kernel = MACHINES[self.machine]()
        self.cards = [self.kernel.attach_card(SimpleNic(mac=mac, irq=irq), base)
                      for base, irq, mac in CARDS]
        self.monitor = SpecMonitor(self.kernel, record=self.record).attach()
        self.instances: dict[int, DriverModule | RemoteModule] = {}
        self.loaded: set[int] = set()
        self.received: list[SkBuff] = []
        self.kernel.dev_add_pack(PacketType(ETH_P_IP, self._protocol))
        self.rival: Module | None = None
        self.aborted: str | None = None
        self._seq = 0
        #: Frames a socket keeps (sent with ``free=False``), released once the driver and
        #: the kernel are done with them, as TCP releases a frame once it is acknowledged.
        self._kept: list[SkBuff] = []

    def _protocol(self, skb: SkBuff, dev: Device | None, pt: PacketType) -> None:
        self.received.append(skb)
        self.kernel.kfree_skb(skb)

    # -- driver instances -------------------------------------------------------------------
    def _instance(self, i: int, given: Mapping[str, int] | None = None
                  ) -> DriverModule | RemoteModule:
        dm = self.instances.get(i)
        if dm is None:
            params = {**self.params, **(given or {})}
            if self.host is None:
                if self.factory is None:
                    raise ValueError("an in-process harness needs the driver's factory; "
                                     "pass it, or a DriverHost that has it")
                dm = make_module(self.kernel, self.factory, monitor=self.monitor, instance=i,
                                 **params)
            else:
                module = Module("<driver model being built>")
                proc = DriverProcess(self.host, self.kernel, self.monitor, module)
                module.name, module.init_module, module.cleanup_module = proc.build(
                    i, params)
                dm = RemoteModule(module, proc)
            self.instances[i] = dm
            self.monitor.modules.add(dm.module.name)
        return dm

    def close(self) -> None:
        """End the driver processes (with a finding for anything they left running)."""
        for dm in self.instances.values():
            if isinstance(dm, RemoteModule):
                for what in dm.process.leftovers():
                    self.monitor.report_model_rule("drv.process", f"at the end of the scenario, "
                                                   f"{what}", dm.module, "end of the scenario")
                dm.process.kill()

    def devices(self, i: int) -> list[Device]:
        """The devices instance ``i`` has registered."""
        dm = self.instances.get(i)
        return [] if dm is None else list(dm.module.devices.values())

    @_action(i=_INSTANCE, io=_PARAM, irq=_PARAM, dma=_PARAM)
    def insmod(self, i: int = 0, io: int = -1, irq: int = -1, dma: int = -1) -> None:
        """Load driver instance ``i`` (a new model object each time, as a reload would),
        with the insmod parameters ``io``, ``irq`` and ``dma`` when given (not -1), as
        ``insmod drv io=0x300 irq=5`` would; the others are the check's."""
        if i in self.loaded:
            return
        old = self.instances.pop(i, None)
        if isinstance(old, RemoteModule):
            old.process.kill()
        given = {k: v for k, v in (("io", io), ("irq", irq), ("dma", dma)) if v != -1}
        with self._guard(f"insmod of instance {i}"):
            dm = self._instance(i, given)
            rc = self.kernel.insmod(dm.module)
        if rc == 0:
            self.loaded.add(i)
        self._watch()

    @_action(i=_INSTANCE, close=_FLAG)
    def rmmod(self, i: int = 0, close: bool = True) -> None:
        """Unload instance ``i``, closing its devices first as ifconfig down would (with
        ``close=False``, rmmod is tried while they are up: the use count must stop it)."""
        if i not in self.loaded:
            return
        if close:
            for d in self.devices(i):
                if d.flags & IFF_UP:
                    self.down(i)
        dm = self.instances[i]
        with self._guard(f"rmmod of instance {i}"):
            rc = self.kernel.rmmod(dm.module.name)
        if rc == 0:
            self.loaded.discard(i)

    def _watch(self) -> None:
        for dm in self.instances.values():
            for d in dm.module.devices.values():
                self.monitor.see_device(d)

    # -- ifconfig --------------------------------------------------------------------------
    @_action(i=_INSTANCE)
    def up(self, i: int = 0) -> None:
        """ifconfig up on every device of instance ``i``."""
        for d in self.devices(i):
            with self._guard(f"dev_open of {d.name}"):
                self.kernel.dev_open(d)

    @_action(i=_INSTANCE)
    def down(self, i: int = 0) -> None:
        """ifconfig down on every device of instance ``i``."""
        for d in self.devices(i):
            with self._guard(f"dev_close of {d.name}"):
                self.kernel.dev_close(d)

    @_action(i=_INSTANCE, count=_int(0, 16))
    def multicast(self, i: int = 0, count: int = 2) -> None:
        """Join ``count`` multicast groups on instance ``i``'s devices, then leave one."""
        for d in self.devices(i):
            if not d.flags & IFF_UP:
                continue
            addrs = [bytes([1, 0, 0x5E, 0, 0, k + 1]) for k in range(count)]
            with self._guard(f"multicast on {d.name}"):
                for a in addrs:
                    self.kernel.dev_mc_add(d, a)
                if addrs:
                    self.kernel.dev_mc_delete(d, addrs[0])

    @_action(i=_INSTANCE, what=_IFREQ)
    def ifreq(self, i: int = 0, what: str = "stats") -> None:
        """An ioctl-path request on instance ``i``'s devices: ``stats`` (get_stats),
        ``mac`` (set_mac_address), ``config`` (set_config), ``mtu`` (change_mtu) or
        ``private`` (do_ioctl, SIOCDEVPRIVATE)."""
        k = self.kernel
        for d in self.devices(i):
            with self._guard(f"{what} request on {d.name}"):
                if what == "stats":
                    k.dev_get_stats(d)
                elif what == "mac":
                    k.dev_set_mac_address(d, b"\x00\x42\x65\x00\x00\x7f")
                elif what == "config":
                    k.dev_set_config(d, IfMap(base_addr=d.base_addr, irq=d.irq, dma=d.dma))
                elif what == "mtu":
                    k.dev_set_mtu(d, 1400)
                else:
                    k.dev_private_ioctl(d, None, 0x89F0)

    # -- traffic -----------------------------------------------------------------------------
    @_action(i=_INSTANCE, pri=_int(0, 2), count=_int(0, MAX_BURST),
             size=FRAME_SIZE, free=_FLAG)
    def xmit(self, i: int = 0, pri: int = 0, count: int = 1, size: int = 60,
             free: bool = True) -> None:
        """The protocol layer sends ``count`` frames of ``size`` bytes on instance ``i``'s
        devices at priority ``pri``; with ``free=False`` the sending socket keeps each
        frame (``skb->free == 0``: a driver that must keep it clones it) and releases it
        once the driver and the kernel are done with it."""
        self._release_kept()
        for d in self.devices(i):
            if not (d.registered and d.flags & IFF_UP):
                continue
            for _ in range(count):
                skb = self._frame(d, size)
                if skb is None:
                    return
                if not free:
                    skb.free = 0
                    self._kept.append(skb)
                with self._guard(f"dev_queue_xmit on {d.name}"):
                    self.kernel.dev_queue_xmit(skb, d, pri)
        self._release_kept()

    def _release_kept(self) -> None:
        """Free the kept frames that are back with the kernel: alive, unlocked, on no
        queue and in no module's hands."""
        k = self.kernel
        for skb in list(self._kept):
            if not skb.alive:
                self._kept.remove(skb)
            elif skb.owner is None and skb.list is None and not skb.lock:
                self._kept.remove(skb)
                skb.free = 1
                k.kfree_skb(skb)

    def _frame(self, d: Device, size: int) -> SkBuff | None:
        k = self.kernel
        head = min(size, ETH_HLEN)  # a runt may not even hold a whole header
        body = size - head
        skb = k.alloc_skb(body + 16 + head)
        if skb is None:
            return None
        k.skb_reserve(skb, 16)
        self._seq += 1
        k.skb_put_data(skb, (self._seq.to_bytes(4, "big") * (body // 4 + 1))[:body])
        k.skb_push(skb, head)
        header = PEER + bytes(d.dev_addr[:6]) + ETH_P_IP.to_bytes(2, "big")
        k.skb_write(skb, skb.data, header[:head])
        skb.free = 1
        skb.arp = 1
        return skb

    @_action(card=_CARD, count=_int(0, MAX_BURST), size=FRAME_SIZE, burst=_FLAG)
    def rx(self, card: int = 0, count: int = 1, size: int = 60, burst: bool = False) -> None:
        """``count`` frames of ``size`` bytes arrive from the wire at card ``card`` (a
        runt or oversize frame is passed on as it came). With ``burst``, they arrive back
        to back while the kernel is busy, so the card's interrupt is delivered only after
        the last one: a burst past the card's ring overflows it."""
        c = self.cards[card % len(self.cards)]
        # The card interrupts as the frames arrive: driver code runs from here on.
        with self._guard(f"interrupts from card {card}"):
            with self.kernel.running(None) if burst else nullcontext():
                for _ in range(count):
                    self._seq += 1
                    header = c.mac + PEER + ETH_P_IP.to_bytes(2, "big")
                    frame = (header + bytes(max(size - ETH_HLEN, 0)))[:size]
                    c.push_frame(frame)
            self.kernel.do_bottom_half()

    @_action(card=_CARD)
    def tx_done(self, card: int = 0) -> None:
        """Card ``card`` finishes its transmission (its interrupt is delivered)."""
        c = self.cards[card % len(self.cards)]
        with self._guard(f"interrupts from card {card}"):
            c.complete_tx()
            self.kernel.do_bottom_half()

    @_action(n=_int(0, 10_000))
    def tick(self, n: int = 10) -> None:
        """The clock advances ``n`` jiffies (the transmit timeout path); a slow card's
        transmission completes when its time has come."""
        with self._guard("timer"):
            left = n
            while left > 0:
                due = [t for c in self.cards if (t := c.ticks_to_completion()) is not None]
                now = min([left, *due])
                self.kernel.tick(now)
                for c in self.cards:
                    c.advance(now)
                self.kernel.do_bottom_half()
                left -= now
            self._release_kept()

    @_action(line=_int(0, 15))
    def interrupt(self, line: int = 5) -> None:
        """IRQ ``line`` is raised with no card asking: a spurious interrupt, one that
        arrives early (before open) or late (after stop), or another card's on a shared
        line. The driver's handler must find nothing to do and do no harm."""
        with self._guard(f"interrupt on line {line}"):
            self.kernel.raise_irq(line)
            self.kernel.do_bottom_half()

    # -- the machine ---------------------------------------------------------------------------
    @_action(card=_CARD, base=_int(0x200, 0x3E0), irq=_int(2, 15))
    def plug(self, card: int = 2, base: int = 0x340, irq: int = 10) -> None:
        """Set card ``card``'s jumpers to ports ``base`` and IRQ ``irq``, or plug a new
        card (a number past the last card's) there. Only with no driver instance loaded
        (ISA jumpers are set with the power off); a base that overlaps another card or
        is not a multiple of 0x20 leaves the machine as it is."""
        if self.loaded or base % 0x20 or card > len(self.cards):
            return
        if card == len(self.cards):
            nic = SimpleNic(mac=bytes([0, 0x42, 0x65, 0, 0, card + 1]), irq=irq)
        else:
            nic = self.cards[card]
            self.kernel.ioport.bus.detach(nic)
            nic.irq = irq
        try:
            self.kernel.attach_card(nic, base)
        except ValueError:  # another card's ports: the old place, if it had one
            if card < len(self.cards):
                self.kernel.attach_card(nic, CARDS[card][0] if card < len(CARDS)
                                        else 0x340)
            return
        if card == len(self.cards):
            self.cards.append(nic)

    @_action(card=_CARD, mode=_one_of(*SimpleNic.BEHAVIOURS), k=_int(0, 64))
    def card_behaves(self, card: int = 0, mode: str = "slow", k: int = 3) -> None:
        """Card ``card`` behaves as ``mode`` from now on: ``normal``; ``slow`` (a
        transmission completes ``k`` ticks after it starts); ``stuck`` (only a reset
        ends a transmission: the transmit timeout path); ``rx_errors`` (every received
        length carries an error bit); ``ring`` (the receive ring holds ``k`` frames);
        ``dead`` (the card does not answer at all)."""
        self.cards[card % len(self.cards)].behave(mode, k)

    # -- faults ----------------------------------------------------------------------------
    @_action(n=_int(0, 16), after=_int(0, 64))
    def fail_alloc(self, n: int = 1, after: int = 0) -> None:
        """After ``after`` more allocations succeed, the next ``n`` buffer or action
        allocations fail (``after`` chooses the point: the third receive buffer, say)."""
        if after == 0:
            self.kernel.fail_next_alloc(n)
            return
        left = [after, n]

        def fails() -> bool:
            if left[0]:
                left[0] -= 1
                return False
            if left[1]:
                left[1] -= 1
                return True
            return False

        self.kernel.alloc_fails = fails

    @_action(what=_one_of("irq", "ports", "dma", "name", "shared_irq"))
    def rival_claims(self, what: str = "irq") -> None:
        """A rival module takes a resource the driver wants: ``irq`` (line 5), ``ports``
        (0x300, 32 ports), ``dma`` (channel 3), ``name`` (a device named eth0) or
        ``shared_irq`` (line 5, willing to share: SA_SHIRQ)."""
        if self.rival is not None:
            return
        k = self.kernel
        rival = Module("rival")
        self.rival = rival
        dev = Device("eth0", init=lambda d: 0)

        def init() -> int:
            if what == "irq":
                return k.request_irq(5, _rival_irq, 0, "rival", None)
            if what == "shared_irq":
                return k.request_irq(5, _rival_irq, SA_SHIRQ, "rival", rival)
            if what == "ports":
                k.request_region(0x300, 32, "rival")
            elif what == "dma":
                rc = k.request_irq(10, _rival_irq, 0, "rival", None)
                if rc == 0:
                    rc = k.request_dma(3, "rival")
                    if rc != 0:  # RES-5: give the line back when the channel is taken
                        k.free_irq(10, None)
                return rc
            elif what == "name":
                k.ether_setup(dev)
                return k.register_netdev(dev)
            return 0

        rival.init_module = init
        with self._guard(f"insmod of the rival ({what})"):  # interrupts may be delivered
            k.insmod(rival)

    # -- running -------------------------------------------------------------------------------
    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """Run a step under the time limit; an overrun ends the scenario with a finding."""
        if self.aborted is not None:
            raise _Aborted(self.aborted)
        timed = (self.host is None and self.time_limit > 0 and hasattr(signal, "setitimer")
                 and threading.current_thread() is threading.main_thread())
        if timed:
            def alarm(signum: int, frame: Any) -> None:
                raise CallbackTimeout(what)
            old = signal.signal(signal.SIGALRM, alarm)
            # Another timer (pytest-timeout's, say) is put back afterwards, less the time
            # this step took.
            outer, _ = signal.setitimer(signal.ITIMER_REAL, self.time_limit)
            started = time.monotonic()
        try:
            yield
        except CallbackTimeout:
            owner = self.kernel.current
            self.aborted = f"{what} ran past the {self.time_limit:g} s limit"
            self.monitor.report_model_rule("drv.callback.time", self.aborted,
                                           owner if isinstance(owner, Module) else None, what)
            raise _Aborted(self.aborted) from None
        except DriverGone as gone:
            owner = self.kernel.current
            self.aborted = f"{what}: {gone.message}"
            # a C driver's crash names its line (see cdriver): the finding's location
            crash = _CRASH_AT.search(gone.message)
            outer_location = self.monitor.location
            if crash:
                self.monitor.location = _relative_path(crash.group(1)) + ":" + crash.group(2)
            try:
                self.monitor.report_model_rule(gone.rule, self.aborted, owner if isinstance(
                    owner, Module) else None, what)
            finally:
                self.monitor.location = outer_location
            raise _Aborted(self.aborted) from None
        except DriverRaised as exc:  # the factory itself (callbacks go through the kernel)
            self.aborted = f"{what}: the driver's factory raised {exc!r}"
            self.monitor.report_model_rule("drv.callback.raised", self.aborted, None, what)
            raise _Aborted(self.aborted) from None
        finally:
            if timed:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
                if outer > 0:
                    signal.setitimer(signal.ITIMER_REAL,
                                     max(outer - (time.monotonic() - started), 0.001))
        self._watch()

    def finish(self) -> None:
        """Unload every instance still loaded and check every invariant."""
        for i in sorted(self.loaded):
            try:
                self.rmmod(i)
            except _Aborted:
                break
        self._release_kept()
        self.monitor.check_invariants()


def _rival_irq(irq: int, dev_id: object, regs: object) -> None:
    return None


class _Aborted(Exception):
    """The scenario cannot go on (a callback hung)."""


def run_scenario(factory: Factory | None, steps: Sequence[Step], *, spec_ref: str = "?",
                 time_limit: float = 2.0,
                 record: Callable[[str, dict[str, Any]], None] | None = None,
                 host: DriverHost | None = None,
                 params: dict[str, int] | None = None) -> Harness:
    """Run ``steps`` on a fresh machine, then unload everything; return the harness. With
    ``host``, each driver instance runs in a process of its own (see :class:`Harness`)."""
    h = Harness(factory, spec_ref=spec_ref, time_limit=time_limit, record=record, host=host,
                params=dict(params or {}))
    try:
        for s in steps:
            if record is not None:
                record("step", s.to_json())
            s.call(h)
        h.finish()
    except _Aborted:
        pass
    except DriverGone as gone:  # driver code reached outside any step's guard
        h.aborted = gone.message
        h.monitor.report_model_rule(gone.rule, gone.message, None, "between steps")
    except RecursionError:
        h.monitor.report_model_rule("drv.callback.recursion", "driver code recursed past "
                                    "Python's recursion limit", None)
    else:
        # Watched all along: the handle reports reads of its kernel, the guard overruns.
        h.monitor.exercise("drv.api.only")
        if host is not None:
            for rid in ("drv.callback.time", "drv.process", "drv.value", "drv.resources"):
                h.monitor.exercise(rid)
        elif h.time_limit > 0 and hasattr(signal, "setitimer"):
            h.monitor.exercise("drv.callback.time")
    finally:
        h.close()
    return h


#: How a C driver's crash handler names the line it crashed at (runtime.c).
_CRASH_AT = re.compile(r"the driver's code crashed with SIG\w+ at (\S+?):(\d+) in ")


def _relative_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def scenario_program(factory_ref: str, steps: Sequence[Step], seed: int | None = None,
                     params: dict[str, int] | None = None) -> str:
    """``steps`` as a Python program that replays the scenario, with the driver in a process
    of its own as ``netdevspec check`` runs it, and prints the findings."""
    mod, colon, attr = factory_ref.partition(":")
    # a C driver (a .c file or a folder) is built again, from the cache if unchanged
    load = [f"from {mod} import {attr} as FACTORY"] if colon and not factory_ref.endswith(
        ".c") else ["from netdevspec.conformance.cdriver import load_c_driver",
                    f"FACTORY = load_c_driver({factory_ref!r})"]
    lines = [
        "# A scenario found by `netdevspec check`" + (f" (seed {seed})" if seed is not None
                                                      else "") + "; run it with python.",
        *load,
        "from netdevspec.conformance.boundary import DriverHost",
        "from netdevspec.conformance.harness import Harness",
        "",
        f"with DriverHost(FACTORY, {factory_ref!r}) as host:",
        f"    h = Harness(FACTORY, spec_ref={factory_ref!r}, host=host"
        + (f", params={dict(sorted(params.items()))!r})" if params else ")"),
        *["    " + s.source() for s in steps],
        "    h.finish()",
        "    h.close()",
        "for f in h.monitor.findings:",
        "    print(f.rule, '-', f.message, '@', f.where)",
    ]
    return "\n".join(lines) + "\n"


#: The fixed scenarios every check runs: a driver's whole life, and each classic fault.
def fixed_scenarios() -> dict[str, list[Step]]:
    """Named fixed scenarios (see :func:`run_scenario`)."""
    life = [step("insmod", i=0), step("up", i=0), step("xmit", i=0, pri=0, count=3),
            step("xmit", i=0, pri=1, count=2), step("xmit", i=0, pri=2, count=1),
            step("rx", card=0, count=3), step("tx_done", card=0), step("multicast", i=0,
                                                                       count=5),
            step("tick", n=10), step("xmit", i=0, pri=0, count=4), step("tx_done", card=0),
            step("rx", card=0, count=2), step("ifreq", i=0, what="stats"),
            step("ifreq", i=0, what="mac"), step("ifreq", i=0, what="config"),
            step("ifreq", i=0, what="mtu"), step("ifreq", i=0, what="private"),
            step("down", i=0), step("up", i=0),
            step("xmit", i=0, pri=0, count=2), step("down", i=0), step("rmmod", i=0)]
    two = [step("insmod", i=0), step("insmod", i=1), step("up", i=0), step("up", i=1),
           step("xmit", i=0, count=2), step("xmit", i=1, count=2), step("rx", card=1, count=2),
           step("tx_done", card=1), step("rmmod", i=1), step("rmmod", i=0)]
    out = {"life": life, "two instances": two}
    for what in ("irq", "ports", "dma", "name"):
        out[f"rival holds {what}"] = [step("rival_claims", what=what), step("insmod", i=0),
                                      step("up", i=0), step("xmit", i=0, count=2),
                                      step("rmmod", i=0)]
    out["allocation failures"] = [step("insmod", i=0), step("up", i=0),
                                  step("fail_alloc", n=1), step("rx", card=0, count=2),
                                  step("fail_alloc", n=1), step("xmit", i=0, count=2),
                                  step("rmmod", i=0)]
    out["no card answers"] = [step("rival_claims", what="ports"), step("insmod", i=0),
                              step("insmod", i=1), step("rmmod", i=1), step("rmmod", i=0)]
    out["rmmod while up"] = [step("insmod", i=0), step("up", i=0), step("xmit", i=0, count=1),
                             step("rmmod", i=0, close=False), step("down", i=0),
                             step("rmmod", i=0)]
    out["busy transmitter"] = [step("insmod", i=0), step("up", i=0),
                               step("xmit", i=0, count=6), step("tick", n=30),
                               step("xmit", i=0, count=2), step("tx_done", card=0),
                               step("rmmod", i=0)]
    return out

