"""The driver's side of the boundary: what runs in a driver's own process.

A checked driver model runs in a child process (see :mod:`.boundary` for the checker's
side). There it gets a :class:`DriverHandle`, which has the kernel handle's functions,
constants and struct constructors under the same names (it is derived from
:class:`~netdevspec.conformance.handle.KernelHandle`'s declarations), but every function
sends the call to the checker's process and waits for the answer; callbacks and
interrupts come back the same way, nested as deep as they nest in the kernel.

The structures a driver is given or makes (``struct device``, ``struct sk_buff``,
``struct sk_buff_head``) are *mirrors*: plain objects with the C fields. A driver reads
and writes their fields directly, as C code does; every field it writes travels with its
next call or return, and the checker judges the write before the kernel acts. Fields
that are the checker's bookkeeping and not C fields (a buffer's owner, whether it is
alive) cannot be written: a write raises AttributeError. ``dev.priv`` is the driver's
own and never leaves its process.

Nothing here holds a reference to the kernel, the monitor or the report: they live in
another process.
"""

from __future__ import annotations

import dataclasses
import faulthandler
import gc
import importlib
import inspect
import os
import resource
import signal
import socket
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

from netdevspec.conformance import wire
from netdevspec.conformance.confine import confine
from netdevspec.conformance.handle import BINDINGS, KernelHandle, _unknown_name_message
from netdevspec.reference.common import KernelPanic
from netdevspec.reference.device import Device as _RefDevice
from netdevspec.reference.device import EnetStatistics, IfMap

__all__ = [
    "DEV_BYTES",
    "DEV_CALLBACKS",
    "DEV_FIELDS",
    "DEV_INTS",
    "SKB_FIELDS",
    "SKB_WRITABLE",
    "DriverHandle",
    "serve",
    "zygote",
]

# -- the fields each structure has on both sides ----------------------------------------------

#: The kernel's bookkeeping on a device, which a driver neither sees nor writes: the
#: reference marks these fields ``repr=False`` (owner, registration, phase, multicast users).
_DEV_PRIVATE = frozenset(f.name for f in dataclasses.fields(_RefDevice) if not f.repr)
_DEV_DATACLASS_FIELDS = [f for f in dataclasses.fields(_RefDevice) if f.name not in _DEV_PRIVATE]
#: The C fields of ``struct device`` a driver sees, in the C order (FLD-1).
DEV_FIELDS: tuple[str, ...] = tuple(f.name for f in _DEV_DATACLASS_FIELDS)
#: Method fields (function pointers).
DEV_CALLBACKS = frozenset({"init", "get_stats", "open", "stop", "hard_start_xmit",
                           "hard_header", "rebuild_header", "set_multicast_list",
                           "set_mac_address", "do_ioctl", "set_config", "header_cache_bind",
                           "header_cache_update", "change_mtu"})
#: Byte-array fields.
DEV_BYTES = frozenset({"broadcast", "dev_addr"})
#: Fields that are the driver's alone (never sent) or the kernel's alone (never written).
_DEV_LOCAL = frozenset({"priv"})
_DEV_READONLY = frozenset({"buffs"})
#: Integer fields.
DEV_INTS = frozenset(DEV_FIELDS) - DEV_CALLBACKS - DEV_BYTES - _DEV_LOCAL - _DEV_READONLY - {
    "name", "mc_list"}
#: The device fields the checker sends to the driver.
DEV_SYNCED: tuple[str, ...] = tuple(f for f in DEV_FIELDS if f not in _DEV_LOCAL)
_DEV_CONTAINERS = frozenset({"broadcast", "dev_addr", "mc_list"})

#: The ``struct sk_buff`` fields a driver sees.
SKB_FIELDS: tuple[str, ...] = (
    "id", "alive", "head", "data", "tail", "end", "len", "truesize", "free", "lock", "users",
    "sk", "dev", "protocol", "pkt_type", "arp", "raddr", "mac_raw", "h_raw", "stamp", "ip_summed")
#: The ones a driver may write (as C code does); the rest are the allocator's or the
#: checker's (``id`` and ``alive`` are not C fields at all).
SKB_WRITABLE = frozenset({"data", "tail", "len", "free", "dev", "protocol", "pkt_type", "arp",
                          "raddr", "mac_raw", "h_raw", "stamp", "ip_summed"})
