"""Hostile and careless driver models: each misbehaves in one way, as code, not as API use.

Every model here is a factory for ``netdevspec check``. :data:`HOSTILE` maps each to the
rule its misbehaviour must be reported under (``None``: it must change nothing, i.e. the
base bug's rule still fails). The models that tamper are built on
:class:`~netdevspec.reference.buggy.buffers.XmitNeverFrees` (a real bug:
``mod.exit.buffers``), so a tampering route that worked would turn that FAIL into a PASS.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import os
import signal
import sys
import threading
import time
from typing import Any

from netdevspec.reference.buggy.buffers import XmitNeverFrees
from netdevspec.reference.drivers.dummy import Dummy
from netdevspec.reference.drivers.skeleton import Skeleton

#: The rule the base bug of every tampering model breaks.
BASE_RULE = "mod.exit.buffers"


def _spin() -> None:
    while True:
        pass


class _Tamper(XmitNeverFrees):
    """The leaking dummy, with one tampering act when it is loaded."""

    def tamper(self) -> None:
        raise NotImplementedError

    def init_module(self) -> int:
        with contextlib.suppress(BaseException):  # a tamperer does not care if it worked
            self.tamper()
        return super().init_module()


class PatchMonitor(_Tamper):
    """``handle._monitor._found = lambda *a, **k: None``, and every monitor gc finds."""

    def tamper(self) -> None:
        with contextlib.suppress(AttributeError):
            self._h._monitor._found = lambda *a, **k: None
        for obj in gc.get_objects():
            if type(obj).__name__ in ("SpecMonitor", "Harness", "CheckReport"):
                for name in ("_found", "findings", "_exercised", "report_model_rule"):
                    try:
                        setattr(obj, name, [] if name == "findings" else lambda *a, **k: None)
                    except Exception:
                        continue


class PatchClasses(_Tamper):
    """Patches the monitor and report classes in every module it can reach."""

    def tamper(self) -> None:
        for name, mod in list(sys.modules.items()):
            if name.startswith("netdevspec"):
                for cls_name in ("SpecMonitor", "CheckReport", "RuleResult"):
                    cls = getattr(mod, cls_name, None)
                    if cls is not None:
                        for meth in ("_found", "_check_uses", "exit_code", "failed"):
                            try:
                                setattr(cls, meth, lambda *a, **k: None)
                            except Exception:
                                continue


class PatchBuiltins(_Tamper):
    """Makes isinstance always true and len always 0 in its process."""

    def tamper(self) -> None:
        builtins.isinstance = lambda *a: True  # type: ignore[assignment]


class WalkFrames(_Tamper):
    """Walks up its stack and clears every ``findings`` list and ``monitor`` it sees."""

    def tamper(self) -> None:
        f = sys._getframe()
        while f is not None:
            for v in list(f.f_locals.values()):
                if hasattr(v, "findings"):
                    v.findings.clear()
            f = f.f_back  # type: ignore[assignment]


class ForgeReport(_Tamper):
    """Prints a clean report and replaces sys.stdout."""

    def tamper(self) -> None:
        print('{"version": 1, "counts": {"PASS": 100}, "rules": []}')
        print("101 rules: 101 PASS")
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115


class ForgeChannel(_Tamper):
    """Finds its channel socket and writes a forged 'return' on it."""

    def tamper(self) -> None:
        import socket

        for obj in gc.get_objects():
            if isinstance(obj, socket.socket) and obj.fileno() >= 0:
                obj.send(b"\x00\x00\x00\x0e[\"ret\",0,[],[]]")


class ExitInXmit(Dummy):
    """``sys.exit(0)`` in hard_start_xmit."""

    def dummy_xmit(self, skb: Any, dev: Any) -> int:
        sys.exit(0)


class HardExitInOpen(Dummy):
    """``os._exit(0)`` in open."""

    def dummy_open(self, dev: Any) -> int:
        os._exit(0)


class KillsItself(Dummy):
    """Crashes its process in hard_start_xmit: reads address 0 (SIGSEGV)."""

    def dummy_xmit(self, skb: Any, dev: Any) -> int:
        import ctypes

        ctypes.string_at(0)
        return 0


class KillsTheChecker(XmitNeverFrees):
    """Tries to stop the checker: SIGKILL to its parents, ptrace, a write into
    /proc/PID/mem; then leaks as its base does."""

    def init_module(self) -> int:
        import ctypes

        pids = [os.getppid()]
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{pids[0]}/stat", "rb") as f:
                stat = f.read()
            pids.append(int(stat[stat.rfind(b")") + 2:].split()[1]))
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError), open(f"/proc/{pid}/mem", "r+b") as mem:
                mem.write(b"\0")
            ctypes.CDLL(None).ptrace(16, pid, 0, 0)  # PTRACE_ATTACH
        return super().init_module()


class HangsInXmit(Dummy):
    """Ignores SIGALRM and every exception, and loops for ever in hard_start_xmit."""

    def dummy_xmit(self, skb: Any, dev: Any) -> int:
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
        while True:
            try:
                _spin()
            except BaseException:
                continue


class HangsInIrq(Skeleton):
    """skeleton whose interrupt handler loops for ever."""

    def net_interrupt(self, irq: int, dev_id: object, regs: object) -> None:
        _spin()


class HangsInFactory(Dummy):
    """Its factory loops for ever."""

    def __init__(self, handle: Any, /, *, instance: int = 0, **params: int) -> None:
        _spin()


class HogsMemory(Dummy):
    """Allocates without end in hard_start_xmit."""

    def dummy_xmit(self, skb: Any, dev: Any) -> int:
        hoard = []
        while True:
            hoard.append(bytearray(64 << 20))


class FloodsOutput(Dummy):
    """Prints megabytes in every hard_start_xmit, then goes on correctly."""

    def dummy_xmit(self, skb: Any, dev: Any) -> int:
        sys.stdout.write("x" * (4 << 20))
        return super().dummy_xmit(skb, dev)


class ForksInOpen(Dummy):
    """Leaves a child process sleeping behind, from open."""

    def dummy_open(self, dev: Any) -> int:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        return super().dummy_open(dev)


class ThreadInOpen(Dummy):
    """Leaves a thread running behind, from open."""

    def dummy_open(self, dev: Any) -> int:
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        return super().dummy_open(dev)


class _Unprintable(Exception):
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")

    def __str__(self) -> str:
        raise RuntimeError("no str either")


class RaisesUnprintable(Dummy):
    """Raises an exception whose repr and str raise, in hard_start_xmit."""

    def dummy_xmit(self, skb: Any, dev: Any) -> int:
        raise _Unprintable()


class _Weird:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class OpenReturnsObject(Dummy):
    """open returns an object whose repr raises."""

    def dummy_open(self, dev: Any) -> int:
        super().dummy_open(dev)
        return _Weird()  # type: ignore[return-value]


class ClearsOwner(_Tamper):
    """Hides its leak by clearing ``skb.owner`` (and ``alive``) on every frame it keeps."""

    def tamper(self) -> None:
        pass

    def dummy_xmit(self, skb: Any, dev: Any) -> int:
        for name in ("owner", "alive"):
            with contextlib.suppress(AttributeError):  # refused in the driver's process
                setattr(skb, name, None)
        return super().dummy_xmit(skb, dev)


class GrowsLen(Dummy):
    """Writes ``skb.len += 8`` without moving the tail (geometry broken by a direct write)."""

    def dummy_xmit(self, skb: Any, dev: Any) -> int:
        if skb is not None:
            skb.len += 8
        return super().dummy_xmit(skb, dev)


class FloatIrq(Dummy):
    """Writes a float into dev.irq at open."""

    def dummy_open(self, dev: Any) -> int:
        dev.irq = 5.5
        return super().dummy_open(dev)


class WritesForeignFree(Dummy):
    """Sets ``free`` on a frame after handing it back with dev_kfree_skb (a write to a
    buffer it no longer holds)."""

    def dummy_xmit(self, skb: Any, dev: Any) -> int:
        rc = super().dummy_xmit(skb, dev)
        if skb is not None:
            skb.free = 1
        return rc


#: Factory -> the rule its misbehaviour is reported under.
HOSTILE: dict[type[Any], str] = {
    PatchMonitor: BASE_RULE,
    PatchClasses: BASE_RULE,
    PatchBuiltins: "drv.process",  # its own process can no longer speak the protocol
    WalkFrames: BASE_RULE,
    ForgeReport: BASE_RULE,
    ForgeChannel: "drv.process",
    ExitInXmit: "drv.process",
    HardExitInOpen: "drv.process",
    KillsItself: "drv.process",
    KillsTheChecker: BASE_RULE,
    HangsInXmit: "drv.callback.time",
    HangsInIrq: "drv.callback.time",
    HangsInFactory: "drv.callback.time",
    FloodsOutput: "drv.callback.raised",
    ForksInOpen: "drv.process",
    ThreadInOpen: "drv.process",
    RaisesUnprintable: "drv.callback.raised",
    OpenReturnsObject: "drv.callback.type",
    ClearsOwner: BASE_RULE,
    GrowsLen: "skb.geometry",
    FloatIrq: "drv.value",
    WritesForeignFree: "skb.use.alive",
}


class WritesRivalDevice(Dummy):
    """Looks up another module's registered device by name and rewrites its base address
    (a write to a structure it does not own, judged as its own write)."""

    def dummy_open(self, dev: Any) -> int:
        other = self._h.dev_get("eth0")
        if other is not None:
            other.base_addr = 0x2F8
        return super().dummy_open(dev)


HOSTILE[WritesRivalDevice] = "dev.setup.unregistered"
