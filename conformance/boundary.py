"""The checker's side of the boundary: a driver model in a process of its own.

``netdevspec check`` runs code it does not trust, so it runs it the way an operating
system runs an untrusted driver. The driver model lives in a child process; the reference
kernel, the monitor and the verdict stay here. One channel (:mod:`.wire`) carries the
driver's kernel calls in and the kernel's callbacks and interrupts out, nested as they
nest in a kernel.

* :class:`DriverHost` is one driver's fork server: a process that imported the driver
  module once (under a deadline) and forks a fresh process per driver instance, so two
  insmods of one driver have separate module globals, as two C modules do.
* :class:`DriverProcess` is one instance's process seen from here. Each kernel function
  the driver calls arrives with the fields the driver wrote since its last crossing;
  they are validated, applied to the kernel's structures and judged by the monitor
  before the call runs (:meth:`SpecMonitor.fields_written`,
  :meth:`SpecMonitor.skb_written`). Callbacks into the driver are
  :class:`DriverFunction` proxies the reference kernel calls like any function.
* Limits are enforced from here: each callback's time (the wait for the driver is
  timed, and a driver past its limit is killed with its process group), its memory
  (``RLIMIT_AS`` in the child and a resident-size watch here), its output (captured in a
  file of bounded size, never mixed with the report). A hang, crash, exit, signal,
  broken channel or leftover thread or process ends the scenario with a ``drv.*``
  finding (:class:`DriverGone`); the next scenario starts in a fresh process.

The child holds copies of nothing that matters: whatever it changes in its own memory,
the kernel, the monitor and the report here are out of its reach.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import math
import operator
import os
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from netdevspec.conformance import wire
from netdevspec.conformance.driverside import (
    DEV_BYTES,
    DEV_CALLBACKS,
    DEV_INTS,
    DEV_SYNCED,
    QUEUE_FIELDS,
    SKB_FIELDS,
    SKB_WRITABLE,
    SOCK_FIELDS,
    SOCK_WRITABLE,
    zygote,
)
from netdevspec.conformance.handle import BINDINGS, KernelHandle
from netdevspec.conformance.monitor import source_line
from netdevspec.reference import Device, Kernel, Module, SkBuff, SkBuffHead, TimerList
from netdevspec.reference.device import MAX_ADDR_LEN, EnetStatistics, IfMap
from netdevspec.reference.skbuff import Sock

from netdevspec.errors import UsageError

if TYPE_CHECKING:
    from netdevspec.conformance.monitor import SpecMonitor

__all__ = ["DriverFunction", "DriverGone", "DriverHost", "DriverObject", "DriverProcess",
           "DriverRaised", "DriverStartFailed", "RemoteModule"]

_MIN_INT = -(2**63)
_MAX_INT = 2**64
_MAX_STR = 4096
_MAX_BYTES = 1 << 20
_MAX_LIST = 4096
#: Default limits: a driver's process address space, and its output file.
DEFAULT_MEMORY_MB = 2048
OUTPUT_LIMIT = 1 << 20


class DriverGone(BaseException):
    """The driver's process can no longer take part: it ran past a limit, ended, or broke
    the channel. ``rule`` is the ``drv.*`` rule the harness reports; a BaseException, so
    the kernel's guard against driver exceptions does not swallow it."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


class DriverRaised(Exception):
    """A callback raised in the driver's process; ``repr`` is the driver's own."""

    def __init__(self, name: str, text: str, frames: list[tuple[str, int, str]]) -> None:
        super().__init__(text)
        self.name = name
        self.text = text
        self.frames = frames
        #: ``file:line`` of the innermost frame of the driver's traceback ("" if none).
        self.location = _source(list(frames[-1][:2])) if frames else ""

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        head, sep, rest = self.text.partition("(")
        return rest[:-1] if sep and head == self.name and rest.endswith(")") else self.text


class DriverStartFailed(Exception):
    """The driver module could not be imported or its factory found, or its import hung."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


class DriverFunction:
    """A function of the driver's: calling it runs it in the driver's process."""

    __slots__ = ("ident", "name", "proc", "where")

    def __init__(self, proc: DriverProcess, ident: int, name: str, where: str = "") -> None:
        self.proc = proc
        self.ident = ident
        self.name = name
        #: ``file:line`` of the function's definition ("" when unknown): where a finding
        #: at its return points.
        self.where = where

    def __call__(self, *args: Any) -> Any:
        return self.proc.invoke(self, args)

    def __repr__(self) -> str:
        return f"<driver function {self.name}>"


class DriverObject:
    """An object of the driver's that the kernel only stores and gives back (a ``dev_id``
    cookie, say)."""

    __slots__ = ("ident", "name", "proc")

    def __init__(self, proc: DriverProcess, ident: int, name: str) -> None:
        self.proc = proc
        self.ident = ident
        self.name = name

    def __repr__(self) -> str:
        return f"<driver object {self.name} #{self.ident}>"


class BadValue:
    """A value no C driver could pass (a float, an int out of range, a huge string): the
    kernel function that gets it refuses it."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"<bad value: {self.what}>"