#: The ``struct sk_buff_head`` fields a driver sees (read-only: use the queue functions).
QUEUE_FIELDS: tuple[str, ...] = ("qlen", "name")
#: The ``struct sock`` fields a driver sees, and the memory counters it may adjust (ART-3).
SOCK_FIELDS: tuple[str, ...] = ("name", "rmem_alloc", "wmem_alloc")
SOCK_WRITABLE = frozenset({"rmem_alloc", "wmem_alloc"})

_MIN_INT = -(2**63)
_MAX_INT = 2**64


# -- the session: one per driver process ------------------------------------------------------

class _Session:
    """The channel and every object the driver shares with the checker."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = wire.Reader(sock)
        self.jiffies = 0
        #: Shared structures by id (positive: the checker's, negative: the driver's).
        self.mirrors: dict[int, _Mirror] = {}
        self.next_own = -1
        #: Driver objects the checker holds references to, by id.
        self.objects: dict[int, Any] = {}
        self.object_ids: dict[int, int] = {}
        self.kernel_functions: dict[int, KernelFunction] = {}
        #: Mirrors made by the driver, not yet sent.
        self.new: list[_Mirror] = []
        #: Fields written since the last crossing, per mirror.
        self.dirty: dict[_Mirror, set[str]] = {}
        #: The kernel's intr_count of each callback running now (innermost last).
        self.intr: list[int] = []
        #: irq2dev_map[16] as this driver sets it.
        self.irq2dev_map: list[Any] = [None] * 16
        #: Container fields read since the last crossing (mutable in place).
        self.touched: set[tuple[_Mirror, str]] = set()
        #: A container field's value as last synced.
        self.seen: dict[tuple[_Mirror, str], Any] = {}
        #: Per mirror, the driver's file and line of its last field write.
        self.wrote_at: dict[_Mirror, list[Any]] = {}

    # -- values ----------------------------------------------------------------------------
    def enc(self, v: Any, depth: int = 0) -> Any:
        if v is None or v is True or v is False:
            return v
        t = type(v)
        if t is int or t is str:
            return v
        if depth > 16:
            return {"f": "nesting"}
        if isinstance(v, _Mirror):
            return {"k": self.register(v), "t": v._kind}
        if isinstance(v, (bytes, bytearray, memoryview)):
            return {"b": bytes(v).hex()}
        if isinstance(v, bool):
            return bool(v)
        if isinstance(v, int):
            return int(v)
        if isinstance(v, str):
            return str.__str__(v)
        if t is KernelFunction:
            return {"x": v.ident, "n": v.name}
        if t is EnetStatistics or t is IfMap:
            tag = "s" if t is EnetStatistics else "m"
            return {tag: {f.name: self.enc(getattr(v, f.name), depth + 1)
                          for f in dataclasses.fields(v)}}
        if isinstance(v, float):
            return {"f": repr(float(v))}
        if t is list or t is tuple:
            return [self.enc(x, depth + 1) for x in v]
        return self.ref(v)

    def ref(self, v: Any) -> dict[str, Any]:
        rid = self.object_ids.get(id(v))
        if rid is None or self.objects.get(rid) is not v:
            rid = len(self.objects) + 1
            self.objects[rid] = v
            self.object_ids[id(v)] = rid
        try:
            name = getattr(v, "__qualname__", None)
            if not isinstance(name, str):
                name = type(v).__qualname__
            name = str.__str__(name)[:120]
        except Exception:
            name = "?"
        out: dict[str, Any] = {"d": rid, "n": name, "c": 1 if callable(v) else 0}
        where = _defined_at(v)
        if where is not None:
            out["l"] = where
        return out

    def register(self, m: _Mirror) -> int:
        ident = m._id
        if ident is None:
            ident = self.next_own
            self.next_own -= 1
            object.__setattr__(m, "_id", ident)
            self.mirrors[ident] = m
            self.new.append(m)
        return ident

    def dec(self, v: Any) -> Any:
        t = type(v)
        if t is list:
            return [self.dec(x) for x in v]
        if t is dict:
            if "k" in v:
                return self.mirror(v["k"], v.get("t", ""))
            if "d" in v:
                return self.objects.get(v["d"])
            if "b" in v:
                return bytes.fromhex(v["b"])
            if "x" in v:
                kf = self.kernel_functions.get(v["x"])
                if kf is None:
                    kf = self.kernel_functions[v["x"]] = KernelFunction(v["x"], str(v["n"]))
                return kf
            if "s" in v:
                return EnetStatistics(**v["s"])
            if "m" in v:
                return IfMap(**v["m"])
            if "p" in v:
                return {str(k): self.dec(x) for k, x in v["p"]}
        return v

    def mirror(self, ident: int, kind: str) -> _Mirror:
        m = self.mirrors.get(ident)
        if m is None:
            cls = _KINDS[kind]
            m = cls.__new__(cls)
            object.__setattr__(m, "_id", ident)
            if cls is Device:
                m.__dict__["priv"] = None
            self.mirrors[ident] = m
        return m

    # -- syncing -------------------------------------------------------------------------------
    def apply(self, items: list[Any]) -> None:
        """Fields the checker sends: the kernel's current values."""
        for ident, kind, fields in items:
            m = self.mirror(ident, kind)
            d = m.__dict__
            for f, val in fields.items():
                value = self.dec(val)
                if f in _DEV_CONTAINERS and kind == "dev":
                    value = bytearray(value) if f != "mc_list" else list(value)
                    self.seen[(m, f)] = _copy(value)
                d[f] = value
            self.dirty.pop(m, None)

    def collect(self) -> tuple[list[Any], list[Any]]:
        """The driver's new structures and the fields it wrote since the last crossing."""
        new: list[Any] = []
        writes: list[Any] = []
        while self.new or self.dirty or self.touched:
            while self.new:
                m = self.new.pop(0)
                new.append([m._id, m._kind])
                fields = {f: self.enc(m.__dict__.get(f)) for f in m._SENT}
                for f in m._CONTAINERS:
                    self.seen[(m, f)] = _copy(m.__dict__.get(f))
                writes.append([m._id, fields])
                self.dirty.pop(m, None)
            if self.dirty:
                dirty, self.dirty = self.dirty, {}
                for m, names in dirty.items():
                    item: list[Any] = [m._id, {f: self.enc(m.__dict__.get(f)) for f in names}]
                    at = self.wrote_at.pop(m, None)
                    if at is not None:
                        item.append(at)
                    writes.append(item)
                    for f in names & m._CONTAINERS:
                        self.seen[(m, f)] = _copy(m.__dict__.get(f))
            if self.touched:
                touched, self.touched = self.touched, set()
                for m, f in touched:
                    now = m.__dict__.get(f)
                    if self.seen.get((m, f)) != now:
                        self.seen[(m, f)] = _copy(now)
                        writes.append([m._id, {f: self.enc(now)}])
        return new, writes

    # -- crossing ------------------------------------------------------------------------------
    def rpc(self, name: str, args: tuple[Any, ...], where: list[Any] | None = None) -> Any:
        """Call kernel function ``name`` in the checker's process and wait for its answer;
        ``where`` is the driver's file and line that made the call."""
        enc_args = [self.enc(a) for a in args]
        if self.new or self.dirty or self.touched:
            new, writes = self.collect()
        else:
            new = writes = _EMPTY
        wire.send(self.sock, ["call", name, enc_args, new, writes, where or []])
        return self.wait()

    def note(self, what: str) -> None:
        """Tell the checker the driver reached for something it cannot have."""
        wire.send(self.sock, ["api", what])

    def wait(self) -> Any:
        while True:
            msg = self._recv()
            kind = msg[0]
            if kind == "rv":
                if msg[2]:
                    self.apply(msg[2])
                self.jiffies = msg[3]
                v = msg[1]
                return self.dec(v) if type(v) is dict or type(v) is list else v
            if kind == "kx":
                self.apply(msg[3])
                raise _exception(msg[1], msg[2])
            if kind == "cb":
                self.callback(msg)
            else:
                os._exit(0)

    def _recv(self) -> list[Any]:
        try:
            return self.reader.recv()
        except (wire.Closed, wire.Malformed):
            os._exit(0)  # the checker is gone: nothing left to do

    def callback(self, msg: list[Any]) -> None:
        """Run one callback the kernel makes into the driver and send its outcome."""
        _, target, args, sync, jiffies, *rest = msg
        self.apply(sync)
        self.jiffies = jiffies
        self.intr.append(rest[0] if rest and type(rest[0]) is int else 0)
        fn = self.objects.get(target)
        try:
            result = fn(*self.dec(args))  # type: ignore[misc]
            out = self.enc(result)
            new, writes = self.collect()
            reply: list[Any] = ["ret", out, new, writes]
        except Exception as exc:
            new, writes = self.collect()
            reply = ["exc", _name(exc), _repr(exc), _frames(exc), new, writes]
        finally:
            self.intr.pop()
        wire.send(self.sock, reply)


