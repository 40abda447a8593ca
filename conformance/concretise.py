"""Concretisation: a reference kernel built so that its abstraction is a given spec state.

:mod:`netdevspec.conformance.abstraction` maps a running reference kernel to the spec's
:class:`~netdevspec.spec.logic.ConcreteState` (kernel → spec). This module goes the other
way (spec → kernel): :func:`concretise` takes a spec state, typically a witness the prover
found for one case of an operation, and builds a :class:`~netdevspec.reference.Kernel`
holding the same modules, devices, IRQ actions, I/O regions, DMA claims, buffers, data
areas and queues, together with an :class:`~netdevspec.conformance.abstraction.Abstraction`
whose ghosts (queue positions, clone and I/O-table slots, remembered fields of objects
that moved on) are seeded to the state's. A test can then run the operation on that
kernel and check the step with :func:`~netdevspec.conformance.checker.check_step`.

**This is test and debug infrastructure, not an API client.** A kernel reaches a state
through calls; most witness states are not reachable in a few calls (or at all through
the API: a module whose use count went up inside ``cleanup_module``, a frame that is
device-locked while it waits on a queue). So the builder constructs reference objects
directly and writes their fields, including the kernel's private tables (``_irq``,
``_regions``, ``_dma``, the allocator counters) and the abstraction's ghost memory. Both
are read back only through :meth:`Abstraction.state`, which is what the check compares.

Naming. The abstraction names objects its own way (``d0`` for the first tracked device,
``d0.q1`` for its second transmit queue, ``b<id>`` for buffers, ``k<id>`` for a data area,
``r0``/``a0`` in order of first sight). :class:`Concretisation` keeps, per sort, the map
from the spec state's entity names to the reference objects (:meth:`Concretisation.obj`)
and to the abstraction's names (:meth:`Concretisation.name`), and translates an
operation's arguments (:meth:`Concretisation.env`).

What cannot be built. Some parts of a spec state have no reference counterpart: an entity
that was never allocated (a buffer with ``skb.allocated`` false: a tracked buffer always is
allocated), a data area no tracked buffer uses, a queue that was never initialised (every
tracked queue reads as initialised), values the reference's fields cannot hold (an
interface name code below ``NAME_NULL``, a NULL owner of a buffer, a ``queue.pri`` of a
queue that belongs to no device), garbage at the NULL entity. Such entities are left out
(their symbols read the spec's defaults) and such values are recorded in
:attr:`Concretisation.approximations`; nothing is silently built differently. Whether
they matter is decided by :meth:`Concretisation.check`, which raises :class:`Unrealisable`
naming every location where the built kernel and the spec state disagree **and** the
operation's rules read it.

What is compared (:meth:`Concretisation.check`). Not the whole state: the ghost parts of
a spec state that nothing reads (positions of a queue outside its live range, the slots
of a data area past its reference count, the remembered fields of a dead object) are free
for the prover to fill with anything, and the abstraction numbers objects its own way.
The check compares

* every location (symbol and arguments) that the operation's obligations, every case's
  guard, and the obligations and guarantees of every case whose guard holds *read* when
  they are evaluated on the spec state (recorded by evaluating them), at entities that
  have a kernel object — a difference there raises :class:`Unrealisable`. Reads at NULL
  (a quantifier ranges over it; its fields are arbitrary in the spec) or at an entity with
  no kernel object are not compared one by one: the third point covers them;
* every other location of those symbols (``symbols_of`` the same formulas) at realised,
  non-NULL entities outside index garbage — a difference there is reported in
  :attr:`Comparison.unread` but does not fail, because no rule of the operation looks at
  it;
* the truth value of every obligation and every case guard, evaluated on the spec state
  and on the abstraction of the built kernel (with the arguments translated) — they must
  be equal (this covers quantifiers, whose ranges are the entities each state has);
* every invariant of the spec on the abstraction of the built kernel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netdevspec.conformance.abstraction import Abstraction
from netdevspec.reference import Device, Kernel, SkBuff, SkBuffHead
from netdevspec.reference.kernel import (
    SA_INTERRUPT,
    SA_SHIRQ,
    DmaClaim,
    IrqAction,
    Region,
    TimerList,
)
from netdevspec.reference.modules import (
    MOD_CLEANING_UP,
    MOD_INITIALIZING,
    MOD_LIVE,
    MOD_UNLOADED,
    Module,
)
from netdevspec.reference.skbuff import SKB_STRUCT_SIZE, SkbData
from netdevspec.spec import vocabulary as V
from netdevspec.spec.logic import (
    ConcreteState,
    Expr,
    SortKind,
    StateSym,
    evaluate,
    free_vars,
    symbols_of,
)
from netdevspec.spec.rules import Operation, Spec

__all__ = [
    "UNREALISED",
    "Comparison",
    "Concretisation",
    "Unrealisable",
    "concretise",
    "fmt_prefix",
    "interface_name",
    "reads_of",
]

_PHASES = {0: MOD_UNLOADED, 1: MOD_INITIALIZING, 2: MOD_LIVE, 3: MOD_CLEANING_UP}
_KERNEL_ACTS = {"timer": 0, "cascade": 2, "fpu": 13}
_SKB_NAME = re.compile(r"b(\d+)")
_SORTS = ("Party", "Dev", "Skb", "Blk", "Queue", "Act", "Region", "Timer")
#: What a placeholder for an entity that has no reference object is called (it is absent
#: from the abstraction's state, so every symbol reads its default there).
UNREALISED = "~"


def _noop_timer(data: int) -> None:
    """The function of a timer built from a state (what it does is not the spec's)."""


class Unrealisable(Exception):
    """The spec state cannot be held by the reference kernel where the operation looks.

    ``reason`` says which locations differ (spec value, kernel value) and why the
    reference cannot hold the spec's value.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Comparison:
    """What :meth:`Concretisation.check` compared and found.

    ``read``: the locations the operation's rules read on the spec state (all equal in
    the built kernel, or the check raised); ``unread``: differences at other locations
    of the same symbols (``symbol(args): spec value != kernel value``), which no rule of
    the operation reads; ``formulas``: how many obligations and guards were evaluated on
    both states with equal results.
    """

    read: frozenset[tuple[str, tuple[Any, ...]]]
    unread: tuple[str, ...]
    formulas: int


def fmt_prefix(fmt: int) -> str:
    """The interface-name prefix the concretiser uses for name format code ``fmt``.

    Format 0 is ``eth``; format ``k ≥ 1`` is ``nd`` followed by ``k`` written in letters
    (``nda``, ``ndb``, ..., ``ndz``, ``ndaa``, ...). Raises ValueError for ``fmt < 0``.
    """
    if fmt < 0:
        raise ValueError(f"name format codes are >= 0, got {fmt}")
    if fmt == 0:
        return "eth"
    letters = ""
    k = fmt
    while k:  # bijective base 26: 1 is a, 26 is z, 27 is aa
        k, r = divmod(k - 1, 26)
        letters = chr(ord("a") + r) + letters
    return "nd" + letters


def interface_name(code: int) -> str | None:
    """The interface name whose spec code is ``code`` (see :mod:`netdevspec.spec.vocabulary`).

    ``NAME_NULL`` is None (a NULL name pointer), ``NAME_BLANK`` is ``""``, ``N < 1000`` is
    ``ethN``, ``1000*k + u`` is :func:`fmt_prefix` ``(k)`` followed by ``u``. Raises
    ValueError for a code below ``NAME_NULL``: no name has it.
    """
    if code == V.NAME_NULL:
        return None
    if code == V.NAME_BLANK:
        return ""
    if code < V.NAME_NULL:
        raise ValueError(f"no interface name has the code {code}")
    k, u = divmod(code, 1000)
    return f"{fmt_prefix(k)}{u}"


class _Recorder(ConcreteState):
    """A view of a state that records every location read through it."""

    def __init__(self, base: ConcreteState, log: set[tuple[StateSym, tuple[Any, ...]]]):
        super().__init__(base.values, base.universe, base.defaults)
        self.log = log

    def get(self, sym: StateSym, args: tuple[Any, ...]) -> Any:
        """The value, after noting the location."""
        self.log.add((sym, args))
        return super().get(sym, args)


def _formulas(op: Operation, pre: ConcreteState, env: Mapping[str, Any]
              ) -> tuple[list[Expr], list[Expr]]:
    """(pre-only formulas: the obligations, every case's guard, and the obligations of the
    cases whose guard holds; the guarantees of the cases whose guard holds)."""
    single: list[Expr] = [u.formula for u in op.obligations]
    two: list[Expr] = []
    for c in op.cases:
        single.append(c.guard)
        if evaluate(c.guard, pre, None, env):
            single += [u.formula for u in c.obligations]
            two += [u.formula for u in c.guarantees]
    return single, two


def reads_of(op: Operation, pre: ConcreteState, env: Mapping[str, Any],
             post: ConcreteState | None = None) -> set[tuple[StateSym, tuple[Any, ...]]]:
    """The pre-state locations the operation's rules read on ``pre`` with arguments ``env``.

    The rules are the operation's obligations, every case's guard, the obligations of
    every case whose guard holds and, when ``post`` is given, that case's guarantees
    (their reads of the state before; the state after is ``post``).
    """
    log: set[tuple[StateSym, tuple[Any, ...]]] = set()
    rec = _Recorder(pre, log)
    single, two = _formulas(op, pre, env)
    for e in single:
        evaluate(e, rec, None, env)
    if post is not None:
        for e in two:
            evaluate(e, rec, post, env)
    return log


def _noop_init(dev: Device) -> int:
    """A placeholder ``init``/``open`` (the spec only knows whether one is set)."""
    return 0


def _noop_handler(irq: int, dev_id: object, regs: object) -> None:
    """A placeholder interrupt handler."""


@dataclass
class Concretisation:
    """A reference kernel built from a spec state, and how its objects are named.

    ``objects[sort][spec_name]`` is the reference object for a spec entity (a
    :class:`Module` or None for the kernel, :class:`Device`, :class:`SkBuff`,
    :class:`SkbData`, :class:`SkBuffHead`, :class:`IrqAction`, :class:`Region`);
    ``names[sort][spec_name]`` its name in the abstraction's states. Entities with no
    object (see the module doc) are in ``unrealised``; ``approximations`` lists every
    value the kernel holds differently from ``state`` and why.
    """

    kernel: Kernel
    abstraction: Abstraction
    state: ConcreteState
    spec: Spec
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    unrealised: dict[str, set[str]] = field(default_factory=dict)
    approximations: list[str] = field(default_factory=list)

    # -- names ------------------------------------------------------------------------------
    def obj(self, sort: str, name: Any) -> Any:
        """The reference object of spec entity ``name`` of ``sort`` (None for NULL).

        Raises KeyError for an entity that has no object (``unrealised``).
        """
        if name is None:
            return None
        return self.objects[sort][name]

    def name(self, sort: str, name: Any) -> Any:
        """The abstraction's name for spec entity ``name`` (None stays None; an entity with
        no object gets a placeholder absent from every abstraction state)."""
        if name is None:
            return None
        hit = self.names.get(sort, {}).get(name)
        return hit if hit is not None else f"{UNREALISED}{name}"

    def value(self, sort_kind: SortKind, sort: str, v: Any) -> Any:
        """A spec value in the abstraction's terms (entities renamed, others unchanged)."""
        return self.name(sort, v) if sort_kind is SortKind.ENTITY else v

    def env(self, op: Operation, env: Mapping[str, Any]) -> dict[str, Any]:
        """An operation's arguments in the abstraction's names (entities renamed)."""
        out = dict(env)
        for p in op.params:
            if p.name in out:
                out[p.name] = self.value(p.sort.kind, p.sort.name, out[p.name])
        return out

    def interface_name(self, code: int) -> str | None:
        """The interface name of spec name code ``code`` (see :func:`interface_name`), its
        prefix registered with the abstraction's name codes so that it maps back to
        ``code``."""
        if code >= 1000:
            self.abstraction.names.prefixes.setdefault(fmt_prefix(code // 1000), code // 1000)
        return interface_name(code)

    def name_format(self, fmt: int) -> str:
        """The ``dev_alloc_name`` format string of format code ``fmt`` (``"nda%d"`` for 1),
        registered like :meth:`interface_name`."""
        if fmt >= 1:
            self.abstraction.names.prefixes.setdefault(fmt_prefix(fmt), fmt)
        return fmt_prefix(fmt) + "%d"

    def spec_name(self, sort: str, obj: object) -> str | None:
        """The spec entity name of a reference object (None if it has none)."""
        for n, o in self.objects.get(sort, {}).items():
            if o is obj:
                return n
        return None

    # -- the check ------------------------------------------------------------------------
    def check(self, state: ConcreteState, op: Operation, env: Mapping[str, Any],
              post: ConcreteState | None = None, sync: bool = True) -> Comparison:
        """Compare the built kernel, as the abstraction sees it now, with ``state``.

        See the module doc for what is compared. ``env`` are the operation's arguments in
        the spec state's names, ``post`` the spec state after the step (to include the
        guarantees' reads). Raises :class:`Unrealisable` when a location the operation's
        rules read differs, an obligation or guard evaluates differently, or an invariant
        is false in the built kernel.
        """
        a = self.abstraction
        if sync:
            a.sync()
        got = a.state()
        log = reads_of(op, state, env, post)
        bad: list[str] = []
        read_keys: set[tuple[str, tuple[Any, ...]]] = set()
        for sym, args in sorted(log, key=lambda x: (x[0].name, repr(x[1]))):
            if _garbage(sym, args, state) or not self._realised(sym, args):
                continue
            read_keys.add((sym.name, args))
            want, have = self._pair(sym, args, state, got)
            if want != have:
                bad.append(f"{sym.name}{_fmt(args)} is {want!r} in the spec state but "
                           f"{have!r} in the kernel{self._why(sym, args)}")
        unread: list[str] = []
        syms: set[StateSym] = set()
        single, two = _formulas(op, state, env)
        for e in (*single, *(two if post is not None else ())):
            syms |= symbols_of(e)
        for sym in sorted(syms, key=lambda s: s.name):
            for args in sorted(state.values.get(sym.name, {}), key=repr):
                if ((sym.name, args) in read_keys or _garbage(sym, args, state)
                        or not self._realised(sym, args)):
                    continue
                want, have = self._pair(sym, args, state, got)
                if want != have:
                    unread.append(f"{sym.name}{_fmt(args)}: {want!r} != {have!r}")
        tenv = self.env(op, env)
        odd = {p.name: f"{p.name} = {'NULL' if env.get(p.name) is None else env.get(p.name)} ("
               + ("the spec state gives the NULL entity arbitrary fields; the kernel has no "
                  "object there" if env.get(p.name) is None else self._absent(p.sort.name))
               + ")"
               for p in op.params if p.sort.kind is SortKind.ENTITY and p.name in env
               and (env[p.name] is None or env[p.name] in self.unrealised.get(p.sort.name, ()))}
        n = 0
        for e in single:
            x, y = bool(evaluate(e, state, None, env)), bool(evaluate(e, got, None, tenv))
            n += 1
            if x != y:
                why = [v for name, v in odd.items() if name in free_vars(e)]
                bad.append(f"a formula of {op.name} is {x} on the spec state but {y} on the "
                           f"kernel: {e!s:.160}" + (f" [{'; '.join(why)}]" if why else ""))
        broken = [i.id for i in self.spec.invariants if not evaluate(i.formula, got)]
        if broken:
            bad.append(f"invariants {broken} are false in the built kernel")
        if bad:
            raise Unrealisable(f"{op.name}: the reference kernel cannot hold the state the "
                               "operation reads: " + "; ".join(bad))
        return Comparison(frozenset(read_keys), tuple(unread), n)

    def _realised(self, sym: StateSym, args: tuple[Any, ...]) -> bool:
        """Every entity argument has a kernel object (NULL has none)."""
        return all(s.kind is not SortKind.ENTITY
                   or (x is not None and x not in self.unrealised.get(s.name, ()))
                   for s, x in zip(sym.args, args, strict=True))

    def _pair(self, sym: StateSym, args: tuple[Any, ...], state: ConcreteState,
              got: ConcreteState) -> tuple[Any, Any]:
        targs = tuple(self.value(s.kind, s.name, x) for s, x in zip(sym.args, args, strict=True))
        want = self.value(sym.result.kind, sym.result.name, state.get(sym, args))
        return want, got.get(sym, targs)

    def _why(self, sym: StateSym, args: tuple[Any, ...]) -> str:
        notes = [m for m in self.approximations if m.startswith(f"{sym.name}{_fmt(args)}")]
        v = self.state.get(sym, args)
        if sym.result.kind is SortKind.ENTITY and v in self.unrealised.get(sym.result.name, ()):
            notes.append(f"{v} has no kernel object: {self._absent(sym.result.name)}")
        return f" ({'; '.join(notes)})" if notes else ""

    @staticmethod
    def _absent(sort: str) -> str:
        return {
            "Skb": "the buffer was never allocated, and every buffer the kernel tracks is",
            "Blk": "no buffer the kernel tracks uses this data area",
            "Queue": "the queue was never initialised, and every queue the kernel tracks "
                     "reads as initialised",
            "Act": "a freed kernel-owned action on a kernel line would take that line's "
                   "name",
        }.get(sort, "it is not represented")


def _fmt(args: tuple[Any, ...]) -> str:
    return "(" + ", ".join("NULL" if a is None else str(a) for a in args) + ")"


def _garbage(sym: StateSym, args: tuple[Any, ...], st: ConcreteState) -> bool:
    """A position outside a queue's (or data area's) live range: garbage in the spec."""
    if sym.index is None:
        return False
    lo_sym, hi_sym = sym.index
    lo = 0 if lo_sym is None else st.get(lo_sym, args[:-1])
    return not lo <= args[-1] < st.get(hi_sym, args[:-1])


# =========================================================================================
# Building
# =========================================================================================


class _Builder:
    """Builds one kernel from one spec state (used once by :func:`concretise`)."""

    def __init__(self, state: ConcreteState, spec: Spec):
        self.st = state
        self.k = Kernel()
        self.a = Abstraction(self.k)
        self.c = Concretisation(self.k, self.a, state, spec)
        self.areas: dict[Any, SkbData] = {}
        self.placed: dict[Any, Any] = {}
        for s in _SORTS:
            self.c.objects[s] = {}
            self.c.names[s] = {}
            self.c.unrealised[s] = set()

    # -- helpers --------------------------------------------------------------------------
    def get(self, sym: StateSym, *args: Any) -> Any:
        return self.st.get(sym, tuple(args))

    def uni(self, sort: str) -> list[Any]:
        return [x for x in self.st.universe.get(sort, []) if x is not None]

    def note(self, sym: StateSym, args: tuple[Any, ...], why: str) -> None:
        self.c.approximations.append(f"{sym.name}{_fmt(args)}: {why}")

    def party(self, name: Any, sym: StateSym, args: tuple[Any, ...]) -> Module | None:
        """The owner object for a Party value (None: the kernel; NULL noted)."""
        if name is None:
            self.note(sym, args, "NULL; the reference's None means the kernel")
            return None
        m: Module | None = self.c.objects["Party"].get(name)
        return m

    def put(self, sort: str, name: str, obj: Any) -> None:
        self.c.objects[sort][name] = obj

    # -- the build ------------------------------------------------------------------------
    def build(self) -> Concretisation:
        self.modules()
        self.devices()
        self.queues()
        self.buffers()
        self.fill_queues()
        self.actions()
        self.regions()
        self.dma()
        self.timers()
        self.k.dev.set_rx_dropping(bool(self.get(V.rx_dropping)))
        self.track()
        self.a.sync()
        return self.c

    def modules(self) -> None:
        self.put("Party", "kernel", None)
        self.c.names["Party"]["kernel"] = "kernel"
        for p in self.uni("Party"):
            if p == "kernel":
                continue
            m = Module(str(p))
            phase = self.get(V.mod_phase, p)
            if phase not in _PHASES:
                self.note(V.mod_phase, (p,), f"phase {phase} is not one of 0..3")
                phase = 0
            m.state = _PHASES[phase]
            m.use_count = int(self.get(V.mod_use, p))
            if phase:
                self.k.modules[m.name] = m
            self.a.track_module(m)
            self.put("Party", p, m)
            self.c.names["Party"][p] = m.name

    def devices(self) -> None:
        seen_queues: dict[str, tuple[str, int]] = {}
        for d in self.uni("Dev"):
            dev = Device("")
            code = self.get(V.dev_name, d)
            try:
                dev.name = interface_name(code)  # type: ignore[assignment]
            except ValueError as exc:
                self.note(V.dev_name, (d,), str(exc))
                dev.name = "?"
            for sym, attr in ((V.dev_irq, "irq"), (V.dev_base, "base_addr"),
                              (V.dev_mem_start, "mem_start"), (V.dev_mem_end, "mem_end"),
                              (V.dev_rmem_start, "rmem_start"), (V.dev_rmem_end, "rmem_end"),
                              (V.dev_dma, "dma"), (V.dev_if_port, "if_port"),
                              (V.dev_mtu, "mtu"), (V.dev_txqlen, "tx_queue_len"),
                              (V.dev_hhlen, "hard_header_len"), (V.dev_addr_len, "addr_len"),
                              (V.dev_phase, "phase"), (V.dev_xmit_pri, "xmit_pri")):
                setattr(dev, attr, int(self.get(sym, d)))
            dev.flags = int(self.get(V.dev_flags, d)) & 0xFFFF
            dev.start = int(bool(self.get(V.dev_start, d)))
            dev.tbusy = int(bool(self.get(V.dev_tbusy, d)))
            dev.interrupt = int(bool(self.get(V.dev_interrupt, d)))
            dev.init = _noop_init if self.get(V.dev_has_init, d) else None
            dev.open = _noop_init if self.get(V.dev_has_open, d) else None
            owner_name = self.get(V.dev_owner, d)
            if self.get(V.dev_reg, d):
                if owner_name in (None, "kernel"):
                    self.note(V.dev_owner, (d,), "a registered device's owner is a module in "
                              "the reference (None there means the kernel)")
                owner = self.c.objects["Party"].get(owner_name) if owner_name else None
                self.k.dev.link(dev, owner)
                if 0 <= code < V.MAX_ETH_CARDS:
                    self.k.ethdev_index[code] = dev
            self.put("Dev", d, dev)
            for p in range(V.DEV_NUMBUFFS):
                q = self.get(V.dev_q, d, p)
                if q is None:
                    self.note(V.dev_q, (d, p), "every device has three transmit queues")
                    continue
                if q in seen_queues:
                    self.note(V.dev_q, (d, p), f"{q} is already {seen_queues[q]}'s queue")
                    continue
                seen_queues[q] = (d, p)
                head = dev.buffs[p]
                self.put("Queue", q, head)
                qo = self.get(V.q_owner, q)
                if not self.get(V.q_init, q):
                    # Device() builds its queues initialised; one the spec has not
                    # initialised yet reads as initialised and the kernel's.
                    self.note(V.q_init, (q,), "a device's transmit queues always read as "
                              "initialised and the kernel's")
                    qo = "kernel"
                if qo is None:
                    self.note(V.q_owner, (q,), "a device queue's owner None is the kernel")
                head.owner = self.c.objects["Party"].get(qo) if qo is not None else None
                if head.owner is not None:
                    head.owner.queues.add(head)
                if self.get(V.q_dev, q) != d or self.get(V.q_pri, q) != p:
                    self.note(V.q_dev, (q,), f"it is buffs[{p}] of {d}")
        for d in self.uni("Dev"):
            dev = self.c.objects["Dev"][d]
            self.c.names["Dev"][d] = self.a.track_device(dev)
        # the owner an unregistered device had when it was last registered (a ghost)
        for d in self.uni("Dev"):
            dev = self.c.objects["Dev"][d]
            owner_name = self.get(V.dev_owner, d)
            if not dev.registered and owner_name is not None:
                self.a._mem_owner[id(dev)] = owner_name
        for q in seen_queues:
            self.c.names["Queue"][q] = self.a.track_queue(self.c.objects["Queue"][q])

    def queues(self) -> None:
        self.put("Queue", "backlog", self.k.backlog)
        self.c.names["Queue"]["backlog"] = self.a.track_queue(self.k.backlog)
        if self.get(V.q_owner, "backlog") != "kernel" or not self.get(V.q_init, "backlog"):
            self.note(V.q_owner, ("backlog",), "the backlog is the kernel's and initialised")
        for q in self.uni("Queue"):
            if q in self.c.objects["Queue"]:
                continue
            if self.get(V.q_dev, q) is not None:
                self.note(V.q_dev, (q,), "a queue of no device's buffs[] has no device")
            if not self.get(V.q_init, q):
                self.c.unrealised["Queue"].add(q)
                continue
            owner_name = self.get(V.q_owner, q)
            owner = self.party(owner_name, V.q_owner, (q,))
            head = SkBuffHead(owner, str(q))
            if owner is not None:
                owner.queues.add(head)
            self.put("Queue", q, head)
        for q in self.uni("Queue"):
            if q not in self.c.objects["Queue"] or self.get(V.q_dev, q) is not None:
                continue
            if self.get(V.q_pri, q) != 0:
                self.note(V.q_pri, (q,), "a queue of no device has priority 0")

    def buffers(self) -> None:
        st = self.st
        skbs = [b for b in self.uni("Skb") if self.get(V.skb_ever, b)]
        self.c.unrealised["Skb"] = {b for b in self.uni("Skb") if b not in skbs}
        # identities: b<N> keeps N where that is unambiguous (the abstraction names b<id>)
        ids: dict[str, int] = {}
        for b in skbs:
            m = _SKB_NAME.fullmatch(str(b))
            if m is not None and int(m.group(1)) not in ids.values():
                ids[b] = int(m.group(1))
        nxt = max([*ids.values(), 0]) + 1
        for b in skbs:
            if b not in ids:
                ids[b] = nxt
                nxt += 1
        # data areas
        areas: dict[Any, SkbData] = {}
        top = 0
        for b in skbs:
            kname = self.get(V.skb_blk, b)
            if kname is None:
                self.note(V.skb_blk, (b,), "every kernel buffer has a data area")
                kname = f"{UNREALISED}area-of-{b}"
            if kname not in areas:
                head = int(self.get(V.blk_head, kname)) if kname in st.universe.get(
                    "Blk", ()) else int(self.get(V.skb_head, b))
                end = int(self.get(V.blk_end, kname)) if kname in st.universe.get(
                    "Blk", ()) else int(self.get(V.skb_end, b))
                area = SkbData(head, end - head)
                area.refs = 0
                areas[kname] = area
                top = max(top, end)
        self.c.unrealised["Blk"] = {kv for kv in self.uni("Blk") if kv not in areas}
        for kname, area in areas.items():
            if not str(kname).startswith(UNREALISED):
                self.put("Blk", kname, area)
        for b in skbs:
            kname = self.get(V.skb_blk, b) or f"{UNREALISED}area-of-{b}"
            area = areas[kname]
            size = max(area.size, 0)
            owner_name = self.get(V.skb_owner, b)
            alive = bool(self.get(V.skb_alive, b))
            if owner_name is None and alive:
                self.note(V.skb_owner, (b,), "a live buffer's owner None is the kernel")
            owner = self.c.objects["Party"].get(owner_name) if owner_name else None
            s = SkBuff(ids[b], area, ((size + 15) & ~15) + SKB_STRUCT_SIZE, None)
            s.owner = owner
            s.head = int(self.get(V.skb_head, b))
            s.data = int(self.get(V.skb_data, b))
            s.tail = int(self.get(V.skb_tail, b))
            s.end = int(self.get(V.skb_end, b))
            s.len = int(self.get(V.skb_len, b))
            s.free = int(self.get(V.skb_free, b))
            s.lock = int(self.get(V.skb_lock, b))
            s.protocol = int(self.get(V.skb_proto, b))
            s.dev = self.c.objects["Dev"].get(self.get(V.skb_dev, b))
            s.arp = 1  # the link header is built: dev_queue_xmit calls no rebuild_header
            s.alive = alive
            if alive:
                area.refs += 1
                if owner is not None:
                    owner.skbs.add(s)
            self.put("Skb", b, s)
        # the kernel counts the live ones and never reuses an id or address of any
        for b in skbs:
            self.k.skbuff.adopt(self.c.objects["Skb"][b])
        self.k.skbuff.reserve(max([*ids.values(), 0]) + 1, top + 64)
        self.areas = areas

    def fill_queues(self) -> None:
        """Link the buffers on each realised queue in position order."""
        placed: dict[str, str] = {}
        for q, head in self.c.objects["Queue"].items():
            lo, hi = int(self.get(V.q_lo, q)), int(self.get(V.q_hi, q))
            prev: SkBuff | SkBuffHead = head
            for pos in range(lo, hi):
                b = self.get(V.q_at, q, pos)
                s = self.c.objects["Skb"].get(b)
                if s is None or b in placed:
                    self.note(V.q_at, (q, pos), f"{b} cannot be queued here "
                              f"({'already on ' + placed[b] if b in placed else 'no buffer'})")
                    continue
                placed[b] = q
                s.prev, s.next, s.list = prev, head, head
                prev.next = s
                head.prev = s
                head.qlen += 1
                prev = s
        self.placed = placed

    def actions(self) -> None:
        boot = {name: self.k.irq_actions(line)[0] for name, line in _KERNEL_ACTS.items()}
        for an in self.uni("Act"):
            live = bool(self.get(V.act_live, an))
            line = int(self.get(V.act_line, an))
            owner_name = self.get(V.act_owner, an)
            flags = ((SA_SHIRQ if self.get(V.act_shirq, an) else 0)
                     | (SA_INTERRUPT if self.get(V.act_saint, an) else 0))
            dev_id = self.c.objects["Dev"].get(self.get(V.act_devid, an))
            if an in boot:
                act = boot[an]
                if not live or line != act.line or owner_name != "kernel" or flags != act.flags \
                        or dev_id is not None:
                    self.note(V.act_live, (an,), "the kernel's own lines are installed at boot")
                self.put("Act", an, act)
                continue
            if not live and owner_name in ("kernel", None) and line in _KERNEL_ACTS.values():
                self.c.unrealised["Act"].add(an)
                continue
            owner = self.party(owner_name, V.act_owner, (an,)) if live else (
                self.c.objects["Party"].get(owner_name) if owner_name else None)
            act = IrqAction(line, _noop_handler, flags, str(an), dev_id, owner)
            self.a._act_load[id(act)] = bool(self.get(V.act_at_load, an))
            if live:
                if not 0 <= line < V.NR_IRQS:
                    self.note(V.act_line, (an,), "a live action is on a line 0..15")
                    self.c.unrealised["Act"].add(an)
                    continue
                self.k.irq.install(act)
                if owner is not None:
                    owner.irqs.append(act)
            self.put("Act", an, act)
        for an, act in self.c.objects["Act"].items():
            self.c.names["Act"][an] = self.a.action(act)

    def regions(self) -> None:
        live: list[tuple[Any, Region]] = []
        for rn in self.uni("Region"):
            owner_name = self.get(V.reg_owner, rn)
            is_live = bool(self.get(V.reg_live, rn))
            owner = self.party(owner_name, V.reg_owner, (rn,)) if is_live else (
                self.c.objects["Party"].get(owner_name) if owner_name else None)
            r = Region(int(self.get(V.reg_from, rn)), int(self.get(V.reg_num, rn)), str(rn),
                       owner)
            self.put("Region", rn, r)
            if is_live:
                live.append((rn, r))
                if owner is not None:
                    owner.regions.append(r)
        for _, r in live:
            self.k.resource.install(r)
        count = int(self.get(V.io_count))
        slots: list[Any] = []
        for n in range(count):
            rn = self.get(V.io_slot, n)
            if rn is None or not self.get(V.reg_live, rn) or rn in slots:
                self.note(V.io_slot, (n,), "the table holds each live region once")
                continue
            slots.append(rn)
        for rn, _ in live:
            if rn not in slots:
                self.note(V.reg_idx, (rn,), "every live region has a table slot")
                slots.append(rn)
        objs = self.c.objects["Region"]
        self.a.table.seed("io", [id(objs[rn]) for rn in slots])
        for rn in [*slots, *(x for x in objs if x not in slots)]:
            self.c.names["Region"][rn] = self.a.region(objs[rn])
        for rn, r in objs.items():
            if rn not in slots:
                self.a._mem_slot[id(r)] = int(self.get(V.reg_idx, rn))
        for n in range(count, V.IO_TABLE_SIZE):
            rn = self.get(V.io_slot, n)
            if rn is not None and rn in objs:
                self.a._mem_io[n] = self.c.names["Region"][rn]

    def dma(self) -> None:
        for ch in range(V.MAX_DMA_CHANNELS):
            self.a._dma_load[ch] = bool(self.get(V.dma_at_load, ch))  # kept when free
            if not self.get(V.dma_locked, ch):
                self.k.dma.set_claim(ch, None)
                continue
            owner = self.party(self.get(V.dma_owner, ch), V.dma_owner, (ch,))
            claim = DmaClaim("cascade" if ch == V.DMA_CASCADE else "witness", owner)
            self.k.dma.set_claim(ch, claim)
            self.a._dma_claim[ch] = claim
            self.a._dma_load[ch] = bool(self.get(V.dma_at_load, ch))
            if owner is not None:
                owner.dma.add(ch)

    def timers(self) -> None:
        """Each timer of the state; a pending one on the kernel's list, far in the future
        (the spec does not model expiry times), in the state's order."""
        for i, tn in enumerate(self.uni("Timer")):
            t = TimerList(10**6 + i, 0, _noop_timer)
            owner_name = self.get(V.tmr_owner, tn)
            owner = self.c.objects["Party"].get(owner_name) if owner_name else None
            t.owner = owner
            if self.get(V.tmr_pending, tn):
                if owner is None:
                    self.note(V.tmr_owner, (tn,), "a pending timer the kernel owns")
                self.k.timer.timers.append(t)
                t.pending = True
                if owner is not None:
                    owner.timers.add(t)
            self.put("Timer", tn, t)
            self.c.names["Timer"][tn] = str(self.a.timer(t))

    def track(self) -> None:
        """Name everything in the abstraction and seed its ghosts to the state's."""
        a = self.a
        objs = self.c.objects
        # interface name formats: the prefix of code k is fmt_prefix(k)
        codes = [self.get(V.dev_name, d) for d in self.uni("Dev")]
        for k in sorted({c // 1000 for c in codes if c >= 1000} | {1, 2, 3}):
            a.names.prefixes[fmt_prefix(k)] = k
        # buffers: each live area's references in slot order, then the rest
        done: set[Any] = set()
        for kv, area in objs["Blk"].items():
            if not self.get(V.blk_live, kv):
                continue
            for i in range(int(self.get(V.blk_refs, kv))):
                b = self.get(V.blk_at, kv, i)
                s = objs["Skb"].get(b)
                if s is None or not s.alive or s.area is not area or b in done:
                    self.note(V.blk_at, (kv, i), f"{b} is not a live buffer of this area")
                    continue
                a.track_skb(s)
                done.add(b)
        for b, s in objs["Skb"].items():
            if b not in done:
                a.track_skb(s)
        for b, s in objs["Skb"].items():
            self.c.names["Skb"][b] = f"b{s.id}"
        for kv, area in objs["Blk"].items():
            users = [s for s in objs["Skb"].values() if s.area is area]
            self.c.names["Blk"][kv] = a.area(users[0])
        # clone bookkeeping of the reference (2.0's count/data_skb), for realism
        for area in self.areas.values():
            users = [s for s in objs["Skb"].values() if s.area is area and s.alive]
            for s in users[1:]:
                s.data_skb = users[0]
            if users:
                users[0].count = len(users)
        # module queues: name them (device queues and the backlog already are)
        for q, head in objs["Queue"].items():
            self.c.names["Queue"][q] = a.track_queue(head)
        # queue positions: contents as built, first position as in the state
        for q, head in objs["Queue"].items():
            a.reinit(head)
            a.lo.lo[id(head)] = int(self.get(V.q_lo, q))
        # ghosts of buffers that are on no queue: the queue and position they last had
        for b, s in objs["Skb"].items():
            if b in self.placed:
                continue
            lst, pos = self.get(V.skb_list, b), int(self.get(V.skb_pos, b))
            if lst is None and pos == 0:
                continue
            if lst is not None and lst not in objs["Queue"]:
                self.note(V.skb_list, (b,), f"{lst} has no kernel object")
                continue
            qn = None if lst is None else self.c.names["Queue"][lst]
            a._mem_where[s.id] = (qn, pos)  # type: ignore[assignment]
        for b, s in objs["Skb"].items():
            if not s.alive:
                a._mem_ref[s.id] = int(self.get(V.skb_ref, b))
        # the frame each device last lent to its driver; free eth slots' last holder
        for d, dev in objs["Dev"].items():
            x = self.get(V.dev_xmit_skb, d)
            if x is None:
                continue
            s = objs["Skb"].get(x)
            if s is None:
                self.note(V.dev_xmit_skb, (d,), f"{x} has no kernel object")
                continue
            a.lent(dev, s)
        for i in range(V.MAX_ETH_CARDS):
            holder = self.get(V.eth_dev, i)
            if holder is not None and not self.get(V.eth_used, i):
                a._mem_eth[i] = self.c.names["Dev"][holder]


def concretise(state: ConcreteState, spec: Spec | None = None) -> Concretisation:
    """Build a reference kernel whose abstraction is ``state`` (see the module doc).

    Everything in ``state`` that the reference can hold is built exactly; the rest is
    listed in :attr:`Concretisation.approximations` and left for
    :meth:`Concretisation.check` to judge. ``spec`` (default: the bundled spec) supplies
    the invariants that :meth:`Concretisation.check` evaluates on the built kernel.
    """
    if spec is None:
        from netdevspec.spec import SPEC as bundled
        spec = bundled
    return _Builder(state, spec).build()
