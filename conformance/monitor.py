"""The spec monitor: every driver call and callback checked against the spec's rules.

:class:`SpecMonitor` sits in two places at once:

* as the :class:`~netdevspec.conformance.handle.CallMonitor` of a driver's kernel handle,
  it sees each call the driver makes, under the kernel's name and arguments, and
  evaluates the operation's caller obligations on the kernel's state just before the
  call;
* as the kernel's tracer, it sees each callback the kernel makes into the driver (probe,
  open, stop, hard_start_xmit, init_module, cleanup_module, interrupt and packet
  handlers). When a callback returns, it evaluates that operation's obligations: what
  open must have set, what stop must have released, what a busy hard_start_xmit must
  have left alone, and the end-of-life duties at cleanup.

It also checks the device-structure fields the driver writes between two events (they
are the spec's dev_setup_fields and dev_set_status steps). On request,
:meth:`SpecMonitor.check_invariants` checks every invariant.

No rule is restated here. The table :data:`CALLS`, derived from the bindings declared on
the handle's functions, only says which spec operation a kernel function is and how its
arguments become the operation's parameters. Every
verdict comes from evaluating the spec's own rule objects on a
:class:`~netdevspec.conformance.live.LiveState`. Each evaluation is counted per rule, so a
report can tell a rule that passed from one that was never exercised.
"""

from __future__ import annotations

import functools
import os
import traceback
import types
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from netdevspec.conformance.handle import BINDINGS, Builder, positional
from netdevspec.conformance.live import KERNEL_ACTIONS, LiveState
from netdevspec.conformance.model_rules import MODEL_RULES
from netdevspec.reference import Device, Kernel, Module, SkBuff, SkBuffHead
from netdevspec.reference.kernel import IrqAction, Region, TimerList
from netdevspec.reference.skbuff import SkbData
from netdevspec.spec import SPEC
from netdevspec.spec import vocabulary as V
from netdevspec.spec.logic import And, Forall, evaluate, symbols_of
from netdevspec.spec.rules import Operation, Rule, Spec, Use
from netdevspec.spec.vocabulary import DEV

from netdevspec import conformance as _conformance
from netdevspec import reference as _reference
from netdevspec.errors import SpecError

__all__ = ["CALLS", "Finding", "SpecMonitor", "describe", "source_line"]

Env = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """One rule found broken: which, where, and the state it read."""

    rule: str
    statement: str
    citations: tuple[str, ...]
    message: str
    event: int
    where: str
    module: str | None
    state: tuple[tuple[str, str], ...] = ()
    picture: str = ""
    #: ``file:line`` of the driver code that made the offending call ("" when unknown).
    location: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the report schema's ``finding``)."""
        return {"rule": self.rule, "statement": self.statement,
                "citations": list(self.citations), "message": self.message,
                "event": self.event, "where": self.where, "module": self.module,
                "state": dict(self.state), "picture": self.picture,
                **({"location": self.location} if self.location else {})}


def source_line(path: str, line: int) -> str:
    """``file:line`` with the path as the user would type it (relative to the working
    directory when below it), as mypy and ruff print locations."""
    return f"{_relative(path, os.getcwd())}:{line}"


@functools.lru_cache(maxsize=256)
def _relative(path: str, cwd: str) -> str:
    # Remembered per file and directory: a driver makes thousands of calls from a few files.
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


#: Folders of netdevspec's own code (the handle, the monitor, the reference kernel): a
#: traceback's frames there are not the driver's. The bundled drivers are drivers.
_OWN = tuple(os.path.dirname(m.__file__ or "") + os.sep for m in (_conformance, _reference))
_DRIVERS = tuple(os.path.join(os.path.dirname(_reference.__file__ or ""), d) + os.sep
                 for d in ("drivers", "buggy"))