_S: _Session | None = None
_EMPTY: list[Any] = []


def _session() -> _Session:
    if _S is None:
        raise RuntimeError("this object belongs to a driver process of `netdevspec check`")
    return _S


def _defined_at(fn: Any) -> list[Any] | None:
    """``[file, line]`` where a driver function is defined (its code object), so that a
    finding at its return can point there; None for anything else."""
    try:
        code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__func__", None),
                                                        "__code__", None)
        if isinstance(code, types.CodeType):
            return [str.__str__(code.co_filename)[:500], int(code.co_firstlineno)]
    except Exception:
        pass
    return None


def _copy(v: Any) -> Any:
    return list(v) if isinstance(v, list) else bytes(v) if v is not None else None


def _name(exc: BaseException) -> str:
    try:
        return str.__str__(type(exc).__name__)[:80]
    except Exception:
        return "Exception"


def _repr(exc: BaseException) -> str:
    try:
        text = repr(exc)
        return str.__str__(text)[:500] if isinstance(text, str) else f"{_name(exc)}(?)"
    except Exception:
        return f"{_name(exc)}(<its repr raised>)"


def _frames(exc: BaseException) -> list[list[Any]]:
    try:
        tb = traceback.extract_tb(exc.__traceback__)
        here = os.path.dirname(__file__)
        return [[str(f.filename), int(f.lineno or 0), str(f.name)] for f in tb
                if not str(f.filename).startswith(here)][-12:]
    except Exception:
        return []


