"""Differential tests against Linux 2.0.1's kernel timers (``kernel/sched.c``,
``include/linux/timer.h``), ``eth_copy_and_sum`` (``net/ethernet/eth.c``) and the
string port functions of ``include/asm-i386/io.h``."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import Kernel, Module, SimpleNic, TimerList

SCHED = "kernel/sched.c"


def _timer(log: list[str], name: str, expires: int) -> TimerList:
    return TimerList(expires, 0, lambda data: log.append(name))


@branch(f"{SCHED}:546", "add_timer", "the list is kept in expires order: a timer goes "
        "before the first one that expires no earlier")
@branch(f"{SCHED}:577", "run_timer_list", "runs every timer with expires <= jiffies, in "
        "list order")
def test_add_timer_keeps_expires_order_and_expiry_runs_them_in_it(kernel: Kernel) -> None:
    log: list[str] = []
    a, b, c = _timer(log, "a", 5), _timer(log, "b", 3), _timer(log, "c", 5)
    for t in (a, b, c):
        kernel.add_timer(t)
    assert kernel.timer.timers == [b, c, a]  # c before a: "while (timer->expires > p->...)"
    kernel.tick(4)
    assert log == ["b"] and not b.pending and a.pending
    kernel.tick(1)
    assert log == ["b", "c", "a"] and kernel.timer.timers == []


@branch(f"{SCHED}:582", "run_timer_list", "the timer is off the list before its function "
        "runs, so the function may add it again")
def test_a_timer_function_may_re_add_its_timer(kernel: Kernel) -> None:
    t = TimerList(1, 9, None)
    seen: list[tuple[int, bool]] = []

    def fn(data: int) -> None:
        seen.append((data, t.pending))
        t.expires = kernel.jiffies + 2
        kernel.add_timer(t)

    t.function = fn
    kernel.add_timer(t)
    kernel.tick(3)
    assert seen == [(9, False), (9, False)] and t.pending and t.expires == 5


@branch(f"{SCHED}:557", "del_timer", "a pending timer: unlinked, 1")
@branch(f"{SCHED}:569", "del_timer", "a timer on no list: 0")
def test_del_timer(kernel: Kernel) -> None:
    log: list[str] = []
    t = _timer(log, "t", 2)
    assert kernel.del_timer(t) == 0
    kernel.add_timer(t)
    assert kernel.del_timer(t) == 1 and not t.pending
    kernel.tick(5)
    assert log == []


@branch("include/linux/timer.h:94", "init_timer", "next = prev = NULL")
@branch(f"{SCHED}:1012", "do_timer", "jiffies++ and the timer bottom half is marked")
def test_the_timer_interrupt_runs_the_timer_bottom_half(kernel: Kernel) -> None:
    log: list[str] = []
    t = _timer(log, "t", 1)
    kernel.init_timer(t)
    kernel.add_timer(t)
    kernel.raise_irq(0)  # the timer interrupt: do_timer, then TIMER_BH
    assert kernel.jiffies == 1 and log == ["t"]


@branch(f"{SCHED}:529", "add_timer", "a timer already on the list is linked again "
        "(2.0.1 corrupts the list; the reference records and ignores it)")
def test_add_timer_of_a_pending_timer(kernel: Kernel) -> None:
    log: list[str] = []
    t = _timer(log, "t", 2)
    kernel.add_timer(t)
    kernel.add_timer(t)
    assert kernel.misuse_kinds() == ["timer_added_twice"] and kernel.timer.timers == [t]


@branch(f"{SCHED}:584", "run_timer_list", "the function runs as its module's code, in "
        "interrupt context (a bottom half)")
def test_a_timer_runs_as_its_owner(kernel: Kernel) -> None:
    m = Module("m")
    assert kernel.insmod(m) == 0
    seen: list[tuple[str | None, bool]] = []
    t = TimerList(1, 0, lambda data: seen.append(
        (kernel.current.name if kernel.current else None, kernel.in_interrupt)))
    with kernel.running(m):
        kernel.add_timer(t)
    kernel.tick()
    assert seen == [("m", True)]


@branch("kernel/module.c:280", "sys_delete_module", "a module that goes away with a timer "
        "pending leaves it on the list (its function would run unloaded code)")
def test_a_timer_left_pending_at_rmmod_is_a_leak(kernel: Kernel) -> None:
    t = TimerList(50, 0, lambda data: None)
    m = Module("m", init_module=lambda: kernel.add_timer(t) or 0)
    assert kernel.insmod(m) == 0
    assert kernel.rmmod(m) == 0
    assert kernel.misuse_kinds() == ["leak_timer"] and t.pending


@branch("net/ethernet/eth.c:269", "eth_copy_and_sum", "memcpy(dest->data, src, length) "
        "(other builds copy the same bytes, checksumming an IP frame on the way)")
def test_eth_copy_and_sum_copies_to_data(kernel: Kernel) -> None:
    s = kernel.dev_alloc_skb(20)
    assert s is not None
    kernel.skb_put(s, 8)
    kernel.eth_copy_and_sum(s, b"abcdefgh-ignored", 8, 0)
    assert kernel.skb_read(s, s.data, 8) == b"abcdefgh"
    kernel.eth_copy_and_sum(s, b"x" * 40, 40, 0)  # past the end: recorded, clipped
    assert kernel.misuse_kinds() == ["data_out_of_bounds"]


@branch("include/asm-i386/io.h:142", "insl", "count 32-bit reads of one port")
def test_insl_and_outsl_move_32_bit_words(kernel: Kernel) -> None:
    nic = kernel.attach_card(SimpleNic(), 0x300)
    m = Module("m")
    assert kernel.insmod(m) == 0
    with kernel.running(m):
        kernel.request_region(0x300, nic.extent, "m")
        assert len(kernel.insl(0x300, 3)) == 12
        kernel.outsl(0x310, b"\x01\x02\x03\x04\x05")
    assert kernel.misuse_kinds() == []
