"""Differential tests against Linux 2.0.1's ``drivers/net/auto_irq.c``."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import Kernel

AUTO = "drivers/net/auto_irq.c"
BUSY = (0, 1, 2, 6, 8, 13)  # irqs_busy = 0x2147


def nothing(irq: int, dev_id: object, regs: object) -> None:
    """An interrupt handler that does nothing."""


@branch(f"{AUTO}:91", "autoirq_setup", "returns irq_handled, the mask of probed lines")
def test_autoirq_setup_returns_the_mask(kernel: Kernel) -> None:
    kernel.request_irq(5, nothing, 0, "held", None)
    mask = kernel.autoirq_setup(0)
    assert mask == sum(1 << ln for ln in range(16) if ln not in (*BUSY, 5))


@branch(f"{AUTO}:69", "autoirq_setup", "lines in irqs_busy (0x2147) are never probed")
def test_autoirq_setup_skips_irqs_busy(kernel: Kernel) -> None:
    mask = kernel.autoirq_setup(0)
    assert not any(mask & (1 << ln) for ln in BUSY)
    kernel.raise_irq(6)  # the floppy line fires: not a probed line
    assert kernel.autoirq_report(0) == 0


@branch(f"{AUTO}:111", "autoirq_report", "no probed line fired: 0")
@branch(f"{AUTO}:55", "autoirq_probe", "irq_number: the line that fired last")
@branch(f"{AUTO}:57", "autoirq_probe", "a line that fired is disabled: it counts once")
def test_autoirq_report_returns_the_last_line(kernel: Kernel) -> None:
    kernel.autoirq_setup(0)
    assert kernel.autoirq_report(0) == 0
    kernel.autoirq_setup(0)
    kernel.raise_irq(9)
    kernel.raise_irq(3)
    kernel.raise_irq(9)  # disabled after its first interrupt: irq_number stays 3
    assert kernel.autoirq_report(0) == 3


@branch(f"{AUTO}:109", "autoirq_report", "the probe handlers are freed again")
def test_probed_lines_are_watched_not_claimed(kernel: Kernel) -> None:
    """2.0.1 holds a handler on each probed line between setup and report; the reference
    only watches the lines (decision.autoirq.claims). Either way none is held after."""
    kernel.autoirq_setup(0)
    assert kernel.irq_actions(5) == ()
    kernel.raise_irq(5)
    assert kernel.autoirq_report(0) == 5
    assert [ln for ln in range(16) if kernel.irq_actions(ln)] == [0, 2, 13]