_EXCEPTIONS: dict[str, type[Exception]] = {
    e.__name__: e for e in (TypeError, ValueError, AttributeError, IndexError, KeyError,
                            RuntimeError, OverflowError, ZeroDivisionError, KernelPanic)}


def _exception(name: Any, message: Any) -> Exception:
    cls = _EXCEPTIONS.get(str(name), RuntimeError)
    return cls(str(message)) if cls is not RuntimeError or name == "RuntimeError" else \
        RuntimeError(f"{name}: {message}")


# -- mirrors ----------------------------------------------------------------------------------

class _Mirror:
    """A structure shared with the kernel: field writes are recorded for the next crossing."""

    _kind = ""
    _WRITABLE: frozenset[str] = frozenset()
    _LOCAL: frozenset[str] = frozenset()
    _SENT: tuple[str, ...] = ()
    _CONTAINERS: frozenset[str] = frozenset()
    _id: int | None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._WRITABLE:
            self.__dict__[name] = value
            if self._id is not None and _S is not None:
                _S.dirty.setdefault(self, set()).add(name)
                caller = sys._getframe(1)  # the driver's line, for a finding on this write
                _S.wrote_at[self] = [caller.f_code.co_filename, caller.f_lineno]
        elif name in self._LOCAL:
            self.__dict__[name] = value
        else:
            raise AttributeError(self._refuse(name))

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a kernel structure")

    def _refuse(self, name: str) -> str:
        return f"{self._kind} has no writable field {name!r}"

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other


