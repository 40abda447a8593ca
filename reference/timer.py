"""The clock and kernel timers, after Linux 2.0.1's ``kernel/sched.c`` (``do_timer``,
``add_timer`` ``sched.c:529``, ``del_timer`` ``sched.c:554``, ``run_timer_list``
``sched.c:572``, ``timer_bh`` ``sched.c:993``), ``include/linux/timer.h`` (``struct
timer_list`` ``timer.h:81``, ``init_timer`` ``timer.h:94``) and
``arch/i386/kernel/time.c`` (``timer_interrupt`` on IRQ 0, ``time.c:451``).

Each timer interrupt (IRQ 0) adds one to ``jiffies`` and marks the timer bottom half
(``do_timer``, ``sched.c:1013-1016``); :meth:`Timer.tick` advances ``jiffies`` without an
interrupt, one tick at a time, running the timer bottom half after each. The bottom half
runs every timer whose ``expires`` has come, in list order, each taken off the list before
its function is called as its owner's code (``run_timer_list``). The list is kept in
``expires`` order as ``add_timer`` keeps it: a timer goes before the first one that
expires no earlier.

Misuse 2.0.1 lets through: ``add_timer`` of a timer that is already pending corrupts the
list in 2.0.1 (the check is compiled out: ``SLOW_BUT_DEBUGGING_TIMERS``); it is recorded
(``timer_added_twice``) and ignored. ``del_timer`` of another module's timer is recorded
(``timer_not_owned``) and done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netdevspec.reference.common import KernelCore, need_int

if TYPE_CHECKING:
    from netdevspec.reference.modules import Module

__all__ = ["HZ", "TIMER_BH", "Timer", "TimerList"]

#: include/asm-i386/param.h: timer interrupts per second.
HZ = 100
#: include/linux/interrupt.h: the timer bottom half's number.
TIMER_BH = 0


@dataclass(eq=False)
class TimerList:
    """``struct timer_list``: ``expires`` (in jiffies), ``data`` and ``function(data)``.

    ``pending`` is true while it is on the kernel's list (2.0: ``next != NULL``);
    ``owner`` the module that added it last.
    """

    expires: int = 0
    data: int = 0
    function: Callable[[int], object] | None = None
    pending: bool = field(default=False, init=False)
    owner: Module | None = field(default=None, init=False, repr=False)


class Timer:
    """``jiffies``, the timer interrupt and the kernel timer list."""

    def __init__(self, core: KernelCore | None = None) -> None:
        self._k = core if core is not None else KernelCore()
        #: Ticks since boot (2.0's ``jiffies``).
        self.jiffies = 0
        #: The pending timers in list order (2.0's ``timer_head`` list).
        self.timers: list[TimerList] = []
        #: Marks the timer bottom half (set by the kernel; None: run the timers at once).
        self.mark: Callable[[], None] | None = None

    def timer_interrupt(self, irq: int, dev_id: object, regs: object) -> None:
        """The handler on IRQ 0: one tick, and the timer bottom half is marked (do_timer)."""
        self.jiffies += 1
        if self.timers:
            if self.mark is not None:
                self.mark()
            else:
                self.run_timer_list()

    def tick(self, n: int = 1) -> None:
        """Advance ``jiffies`` by ``n``, running the expired timers after each tick (the
        timer interrupt and its bottom half without the delivery)."""
        for _ in range(need_int("tick", "n", n)):
            self.jiffies += 1
            if self.timers:
                self.run_timer_list()

    def udelay(self, usecs: int) -> None:
        """``udelay``: a busy wait; the clock does not move (a tick is 10 ms)."""
        need_int("udelay", "usecs", usecs)

    # -- include/linux/timer.h, kernel/sched.c ---------------------------------------------------

    def init_timer(self, timer: TimerList) -> None:
        """``init_timer``: ``next = prev = NULL`` (a pending timer falls off the list, which
        corrupts it in 2.0.1: recorded as ``timer_reinit_pending``)."""
        t = _need_timer("init_timer", timer)
        if t.pending:
            self._k._misuse("timer_reinit_pending", "init_timer of a pending timer (2.0.1 "
                            "corrupts the timer list)", expires=t.expires)
            self._unlink(t)

    def add_timer(self, timer: TimerList) -> None:
        """``add_timer``: put the timer on the list in ``expires`` order, owned by the
        running module."""
        t = _need_timer("add_timer", timer)
        if t.pending:
            self._k._misuse("timer_added_twice", "add_timer of a timer that is already "
                            "pending (2.0.1 corrupts the timer list)", expires=t.expires)
            return
        need_int("add_timer", "timer.expires", t.expires)
        i = next((j for j, p in enumerate(self.timers) if t.expires <= p.expires),
                 len(self.timers))
        self.timers.insert(i, t)
        t.pending = True
        self._give(t, self._k.current)

    def del_timer(self, timer: TimerList) -> int:
        """``del_timer``: 1 if the timer was pending (it no longer is), else 0."""
        t = _need_timer("del_timer", timer)
        if not t.pending:
            return 0
        cur = self._k.current
        if cur is not None and t.owner is not cur:
            holder = "the kernel" if t.owner is None else f"module {t.owner.name}"
            self._k._misuse("timer_not_owned", f"del_timer by module {cur.name} of a timer "
                            f"{holder} added", expires=t.expires)
        self._unlink(t)
        return 1

    def run_timer_list(self) -> None:
        """Run every timer whose time has come, first off the list, then its function as
        its owner's code (``run_timer_list``, ``sched.c:572``)."""
        k = self._k
        k.enter()
        k.intr_count += 1  # a bottom half: interrupt context
        try:
            while self.timers and self.timers[0].expires <= self.jiffies:
                t = self.timers[0]
                self._unlink(t)
                fn = t.function
                if fn is not None:
                    k.call(t.owner, "timer function", fn, t.data)
        finally:
            k.intr_count -= 1
            k.leave()  # interrupts a timer function raised are delivered now

    def _unlink(self, t: TimerList) -> None:
        """Off the list; ``owner`` stays who added it last."""
        self.timers.remove(t)
        t.pending = False
        if t.owner is not None:
            t.owner.timers.discard(t)

    @staticmethod
    def _give(t: TimerList, owner: Module | None) -> None:
        if t.owner is not None:
            t.owner.timers.discard(t)
        t.owner = owner
        if owner is not None:
            owner.timers.add(t)


def _need_timer(fn: str, timer: object) -> TimerList:
    if not isinstance(timer, TimerList):
        raise TypeError(f"{fn}: expected a struct timer_list (handle.TimerList()), got "
                        f"{type(timer).__name__}")
    return timer
