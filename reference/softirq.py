"""Bottom halves and the return from a kernel call, after Linux 2.0.1's ``kernel/softirq.c``
(``do_bottom_half``, ``softirq.c:30``) and ``include/linux/interrupt.h`` (``mark_bh``).

2.0 runs marked bottom halves on the way out of an interrupt or system call, when no
other interrupt or bottom half is running (``intr_count == 0``). The reference kernel
does the same at the end of the outermost kernel call (:meth:`Softirq.flush`): it
delivers the interrupts latched meanwhile, then runs the marked bottom halves, until
nothing is left. This keeps runs deterministic.
"""

from __future__ import annotations

from collections.abc import Callable

from netdevspec.reference.common import KernelCore, need_int
from netdevspec.reference.irq import Irq

__all__ = ["FLUSH_LIMIT", "NET_BH", "Softirq"]

#: include/linux/interrupt.h: the network bottom half's number.
NET_BH = 8
#: How many interrupts or bottom halves in a row :meth:`Softirq.flush` runs before it
#: gives up (``irq_storm``).
FLUSH_LIMIT = 100_000


class Softirq:
    """``bh_active`` and ``bh_base[]``, and the flush run when the outermost call ends."""

    def __init__(self, core: KernelCore, irq: Irq) -> None:
        self._k = core
        self._irq = irq
        #: 2.0's ``bh_active``: one bit per marked bottom half.
        self.bh_active = 0
        #: 2.0's ``bh_base[]``: the function of each bottom half (see :meth:`init_bh`).
        self.bh_base: dict[int, Callable[[], None]] = {}
        #: 2.0's ``bh_mask``: the bottom halves that have a function; only those run.
        self.bh_mask = 0
        #: True while a bottom half runs (it is not re-entered).
        self.in_bh = False

    def init_bh(self, nr: int, fn: Callable[[], None]) -> None:
        """Install bottom half ``nr`` (``include/linux/interrupt.h`` ``init_bh``)."""
        self.bh_base[nr] = fn
        self.bh_mask |= 1 << nr

    def mark_bh(self, nr: int = NET_BH) -> None:
        """Mark bottom half ``nr`` (NET_BH) to run when the current interrupt or kernel
        call ends."""
        self.bh_active |= 1 << need_int("mark_bh", "nr", nr)

    def do_bottom_half(self) -> None:
        """Deliver latched interrupts and run marked bottom halves (as a return from a
        system call would), unless a kernel call is running."""
        if self._k.depth == 0:
            self.flush()

    def flush(self) -> None:
        """Deliver latched interrupts, then run marked bottom halves, until nothing is left."""
        k = self._k
        if k.flushing:
            return
        k.flushing = True
        irq = self._irq
        try:
            for _ in range(FLUSH_LIMIT):
                if not irq.enabled:
                    return
                line = irq.next_pending()
                if line is not None:
                    del irq.pending[line]
                    if irq.has_action(line):
                        irq.deliver(line)
                    continue
                active = self.bh_active & self.bh_mask
                if active and not self.in_bh:
                    nr = (active & -active).bit_length() - 1
                    self.bh_active &= ~(1 << nr)
                    k.intr_count += 1  # entry.S:272: bottom halves run in interrupt context
                    try:
                        self.bh_base[nr]()
                    finally:
                        k.intr_count -= 1
                    continue
                return
            k.printk("too many interrupts: giving up delivering them")
            k._misuse("irq_storm", f"more than {FLUSH_LIMIT} interrupts or bottom halves "
                      "in a row", pending=list(irq.pending))
            irq.pending.clear()
            self.bh_active = 0
        finally:
            k.flushing = False
