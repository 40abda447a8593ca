"""Nothing the kernel sees is lost: every misuse the reference kernel records has a finding.

For each kind of :data:`netdevspec.reference.MISUSE_KINDS` a driver module provokes it
through its :class:`~netdevspec.conformance.handle.KernelHandle` (or through a callback
the kernel makes into it), with the :class:`~netdevspec.conformance.monitor.SpecMonitor`
attached as a check would attach it. Each scenario asserts both halves: the kernel
recorded the kind, and the monitor reported the spec rule (or ``drv.*`` rule) a reader
expects for it, as a finding against the driver's module.

A few kinds are recorded only for acts no driver performs: a call the protocol layers,
ifconfig or insmod make (``dev_queue_xmit``, ``dev_open``, ``dev_remove_pack``,
``insmod``), or the machine's own interrupt delivery. :data:`NOT_A_DRIVER_ACT` lists each
with the kernel entry that records it, and a test checks that a driver cannot reach that
entry through its handle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from netdevspec.conformance.handle import BINDINGS, KernelHandle
from netdevspec.conformance.monitor import SpecMonitor
from netdevspec.reference import (
    FREE_WRITE,
    GFP_ATOMIC,
    GFP_KERNEL,
    MISUSE_KINDS,
    SA_SHIRQ,
    Device,
    Kernel,
    KernelPanic,
    Module,
    SharedMemory,
    SimpleNic,
    SkBuff,
    TimerList,
)


@dataclass
class Rig:
    """A kernel with the spec monitor attached, and driver module ``m`` loaded with its
    handle ``h`` (what ``netdevspec check`` judges)."""

    k: Kernel = field(default_factory=Kernel)
    init: Callable[[], int] | None = None
    cleanup: Callable[[], object] | None = None

    def __post_init__(self) -> None:
        self.mon = SpecMonitor(self.k, modules={"m"}).attach()
        self.m = Module("m", init_module=self.init, cleanup_module=self.cleanup)
        self.h = KernelHandle(self.k, self.m, self.mon)

    def load(self) -> Rig:
        assert self.k.insmod(self.m) == 0
        return self

    def skb(self, size: int = 64) -> SkBuff:
        s = self.h.alloc_skb(size, GFP_ATOMIC)
        assert s is not None
        return s

    def device(self, name: str = "x", **methods: object) -> Device:
        """A device of module m, registered and (with ``open`` given) up."""
        h = self.h

        def probe(d: Device) -> int:
            h.ether_setup(d)
            for k_, v in methods.items():
                setattr(d, k_, v)
            return 0

        dev = h.Device(name, init=probe)
        assert h.register_netdev(dev) == 0
        if "open" in methods:
            assert self.k.dev_open(dev) == 0
        return dev

    def timer(self, expires: int = 100) -> TimerList:
        """A timer of module m's, not yet added."""
        return self.h.TimerList(expires, 0, lambda data: None)

    def other(self) -> Module:
        o = Module("other")
        assert self.k.insmod(o) == 0
        return o

    @property
    def found(self) -> set[str]:
        return {f.rule for f in self.mon.findings if f.module == "m"}


def _lifecycle_up(r: Rig, xmit: Callable[[SkBuff | None, Device], int]) -> Device:
    def opened(d: Device) -> int:
        d.start, d.tbusy, d.interrupt = 1, 0, 0
        return 0
    return r.device(open=opened, stop=lambda d: 0, hard_start_xmit=xmit)


def _alloc_nonatomic(r: Rig) -> None:
    r.h.request_irq(7, lambda i, d, regs: r.h.alloc_skb(8, GFP_KERNEL), 0, "m", None)
    r.k.raise_irq(7)


def _over(r: Rig) -> None:
    with pytest.raises(KernelPanic):
        r.h.skb_put(r.skb(4), 5)


def _under(r: Rig) -> None:
    with pytest.raises(KernelPanic):
        r.h.skb_push(r.skb(4), 1)


def _negative(r: Rig) -> None:
    s = r.skb()
    r.h.skb_put(s, 4)
    r.h.skb_trim(s, -1)


