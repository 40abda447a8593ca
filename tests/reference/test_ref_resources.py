"""IRQ lines, I/O regions and DMA channels against api-facts RES-1..RES-13 and FLD-3/FLD-4."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from netdevspec.reference import (
    EBUSY,
    EINVAL,
    ENOMEM,
    IOTABLE_SIZE,
    SA_INTERRUPT,
    SA_SHIRQ,
    Kernel,
    Module,
)


def nop(irq: int, dev_id: object, regs: object) -> None:
    pass


def loaded(k: Kernel, *names: str) -> list[Module]:
    mods = [Module(n) for n in names]
    for m in mods:
        assert k.insmod(m) == 0
    return mods


# -- IRQ --------------------------------------------------------------------------------------

def test_request_irq_einval_and_enomem(kernel: Kernel) -> None:
    """RES-1: a line > 15 or no handler is -EINVAL; no memory for the action is -ENOMEM."""
    assert kernel.request_irq(16, nop) == -EINVAL
    assert kernel.request_irq(-1, nop) == -EINVAL
    assert kernel.request_irq(5, None) == -EINVAL
    kernel.fail_next_alloc()
    assert kernel.request_irq(5, nop) == -ENOMEM
    assert kernel.irq_actions(5) == ()


@pytest.mark.parametrize("line", [0, 2, 13])
def test_kernel_holds_timer_cascade_and_fpu(kernel: Kernel, line: int) -> None:
    """FLD-3: IRQ 0 (timer), 2 (cascade) and 13 (fpu) are the kernel's from boot: non-shared
    with SA_INTERRUPT, so every request answers -EBUSY."""
    (action,) = kernel.irq_actions(line)
    assert action.owner is None and action.flags & SA_INTERRUPT and not action.flags & SA_SHIRQ
    assert kernel.request_irq(line, nop) == -EBUSY
    assert kernel.request_irq(line, nop, SA_SHIRQ | SA_INTERRUPT, "x", object()) == -EBUSY


def test_irq_sharing_rules(kernel: Kernel) -> None:
    """RES-1, RES-3: a held line is shared only if both claims have SA_SHIRQ and the same
    SA_INTERRUPT; otherwise -EBUSY."""
    a, b = object(), object()
    assert kernel.request_irq(9, nop, SA_SHIRQ, "a", a) == 0
    assert kernel.request_irq(9, nop, 0, "plain", object()) == -EBUSY
    assert kernel.request_irq(9, nop, SA_SHIRQ | SA_INTERRUPT, "fast", object()) == -EBUSY
    assert kernel.request_irq(9, nop, SA_SHIRQ, "b", b) == 0
    assert [x.dev_id for x in kernel.irq_actions(9)] == [a, b]
    assert kernel.request_irq(10, nop, 0, "x", None) == 0
    assert kernel.request_irq(10, nop, 0, "x", None) == -EBUSY
    assert kernel.misuse == []


def test_shared_claim_needs_distinct_dev_id(kernel: Kernel) -> None:
    """RES-3: SA_SHIRQ claims need distinct non-NULL dev_ids; 2.0 installs them anyway."""
    assert kernel.request_irq(9, nop, SA_SHIRQ, "a", None) == 0
    assert kernel.request_irq(9, nop, SA_SHIRQ, "b", None) == 0
    assert kernel.misuse_kinds() == ["irq_shared_dev_id", "irq_shared_dev_id"]
    assert len(kernel.irq_actions(9)) == 2


def test_interrupt_reaches_every_handler_as_its_owner(kernel: Kernel) -> None:
    """RES-1, RES-3: an interrupt calls every action on the line in order, each with
    kernel.current set to the module that requested it, with its dev_id."""
    m1, m2 = loaded(kernel, "a", "b")
    seen: list[tuple[str, object, int]] = []

    def handler(tag: str) -> Callable[[int, object, object], None]:
        def h(irq: int, dev_id: object, regs: object) -> None:
            assert kernel.current is not None
            seen.append((kernel.current.name, dev_id, irq))
        return h
    with kernel.running(m1):
        assert kernel.request_irq(11, handler("h1"), SA_SHIRQ, "a", "A") == 0
    with kernel.running(m2):
        assert kernel.request_irq(11, handler("h2"), SA_SHIRQ, "b", "B") == 0
    kernel.raise_irq(11)
    assert seen == [("a", "A", 11), ("b", "B", 11)]
    assert kernel.current is None


def test_handler_that_raises_does_not_stop_the_others(kernel: Kernel) -> None:
    """RES-1: a handler's exception is recorded; the other handlers still run."""
    ran = []

    def bad(irq: int, dev_id: object, regs: object) -> None:
        raise ZeroDivisionError("x")
    kernel.request_irq(12, bad, SA_SHIRQ, "bad", 1)
    kernel.request_irq(12, lambda i, d, r: ran.append(d), SA_SHIRQ, "good", 2)
    kernel.raise_irq(12)
    assert ran == [2] and kernel.misuse_kinds() == ["callback_raised"]


