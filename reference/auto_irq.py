"""IRQ autoprobing for network cards, after Linux 2.0.1's ``drivers/net/auto_irq.c``.

``autoirq_setup`` (``auto_irq.c:61``) watches every line that is not one of the PC's
fixed lines (``irqs_busy`` = 0x2147: 0, 1, 2, 6, 8 and 13, ``auto_irq.c:44``) and is free,
and returns their mask (``irq_handled``); ``autoirq_report`` (``auto_irq.c:94``) stops
watching and returns the line that fired last (``irq_number``; each line counts once,
as 2.0.1's probe handler disables the line when it fires), or 0.

2.0.1 installs a kernel handler on each watched line between the two calls; the reference
only watches them (decision.autoirq.claims). The file also defines ``irq2dev_map[16]``
(``auto_irq.c:42``, RES-4), which drivers set and clear themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.irq import NR_IRQS, Irq

if TYPE_CHECKING:
    from netdevspec.reference.device import Device

__all__ = ["IRQS_BUSY", "AutoIrq"]

#: auto_irq.c:44: the PC's fixed lines (timer, keyboard, cascade, floppy, RTC, FPU).
IRQS_BUSY = 0x2147


class AutoIrq:
    """``autoirq_setup``/``autoirq_report`` and ``irq2dev_map``."""

    def __init__(self, irq: Irq) -> None:
        self._irq = irq
        #: irq2dev_map[16] (RES-4): drivers set and clear it themselves.
        self.irq2dev_map: list[Device | None] = [None] * NR_IRQS

    def autoirq_setup(self, waittime: int = 0) -> int:
        """Start IRQ autoprobing (RES-13, ``auto_irq.c:61``): watch every free line not in
        ``irqs_busy``; returns their mask."""
        irq = self._irq
        lines = [ln for ln in range(NR_IRQS)
                 if not IRQS_BUSY & (1 << ln) and not irq.has_action(ln)]
        irq.watch = dict.fromkeys(lines, 0)
        return sum(1 << ln for ln in lines)

    def autoirq_report(self, waittime: int = 0) -> int:
        """The watched line that fired last since :meth:`autoirq_setup`, or 0 (RES-13,
        ``auto_irq.c:94``)."""
        irq = self._irq
        watch = irq.watch
        irq.watch = None
        if not watch:
            return 0
        order, line = max((seq, ln) for ln, seq in watch.items())
        return line if order else 0