def _defined_at(fn: object) -> str:
    """``file:line`` where a driver function is defined ("" when unknown): a proxy of the
    boundary knows it; a function of a trusted in-process driver has its code object."""
    where = getattr(fn, "where", None)
    if isinstance(where, str):
        return where
    code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__func__", None), "__code__",
                                                    None)
    if isinstance(code, types.CodeType):
        return source_line(code.co_filename, code.co_firstlineno)
    return ""


def _raised_at(exc: object) -> str:
    """``file:line`` of the driver's innermost frame in an exception's traceback."""
    where = getattr(exc, "location", None)  # the boundary's DriverRaised knows it
    if isinstance(where, str):
        return where
    if not isinstance(exc, BaseException):
        return ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        name = frame.filename
        if not name.startswith(_OWN) or name.startswith(_DRIVERS):
            return source_line(name, frame.lineno or 0)
    return ""


def describe(value: Any) -> str:
    """A short readable name for a kernel object or value (for messages and traces)."""
    if isinstance(value, Module):
        return value.name
    if isinstance(value, Device):
        return repr(value.name) if value.name else "(blank name)"
    if isinstance(value, SkBuff):
        return f"#{value.id}"
    if isinstance(value, SkbData):  # a data area (shared by clones): its simulated address
        return f"data area {value.head:#x}+{value.size}"
    if isinstance(value, SkBuffHead):
        if value.name:
            return value.name
        return f"a queue of {value.owner.name}" if value.owner is not None else "a queue"
    if isinstance(value, IrqAction):
        return f"IRQ {value.line} ({value.name!r})"
    if isinstance(value, Region):
        return f"{value.start:#x}+{value.num}"
    if isinstance(value, TimerList):
        return f"a timer of {describe(value.owner)}" if value.owner else "a timer"
    if value is None:
        return "NULL"
    return repr(value)


#: What is an address (a buffer's geometry) or a port number: shown in hex wherever a
#: report shows it, as the buffer picture and the driver's own source write them.
_HEX = frozenset({"skb.head", "skb.data", "skb.tail", "skb.end", "dev.base_addr", "addr",
                  "region.from", "port", "from"})


def describe_as(name: str, value: Any) -> str:
    """:func:`describe`, with an address or a port (by the name of the parameter or
    state it is) in hex, so that one value is shown in one base throughout a report."""
    if name in _HEX and type(value) is int and value >= 0:
        return f"{value:#x}"
    return describe(value)


def buffer_picture(s: SkBuff) -> str:
    """A picture of a buffer's layout: head, data, tail and end, with the byte counts."""
    head, data, tail, end = s.head, s.data, s.tail, s.end
    return (f"head {head:#x} | headroom {data - head} | data {data:#x} | len {tail - data} "
            f"| tail {tail:#x} | tailroom {end - tail} | end {end:#x}"
            f"  (alive={s.alive}, free={s.free}, lock={s.lock}, "
            f"owner={describe(s.owner) if s.owner else 'kernel'}, "
            f"queued={'yes' if s.list is not None else 'no'})")


# -- how kernel functions become spec operations ---------------------------------------------

#: Kernel function -> (spec operation, how its arguments become the parameters), derived
#: from the bindings declared on the handle's functions (:data:`BINDINGS`).
CALLS: dict[str, tuple[str, Builder]] = {
    b.name: (b.op, b.build if b.build is not None else positional())
    for b in BINDINGS.values() if b.op is not None}


def _touches_devices(op: Operation) -> bool:
    """Whether an operation reads or changes a device's fields or registration: some
    symbol of a device (its first argument is a Dev) is in its frame or its read set."""
    exprs = [u.formula for u in op.obligations]
    for case in op.cases:
        exprs += [case.guard, *(u.formula for u in (*case.obligations, *case.guarantees))]
    syms = {sym for e in exprs for sym in symbols_of(e)}
    syms |= {f.sym for case in op.cases for f in case.modifies}
    return any(sym.args and sym.args[0] == DEV for sym in syms)


