"""Differential tests against Linux 2.0.1's ``kernel/resource.c``."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import EBUSY, IOTABLE_SIZE, Kernel

RES = "kernel/resource.c"


@branch(f"{RES}:119", "check_region", "free range: 0")
@branch(f"{RES}:58", "find_gap", "a region before the range reaches into it: -EBUSY")
@branch(f"{RES}:62", "find_gap", "the next region starts inside the range: -EBUSY")
def test_check_region_overlaps(kernel: Kernel) -> None:
    kernel.request_region(0x300, 0x20, "a")
    assert kernel.check_region(0x320, 0x20) == 0
    assert kernel.check_region(0x2E0, 0x20) == 0
    assert kernel.check_region(0x310, 0x20) == -EBUSY  # a starts before and reaches in
    assert kernel.check_region(0x2F0, 0x20) == -EBUSY  # a starts inside
    assert kernel.check_region(0x308, 1) == -EBUSY


@branch(f"{RES}:53", "find_gap", "from > from+num-1 (32-bit wrap): -EBUSY")
def test_check_region_wraps(kernel: Kernel) -> None:
    assert kernel.check_region(0x300, 0) == -EBUSY  # num 0: last = from - 1
    assert kernel.check_region(0xFFFF_FFF0, 0x20) == -EBUSY
    assert kernel.check_region(0xFFF0, 0x20) == 0  # past the ISA ports, but no wrap


@branch(f"{RES}:53", "find_gap", "(0, 0): last wraps to 0xffffffff, the whole space")
def test_check_region_zero_length(kernel: Kernel) -> None:
    assert kernel.check_region(0, 0) == 0  # nothing claimed yet: a gap
    kernel.request_region(0x300, 8, "a")
    assert kernel.check_region(0, 0) == -EBUSY


@branch(f"{RES}:90", "request_region", "free range: entered in order")
def test_request_region_claims_in_order(kernel: Kernel) -> None:
    for start in (0x300, 0x100, 0x200):
        kernel.request_region(start, 0x10, f"r{start:x}")
    assert [r.start for r in kernel.regions] == [0x100, 0x200, 0x300]


@branch(f"{RES}:85", "request_region", "range not free: silently nothing")
def test_request_region_busy_is_silent(kernel: Kernel) -> None:
    kernel.request_region(0x300, 0x20, "a")
    kernel.request_region(0x310, 0x20, "b")
    assert [(r.start, r.name) for r in kernel.regions] == [(0x300, "a")]
    assert kernel.log == []


@branch(f"{RES}:85", "request_region", "zero-length range: nothing claimed")
def test_request_region_zero_length_claims_nothing(kernel: Kernel) -> None:
    """2.0.1 claims nothing for (from > 0, 0) (find_gap wraps); for (0, 0) on an empty
    table it would enter a zero-length entry, which the reference does not
    (decision.region.empty)."""
    kernel.request_region(0x300, 0, "a")
    kernel.request_region(0, 0, "b")
    assert kernel.regions == ()


@branch(f"{RES}:81", "request_region", "table full: prints 'warning: ioport table is full'")
def test_request_region_table_full(kernel: Kernel) -> None:
    for i in range(IOTABLE_SIZE):
        kernel.request_region(0x1000 + 0x10 * i, 0x10, f"r{i}")
    kernel.request_region(0x400, 0x10, "late")
    assert len(kernel.regions) == IOTABLE_SIZE
    assert kernel.log == ["warning: ioport table is full"]


@branch(f"{RES}:106", "release_region", "exact extent: removed")
@branch(f"{RES}:104", "release_region", "no exact match: silently nothing")
def test_release_region_exact_extent(kernel: Kernel) -> None:
    kernel.request_region(0x300, 0x20, "a")
    kernel.release_region(0x300, 0x10)
    kernel.release_region(0x308, 0x20)
    assert [r.name for r in kernel.regions] == ["a"] and kernel.log == []
    kernel.release_region(0x300, 0x20)
    assert kernel.regions == ()
