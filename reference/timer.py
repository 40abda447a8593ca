"""The clock, after Linux 2.0.1's ``kernel/sched.c`` (``do_timer``) and
``arch/i386/kernel/time.c`` (``timer_interrupt`` on IRQ 0, ``time.c:451``).

Only ``jiffies`` is simulated: each timer interrupt (IRQ 0) adds one, and :meth:`Timer.tick`
advances it without an interrupt. 2.0's kernel timers (``add_timer``/``del_timer``) are not
part of the reference kernel.
"""

from __future__ import annotations

from netdevspec.reference.common import need_int

__all__ = ["HZ", "Timer"]

#: include/asm-i386/param.h: timer interrupts per second.
HZ = 100


class Timer:
    """``jiffies`` and the timer interrupt."""

    def __init__(self) -> None:
        #: Ticks since boot (2.0's ``jiffies``).
        self.jiffies = 0

    def timer_interrupt(self, irq: int, dev_id: object, regs: object) -> None:
        """The handler on IRQ 0: one tick (``do_timer``'s ``jiffies++``)."""
        self.jiffies += 1

    def tick(self, n: int = 1) -> None:
        """Advance ``jiffies`` by ``n`` (the timer interrupt without the delivery)."""
        self.jiffies += need_int("tick", "n", n)
