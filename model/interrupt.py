"""Signals reach the prover even while z3 is working.

z3 runs in C. Python only runs its signal handlers between bytecodes, so a SIGINT or
SIGTERM that arrives during a query would wait for the query to finish; and z3's own
Ctrl-C handler (on by default) answers SIGINT by cancelling the query and returning
``unknown``, swallowing the signal, so a run could end as if nothing had happened.

So the prover's solvers run with z3's handler off (``ctrl_c=False``), and while
:func:`interruptible` is active the Python handlers stay in charge: Python's C-level
handler writes the signal number to a wakeup pipe, a watcher thread reading that pipe
interrupts every live z3 context (``Z3_interrupt`` is safe to call from another
thread), the query returns at once, and the Python handler runs (``KeyboardInterrupt``
for SIGINT, whatever the caller installed for SIGTERM).
"""

from __future__ import annotations

import os
import signal
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Interrupted", "check", "interruptible", "received", "register"]

_LIVE: weakref.WeakSet[Any] = weakref.WeakSet()
_LOCK = threading.Lock()
_RECEIVED: list[int] = []
_ACTIVE: list[bool] = [False]  # a main-thread block is running


class Interrupted(BaseException):
    """A signal arrived while :func:`interruptible` was active.

    Raised even when the signal handler's own exception was lost: Python ignores
    exceptions raised in finalisers (z3's objects release their C handles in
    ``__del__``), so a ``KeyboardInterrupt`` can vanish and the run would go on.
    """

    def __init__(self, signum: int):
        super().__init__(f"signal {signum}")
        self.signum = signum


def check() -> None:
    """Raise :class:`Interrupted` if a signal has arrived in the running block (a no-op
    when none is running, e.g. in another thread)."""
    if _ACTIVE[0] and _RECEIVED:
        raise Interrupted(_RECEIVED[0])


def received() -> int | None:
    """The first signal that arrived during the last :func:`interruptible` block, if any.

    The exception a signal handler raises can surface wrapped (ctypes turns an exception
    raised while it converts arguments into ``ctypes.ArgumentError``); this says what
    really happened.
    """
    return _RECEIVED[0] if _RECEIVED else None


def register(ctx: Any) -> None:
    """Let a signal interrupt queries running in the z3 context ``ctx``."""
    with _LOCK:
        _LIVE.add(ctx)


def _interrupt_all() -> None:
    with _LOCK:
        live = list(_LIVE)
    for ctx in live:
        ctx.interrupt()


@contextmanager
def interruptible() -> Iterator[None]:
    """While active, a signal interrupts the running z3 query at once.

    Does nothing outside the main thread (only the main thread receives signals).
    On exit, :func:`received` tells which signal, if any, arrived, and if one did
    and no exception is on its way out, :class:`Interrupted` is raised.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _RECEIVED.clear()
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        old = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:  # pragma: no cover - not the main interpreter
        os.close(r)
        os.close(w)
        yield
        return

    def watch() -> None:
        while True:
            try:
                data = os.read(r, 64)
            except OSError:
                return
            if not data:
                return
            _RECEIVED.extend(data)  # the wakeup fd carries each signal's number
            _interrupt_all()

    t = threading.Thread(target=watch, name="netdevspec-signal-watch", daemon=True)
    t.start()
    _ACTIVE[0] = True
    try:
        yield
    finally:
        _ACTIVE[0] = False
        signal.set_wakeup_fd(old)
        os.close(w)  # the watcher reads end-of-file and stops
        t.join()
        os.close(r)
    if _RECEIVED:  # a signal whose handler's exception was lost still ends the block
        raise Interrupted(_RECEIVED[0])
