"""Differential tests against Linux 2.0.1's ``kernel/softirq.c`` (do_bottom_half)."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import NET_BH, Kernel

SOFT = "kernel/softirq.c"


@branch(f"{SOFT}:40", "do_bottom_half", "only marked bottom halves with a function run")
@branch(f"{SOFT}:44", "do_bottom_half", "a bottom half's mark is cleared before it runs")
def test_do_bottom_half(kernel: Kernel) -> None:
    ran: list[int] = []
    kernel.softirq.init_bh(3, lambda: ran.append(kernel.softirq.bh_active))
    kernel.mark_bh(5)  # no function: stays marked, never runs
    kernel.mark_bh(3)
    kernel.do_bottom_half()
    assert ran == [1 << 5] and kernel.softirq.bh_active == 1 << 5
    kernel.mark_bh(NET_BH)
    kernel.do_bottom_half()  # the network bottom half is installed at boot
    assert kernel.softirq.bh_active == 1 << 5