class _ContainerField:
    """A mutable field (a byte array or list): reading it marks it for comparison at the
    next crossing, so writes into it in place are seen too."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        if obj._id is not None and _S is not None:
            _S.touched.add((obj, self.name))
        return obj.__dict__.get(self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value
        if obj._id is not None and _S is not None:
            _S.dirty.setdefault(obj, set()).add(self.name)


class Device(_Mirror):
    """``struct device`` in a driver's process (same constructor as the kernel's)."""

    _kind = "dev"
    _WRITABLE = frozenset(DEV_FIELDS) - _DEV_LOCAL - _DEV_READONLY
    _LOCAL = _DEV_LOCAL
    _SENT = tuple(f for f in DEV_FIELDS if f not in _DEV_LOCAL and f not in _DEV_READONLY)
    _CONTAINERS = _DEV_CONTAINERS

    broadcast = _ContainerField("broadcast")
    dev_addr = _ContainerField("dev_addr")
    mc_list = _ContainerField("mc_list")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        object.__setattr__(self, "_id", None)
        if len(args) > len(_DEV_DATACLASS_FIELDS):
            raise TypeError(f"Device() takes at most {len(_DEV_DATACLASS_FIELDS)} positional "
                            f"arguments ({len(args)} given)")
        d = self.__dict__
        for i, f in enumerate(_DEV_DATACLASS_FIELDS):
            if i < len(args):
                value = args[i]
            elif f.name in kwargs:
                value = kwargs.pop(f.name)
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                value = f.default
            d[f.name] = value
        if kwargs:
            raise TypeError(f"Device() got unexpected keyword argument(s) "
                            f"{', '.join(sorted(kwargs))}")
        d["buffs"] = []
        if not isinstance(d["name"], str):
            raise TypeError(f"Device name must be a str, got {type(d['name']).__name__}; use "
                            "\"\" or a name starting with a space for automatic ethN naming")

    def _refuse(self, name: str) -> str:
        if name in _DEV_READONLY:
            return f"dev.{name} belongs to the kernel (its transmit queues): do not replace it"
        if name in _DEV_PRIVATE:
            return (f"dev.{name} is the checker's bookkeeping, not a field of struct device; "
                    "a driver cannot change it")
        return (f"struct device has no field {name!r}; keep driver state in dev.priv or in "
                "the driver model")

    @property
    def is_up(self) -> bool:
        """IFF_UP is set."""
        return bool(self.__dict__.get("flags", 0) & 0x1)

    def __repr__(self) -> str:
        return (f"<Device {self.__dict__.get('name')!r} "
                f"base={self.__dict__.get('base_addr', 0):#x} irq={self.__dict__.get('irq')}>")


class SkBuff(_Mirror):
    """``struct sk_buff`` in a driver's process: the buffer's bytes stay with the kernel
    (read and write them with skb_read, skb_write and skb_put_data)."""

    _kind = "skb"
    _WRITABLE = SKB_WRITABLE
    _SENT = ()

    def _refuse(self, name: str) -> str:
        if name in SKB_FIELDS:
            return (f"skb.{name} is set by the allocator or the kernel; a driver does not write "
                    "it")
        return (f"struct sk_buff has no field {name!r} (a buffer's owner and liveness are the "
                "checker's bookkeeping; a driver cannot change them)")

    def __repr__(self) -> str:
        d = self.__dict__
        return f"<SkBuff #{d.get('id')} len={d.get('len')}>"


class SkBuffHead(_Mirror):
    """``struct sk_buff_head`` in a driver's process: make one, then skb_queue_head_init it;
    its fields change only through the queue functions."""

    _kind = "queue"
    _SENT = ()

    def __init__(self, owner: object = None, name: str = "") -> None:
        object.__setattr__(self, "_id", None)
        self.__dict__.update(qlen=0, name=name if isinstance(name, str) else "")

    def _refuse(self, name: str) -> str:
        return (f"sk_buff_head.{name} changes only through the queue functions "
                "(skb_queue_tail, skb_dequeue, ...)")

    def __len__(self) -> int:
        return int(self.__dict__.get("qlen", 0))

    def __repr__(self) -> str:
        return f"<SkBuffHead {self.__dict__.get('name')!r} qlen={self.__dict__.get('qlen')}>"


class Sock(_Mirror):
    """The part of ``struct sock`` a buffer points at: its memory counters (ART-3)."""

    _kind = "sock"
    _WRITABLE = SOCK_WRITABLE
    _SENT = ()

    def _refuse(self, name: str) -> str:
        return f"a driver may adjust only a socket's rmem_alloc and wmem_alloc, not {name!r}"


class TimerList(_Mirror):
    """``struct timer_list`` in a driver's process: the driver sets ``expires``, ``data``
    and ``function``; ``pending`` is the kernel's (on its timer list)."""

    _kind = "timer"
    _WRITABLE = frozenset({"expires", "data", "function"})
    _SENT = ("expires", "data", "function")

    def __init__(self, expires: int = 0, data: int = 0,
                 function: Callable[[int], object] | None = None) -> None:
        object.__setattr__(self, "_id", None)
        self.__dict__.update(expires=expires, data=data, function=function, pending=False)

    def _refuse(self, name: str) -> str:
        return (f"timer_list.{name} is the kernel's (add_timer and del_timer change it); a "
                "driver sets expires, data and function")

    def __repr__(self) -> str:
        d = self.__dict__
        return f"<TimerList expires={d.get('expires')} pending={d.get('pending')}>"