def test_free_irq(kernel: Kernel) -> None:
    """RES-2: free_irq removes the first action with that dev_id (handler not checked);
    an unknown dev_id prints "Trying to free free IRQ"; a line > 15 "Trying to free IRQ"."""
    a = object()
    kernel.request_irq(9, nop, SA_SHIRQ, "a", a)
    kernel.request_irq(9, nop, SA_SHIRQ, "b", "b")
    kernel.free_irq(9, a)
    assert [x.name for x in kernel.irq_actions(9)] == ["b"]
    kernel.free_irq(9, a)
    kernel.free_irq(16, None)
    assert kernel.log == ["Trying to free free IRQ9", "Trying to free IRQ16"]
    assert kernel.misuse_kinds() == ["free_irq_not_held", "free_irq_bad_line"]


def test_free_irq_of_another_owner(kernel: Kernel) -> None:
    """RES-2 (decision.free.owner): 2.0 lets a module free another's IRQ (NULL dev_id makes
    it ambiguous); the reference does so and records it."""
    m1, m2 = loaded(kernel, "a", "b")
    with kernel.running(m1):
        kernel.request_irq(5, nop, 0, "a", None)
    with kernel.running(m2):
        kernel.free_irq(5, None)
        kernel.free_irq(0, None)  # the timer: dev_id NULL matches
    assert kernel.irq_actions(5) == () and kernel.irq_actions(0) == ()
    assert kernel.misuse_kinds() == ["free_irq_unowned", "free_irq_unowned"]
    assert not m1.irqs


def test_cli_latches_interrupts(kernel: Kernel) -> None:
    """CB-21: with interrupts disabled a raised line waits; sti delivers it."""
    hits = []
    kernel.request_irq(7, lambda i, d, r: hits.append(i))
    kernel.cli()
    kernel.raise_irq(7)
    assert hits == []
    kernel.sti()
    assert hits == [7]
    kernel.disable_irq(7)
    kernel.raise_irq(7)
    assert hits == [7]
    kernel.enable_irq(7)
    assert hits == [7, 7]


def test_timer_interrupt_ticks(kernel: Kernel) -> None:
    """FLD-13: the kernel's timer handler on IRQ 0 advances jiffies."""
    kernel.raise_irq(0)
    kernel.tick(4)
    assert kernel.jiffies == 5


def test_autoirq(kernel: Kernel) -> None:
    """RES-13: autoirq_report returns the free line raised since autoirq_setup, or 0;
    probe_irq_off returns the line, 0, or a negative number when several fired."""
    kernel.request_irq(5, nop)
    kernel.autoirq_setup(0)
    kernel.raise_irq(5)
    assert kernel.autoirq_report(0) == 0
    kernel.autoirq_setup(0)
    kernel.raise_irq(10)
    assert kernel.autoirq_report(0) == 10
    mask = kernel.probe_irq_on()
    assert not mask & (1 << 5) and mask & (1 << 10) and not mask & 1
    kernel.raise_irq(10)
    kernel.raise_irq(11)
    assert kernel.probe_irq_off(mask) == -10
    mask = kernel.probe_irq_on()
    assert kernel.probe_irq_off(mask) == 0


# -- I/O regions ------------------------------------------------------------------------------