def _reserve_nonempty(r: Rig) -> None:
    s = r.skb()
    r.h.skb_put(s, 1)
    r.h.skb_reserve(s, 1)


def _clone_put(r: Rig) -> None:
    s = r.skb()
    r.h.skb_clone(s, GFP_ATOMIC)
    r.h.skb_put(s, 1)


def _clone_write(r: Rig) -> None:
    s = r.skb()
    r.h.skb_put(s, 4)
    c = r.h.skb_clone(s, GFP_ATOMIC)
    assert c is not None
    r.h.skb_write(c, c.data, b"\xff")


def _read_below_head(r: Rig) -> None:
    s = r.skb(4)
    r.h.skb_read(s, s.head - 1, 2)


def _write_past_end(r: Rig) -> None:
    s = r.skb(4)
    r.h.skb_write(s, s.end - 1, b"ab")


def _freed(r: Rig) -> SkBuff:
    s = r.skb()
    s.free = 1
    r.h.kfree_skb(s, FREE_WRITE)
    return s


def _use_after_free(r: Rig) -> None:
    r.h.skb_pull(_freed(r), 0)


def _double_free(r: Rig) -> None:
    r.h.kfree_skb(_freed(r), FREE_WRITE)


def _free_queued(r: Rig) -> None:
    q = r.h.skb_queue_head_init(r.h.SkBuffHead())
    s = r.skb()
    s.free = 1
    r.h.skb_queue_tail(q, s)
    r.h.kfree_skb(s, FREE_WRITE)


def _skb_not_owned(r: Rig) -> None:
    with r.k.running(r.other()):
        s = r.k.alloc_skb(8)
    assert s is not None
    r.h.skb_trim(s, 0)


def _queue_not_owned(r: Rig) -> None:
    with r.k.running(r.other()):
        q = r.k.skb_queue_head_init()
    r.h.skb_dequeue(q)


def _queue_twice(r: Rig) -> None:
    q = r.h.skb_queue_head_init(r.h.SkBuffHead())
    s = r.skb()
    r.h.skb_queue_tail(q, s)
    r.h.skb_queue_head(q, s)


def _queue_reinit(r: Rig) -> None:
    q = r.h.skb_queue_head_init(r.h.SkBuffHead())
    r.h.skb_queue_tail(q, r.skb())
    r.h.skb_queue_head_init(q)


def _register_twice(r: Rig) -> None:
    r.h.register_netdev(r.device())


def _name_taken(r: Rig) -> None:
    r.device("x")
    r.h.register_netdev(r.h.Device("x", init=lambda d: 0))


def _unregister_unowned(r: Rig) -> None:
    dev = Device("y", init=lambda d: 0)
    with r.k.running(r.other()):
        r.k.register_netdev(dev)
    r.h.unregister_netdev(dev)


def _unregister_busy(r: Rig) -> None:
    r.h.unregister_netdev(_lifecycle_up(r, lambda s, d: 0))


def _eth_short(r: Rig) -> None:
    dev = r.device()
    r.h.eth_type_trans(r.skb(), dev)


def _open_bad_return(r: Rig) -> None:
    dev = r.device(stop=lambda d: 0)
    dev.open = lambda d: 3
    r.k.dev_open(dev)


