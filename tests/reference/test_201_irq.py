"""Differential tests against Linux 2.0.1's ``arch/i386/kernel/irq.c``, function by function.

Each test asserts what 2.0.1 does (the return, the state after, what is printed) and
registers the branch it checks (:mod:`linux201`).
"""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import EBUSY, EINVAL, ENOMEM, SA_INTERRUPT, SA_SHIRQ, Kernel

IRQ = "arch/i386/kernel/irq.c"


def handler(log: list[tuple[str, int]], tag: str):  # type: ignore[no-untyped-def]
    def h(irq: int, dev_id: object, regs: object) -> None:
        log.append((tag, irq))
    return h


@branch(f"{IRQ}:446", "request_irq", "irq > 15: -EINVAL")
@branch(f"{IRQ}:448", "request_irq", "handler NULL: -EINVAL")
def test_request_irq_invalid(kernel: Kernel) -> None:
    h = handler([], "a")
    assert kernel.request_irq(16, h, 0, "x", None) == -EINVAL
    assert kernel.request_irq(-1, h, 0, "x", None) == -EINVAL  # unsigned: huge
    assert kernel.request_irq(5, None, 0, "x", None) == -EINVAL
    assert kernel.irq_actions(5) == () and kernel.log == []


@branch(f"{IRQ}:453", "request_irq", "kmalloc fails: -ENOMEM")
def test_request_irq_no_memory(kernel: Kernel) -> None:
    kernel.fail_next_alloc()
    assert kernel.request_irq(5, handler([], "a"), 0, "x", None) == -ENOMEM
    assert kernel.irq_actions(5) == ()


@branch(f"{IRQ}:404", "setup_x86_irq", "held, not both SA_SHIRQ: -EBUSY")
@branch(f"{IRQ}:408", "setup_x86_irq", "both SA_SHIRQ, SA_INTERRUPT differs: -EBUSY")
def test_request_irq_busy(kernel: Kernel) -> None:
    assert kernel.request_irq(5, handler([], "a"), 0, "a", None) == 0
    assert kernel.request_irq(5, handler([], "b"), SA_SHIRQ, "b", 1) == -EBUSY
    assert kernel.request_irq(9, handler([], "a"), SA_SHIRQ, "a", 1) == 0
    assert kernel.request_irq(9, handler([], "b"), 0, "b", 2) == -EBUSY
    assert kernel.request_irq(9, handler([], "b"), SA_SHIRQ | SA_INTERRUPT, "b", 2) == -EBUSY
    assert [a.name for a in kernel.irq_actions(5)] == ["a"]
    assert [a.name for a in kernel.irq_actions(9)] == ["a"]


@branch(f"{IRQ}:413", "setup_x86_irq", "shared: appended at the end of the line")
@branch(f"{IRQ}:359", "do_IRQ", "every action on the line runs, in order, with its dev_id")
def test_shared_line_runs_every_action_in_order(kernel: Kernel) -> None:
    log: list[tuple[str, int]] = []
    for tag in "abc":
        assert kernel.request_irq(10, handler(log, tag), SA_SHIRQ, tag, tag) == 0
    assert [a.name for a in kernel.irq_actions(10)] == ["a", "b", "c"]
    kernel.raise_irq(10)
    assert log == [("a", 10), ("b", 10), ("c", 10)]


@branch(f"{IRQ}:474", "free_irq", "irq > 15: prints 'Trying to free IRQ%d'")
@branch(f"{IRQ}:494", "free_irq", "no action with that dev_id: prints 'Trying to free free IRQ%d'")
def test_free_irq_errors(kernel: Kernel) -> None:
    kernel.free_irq(16, None)
    kernel.request_irq(5, handler([], "a"), SA_SHIRQ, "a", 1)
    kernel.free_irq(5, 2)
    assert kernel.log == ["Trying to free IRQ16", "Trying to free free IRQ5"]
    assert len(kernel.irq_actions(5)) == 1


@branch(f"{IRQ}:479", "free_irq", "removes the first action whose dev_id matches")
def test_free_irq_removes_the_first_match(kernel: Kernel) -> None:
    for tag, dev_id in (("a", 1), ("b", 2), ("c", 1)):
        kernel.request_irq(11, handler([], tag), SA_SHIRQ, tag, dev_id)
    kernel.free_irq(11, 1)
    assert [a.name for a in kernel.irq_actions(11)] == ["b", "c"]
    assert kernel.log == []


@branch(f"{IRQ}:431", "setup_x86_irq", "first action on a line unmasks it")
@branch(f"{IRQ}:487", "free_irq", "last action gone: the line is masked")
def test_first_request_unmasks_and_last_free_masks(kernel: Kernel) -> None:
    log: list[tuple[str, int]] = []
    assert kernel.irq.masked[5]
    kernel.request_irq(5, handler(log, "a"), 0, "a", None)
    assert not kernel.irq.masked[5]
    kernel.disable_irq(5)
    kernel.free_irq(5, None)
    assert kernel.irq.masked[5]
    kernel.request_irq(5, handler(log, "b"), 0, "b", None)  # unmasked again
    kernel.raise_irq(5)
    assert log == [("b", 5)]


@branch(f"{IRQ}:72", "disable_irq", "sets the line's mask bit (no count)")
@branch(f"{IRQ}:82", "enable_irq", "clears the mask bit whatever came before")
def test_disable_irq_does_not_nest(kernel: Kernel) -> None:
    log: list[tuple[str, int]] = []
    kernel.request_irq(7, handler(log, "a"), 0, "a", None)
    kernel.disable_irq(7)
    kernel.disable_irq(7)
    kernel.raise_irq(7)
    assert log == []  # masked: latched
    kernel.enable_irq(7)  # one enable undoes both disables
    assert log == [("a", 7)]