def test_check_region(kernel: Kernel) -> None:
    """RES-8: check_region is -EBUSY on overlap or an empty range, else 0."""
    assert kernel.check_region(0x300, 32) == 0
    kernel.request_region(0x300, 32, "card")
    assert kernel.check_region(0x300, 32) == -EBUSY
    assert kernel.check_region(0x31F, 1) == -EBUSY
    assert kernel.check_region(0x2F0, 0x11) == -EBUSY
    assert kernel.check_region(0x2F0, 0x10) == 0
    assert kernel.check_region(0x320, 1) == 0
    assert kernel.check_region(0x400, 0) == -EBUSY


def test_request_region_is_silent_on_clash(kernel: Kernel) -> None:
    """RES-9 (decision.region.silent): request_region of a busy range claims nothing."""
    m1, m2 = loaded(kernel, "a", "b")
    with kernel.running(m1):
        kernel.request_region(0x300, 32, "a")
    with kernel.running(m2):
        kernel.request_region(0x310, 32, "b")
    assert [(r.start, r.num, r.owner) for r in kernel.regions] == [(0x300, 32, m1)]
    assert kernel.misuse_kinds() == ["request_region_busy"]
    assert kernel.misuse[0].module == "b"
    assert kernel.log == []


def test_region_table_holds_64(kernel: Kernel) -> None:
    """RES-9: the 65th region finds the 64-entry table full: a warning, nothing claimed."""
    for i in range(IOTABLE_SIZE):
        kernel.request_region(0x1000 + 16 * i, 8, f"r{i}")
    kernel.request_region(0x8000, 8, "one too many")
    assert len(kernel.regions) == IOTABLE_SIZE
    assert kernel.log == ["warning: ioport table is full"]
    assert kernel.misuse_kinds() == ["request_region_full"]
    kernel.release_region(0x1000, 8)
    kernel.request_region(0x8000, 8, "fits now")
    assert kernel.region_owner(0x8000) is not None


def test_release_region_needs_the_exact_extent(kernel: Kernel) -> None:
    """RES-10: release_region removes only an exact (from, num) match; else nothing."""
    kernel.request_region(0x300, 32, "card")
    kernel.release_region(0x300, 16)
    kernel.release_region(0x310, 16)
    assert len(kernel.regions) == 1
    assert kernel.misuse_kinds() == ["release_region_nomatch", "release_region_nomatch"]
    kernel.release_region(0x300, 32)
    assert kernel.regions == ()


def test_release_region_of_another_owner(kernel: Kernel) -> None:
    """RES-10 (decision.free.owner): no owner check in 2.0; released and recorded."""
    m1, m2 = loaded(kernel, "a", "b")
    with kernel.running(m1):
        kernel.request_region(0x300, 32, "a")
    with kernel.running(m2):
        kernel.release_region(0x300, 32)
    assert kernel.regions == () and not m1.regions
    assert kernel.misuse_kinds() == ["release_region_unowned"]


# -- DMA --------------------------------------------------------------------------------------

def test_request_dma(kernel: Kernel) -> None:
    """RES-6, FLD-4 (decision.dma.zero): channels 0..7; 4 is the cascade (-EBUSY); 0 is
    claimable; a held channel is -EBUSY; 8 and up are -EINVAL."""
    (m,) = loaded(kernel, "a")
    assert kernel.request_dma(8, "x") == -EINVAL
    assert kernel.request_dma(4, "x") == -EBUSY
    claim = kernel.dma_claim(4)
    assert claim is not None and claim.name == "cascade" and claim.owner is None
    with kernel.running(m):
        assert kernel.request_dma(0, "card") == 0
        assert kernel.request_dma(0, "card") == -EBUSY
    claim = kernel.dma_claim(0)
    assert claim is not None and claim.owner is m and m.dma == {0}


def test_free_dma(kernel: Kernel) -> None:
    """RES-7: free_dma of a bad or free channel prints a message; another's channel is
    freed (no owner check in 2.0) and recorded."""
    m1, m2 = loaded(kernel, "a", "b")
    kernel.free_dma(8)
    kernel.free_dma(3)
    with kernel.running(m1):
        kernel.request_dma(3, "a")
    with kernel.running(m2):
        kernel.free_dma(3)
    assert kernel.dma_claim(3) is None and not m1.dma
    assert kernel.log == ["Trying to free DMA8", "Trying to free free DMA3"]
    assert kernel.misuse_kinds() == ["free_dma_bad", "free_dma_not_held", "free_dma_unowned"]