_KINDS: dict[str, type[_Mirror]] = {"dev": Device, "skb": SkBuff, "queue": SkBuffHead,
                                    "sock": Sock, "timer": TimerList}


class KernelFunction:
    """A kernel function stored in a structure (``dev->hard_header`` after ether_setup):
    the driver holds a reference it can store back, not the function."""

    __slots__ = ("ident", "name")

    def __init__(self, ident: int, name: str) -> None:
        self.ident = ident
        self.name = name

    def __call__(self, *args: Any) -> Any:
        raise TypeError(f"{self.name} is the kernel's own function; a driver model does not "
                        "call it directly")

    def __repr__(self) -> str:
        return f"<kernel function {self.name}>"


# -- the handle -------------------------------------------------------------------------------

def _kernel_function(name: str) -> Callable[..., Any]:
    sig = inspect.signature(getattr(KernelHandle, name))
    params = list(sig.parameters.values())[1:]
    bare = inspect.Signature(params)
    c_sig = BINDINGS[name].signature

    total = len(params)
    required = sum(1 for p in params if p.default is inspect.Parameter.empty)
    defaults = tuple(p.default for p in params[required:])

    def call(self: DriverHandle, *args: Any, **kwargs: Any) -> Any:
        if not kwargs and required <= len(args) <= total:  # the usual case, fast
            full = args + defaults[len(args) - required:]
        else:
            try:
                bound = bare.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{name}() takes {total} argument(s) ({len(args) + len(kwargs)}"
                                f" given; {exc}): the kernel function is `{c_sig}`") from None
            bound.apply_defaults()
            full = bound.args
        session = _S
        if session is None:
            raise RuntimeError("this handle belongs to a driver process of `netdevspec check`")
        caller = sys._getframe(1)
        return session.rpc(name, full, [caller.f_code.co_filename, caller.f_lineno])

    call.__name__ = call.__qualname__ = name
    call.__doc__ = getattr(KernelHandle, name).__doc__
    return call


class DriverHandle:
    """The kernel handle in a driver's process: :class:`KernelHandle`'s functions,
    constants and constructors; every call crosses to the checker's process."""

    Device = Device
    EnetStatistics = EnetStatistics
    IfMap = IfMap
    SkBuffHead = SkBuffHead
    TimerList = TimerList

    __slots__ = ()

    @property
    def jiffies(self) -> int:
        """The tick counter, as of the last crossing (it only moves while the kernel runs)."""
        return _session().jiffies

    @property
    def intr_count(self) -> int:
        """The kernel's intr_count when it made the callback now running (0 outside one)."""
        s = _session()
        return s.intr[-1] if s.intr else 0

    @property
    def irq2dev_map(self) -> list[Any]:
        """irq2dev_map[16]: this driver's view of it (the kernel never reads it)."""
        return _session().irq2dev_map

    def __getattr__(self, name: str) -> Any:
        if name == "_kernel":
            _session().note(f"handle.{name}")
            raise AttributeError("there is no kernel in a driver's process: a driver reaches "
                                 "the kernel only through the handle's functions")
        raise AttributeError(_unknown_name_message(name))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"the kernel handle is read-only (tried to set {name!r}); "
                             "keep driver state in the driver model or in dev.priv")

    def __dir__(self) -> list[str]:
        return sorted(n for n in dir(type(self)) if not n.startswith("_"))

    def __repr__(self) -> str:
        return "<KernelHandle (driver process)>"


for _n in BINDINGS:
    setattr(DriverHandle, _n, _kernel_function(_n))
for _n in dir(KernelHandle):
    if _n.isupper() and isinstance(getattr(KernelHandle, _n), int):
        setattr(DriverHandle, _n, getattr(KernelHandle, _n))
