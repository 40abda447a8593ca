"""The kernel functions added to the C runtime after it was written: the word and
long-word port functions, the ISA shared-memory accessors, eth_copy_and_sum, the queue
peeks, udelay and the kernel timers, called from a small C driver
(tests/cdriver/data/shmem.c)."""

from __future__ import annotations

from pathlib import Path

import pytest
from netdevspec.conformance.cdriver import load_c_driver
from netdevspec.conformance.check import check_driver

SHMEM = Path(__file__).parent / "data" / "shmem.c"
#: Enough scenarios to open the device and transmit through it.
EXAMPLES = 15
#: A callback's time limit no step comes near on a loaded machine.
LIMIT = 60.0


def test_a_driver_using_the_new_functions_has_no_finding() -> None:
    # init_module: outw_p/inw_p/outsl/insl on its claimed ports, readb/writeb on ISA
    # memory before the device has a window (a probe: not judged); transmit: memcpy_toio,
    # readw/readb inside the window, skb_peek_tail/skb_queue_empty on its own queue,
    # memcpy_fromio and eth_copy_and_sum into a received frame; open: a watchdog timer
    # (init_timer/add_timer, re-added by its function), stop: del_timer
    report = check_driver(load_c_driver(str(SHMEM)), str(SHMEM), examples=EXAMPLES, seed_=3,
                          time_limit=LIMIT)
    assert report.counts()["FAIL"] == 0, [r.finding for r in report.failed]
    assert report.counts()["UNRESOLVED"] == 0
    verdicts = {r.rule.id: r.verdict for r in report.rules}
    for rule in ("fld.mem.window", "res.port.claimed", "skb.data.bounds", "skb.free.unqueued",
                 "timer.add.idle", "timer.del.owner", "mod.exit.timers"):
        assert verdicts[rule] == "PASS", rule


def _line(text: str) -> int:
    return next(i for i, t in enumerate(SHMEM.read_text().splitlines(), 1) if text in t)


@pytest.mark.parametrize(("flag", "call"), [
    ("-DWINDOW_BUG", "writeb(0, dev->mem_end)"),  # in open, after init
    ("-DWATCHDOG_BUG", "readb(dev->mem_end)"),  # in the timer's function, given data = dev
])
def test_an_access_past_the_window_after_init_is_fld_mem_window_at_its_line(
        flag: str, call: str) -> None:
    report = check_driver(load_c_driver(str(SHMEM), flag), str(SHMEM), examples=EXAMPLES,
                          seed_=3, time_limit=LIMIT)
    failed = {r.rule.id: r for r in report.failed}
    assert set(failed) == {"fld.mem.window"}, [r.finding for r in report.failed]
    finding = failed["fld.mem.window"].finding
    assert finding is not None
    assert finding.location.endswith(f"shmem.c:{_line(call)}"), finding.location
    assert "0xd2000" in finding.message


def test_a_timer_left_pending_by_stop_is_caught_at_the_next_init_timer_and_at_rmmod() -> None:
    report = check_driver(load_c_driver(str(SHMEM), "-DTIMER_BUG"), str(SHMEM),
                          examples=EXAMPLES, seed_=3, time_limit=LIMIT)
    failed = {r.rule.id: r for r in report.failed}
    assert {"timer.add.idle", "mod.exit.timers"} <= set(failed), list(failed)
    finding = failed["timer.add.idle"].finding
    assert finding is not None
    assert finding.location.endswith(f"shmem.c:{_line('init_timer(&shm_timer)')}")


def test_the_bytes_travel_between_the_card_the_driver_and_the_kernel() -> None:
    # the card's memory holds a frame at the window's start; transmit makes the driver
    # take it as received: memcpy_fromio fills the driver's array, eth_copy_and_sum gives
    # the kernel's buffer and its C memory the bytes, memcpy_toio copies the buffer's C
    # memory back to the echo area
    from netdevspec.conformance.boundary import DriverHost
    from netdevspec.conformance.harness import Harness
    from netdevspec.reference import SharedMemory

    factory = load_c_driver(str(SHMEM))
    frame = bytes([0xFF] * 6 + [0, 0x42, 0x65, 0, 0, 9]) + b"\x08\x06" + bytes(range(46))
    with DriverHost(factory, str(SHMEM)) as host:
        h = Harness(factory, spec_ref=str(SHMEM), host=host)
        mem = h.kernel.attach_memory(SharedMemory(0x2000), 0xD0000)
        mem.ram[:len(frame)] = frame
        h.insmod(i=0)
        h.up(i=0)
        h.xmit(i=0)
        echo = bytes(mem.ram[0x100:0x100 + len(frame)])
        h.finish()
        h.close()
    assert h.monitor.findings == []
    assert echo == frame