def device_calls(spec: Spec = SPEC) -> frozenset[str]:
    """The kernel functions whose effect depends on, or changes, a device's fields or
    registration (from each bound operation's frame and read set; an exempt function
    declares it)."""
    ops = {op.name: op for op in spec.operations}
    return frozenset(b.name for b in BINDINGS.values()
                     if (b.op is not None and b.op in ops and _touches_devices(ops[b.op]))
                     or (b.op is None and b.devices))


#: The calls that make a claim whose ghost (act.at_load, dma.at_load) the monitor keeps.
_CLAIMS = frozenset({"request_irq", "request_dma"})

#: Callbacks (the first word of the kernel's description) -> the spec operation that
#: their return is.
_RETURNS = {"open": "open_return", "stop": "stop_return",
            "hard_start_xmit": "hard_start_xmit_return", "init_module": "init_module_return",
            "cleanup_module": "cleanup_module_return"}

_SETUP = ("name", "irq", "base_addr", "dma", "mem_start", "mem_end", "if_port", "flags",
          "init", "open")
_STATUS = ("start", "tbusy", "interrupt")
_FIELDS = attrgetter(*_SETUP, *_STATUS)
#: The calls whose effect depends on, or changes, a device's fields or registration.
#: Field writes are checked before these and at every callback boundary: the state the
#: field rules read (registered, phase, owner) changes only there, so a write is judged
#: against the state it was made in. Other calls (buffers, queues, ports, IRQs, DMA)
#: neither read nor write device fields.
_DEVICE_CALLS = device_calls()


#: A buffer field a driver may write -> the state symbol it is.
_SKB_SYM: dict[str, Any] = {"data": V.skb_data, "tail": V.skb_tail, "len": V.skb_len,
                            "free": V.skb_free, "dev": V.skb_dev, "protocol": V.skb_proto}


def _instances(formula: Any, obj: Any) -> list[tuple[Any, dict[str, Any]]]:
    """``formula`` split into parts to evaluate for one object: each conjunct that is a
    quantifier over one variable of the object's sort, with the variable bound to it;
    any other conjunct whole."""
    parts = list(formula.args) if isinstance(formula, And) else [formula]
    out: list[tuple[Any, dict[str, Any]]] = []
    for p in parts:
        if (isinstance(p, Forall) and len(p.binders) == 1
                and p.binders[0].var.sort == V.SKB):
            out.append((p.body, {p.binders[0].var.name: obj}))
        else:
            out.append((p, {}))
    return out


_MAX_READS = 40
#: What the port memo's key (module, port, module state, region-table changes) covers.
_PORT_KEY_COVERS = frozenset({"region.live", "region.from", "region.num", "region.owner",
                              "mod.phase"})


class _Reads:
    """A state view that passes reads through to another and records them: those about
    the driver's objects and the call's own arguments, not the NULL entity's or the
    kernel's own claims (the timer and cascade lines a quantifier visits)."""

    def __init__(self, inner: LiveState, env: Env) -> None:
        self.inner = inner
        self.reads: dict[str, str] = {}
        self._given = [v for v in env.values() if v is not None]

    def get(self, sym: Any, args: tuple[Any, ...]) -> Any:
        v = self.inner.get(sym, args)
        if all(self._shown(a) for a in args):
            key = f"{sym.name}({', '.join(describe(a) for a in args)})"
            self.reads.setdefault(key, describe_as(sym.name, v))
        return v

    def _shown(self, a: Any) -> bool:
        if a is None:
            return False
        kernels = (isinstance(a, IrqAction | Region) and a.owner is None) or \
            (type(a) is str and a in KERNEL_ACTIONS)
        if kernels:
            return any(a is g for g in self._given)
        return True

    def entities(self, sort: Any) -> list[Any]:
        return self.inner.entities(sort)


#: Each operation's (or case's) obligations as one conjunction, built and compiled once
#: per process (the uses tuples are the spec's own, so their identity is stable).
_CONJ: dict[int, tuple[tuple[Use, ...], Any]] = {}