del _n


# -- the process ------------------------------------------------------------------------------

def serve(sock: socket.socket, factory: Callable[..., Any]) -> None:
    """Serve the checker on ``sock`` for ever (the process ends when the checker says so or
    goes away)."""
    global _S
    session = _S = _Session(sock)
    handle = DriverHandle()

    def build(instance: int, params: dict[str, Any]) -> list[Any]:
        model = factory(handle, instance=instance, **params)
        return [model.name, model.init_module, model.cleanup_module]

    session.objects[0] = build
    while True:
        msg = session._recv()
        if msg[0] == "cb":
            session.callback(msg)
        else:
            os._exit(0)


def _limit(memory_bytes: int | None, output_bytes: int | None) -> None:
    for which, want in ((resource.RLIMIT_AS, memory_bytes),
                        (resource.RLIMIT_FSIZE, output_bytes)):
        if want:
            _, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                want = min(want, hard)  # never above what this process may have
            resource.setrlimit(which, (want, want))
    if output_bytes:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent ends (Linux's
    PR_SET_PDEATHSIG), so no driver process outlives a checker that was killed."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the checker's own clean-up is all there is


def _fresh_stdio() -> None:
    sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115


def zygote(ctl: socket.socket, factory: Callable[..., Any] | None, ref: str,
           memory_bytes: int | None, output_bytes: int | None) -> None:
    """The fork server: import the driver once, then fork one process per driver instance
    on request. Never returns."""
    try:
        die_with_parent()
        os.setpgid(0, 0)
        faulthandler.disable()  # a crash is reported by the checker, not on its terminal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _fresh_stdio()
        _limit(memory_bytes, output_bytes)
        confine()  # before the driver's module runs any code (see confine.py)
        if factory is None:
            mod, _, attr = ref.partition(":")
            # The module as it is on disk now, even if the process that forked this one
            # had imported it (a test suite that checks its driver after importing it).
            sys.modules.pop(mod, None)
            importlib.invalidate_caches()
            try:
                module = importlib.import_module(mod)
            except BaseException as exc:
                missing = isinstance(exc, ModuleNotFoundError) and exc.name == mod
                ctl.send(_json(["import_error", "missing" if missing else "raised",
                                _repr(exc), _frames(exc)]))
                os._exit(0)
            factory = getattr(module, attr, None)
            if factory is None or not callable(factory):
                names = ", ".join(n for n in dir(module) if not n.startswith("_"))[:200]
                kind = "no_factory" if factory is None else "not_callable"
                ctl.send(_json(["import_error", kind, attr, names]))
                os._exit(0)
        # Everything imported so far is shared with the driver processes copy-on-write;
        # frozen, the collector never touches (and so never copies) it.
        gc.collect()
        gc.freeze()
        ctl.send(_json(["ready"]))
        statuses: dict[int, int] = {}
        while True:
            data, fds, _flags, _addr = socket.recv_fds(ctl, 65536, 4)
            if not data:
                os._exit(0)
            msg = wire._decode(data)
            if msg[0] == "spawn" and len(fds) == 2:
                pid = os.fork()
                if pid == 0:
                    ctl.close()
                    die_with_parent()
                    os.setpgid(0, 0)
                    os.dup2(fds[1], 1)
                    os.dup2(fds[1], 2)
                    os.close(fds[1])
                    _fresh_stdio()
                    confine()  # this process's own id in the filter
                    serve(socket.socket(fileno=fds[0]), factory)
                    os._exit(0)
                for fd in fds:
                    os.close(fd)
                _reap(statuses)
                ctl.send(_json(["pid", pid]))
            elif msg[0] == "wait":
                pid = int(msg[1])
                if pid not in statuses:
                    try:
                        _, status = os.waitpid(pid, 0)
                        statuses[pid] = os.waitstatus_to_exitcode(status)
                    except ChildProcessError:
                        pass
                ctl.send(_json(["status", statuses.pop(pid, None)]))
            else:
                os._exit(0)
    except BaseException:
        os._exit(0)


def _reap(statuses: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)


def _json(msg: list[Any]) -> bytes:
    return wire._ENCODER.encode(msg).encode("utf-8", "surrogatepass")