@branch(f"{IRQ}:49", "mask_irq", "irq_nr ≥ 8 (unsigned): bit irq_nr & 7 of the slave")
def test_disable_irq_out_of_range_masks_a_pic_bit(kernel: Kernel) -> None:
    log: list[tuple[str, int]] = []
    kernel.request_irq(12, handler(log, "a"), 0, "a", None)
    kernel.disable_irq(20)  # 20 & 7 = 4 on the slave: line 12
    kernel.raise_irq(12)
    assert log == []
    kernel.enable_irq(28)  # 28 & 7 = 4: line 12 again
    assert log == [("a", 12)]


@branch(f"{IRQ}:503", "probe_irq_on", "returns the mask of free lines 15..1")
@branch(f"{IRQ}:528", "probe_irq_off", "no probed line fired: 0")
@branch(f"{IRQ}:530", "probe_irq_off", "one line fired: its number")
@branch(f"{IRQ}:531", "probe_irq_off", "several fired: minus the lowest")
def test_probe_irq(kernel: Kernel) -> None:
    kernel.request_irq(5, handler([], "a"), 0, "a", None)
    free = kernel.probe_irq_on()
    assert free == sum(1 << ln for ln in range(1, 16) if ln not in (2, 5, 13))
    assert kernel.probe_irq_off(free) == 0
    kernel.probe_irq_on()
    kernel.raise_irq(9)
    assert kernel.probe_irq_off(free) == 9
    kernel.probe_irq_on()
    kernel.raise_irq(11)
    kernel.raise_irq(4)
    assert kernel.probe_irq_off(free) == -4


@branch(f"{IRQ}:557", "init_IRQ", "cascade (2) and math error (13) installed at boot")
@branch("arch/i386/kernel/time.c:472", "time_init", "the timer (0) installed at boot")
def test_boot_actions(kernel: Kernel) -> None:
    """The kernel's own lines, held from boot. 2.0.1's actions have flags 0; the reference's
    carry SA_INTERRUPT (decision.boot.irqflags), which no request can tell apart: the
    SA_SHIRQ test fails first."""
    assert [(ln, a.name, a.owner) for ln in range(16) for a in kernel.irq_actions(ln)] == [
        (0, "timer", None), (2, "cascade", None), (13, "math error", None)]
    assert all(a.flags == SA_INTERRUPT for ln in (0, 2, 13) for a in kernel.irq_actions(ln))
    for line in (0, 2, 13):
        for flags in (0, SA_SHIRQ, SA_INTERRUPT, SA_SHIRQ | SA_INTERRUPT):
            assert kernel.request_irq(line, handler([], "x"), flags, "x", 1) == -EBUSY
    assert not any(kernel.irq.masked[ln] for ln in (0, 2, 13))
    jiffies = kernel.jiffies
    kernel.raise_irq(0)
    assert kernel.jiffies == jiffies + 1


@branch("drivers/char/keyboard.c:1205", "kbd_init", "the keyboard line (1) requested at boot")
@branch("arch/i386/kernel/setup.c:200", "setup_arch", "the PC's own regions claimed at boot")
@branch(f"{IRQ}:555", "init_IRQ", "pic1 and pic2 regions claimed at boot")
def test_the_pc_boot_state() -> None:
    """Kernel.pc() is the machine 2.0.1 leaves after booting a PC; Kernel() the empty one."""
    k = Kernel.pc()
    assert [(r.start, r.num, r.name, r.owner) for r in k.regions] == [
        (0x00, 0x20, "dma1", None), (0x20, 0x20, "pic1", None), (0x40, 0x20, "timer", None),
        (0x60, 0x10, "keyboard", None), (0x80, 0x20, "dma page reg", None),
        (0xA0, 0x20, "pic2", None), (0xC0, 0x20, "dma2", None), (0xF0, 0x10, "npu", None)]
    assert [ln for ln in range(16) if k.irq_actions(ln)] == [0, 1, 2, 13]
    assert k.irq_actions(1)[0].flags == 0 and not k.irq.masked[1]
    assert k.request_irq(1, handler([], "x"), SA_SHIRQ, "x", 1) == -EBUSY
    assert k.check_region(0x60, 1) == -EBUSY and k.check_region(0x100, 0x20) == 0
    assert k.check_region(0, 0) == -EBUSY  # (0, 0) covers every port
    assert [ch for ch in range(8) if k.dma_claim(ch)] == [4]
    assert Kernel().regions == ()


SYSH = "include/asm-i386/system.h"


@branch(f"{SYSH}:224", "cli", "interrupts off: a raised line waits")
@branch(f"{SYSH}:223", "sti", "interrupts on: what waited is delivered")
@branch(f"{SYSH}:229", "restore_flags", "the saved interrupt flag comes back")
def test_interrupt_flag(kernel: Kernel) -> None:
    log: list[tuple[str, int]] = []
    kernel.request_irq(5, handler(log, "a"), 0, "a", None)
    flags = kernel.save_flags()
    kernel.cli()
    kernel.raise_irq(5)
    assert log == []
    kernel.restore_flags(flags)
    assert log == [("a", 5)]
    kernel.cli()
    kernel.raise_irq(5)
    kernel.sti()
    assert log == [("a", 5)] * 2