def _callback_raised(r: Rig) -> None:
    r.h.register_netdev(r.h.Device("x", init=lambda d: 1 // 0))


def _callback_bad_return(r: Rig) -> None:
    r.h.register_netdev(r.h.Device("x", init=lambda d: "yes"))


def _xmit_busy_consumed(r: Rig) -> None:
    def xmit(s: SkBuff | None, d: Device) -> int:
        r.h.dev_kfree_skb(s, FREE_WRITE)
        d.tbusy = 1
        return 1
    dev = _lifecycle_up(r, xmit)
    r.k.dev_queue_xmit(r.k.alloc_skb(60), dev, 0)


def _xmit_busy_no_tbusy(r: Rig) -> None:
    dev = _lifecycle_up(r, lambda s, d: 1)
    r.k.dev_queue_xmit(r.k.alloc_skb(60), dev, 0)
    r.h.dev_tint(dev)  # as the transmit-done interrupt would: 2.0.1's dev_tint spins


def _tint_in_xmit(r: Rig) -> None:
    def xmit(s: SkBuff | None, d: Device) -> int:
        r.h.dev_tint(d)
        r.h.dev_kfree_skb(s, FREE_WRITE)
        return 0
    dev = _lifecycle_up(r, xmit)
    r.k.dev_queue_xmit(r.k.alloc_skb(60), dev, 0)


def _rx_no_dev(r: Rig) -> None:
    s = r.skb()
    s.protocol = 0x0800
    r.h.netif_rx(s)


def _rx_no_protocol(r: Rig) -> None:
    s = r.skb()
    s.dev = r.device()
    r.h.netif_rx(s)


def _held_irq(r: Rig) -> None:
    with r.k.running(r.other()):
        r.k.request_irq(9, lambda i, d, regs: None, 0, "other", None)
    r.h.free_irq(9, None)


def _table_full(r: Rig) -> None:
    """2.0.1 cannot tell a driver that the 64-entry table is full (check_region says the
    range is free; request_region is void), so the request is not the fault: using the
    ports it did not get is (RES-9)."""
    for i in range(65):
        assert r.h.check_region(0x1000 + 16 * i, 8) == 0
        r.h.request_region(0x1000 + 16 * i, 8, "m")
    r.k.attach_card(SimpleNic(), 0x1000 + 16 * 64)
    r.h.inb(0x1000 + 16 * 64)


def _timer_not_owned(r: Rig) -> None:
    t = TimerList(100, 0, lambda data: None)
    with r.k.running(r.other()):
        r.k.add_timer(t)
    r.h.del_timer(t)


def _iomem_outside(r: Rig) -> None:
    r.k.attach_memory(SharedMemory(0x2000), 0xD0000)
    dev = r.device()
    dev.mem_start, dev.mem_end = 0xD0000, 0xD2000  # (a write after registering: not judged)
    assert r.h.readb(0xD1FFF) == 0  # inside the window: fine
    r.h.writeb(1, 0xD2000)  # one past mem_end


def _port_outside(r: Rig) -> None:
    r.k.attach_card(SimpleNic(), 0x300)
    r.h.inb(0x300)


def _leak(kind: str) -> Callable[[Rig], None]:
    def claim(r: Rig) -> int:
        h = r.h
        if kind == "leak_device":
            r.device()
        elif kind == "leak_irq":
            h.request_irq(7, lambda i, d, regs: None, 0, "m", None)
        elif kind == "leak_region":
            h.request_region(0x300, 8, "m")
        elif kind == "leak_dma":
            h.request_dma(1, "m")
        elif kind == "leak_skb":
            r.skb()
        elif kind == "leak_timer":
            h.add_timer(r.timer())
        else:
            q = h.skb_queue_head_init(h.SkBuffHead())
            h.skb_queue_tail(q, r.skb())
        return 0

    def run(r: Rig) -> None:
        r.m.init_module = lambda: claim(r)
        r.m.cleanup_module = lambda: None
        assert r.k.insmod(r.m) == 0
        r.k.rmmod("m")
    return run


#: kind -> (scenario, the rules of which at least one must be found). The scenario runs
#: on a fresh rig whose module is loaded, except for the leak scenarios, which load it
#: themselves (their init_module claims what cleanup_module then forgets).
DRIVER_ACTS: dict[str, list[tuple[Callable[[Rig], object], frozenset[str]]]] = {}


def _act(kind: str, fn: Callable[[Rig], object], *rules: str) -> None:
    DRIVER_ACTS.setdefault(kind, []).append((fn, frozenset(rules)))


_act("alloc_bad_size", lambda r: r.h.alloc_skb(-1, GFP_ATOMIC), "skb.alloc.size")
_act("alloc_nonatomic_in_irq", _alloc_nonatomic, "skb.alloc.atomic")
_act("skb_over", _over, "skb.put.bounds")
_act("skb_under", _under, "skb.push.bounds")
_act("negative_length", _negative, "skb.length.nonneg")
_act("reserve_nonempty", _reserve_nonempty, "skb.reserve.empty")
_act("reserve_over", lambda r: r.h.skb_reserve(r.skb(4), 5), "skb.reserve.bounds")
_act("clone_write", _clone_put, "skb.clone.readonly")
_act("clone_write", _clone_write, "skb.clone.readonly")
_act("data_out_of_bounds", _read_below_head, "skb.data.bounds")
_act("data_out_of_bounds", _write_past_end, "skb.data.bounds")
_act("use_after_free", _use_after_free, "skb.use.alive")
_act("double_free", _double_free, "skb.use.alive")
_act("free_null", lambda r: r.h.kfree_skb(None, FREE_WRITE), "skb.use.alive")
_act("free_queued", _free_queued, "skb.free.unqueued")
_act("double_lock", lambda r: [r.h.skb_device_lock(s := r.skb()), r.h.skb_device_lock(s)],
     "skb.lock.single")
_act("free_flag_unset", lambda r: r.h.kfree_skb(r.skb(), FREE_WRITE), "skb.free.flag_set")
_act("skb_not_owned", _skb_not_owned, "skb.use.owner")
_act("queue_not_owned", _queue_not_owned, "queue.use.owner")
_act("queue_twice", _queue_twice, "queue.enqueue.unlinked")
_act("queue_reinit_nonempty", _queue_reinit, "queue.init.private")
_act("insert_unlisted", lambda r: r.h.skb_append(r.skb(), r.skb()), "queue.anchor")
_act("register_no_init", lambda r: r.h.register_netdev(r.h.Device("x")), "reg.register.init")
_act("register_twice", _register_twice, "reg.register.fresh")
_act("register_name_taken", _name_taken, "reg.register.unique")
_act("unregister_null", lambda r: r.h.unregister_netdev(None), "reg.unregister.registered")
_act("unregister_not_found", lambda r: r.h.unregister_netdev(r.h.Device("z")),
     "reg.unregister.registered")
_act("unregister_unowned", _unregister_unowned, "reg.unregister.owner")
_act("unregister_busy", _unregister_busy, "reg.unregister.closed")
_act("eth_index_range", lambda r: r.h.ether_setup(r.h.Device("eth16")), "reg.eth.range")
_act("eth_short_frame", _eth_short, "rx.eth.header")
_act("open_bad_return", _open_bad_return, "cb.open.errno")
_act("callback_raised", _callback_raised, "drv.callback.raised")
_act("callback_bad_return", _callback_bad_return, "drv.callback.type")
_act("xmit_busy_consumed", _xmit_busy_consumed, "cb.xmit.busy.keep")
_act("xmit_busy_no_tbusy", _xmit_busy_no_tbusy, "cb.xmit.busy.tbusy")
_act("tint_in_xmit", _tint_in_xmit, "cb.tint.context")
_act("rx_null", lambda r: r.h.netif_rx(None), "skb.use.alive")
_act("rx_no_dev", _rx_no_dev, "rx.dev.set")
_act("rx_no_protocol", _rx_no_protocol, "rx.protocol.set")
_act("irq_shared_dev_id", lambda r: r.h.request_irq(9, lambda i, d, regs: None, SA_SHIRQ, "m",
                                                    None), "res.irq.request.dev_id")
_act("free_irq_bad_line", lambda r: r.h.free_irq(99, None), "res.irq.free.held")
_act("free_irq_not_held", lambda r: r.h.free_irq(9, None), "res.irq.free.held")
_act("free_irq_unowned", _held_irq, "res.irq.free.owner")
_act("request_region_busy", lambda r: [r.h.request_region(0x300, 8, "m")
                                       for _ in range(2)], "res.region.request.free")
_act("request_region_full", _table_full, "res.port.claimed")
_act("region_bad_range", lambda r: r.h.request_region(0xFFF0, 32, "m"), "res.region.range")
_act("release_region_nomatch", lambda r: r.h.release_region(0x300, 8),
     "res.region.release.held")
_act("release_region_unowned", lambda r: [_with(r.k, r.other(),
                                                lambda: r.k.request_region(0x300, 8, "o")),
                                          r.h.release_region(0x300, 8)],
     "res.region.release.owner")
_act("free_dma_bad", lambda r: r.h.free_dma(8), "res.dma.free.held")
_act("free_dma_not_held", lambda r: r.h.free_dma(1), "res.dma.free.held")
_act("free_dma_unowned", lambda r: r.h.free_dma(4), "res.dma.free.owner")
_act("port_outside_region", _port_outside, "res.port.claimed")
_act("iomem_outside_window", _iomem_outside, "fld.mem.window")
_act("mod_dec_below_zero", lambda r: r.h.MOD_DEC_USE_COUNT(), "mod.use.balanced")
_act("timer_added_twice", lambda r: [r.h.add_timer(t := r.timer()), r.h.add_timer(t)],
     "timer.add.idle")
_act("timer_reinit_pending", lambda r: [r.h.add_timer(t := r.timer()), r.h.init_timer(t)],
     "timer.add.idle")
_act("timer_not_owned", _timer_not_owned, "timer.del.owner")
for _kind, _rule in (("leak_device", "mod.exit.devices"), ("leak_irq", "mod.exit.irqs"),
                     ("leak_region", "mod.exit.regions"), ("leak_dma", "mod.exit.dma"),
                     ("leak_skb", "mod.exit.buffers"), ("leak_queue", "mod.exit.queues"),
                     ("leak_timer", "mod.exit.timers")):
    _act(_kind, _leak(_kind), _rule)


def _with(k: Kernel, m: Module, fn: Callable[[], object]) -> object:
    with k.running(m):
        return fn()


#: Kinds recorded only for acts no driver performs -> (the kernel entry that records it,
#: who makes that call, and why a driver is not judged for it).
NOT_A_DRIVER_ACT: dict[str, tuple[str, str]] = {
    "xmit_null": ("dev_queue_xmit", "the protocol layers queue frames; a driver receives "
                                    "them in hard_start_xmit"),
    "xmit_device_down": ("dev_queue_xmit", "the protocol layers (cb.xmit.device is their "
                                           "obligation, judged on the kernel side)"),
    "xmit_bad_priority": ("dev_queue_xmit", "the protocol layers choose the priority"),
    "device_not_registered": ("dev_open", "ifconfig (dev_open, dev_close, SIOCSIFFLAGS) on "
                                          "a device nobody registered"),
    "remove_pack_not_found": ("dev_remove_pack", "a protocol module removing a packet "
                                                 "handler; drivers register none"),
    "leak_packet_type": ("dev_add_pack", "a protocol module; drivers register no packet "
                                         "handler"),
    "insmod_loaded": ("insmod", "the user (or the harness) loads a module twice"),
    "module_not_loaded": ("running", "the harness ran code of a module it never loaded"),
    "irq_storm": ("raise_irq", "the machine: a card keeps its line asserted; the kernel's "
                               "delivery loop gives up (the harness's hang limits judge a "
                               "handler that never returns)"),
}

#: Kinds a driver can cause for which the spec has no rule yet: each a known gap, with
#: a scenario that shows it (the test below fails once a rule catches it: then move the
#: kind to DRIVER_ACTS).
GAPS: dict[str, tuple[Callable[[Rig], object], str]] = {
    "double_unlock": (lambda r: r.h.skb_device_unlock(r.skb()),
                      "skb_device_unlock is exempt in the handle: an unlock operation needs "
                      "the spec to say when a driver may unlock a frame it was lent "
                      "(cb.xmit.frame), which loopback's reuse of its frame (RX-7) decides"),
    "xmit_no_method": (lambda r: r.k.dev_queue_xmit(r.k.alloc_skb(60),
                                                    _lifecycle_up(r, None), 0),  # type: ignore[arg-type]
                       "the spec does not model dev->hard_start_xmit != NULL (a device "
                       "opened without one)"),
}


def test_the_three_lists_cover_every_misuse_kind_once() -> None:
    kinds = set(DRIVER_ACTS) | set(NOT_A_DRIVER_ACT) | set(GAPS)
    assert kinds == set(MISUSE_KINDS), sorted(kinds ^ set(MISUSE_KINDS))
    assert not set(DRIVER_ACTS) & set(NOT_A_DRIVER_ACT)
    assert not (set(DRIVER_ACTS) | set(NOT_A_DRIVER_ACT)) & set(GAPS)


@pytest.mark.parametrize("kind", sorted(NOT_A_DRIVER_ACT))
def test_a_driver_cannot_reach_the_entry_that_records_it(kind: str) -> None:
    entry, _who = NOT_A_DRIVER_ACT[kind]
    assert entry not in BINDINGS, f"{kind}: a driver can call {entry}; judge it"
    assert not hasattr(KernelHandle, entry)


_CASES = [(kind, i) for kind in sorted(DRIVER_ACTS) for i in range(len(DRIVER_ACTS[kind]))]


@pytest.mark.parametrize(("kind", "variant"), _CASES, ids=[f"{k}-{i}" for k, i in _CASES])
def test_the_misuse_is_recorded_and_found_under_its_rule(kind: str, variant: int) -> None:
    scenario, rules = DRIVER_ACTS[kind][variant]
    r = Rig()
    if not kind.startswith("leak_"):
        r.load()
    scenario(r)
    assert kind in r.k.misuse_kinds(), (kind, r.k.misuse_kinds())
    assert r.found & rules, (f"the kernel recorded {kind} but the monitor found "
                             f"{sorted(r.found)}, none of {sorted(rules)}")


def test_a_clean_use_of_the_same_calls_has_no_finding() -> None:
    """The control: copying into and out of a buffer's own, unshared area, inside its
    bounds, is found clean (the new rules do not fire on correct code)."""
    r = Rig().load()
    s = r.skb(16)
    at = r.h.skb_put(s, 4)
    r.h.skb_write(s, at, b"abcd")
    assert r.h.skb_read(s, at, 4) == b"abcd"
    c = r.h.skb_clone(s, GFP_ATOMIC)
    assert c is not None
    assert r.h.skb_read(c, c.data, 4) == b"abcd"  # a clone may be read
    assert r.k.misuse_kinds() == []
    assert r.found == set()
    assert r.mon.exercised["skb.data.bounds"] == 3
    assert r.mon.exercised["skb.clone.readonly"] >= 2


def test_the_bounds_finding_says_what_and_where() -> None:
    r = Rig().load()
    s = r.skb(4)
    r.h.skb_write(s, s.end - 1, b"ab")
    f = next(f for f in r.mon.findings if f.rule == "skb.data.bounds")
    assert f.message == (f"a copy of 2 bytes at {s.end - 1:#x} reaches outside the data area of "
                         f"buffer #{s.id} (it overwrites or reads memory that is not the "
                         "buffer's)")
    assert f.where.startswith("skb_write(")
    assert "end" in f.picture


@pytest.mark.parametrize("kind", sorted(GAPS))
@pytest.mark.xfail(strict=True, reason="a known gap of the spec (GAPS)")
def test_known_gap_is_still_a_gap(kind: str) -> None:
    scenario, _why = GAPS[kind]
    r = Rig().load()
    scenario(r)
    assert kind in r.k.misuse_kinds()
    assert r.found, f"{kind}: recorded, and no finding"


def test_a_timer_that_runs_or_is_deleted_leaves_nothing() -> None:
    """The control for the timer rules: a timer added, run at expiry (its function as the
    module's code, in interrupt context) and one added then deleted leave no finding."""
    r = Rig(cleanup=lambda: None).load()
    ran: list[tuple[int, int]] = []
    t = r.h.TimerList(3, 7, lambda data: ran.append((data, r.h.intr_count)))
    r.h.init_timer(t)
    r.h.add_timer(t)
    u = r.timer(50)
    r.h.add_timer(u)
    r.k.tick(3)
    assert ran == [(7, 1)] and not t.pending and u.pending
    assert r.h.del_timer(u) == 1 and r.h.del_timer(u) == 0
    assert r.k.rmmod("m") == 0
    assert r.k.misuse_kinds() == [] and r.found == set()
    assert r.mon.exercised["mod.exit.timers"] == 1 and r.mon.exercised["timer.add.idle"] == 3