@dataclass
class _Frame:
    kind: str
    owner: Module | None
    args: tuple[Any, ...]
    #: ``file:line`` where the driver's function is defined ("" if unknown).
    where: str = ""


@dataclass
class SpecMonitor:
    """Checks a driver against the spec while it runs on the reference kernel.

    Attach it with :meth:`attach` (it becomes the kernel's tracer) and pass it as the
    ``monitor`` of the driver's :class:`~netdevspec.conformance.handle.KernelHandle`.
    ``modules`` limits the checks to the driver's own modules (a competing module the
    harness runs is not judged). ``findings`` lists every violation; ``exercised`` counts,
    per rule ID, how often the rule was evaluated.
    """

    kernel: Kernel
    spec: Spec = SPEC
    modules: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    _exercised: Counter[str] = field(default_factory=Counter)
    #: Per rule, how often it applied but could not be evaluated.
    unresolved: Counter[str] = field(default_factory=Counter)
    events: int = 0
    #: Called with each event (kind, fields) when set: the trace recorder.
    record: Callable[[str, dict[str, Any]], None] | None = None
    max_findings_per_rule: int = 20

    def __post_init__(self) -> None:
        #: ``file:line`` of the driver call being judged (set by the boundary).
        self.location = ""
        self.live = LiveState(self.kernel)
        self._stack: list[_Frame] = []
        self._fields: dict[Device, tuple[Any, ...]] = {}
        self._ops: dict[str, Operation] = {op.name: op for op in self.spec.operations}
        self._per_rule: Counter[str] = Counter()
        self._rules = dict(self.spec.rules)
        self._rules.update({r.id: r for r in MODEL_RULES})
        self._where: str | tuple[str, tuple[Any, ...]] = ""
        self._port_ok: set[tuple[Any, ...]] = set()
        self._port_hits = 0
        self._on: dict[str, Callable[[dict[str, object]], None]] = {
            "xmit.lend": self._on_lend, "callback.begin": self._on_begin,
            "callback.end": self._on_end}
        port_uses = self._ops["port_io"].obligations
        self._port_rules = tuple(u.rule.id for u in port_uses)
        # The memo's key covers the region table and the caller's phase; it is used only
        # while the obligations read nothing else (a spec change turns it off).
        reads = {sym.name for u in port_uses for sym in u.rule.reads}
        self._port_memo = reads <= _PORT_KEY_COVERS

    @property
    def exercised(self) -> Counter[str]:
        """Per rule ID, how often the rule was evaluated (and held or failed)."""
        if self._port_hits:
            for rid in self._port_rules:
                self._exercised[rid] += self._port_hits
            self._port_hits = 0
        return self._exercised

    def attach(self) -> SpecMonitor:
        """Become the kernel's tracer (chaining any tracer already set)."""
        prev = self.kernel.tracer
        if prev is None:
            self.kernel.tracer = self.on_trace
        else:
            def both(event: str, f: dict[str, object]) -> None:
                prev(event, f)
                self.on_trace(event, f)
            self.kernel.tracer = both
        return self

    # -- values ----------------------------------------------------------------------------
    def value(self, v: Any) -> Any:
        """A call argument as a spec value (queues: the backlog constant; devices seen)."""
        if isinstance(v, SkBuffHead):
            return self.live.queue(v)
        if isinstance(v, Device):
            self.live.see_device(v)
        return v

    def name_prefix(self, prefix: str) -> Any:
        """The spec's code for a ``fmt%d`` name prefix (for dev_alloc_name's binding)."""
        return self.live.names.prefix(prefix)

    def judged(self, m: Module | None) -> bool:
        """Whether calls made as ``m`` are checked (the driver's own modules)."""
        return m is not None and (not self.modules or m.name in self.modules)

    # -- the handle's choke point --------------------------------------------------------------
    def call(self, name: str, fn: Callable[..., object], args: tuple[object, ...]) -> object:
        """A driver calls the kernel: check the operation's obligations, then make the call."""
        c = self.kernel.current
        self.events += 1
        if self.record is not None:
            self.record("call", {"fn": name, "args": [describe(a) for a in args],
                                 "module": None if c is None else c.name})
        hit = CALLS.get(name)
        if hit is not None and hit[0] == "port_io":
            # The hot path (a dozen per frame). Port I/O changes no device field, so the
            # field check waits for the next other event, which sees the same writes.
            if self.judged(c):
                self._where = (name, args)
                env = hit[1](self, c, args)
                if env is not None:
                    self._check_port(env, c)
            return fn(*args)
        touches = name in _DEVICE_CALLS
        if self.judged(c):
            if touches:
                self._check_fields(c)  # what the driver wrote since control came back
            if hit is not None:
                op_name, build = hit
                env = build(self, c, args)
                if env is not None:
                    self._where = (name, args)
                    self._check_op(op_name, env, c)
        result = fn(*args)
        if name in _CLAIMS and result == 0 and args:
            self.live.claimed(name, args[0], c)  # the ghost of a claim made at probe time
        if touches:
            self._baseline()  # the kernel's own writes during the call are not the driver's
        if self.record is not None:
            self.record("return", {"fn": name, "result": describe(result)})
        return result

    # -- the kernel's trace points --------------------------------------------------------------
    def on_trace(self, event: str, f: dict[str, object]) -> None:
        """The kernel reached a step boundary (see reference TRACE_EVENTS)."""
        handler = self._on.get(event)
        if handler is not None:
            handler(f)

    def _on_lend(self, f: dict[str, object]) -> None:
        dev, skb = f["dev"], f["skb"]
        assert isinstance(dev, Device) and isinstance(skb, SkBuff)
        self.live.xmit[dev] = skb

    def _on_begin(self, f: dict[str, object]) -> None:
        what = str(f["what"])
        owner = f["owner"]
        assert owner is None or isinstance(owner, Module)
        args = f["args"]
        assert isinstance(args, tuple)
        self.events += 1
        if self.record is not None:
            self.record("callback", {"what": what, "module": owner.name if owner else None})
        judged = self.judged(owner)
        if judged:
            self._baseline()  # driver code starts: what the kernel wrote is not its doing
        self._stack.append(_Frame(what.split(" ", 1)[0] if judged else "", owner, args,
                                  _defined_at(f.get("fn")) if judged else ""))

    def _on_end(self, f: dict[str, object]) -> None:
        frame = self._stack.pop() if self._stack else None
        if frame is None:
            return
        self.events += 1
        if self.record is not None:
            self.record("callback_return", {"what": str(f["what"]), "ok": f["ok"],
                                            "result": describe(f["result"])})
        if frame.kind:  # a callback of a judged module
            outer = self.location
            # A finding at the return points at the function (or at the line that raised).
            raised = _raised_at(f.get("raised")) if not f["ok"] else ""
            self.location = raised or frame.where or outer
            try:
                self._check_fields(frame.owner)
                self._callback_returned(frame, str(f["what"]), bool(f["ok"]), f["result"])
            finally:
                self.location = outer

    def _callback_returned(self, frame: _Frame, what: str, ok: bool, result: object) -> None:
        c = frame.owner
        self._where = ("return from", (what,))
        if not ok:
            last = self.kernel.misuse[-1] if self.kernel.misuse else None
            error = "" if last is None else str(last.detail.get("error", ""))
            if error.startswith("MemoryError"):
                self.exercise("drv.callback.raised")
                self._model_rule("drv.resources", False,
                                 f"{what} ran out of memory ({error})", c)
            elif error.startswith("RecursionError"):
                self.exercise("drv.callback.raised")
                self._model_rule("drv.callback.recursion", False,
                                 f"{what} recursed without end ({error})", c)
            else:
                self.exercise("drv.callback.recursion")
                self._model_rule("drv.callback.raised", False,
                                 f"{what} raised {error or 'an exception'}", c)
            return
        self.exercise("drv.callback.raised")
        self.exercise("drv.callback.recursion")
        typed = frame.kind in ("init", "open", "hard_start_xmit", "init_module",
                               "set_mac_address", "set_config", "do_ioctl", "change_mtu")
        if typed:
            self._model_rule("drv.callback.type", isinstance(result, int)
                             and not isinstance(result, bool),
                             f"{what} returned {result!r}, not an int", c)
        dev = frame.args[0] if frame.args and isinstance(frame.args[0], Device) else None
        if frame.kind == "hard_start_xmit":
            dev = frame.args[1] if len(frame.args) > 1 else None
        rc = result if isinstance(result, int) else 0
        if frame.kind == "init" and dev is not None and rc == 0:
            # A successful probe: the register_netdev cases' obligations (fields ready).
            op = self._ops["register_netdev"]
            env = {"c": c, "d": dev, "rc": 0, "i": 0}
            for case in op.cases:
                if case.id in ("register_netdev.ok_named", "register_netdev.ok_auto"):
                    self._check_uses(case.obligations, env, c)
                    break
        op_name = _RETURNS.get(frame.kind)
        if op_name is None:
            return
        if frame.kind in ("init_module", "cleanup_module"):
            env = {"m": c, "rc": rc}
        else:
            env = {"c": c, "d": dev, "rc": rc}
        self._check_op(op_name, env, c)

    # -- evaluation ------------------------------------------------------------------------
    def _check_port(self, env: Env, c: Any) -> None:
        """port_io's obligations, remembered per (module, port) while nothing they read
        changes: the region table (the kernel counts its changes) and the module's phase.
        A driver does port I/O a dozen times per frame; this keeps the monitor's cost per
        access to a dictionary look-up."""
        if not self._port_memo:
            self._check_op("port_io", env, c)
            return
        key = (c, env.get("port"), c.state, self.kernel.region_changes)
        if key in self._port_ok:
            self._port_hits += 1
            return
        before = len(self.findings), sum(self._per_rule.values())
        self._check_op("port_io", env, c)
        if (len(self.findings), sum(self._per_rule.values())) == before:
            if len(self._port_ok) > 4096:
                self._port_ok.clear()
            self._port_ok.add(key)

    def _check_op(self, op_name: str, env: Env, c: Module | None) -> None:
        op = self._ops.get(op_name)
        if op is None:
            return
        self._check_uses(op.obligations, env, c)
        for case in op.cases:
            if not case.obligations:
                continue
            try:
                applies = bool(evaluate(case.guard, self.live, None, env))
            except SpecError:
                continue  # the guard needs the call's result: not decidable beforehand
            if applies:
                self._check_uses(case.obligations, env, c)

    def _check_uses(self, uses: tuple[Use, ...], env: Env, c: Module | None) -> None:
        if not uses:
            return
        # Fast path: all the obligations as one compiled conjunction. When it holds (the
        # usual case), each rule is counted as evaluated and held; otherwise they are
        # evaluated one by one to find which broke.
        key = id(uses)
        hit = _CONJ.get(key)
        if hit is None or hit[0] is not uses:
            hit = _CONJ[key] = (uses, And(*(u.formula for u in uses)))
        try:
            if evaluate(hit[1], self.live, None, env):
                for u in uses:
                    self._exercised[u.rule.id] += 1
                return
        except (SpecError, TypeError, AttributeError, IndexError):
            pass
        for u in uses:
            rid = u.rule.id
            try:
                ok = bool(evaluate(u.formula, self.live, None, env))
            except SpecError:
                self.unresolved[rid] += 1  # a parameter the call does not determine
                continue
            except (TypeError, AttributeError, IndexError):
                ok = False  # an argument of the wrong kind (a str for a buffer, ...)
            self._exercised[rid] += 1
            if not ok:
                self._found(u.rule, self._message(u, env), c, u, env)

    def _message(self, u: Use, env: Env) -> str:
        shown: dict[str, str] = {}
        for p, arg in zip(u.rule.params, u.args, strict=False):
            try:
                shown[p.name] = describe_as(p.name, evaluate(arg, self.live, None, env))
            except Exception:
                shown[p.name] = "?"
        try:
            return u.rule.message.format(**shown)
        except (KeyError, IndexError, ValueError):
            return u.rule.message

    def _state_of(self, formula: Any, env: Env) -> tuple[tuple[str, str], ...]:
        """The call's parameters, then every location the broken formula read, with its
        value (the state the rule needed), at most :data:`_MAX_READS` of them."""
        out = [(k, describe_as(k, v)) for k, v in env.items()]
        if formula is not None:
            rec = _Reads(self.live, env)
            with suppress(Exception):  # the finding stands without its reads
                evaluate(formula, rec, None, env)
            out += list(rec.reads.items())[:_MAX_READS]
        return tuple(out)

    def _found(self, rule: Rule, message: str, c: Module | None, u: Use | None = None,
               env: Env | None = None, formula: Any = None) -> None:
        self._per_rule[rule.id] += 1
        if self._per_rule[rule.id] > self.max_findings_per_rule:
            return
        picture = ""
        for v in (env or {}).values():
            if isinstance(v, SkBuff):
                picture = buffer_picture(v)
                break
        where = self._where
        if isinstance(where, tuple):
            head, objs = where
            if head == "return from":
                where = f"return from {objs[0]}"
            elif head == "write to the fields of":
                where = f"write to the fields of {describe(objs[0])}"
            else:
                where = f"{head}({', '.join(describe(a) for a in objs)})"
        self.findings.append(Finding(
            rule.id, rule.statement, tuple(str(x) for x in rule.citations), message,
            self.events, where, None if c is None else c.name,
            self._state_of(u.formula if u is not None else formula, env or {}), picture,
            self.location))
        if self.record is not None:
            self.record("finding", {"rule": rule.id, "message": message})

    def _model_rule(self, rid: str, ok: bool, message: str, c: Module | None) -> None:
        self._exercised[rid] += 1
        if not ok:
            self._found(self._rules[rid], message, c)

    def report_model_rule(self, rid: str, message: str, module: Module | None,
                          where: str = "") -> None:
        """Record a finding for a driver-model rule the harness observed (a time limit, a
        recursion, a reach behind the API)."""
        self._where = where or self._where
        self._model_rule(rid, False, message, module)

    def exercise(self, rid: str) -> None:
        """Count a driver-model rule as exercised (checked and not broken)."""
        self._exercised[rid] += 1

    # -- fields the driver writes between events ---------------------------------------------
    def _baseline(self) -> None:
        fields = self._fields
        for d in self.live.devices:
            fields[d] = _FIELDS(d)

    def _check_fields(self, c: Module | None, written: frozenset[Device] = frozenset()) -> None:
        """Judge the device fields changed since the last baseline. A change to a device
        in ``written`` is ``c``'s (the boundary knows who wrote it); any other change is
        taken as the device owner's (in the checker's process, who wrote is not seen)."""
        for d in list(self.live.devices):
            now = _FIELDS(d)
            before = self._fields.get(d)
            self._fields[d] = now
            if before is None or before == now:
                continue
            writer = c if d in written else d.owner if d.owner is not None else c
            if not self.judged(writer):
                continue
            self._where = ("write to the fields of", (d,))
            n = len(_SETUP)
            if before[:n] != now[:n]:
                env = {"c": writer, "d": d, "name": self.live.names.code(d.name),
                       "irq": d.irq, "base_addr": d.base_addr, "dma": d.dma,
                       "mem_start": d.mem_start, "mem_end": d.mem_end, "if_port": d.if_port,
                       "flags": d.flags & 0xFFFF, "has_init": d.init is not None,
                       "has_open": d.open is not None}
                # Only the bits the driver changed count as its write of ``flags``.
                env["flags"] = (before[_SETUP.index("flags")] ^ d.flags) & 0xFFFF
                self._check_op("dev_setup_fields", env, writer)
            if before[n:] != now[n:]:
                self._check_op("dev_set_status", {"c": writer, "d": d,
                                                  "start": bool(d.start),
                                                  "tbusy": bool(d.tbusy),
                                                  "interrupt": bool(d.interrupt)}, writer)

    def fields_written(self, c: Module | None, devices: frozenset[Device]) -> None:
        """Module ``c`` wrote fields of ``devices`` (they came with its last crossing): judge
        them now, before the kernel acts (dev_setup_fields, dev_set_status), as ``c``'s
        writes whoever owns the device."""
        if self.judged(c):
            self._check_fields(c, devices)

    def skb_written(self, c: Module | None, skb: SkBuff, names: frozenset[str]) -> None:
        """The driver wrote fields of a buffer directly (``skb->len = n`` in C): a write is a
        use of the buffer (skb_data's obligations); ``free`` is skb_set_free, ``dev`` and
        ``protocol`` are skb_set_rx, and the geometry is judged by every invariant that
        reads it, for this buffer."""
        if not self.judged(c):
            return
        self.events += 1
        self._where = ("write to the fields of", (skb,))
        self._check_op("skb_data", {"c": c, "b": skb}, c)
        if "free" in names:
            self._check_op("skb_set_free", {"c": c, "b": skb, "n": skb.free}, c)
        if names & {"dev", "protocol"}:
            self._check_op("skb_set_rx", {"c": c, "b": skb, "dev": skb.dev,
                                          "protocol": skb.protocol}, c)
        syms = {_SKB_SYM[n] for n in names if n in _SKB_SYM}
        if syms:
            self._check_instance(syms, skb, c)

    def _check_instance(self, syms: set[Any], obj: Any, c: Module | None) -> None:
        """The invariants that read any of ``syms``, evaluated for ``obj`` alone where an
        invariant is a conjunction of quantifiers over its sort (the rest whole)."""
        for inv in self.spec.invariants:
            if not inv.reads & syms:
                continue
            self._exercised[inv.id] += 1
            ok = True
            for part, env in _instances(inv.formula, obj):
                try:
                    if not evaluate(part, self.live, None, env):
                        ok = False
                        break
                except (SpecError, TypeError, AttributeError, IndexError):
                    ok = False
                    break
            if not ok:
                self._found(inv, f"the driver's write breaks the invariant {inv.id} for "
                            f"{describe(obj)}", c, formula=inv.formula)

    def see_device(self, dev: Device) -> None:
        """Start watching a device's fields (the harness calls this for devices it sees)."""
        self.live.see_device(dev)
        self._fields.setdefault(dev, _FIELDS(dev))

    # -- whole-state checks ------------------------------------------------------------------
    def check_invariants(self) -> list[str]:
        """Evaluate every invariant now; each broken one is a finding. Returns their IDs."""
        bad = []
        self._where = "invariant check"
        with self.live.still():
            for inv in self.spec.invariants:
                self._exercised[inv.id] += 1
                if not evaluate(inv.formula, self.live):
                    bad.append(inv.id)
                    self._found(inv, f"the invariant {inv.id} does not hold", None,
                                formula=inv.formula)
        return bad

    @contextmanager
    def section(self, where: str) -> Iterator[None]:
        """Label the findings made inside the block (a scenario step)."""
        prev = self._where
        self._where = where
        try:
            yield
        finally:
            self._where = prev

    def rule(self, rid: str) -> Rule:
        """A rule by ID (spec rules and driver-model rules)."""
        return self._rules[rid]

    def all_rules(self) -> Mapping[str, Rule]:
        """Every rule the monitor can report on."""
        return self._rules