# =============================================================================================
# The fork server
# =============================================================================================


class DriverHost:
    """One driver's fork server, and the limits of the processes it makes.

    ``DriverHost(factory, ref)``: ``factory`` is the driver's FACTORY when the caller has it
    already (the fork server inherits it), or None to import ``ref`` (``module:attr``) in
    the fork server, never here. Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, factory: Callable[..., Any] | None, ref: str, *,
                 time_limit: float = 2.0, memory_mb: int = DEFAULT_MEMORY_MB,
                 import_limit: float = 30.0) -> None:
        if not (isinstance(time_limit, (int, float)) and math.isfinite(time_limit)
                and time_limit > 0):
            raise UsageError(f"the time limit must be a positive number of seconds, got "
                             f"{time_limit!r}", "it bounds each callback of the driver",
                             "pass e.g. --time-limit 2")
        if not (isinstance(memory_mb, int) and memory_mb > 0):
            raise UsageError(f"the memory limit must be a positive number of MiB, got "
                             f"{memory_mb!r}", "it bounds the driver's address space",
                             "pass e.g. --memory-limit 2048")
        self.factory = factory
        self.ref = ref
        self.time_limit = float(time_limit)
        self.memory_mb = memory_mb
        self.import_limit = import_limit
        self.pid = 0
        self._ctl: socket.socket | None = None
        self.children: dict[int, DriverProcess] = {}

    def __enter__(self) -> DriverHost:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def memory_bytes(self) -> int:
        """The address-space limit of each driver process."""
        return self.memory_mb * 2**20

    def start(self) -> None:
        """Fork the server and wait for it to import the driver (raises
        :class:`DriverStartFailed` or :class:`~netdevspec.errors.UsageError`)."""
        if self._ctl is not None:
            return
        self._pin()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        out = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the server's life
        pid = os.fork()
        if pid == 0:  # the fork server
            try:
                ours.close()
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
                zygote(theirs, self.factory, self.ref, self.memory_bytes, OUTPUT_LIMIT)
            finally:
                os._exit(0)
        theirs.close()
        self.pid = pid
        self._ctl = ours
        self._out = out
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        ours.settimeout(self.import_limit)
        try:
            reply = wire._decode(ours.recv(65536))
        except TimeoutError:
            self.close()
            raise DriverStartFailed(
                "drv.callback.time", f"importing the driver module for {self.ref} ran past "
                f"{self.import_limit:g} s (module-level code that loops or waits)") from None
        except (OSError, wire.Malformed) as exc:
            self.close()
            raise DriverStartFailed("drv.process", f"the driver's process ended while its "
                                    f"module was imported ({exc})") from None
        ours.settimeout(None)
        if reply[0] == "ready":
            return
        self.close()
        if reply[0] == "import_error" and len(reply) == 4:
            _, kind, text, extra = reply
            mod, _, attr = self.ref.partition(":")
            if kind == "missing":
                raise UsageError(f"cannot import the driver module {mod!r}: {text}",
                                 "the module must be importable from the current directory "
                                 "or sys.path", "run from the directory that holds it, or "
                                 "install it")
            if kind == "no_factory":
                names = [n.strip() for n in str(extra).split(",") if n.strip()]
                near = difflib.get_close_matches(attr, names, n=1)
                hint = f"did you mean {mod}:{near[0]}?" if near else \
                    f"check the name; the module defines: {extra}"
                raise UsageError(f"the module {mod!r} has no attribute {attr!r}",
                                 "FACTORY names the callable that builds the driver model", hint)
            if kind == "not_callable":
                raise UsageError(f"{self.ref} is not callable", "a driver factory is called "
                                 "as FACTORY(handle, instance=n)", "point at the factory "
                                 "function")
            where = _where(extra)
            raise DriverStartFailed("drv.callback.raised", f"importing the driver module "
                                    f"{mod} raised {_stable(str(text))}{where}")
        raise DriverStartFailed("drv.process", "the driver's fork server answered "
                                f"{str(reply)[:80]} instead of starting")

    def _pin(self) -> None:
        """Run the checker and its driver processes on one CPU while the host lives.

        The two never run at once (each waits for the other's answer), and a hand-over
        between CPUs costs a wake-up of the idle one: on a virtual machine that is about
        100 µs, on one CPU a crossing is a few µs. The CPU is chosen by process id, so
        that checks running side by side (pytest -n 2) spread over the CPUs.
        """
        self._affinity: set[int] | None = None
        if not hasattr(os, "sched_setaffinity"):
            return
        try:
            cpus = sorted(os.sched_getaffinity(0))
            if len(cpus) > 1:
                self._affinity = set(cpus)
                os.sched_setaffinity(0, {cpus[os.getpid() % len(cpus)]})
        except OSError:
            self._affinity = None

    def spawn(self) -> tuple[int, socket.socket, Any]:
        """A fresh driver process: its pid, the checker's end of its channel, its output."""
        if self._ctl is None:
            self.start()
        assert self._ctl is not None
        ours, theirs = socket.socketpair()
        out = tempfile.TemporaryFile()  # noqa: SIM115 - the process's output, kept
        try:
            socket.send_fds(self._ctl, [b'["spawn"]'], [theirs.fileno(), out.fileno()])
            self._ctl.settimeout(self.import_limit)
            reply = wire._decode(self._ctl.recv(65536))
            self._ctl.settimeout(None)
        except (OSError, wire.Malformed) as exc:
            ours.close()
            out.close()
            raise DriverStartFailed("drv.process", f"the driver's fork server did not start "
                                    f"a process ({exc})") from None
        finally:
            theirs.close()
        pid = reply[1] if len(reply) == 2 and reply[0] == "pid" else None
        if not (type(pid) is int and _child_of(pid, self.pid)):
            ours.close()
            out.close()
            raise DriverStartFailed("drv.process", "the driver's fork server answered "
                                    f"{str(reply)[:80]} instead of a new process")
        return pid, ours, out

    def status(self, pid: int) -> int | None:
        """How a driver process ended: its exit code, or minus the signal that killed it."""
        if self._ctl is None:
            return None
        try:
            self._ctl.send(wire._ENCODER.encode(["wait", pid]).encode())
            self._ctl.settimeout(5.0)
            reply = wire._decode(self._ctl.recv(65536))
            self._ctl.settimeout(None)
        except (OSError, wire.Malformed):
            return None
        code = reply[1] if len(reply) == 2 and reply[0] == "status" else None
        return code if type(code) is int else None

    def close(self) -> None:
        """Kill every driver process and the fork server."""
        for proc in list(self.children.values()):
            proc.kill()
        if self._ctl is not None:
            with contextlib.suppress(OSError):
                self._ctl.close()
            self._ctl = None
        if self.pid:
            _kill_group(self.pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        affinity = getattr(self, "_affinity", None)
        if affinity:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, affinity)
            self._affinity = None


def _child_of(pid: int, parent: int) -> bool:
    """Whether ``pid`` is a process whose parent is ``parent`` (never this process or 1)."""
    if pid <= 1 or pid == os.getpid():
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return not os.path.isdir("/proc")  # no /proc: take the server's word
    fields_ = stat[stat.rfind(b")") + 2:].split()
    return len(fields_) > 1 and int(fields_[1]) == parent


def _kill_group(pid: int) -> None:
    """Kill ``pid`` and, if it leads a process group of its own, the whole group."""
    try:
        pgid = os.getpgid(pid)
    except OSError:
        return
    with contextlib.suppress(OSError):
        if pgid == pid and pgid != os.getpgrp():
            os.killpg(pgid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)


def _where(frames: Any) -> str:
    if isinstance(frames, list) and frames and isinstance(frames[-1], list) \
            and len(frames[-1]) == 3:
        f, line, name = frames[-1]
        return f" at {f}:{line} in {name}"
    return ""


# =============================================================================================
# One driver instance's process
# =============================================================================================


@dataclass(frozen=True)
class RemoteModule:
    """A driver instance in its own process: the module to insmod and its process."""

    module: Module
    process: DriverProcess


class DriverProcess:
    """One driver instance's process, seen from the checker (see the module docstring)."""

    def __init__(self, host: DriverHost, kernel: Kernel, monitor: SpecMonitor | None,
                 module: Module) -> None:
        self.host = host
        self.kernel = kernel
        self.monitor = monitor
        self.module = module
        self.handle = KernelHandle(kernel, module, monitor)
        self.pid, self.sock, self.out = host.spawn()
        host.children[self.pid] = self
        self.reader = wire.Reader(self.sock)
        self.dead: DriverGone | None = None
        #: Shared structures by id, and the ids of the kernel's structures.
        self.objs: dict[int, Any] = {}
        self.ids: dict[int, int] = {}
        self.next_id = 1
        #: The driver's functions and objects by id (one proxy per id).
        self.proxies: dict[int, DriverFunction | DriverObject] = {}
        #: Kernel callables the driver holds references to.
        self.kfuncs: dict[int, Any] = {}
        #: What the driver's copy of each structure holds, as sent (field -> wire value).
        self.shadow: dict[int, dict[str, Any]] = {}
        self.devices: dict[int, Device] = {}
        self._mention: list[Any] = []
        #: Per device, its fields as last synced (a plain snapshot, compared before any
        #: encoding: most crossings change no device) and the structures they mention.
        self._dev_seen: dict[int, tuple[list[Any], list[Any]]] = {}

    # -- life ----------------------------------------------------------------------------------
    def build(self, instance: int, params: dict[str, int]) -> tuple[str, Any, Any]:
        """Run the driver's factory in its process: its name, init_module, cleanup_module."""
        fn = DriverFunction(self, 0, "FACTORY")
        out = fn(instance, _Params(params))
        if not (isinstance(out, list) and len(out) == 3):
            raise DriverGone("drv.process", f"the driver's process answered {out!r} when asked "
                             "to build the model")
        name, init, cleanup = out
        if not isinstance(name, str) or not name or len(name) > 64:
            raise DriverGone("drv.callback.type", f"the driver model's name must be a non-empty "
                             f"str of at most 64 characters, got {_show(name)}")
        for what, f in (("init_module", init), ("cleanup_module", cleanup)):
            if not isinstance(f, DriverFunction):
                raise DriverGone("drv.callback.type", f"the driver model's {what} must be a "
                                 f"function, got {_show(f)}")
        return name, init, cleanup

    def kill(self) -> None:
        """End the process and its process group; forget it."""
        _kill_group(self.pid)
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(OSError):
            self.out.close()
        self.host.children.pop(self.pid, None)
        if self.dead is None:
            self.dead = DriverGone("drv.process", "the driver's process was stopped")

    def leftovers(self) -> list[str]:
        """What the driver left running in its process or beside it (threads, children)."""
        if self.dead is not None:
            return []
        found = []
        try:
            tasks = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return []
        if len(tasks) > 1:
            found.append(f"{len(tasks) - 1} thread(s) still running in the driver's process")
        children: list[str] = []
        for t in tasks:
            try:
                with open(f"/proc/{self.pid}/task/{t}/children") as f:
                    children += f.read().split()
            except OSError:
                pass
        if children:
            found.append(f"{len(children)} child process(es) the driver started "
                         f"(pids {', '.join(children[:4])})")
        return found

    # -- values --------------------------------------------------------------------------------
    def kid(self, obj: Any) -> int:
        ident = self.ids.get(id(obj))
        if ident is None:
            ident = self.next_id
            self.next_id += 1
            self.ids[id(obj)] = ident
            self.objs[ident] = obj
            if isinstance(obj, Device):
                self.devices[ident] = obj
        return ident

    def enc(self, v: Any, depth: int = 0) -> Any:
        if v is None or v is True or v is False:
            return v
        t = type(v)
        if t is int or t is str:
            return v
        if t is Device or t is SkBuff or t is SkBuffHead or t is Sock or t is TimerList:
            self._mention.append(v)
            return {"k": self.kid(v), "t": _KIND[t]}
        if t is bytes or t is bytearray:
            return {"b": v.hex()}
        if t is DriverFunction or t is DriverObject:
            if v.proc is self:
                return {"d": v.ident}
        elif t is EnetStatistics or t is IfMap:
            return {"s" if t is EnetStatistics else "m":
                    {f.name: getattr(v, f.name) for f in fields(v)
                     if type(getattr(v, f.name)) is int}}
        elif t is _Params:
            return {"p": [[k, x] for k, x in v.params.items()]}
        elif (t is list or t is tuple) and depth < 4:
            return [self.enc(x, depth + 1) for x in v]
        ident = self.kid(v)
        self.kfuncs[ident] = v
        name = getattr(v, "__qualname__", None) or type(v).__qualname__
        return {"x": ident, "n": str(name)}

    def fields_of(self, obj: Any) -> tuple[str, dict[str, Any]]:
        t = type(obj)
        if t is Device:
            d = obj
            out = {}
            for f in DEV_SYNCED:
                v = getattr(d, f)
                if f == "buffs" or f == "mc_list":
                    out[f] = [self.enc(x) for x in v]
                else:
                    out[f] = self.enc(v)
            return "dev", out
        if t is SkBuff:
            return "skb", {f: self.enc(getattr(obj, f)) for f in SKB_FIELDS}
        if t is Sock:
            return "sock", {f: self.enc(getattr(obj, f)) for f in SOCK_FIELDS}
        if t is TimerList:
            return "timer", {"expires": obj.expires, "data": obj.data, "pending": obj.pending}
        return "queue", {f: self.enc(getattr(obj, f)) for f in QUEUE_FIELDS}

    def sync(self, devices: bool) -> list[Any]:
        """The fields of the structures the driver holds that changed since it last saw
        them: those just mentioned, and every device when ``devices``."""
        items: list[Any] = []
        todo = list(self._mention)
        self._mention.clear()
        if devices:
            todo += list(self.devices.values())
        done: set[int] = set()
        rounds = 0
        while todo and rounds < 8:
            rounds += 1
            for obj in todo:
                ident = self.kid(obj)
                if ident in done:
                    continue
                done.add(ident)
                if type(obj) is Device:
                    snap = _dev_snapshot(obj)
                    seen = self._dev_seen.get(ident)
                    if seen is not None and seen[0] == snap:
                        self._mention += seen[1]  # their own fields may have changed
                        continue
                    mark = len(self._mention)
                    kind, now = self.fields_of(obj)
                    self._dev_seen[ident] = (snap, self._mention[mark:])
                else:
                    kind, now = self.fields_of(obj)
                old = self.shadow.get(ident)
                if old is None:
                    self.shadow[ident] = now
                    items.append([ident, kind, now])
                else:
                    diff = {f: v for f, v in now.items() if old.get(f) != v}
                    if diff:
                        old.update(diff)
                        items.append([ident, kind, diff])
            todo = [o for o in self._mention if self.kid(o) not in done]
            self._mention.clear()
        return items

    def dec(self, v: Any, depth: int = 0) -> Any:
        if v is None or v is True or v is False:
            return v
        t = type(v)
        if t is int:
            if not _MIN_INT <= v < _MAX_INT:
                return self._bad(f"the integer {_show(v)} does not fit in 64 bits")
            return v
        if t is str:
            if len(v) > _MAX_STR:
                return self._bad(f"a string of {len(v)} characters")
            return v
        if t is list:
            if depth > 8 or len(v) > _MAX_LIST:
                return self._bad("a list nested too deep or too long")
            return [self.dec(x, depth + 1) for x in v]
        if t is float:
            return self._bad(f"the float {v!r}")
        if t is dict and len(v) <= 4:
            if "k" in v:
                obj = self.objs.get(v["k"]) if type(v["k"]) is int else None
                if obj is None or type(obj) not in _KIND:
                    raise self._broken(f"it named a kernel structure #{v['k']!r} it was never "
                                       "given")
                return obj
            if "d" in v:
                return self._proxy(v)
            if "b" in v:
                b = v["b"]
                if type(b) is not str or len(b) > 2 * _MAX_BYTES:
                    return self._bad("a byte string over 1 MiB")
                try:
                    return bytes.fromhex(b)
                except ValueError:
                    raise self._broken("it sent bytes that are not hex") from None
            if "x" in v:
                fn = self.kfuncs.get(v["x"]) if type(v["x"]) is int else None
                if fn is None:
                    raise self._broken("it named a kernel function it was never given")
                return fn
            if "s" in v or "m" in v:
                cls = EnetStatistics if "s" in v else IfMap
                body = v.get("s", v.get("m"))
                if type(body) is not dict:
                    raise self._broken("a struct that is not an object")
                names = {f.name for f in fields(cls)}
                kw = {k: x for k, x in body.items() if k in names and type(x) is int
                      and _MIN_INT <= x < _MAX_INT}
                if len(kw) != len(body):
                    return self._bad(f"a struct {cls.__name__} with fields that are not ints")
                return cls(**kw)
            if "f" in v:
                return self._bad(f"the float {str(v['f'])[:40]}")
        raise self._broken(f"it sent a value the protocol does not have: {str(v)[:60]}")

    def _proxy(self, v: dict[str, Any]) -> DriverFunction | DriverObject:
        ident = v["d"]
        if type(ident) is not int or ident < 0:
            raise self._broken("a driver object reference that is not an id")
        p = self.proxies.get(ident)
        if p is None:
            name = str(v.get("n", "?"))[:120]
            p = (DriverFunction(self, ident, name, _source(v.get("l"))) if v.get("c") else
                 DriverObject(self, ident, name))
            self.proxies[ident] = p
        return p

    def _bad(self, what: str) -> BadValue:
        if self.monitor is not None:
            self.monitor.report_model_rule(
                "drv.value", f"module {self.module.name} passed the kernel {what}, a value no "
                "C driver can pass through this API", self.module, "a value from the driver")
        return BadValue(what)

    def _broken(self, what: str) -> DriverGone:
        self.kill()
        gone = DriverGone("drv.process", f"the driver's process broke the channel protocol: "
                          f"{what}")
        self.dead = gone
        return gone

    # -- writes --------------------------------------------------------------------------------
    def apply(self, new: Any, writes: Any) -> None:
        """Make the driver's new structures and apply (and judge) the fields it wrote."""
        if type(new) is not list or type(writes) is not list:
            raise self._broken("a crossing without its lists of new structures and writes")
        fresh: set[int] = set()
        for item in new:
            if not (type(item) is list and len(item) == 2 and type(item[0]) is int
                    and item[0] < 0 and item[0] not in self.objs
                    and item[1] in ("dev", "queue", "timer")):
                raise self._broken(f"a new structure {str(item)[:40]} that is not a device, a "
                                   "queue or a timer with a fresh id")
            obj: Any = (Device() if item[1] == "dev" else SkBuffHead() if item[1] == "queue"
                        else TimerList())
            self.objs[item[0]] = obj
            self.ids[id(obj)] = item[0]
            if item[1] == "dev":
                self.devices[item[0]] = obj
            fresh.add(item[0])
        c = self.module
        mon = self.monitor
        dev_written: set[Device] = set()
        dev_where = ""
        for item in writes:
            if not (type(item) is list and len(item) in (2, 3) and type(item[0]) is int
                    and type(item[1]) is dict):
                raise self._broken(f"a write {str(item)[:40]} that is not [id, {{fields}}]")
            ident, fs = item[0], item[1]
            where = _source(item[2]) if len(item) == 3 else ""
            if len(item) == 3 and not where:
                raise self._broken(f"a write {str(item)[:40]} whose place is not [file, line]")
            obj = self.objs.get(ident)
            if obj is None:
                raise self._broken(f"a write to a structure #{ident} it was never given")
            shadow = self.shadow.setdefault(ident, {})
            self._dev_seen.pop(ident, None)  # the shadow changes: compare in full next time
            t = type(obj)
            if t is Device and mon is not None and ident not in fresh:
                mon.see_device(obj)  # its fields before this write are the baseline
            changed: list[str] = []
            for f, raw in fs.items():
                value = self.dec(raw)
                if t is Device:
                    ok = self._dev_field(obj, f, value)
                elif t is SkBuff:
                    ok = self._skb_field(obj, f, value)
                elif t is Sock and f in SOCK_WRITABLE and type(value) is int:
                    setattr(obj, f, value)
                    ok = True
                elif t is TimerList:
                    ok = self._timer_field(obj, f, value)
                else:
                    ok = False
                    self._bad_write(obj, f, "a queue's fields change only through the queue "
                                    "functions")
                if ok:
                    changed.append(f)
                    shadow[f] = self.enc(getattr(obj, f)) if f not in ("mc_list", "buffs") \
                        else [self.enc(x) for x in getattr(obj, f)]
            self._mention.clear()
            if ident in fresh or not changed or mon is None:
                continue
            if t is Device:
                dev_written.add(obj)
                dev_where = where or dev_where
            elif t is SkBuff:
                outer, mon.location = mon.location, where or mon.location
                try:
                    mon.skb_written(c, obj, frozenset(changed))
                finally:
                    mon.location = outer
        for ident in fresh:
            obj = self.objs[ident]
            if mon is not None and isinstance(obj, Device):
                mon.see_device(obj)
        if dev_written and mon is not None:
            outer, mon.location = mon.location, dev_where or mon.location
            try:
                mon.fields_written(c, frozenset(dev_written))
            finally:
                mon.location = outer

    def _dev_field(self, d: Device, f: str, v: Any) -> bool:
        if f in DEV_INTS:
            if type(v) is bool:
                v = int(v)
            if type(v) is not int:
                return self._bad_write(d, f, f"it is an int field, not {_show(v)}")
        elif f == "name":
            if type(v) is not str:
                return self._bad_write(d, f, f"a name is a string, not {_show(v)}")
        elif f in DEV_CALLBACKS:
            if not (v is None or isinstance(v, DriverFunction) or v in self.kfuncs.values()):
                return self._bad_write(d, f, f"a method field holds a function or NULL, not "
                                       f"{_show(v)}")
        elif f in DEV_BYTES:
            if type(v) is not bytes or len(v) > MAX_ADDR_LEN:
                return self._bad_write(d, f, f"it holds at most {MAX_ADDR_LEN} bytes, not "
                                       f"{_show(v)}")
            v = bytearray(v.ljust(MAX_ADDR_LEN, b"\0"))
        elif f == "mc_list":
            if type(v) is not list or not all(type(x) is bytes for x in v):
                return self._bad_write(d, f, f"it is a list of addresses, not {_show(v)}")
        else:
            return self._bad_write(d, f, "struct device has no such field a driver may write")
        setattr(d, f, v)
        return True

    def _skb_field(self, s: SkBuff, f: str, v: Any) -> bool:
        if f not in SKB_WRITABLE:
            return self._bad_write(s, f, "the allocator or the kernel sets it")
        if f == "dev":
            if not (v is None or type(v) is Device):
                return self._bad_write(s, f, f"skb->dev is a device or NULL, not {_show(v)}")
        else:
            if type(v) is bool:
                v = int(v)
            if type(v) is not int:
                return self._bad_write(s, f, f"it is an int field, not {_show(v)}")
        setattr(s, f, v)
        return True

    def _timer_field(self, t: TimerList, f: str, v: Any) -> bool:
        if f == "function":
            if not (v is None or type(v) is DriverFunction):
                return self._bad_write(t, f, f"it is a function of the driver's or NULL, not "
                                       f"{_show(v)}")
        elif f in ("expires", "data"):
            if type(v) is not int:
                return self._bad_write(t, f, f"it is an unsigned long, not {_show(v)}")
        else:
            return self._bad_write(t, f, "the kernel keeps it (add_timer, del_timer)")
        setattr(t, f, v)
        return True

    def _bad_write(self, obj: Any, f: str, why: str) -> bool:
        if self.monitor is not None:
            self.monitor.report_model_rule(
                "drv.value", f"module {self.module.name} wrote field {f} of "
                f"{_describe(obj)}: {why}", self.module, f"write to {_describe(obj)}.{f}")
        return False

    # -- crossings -----------------------------------------------------------------------------
    def _send(self, msg: list[Any]) -> None:
        try:
            wire.send(self.sock, msg)
        except (wire.Closed, OSError):
            raise self._ended("while the kernel called it") from None

    def _ended(self, when: str) -> DriverGone:
        code = None
        if self.dead is None:
            _kill_group(self.pid)
            code = self.host.status(self.pid)
        how = ("it exited with status 0 (sys.exit, os._exit or the end of its code)"
               if code == 0 else f"it exited with status {code}" if code and code > 0
               else f"it was killed by signal {_signame(-code)}" if code and code < 0
               else "it ended")
        tail = self._output_tail()
        gone = DriverGone("drv.process", f"the driver's process ended {when}: {how}"
                          + (f"; its last output: {tail}" if tail else ""))
        self.kill()
        self.dead = gone
        return gone

    def _output_tail(self) -> str:
        try:
            self.out.seek(0, os.SEEK_END)
            size = self.out.tell()
            self.out.seek(max(0, size - 300))
            text = self.out.read(300).decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return " | ".join(text.splitlines()[-3:])[:300]

    def _recv(self, budget: float, fn: DriverFunction) -> list[Any]:
        """The next message from the driver, within ``budget`` seconds of its time."""
        limit = self.host.memory_bytes
        while True:
            step = min(budget, 0.25)
            t0 = time.monotonic()
            try:
                return self.reader.recv(step)
            except wire.TimedOut:
                budget -= time.monotonic() - t0
                if budget <= 0:
                    self.kill()
                    gone = DriverGone("drv.callback.time", f"{fn.name} ran past the "
                                      f"{self.host.time_limit:g} s limit and was killed")
                    self.dead = gone
                    raise gone from None
                rss = _rss(self.pid)
                if rss > limit:
                    self.kill()
                    gone = DriverGone("drv.resources", f"{fn.name} used {rss >> 20} MiB, over "
                                      f"the {limit >> 20} MiB limit, and was killed")
                    self.dead = gone
                    raise gone from None
            except wire.Closed:
                raise self._ended(f"in {fn.name}") from None
            except wire.Malformed as exc:
                raise self._broken(str(exc)) from None

    def invoke(self, fn: DriverFunction, args: tuple[Any, ...]) -> Any:
        """Call a driver function in its process; serve its kernel calls meanwhile."""
        if self.dead is not None:
            raise self.dead
        enc_args = [self.enc(a) for a in args]
        self._send(["cb", fn.ident, enc_args, self.sync(devices=True), self.kernel.jiffies,
                    self.kernel.intr_count])
        budget = self.host.time_limit
        while True:
            t0 = time.monotonic()
            msg = self._recv(budget, fn)
            budget -= time.monotonic() - t0
            kind = msg[0]
            if kind == "call" and len(msg) == 6:
                self._serve_call(msg)
            elif kind == "ret" and len(msg) == 4:
                self.apply(msg[2], msg[3])
                return self.dec(msg[1])
            elif kind == "exc" and len(msg) == 6:
                self.apply(msg[4], msg[5])
                name, text, frames = str(msg[1])[:80], _stable(str(msg[2])[:500]), msg[3]
                raise DriverRaised(name, text, _frames(frames))
            elif kind == "api" and len(msg) == 2:
                if self.monitor is not None:
                    self.monitor.report_model_rule(
                        "drv.api.only", f"module {self.module.name} reached for the kernel "
                        f"object behind its handle ({str(msg[1])[:60]})", self.module,
                        str(msg[1])[:60])
            else:
                raise self._broken(f"a message {str(msg)[:60]} it may not send now")

    def _serve_call(self, msg: list[Any]) -> None:
        _, name, args, new, writes, where = msg
        if type(name) is not str or name not in BINDINGS or type(args) is not list:
            raise self._broken(f"it called {str(name)[:40]!r}, which is not a kernel function "
                               "of the handle")
        if new or writes:
            self.apply(new, writes)
        values = self.dec(args) if args else args
        mon = self.monitor
        outer = ""
        if mon is not None:
            outer = mon.location
            mon.location = _source(where)
        try:
            result = getattr(self.handle, name)(*values)
        except Exception as exc:
            self._send(["kx", type(exc).__name__, str(exc), self.sync(devices=True)])
            return
        finally:
            if mon is not None:
                mon.location = outer
        out = self.enc(result)
        # the structures passed in changed too (skb_put moved a buffer's tail): the driver's
        # copies are refreshed, as a C driver reading skb->len afterwards sees the new one
        if args:
            self._mention.extend(v for v in values if type(v) in _KIND)
        self._send(["rv", out, self.sync(devices=name in _device_calls()),
                    self.kernel.jiffies])


_DEV_GET = operator.attrgetter(*DEV_SYNCED)
_DEV_MUTABLE = tuple(i for i, f in enumerate(DEV_SYNCED) if f in ("broadcast", "dev_addr",
                                                                 "mc_list", "buffs"))


def _dev_snapshot(d: Device) -> list[Any]:
    """A device's synced fields as plain values (byte arrays and lists copied), for an
    equality test that needs no encoding."""
    raw = list(_DEV_GET(d))
    for i in _DEV_MUTABLE:
        v = raw[i]
        raw[i] = bytes(v) if isinstance(v, (bytes, bytearray)) else tuple(v)
    return raw


@functools.cache
def _device_calls() -> frozenset[str]:
    """The kernel functions after which the driver's copies of its devices are refreshed
    (those whose effect reads or changes a device, from the spec's frames); the kernel
    changes a device's fields otherwise only between callbacks, and every callback starts
    with the devices refreshed."""
    from netdevspec.conformance.monitor import device_calls

    return device_calls()


class _Params:
    """Insmod parameters on their way to the factory."""

    __slots__ = ("params",)

    def __init__(self, params: dict[str, int]) -> None:
        self.params = params


_KIND: dict[type, str] = {Device: "dev", SkBuff: "skb", SkBuffHead: "queue", Sock: "sock",
                          TimerList: "timer"}


def _frames(raw: Any) -> list[tuple[str, int, str]]:
    out = []
    if isinstance(raw, list):
        for f in raw[-12:]:
            if isinstance(f, list) and len(f) == 3 and type(f[1]) is int:
                out.append((str(f[0])[:300], f[1], str(f[2])[:120]))
    return out


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _stable(text: str) -> str:
    """The driver's own text (an exception's repr) without memory addresses (an object's
    default repr names one), so that a report is the same run to run."""
    return _ADDRESS.sub("", text)


def _source(where: Any) -> str:
    """``file:line`` of the driver code that made a call, from what its process sent."""
    if (type(where) is list and len(where) == 2 and type(where[0]) is str
            and type(where[1]) is int):
        return source_line(where[0][:500], where[1])
    return ""


def _show(v: Any) -> str:
    if isinstance(v, (DriverFunction, DriverObject, BadValue)):
        return repr(v)
    if type(v) in (int, bool) or v is None:
        text = str(v)
        return text if len(text) < 40 else f"an integer of {len(text)} digits"
    if type(v) in (str, bytes):
        return repr(v[:40]) + ("..." if len(v) > 40 else "")
    return type(v).__name__


def _describe(obj: Any) -> str:
    if isinstance(obj, Device):
        return f"device {obj.name!r}" if obj.name else "a device (blank name)"
    if isinstance(obj, SkBuff):
        return f"buffer #{obj.id}"
    return "a queue"


def _signame(n: int) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return str(n)


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@contextlib.contextmanager
def hosted(factory: Callable[..., Any] | None, ref: str, **limits: Any) -> Iterator[DriverHost]:
    """A started :class:`DriverHost`, closed on exit."""
    host = DriverHost(factory, ref, **limits)
    try:
        host.start()
        yield host
    finally:
        host.close()
