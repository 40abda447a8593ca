"""Every misuse kind the reference kernel knows is recorded by a scenario that provokes it,
and none crashes the Python process."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from netdevspec.reference import (
    GFP_KERNEL,
    MISUSE_KINDS,
    SA_SHIRQ,
    Device,
    Kernel,
    KernelPanic,
    Module,
    PacketType,
    SimpleNic,
    SkBuff,
    TimerList,
)


def skb(k: Kernel, size: int = 64) -> SkBuff:
    s = k.alloc_skb(size)
    assert s is not None
    return s


def up_device(k: Kernel, xmit: Callable[[SkBuff | None, Device], int] | None = None,
              owner: Module | None = None) -> Device:
    def init(d: Device) -> int:
        k.ether_setup(d)
        d.open = lambda dev: 0
        d.hard_start_xmit = xmit
        return 0
    dev = Device("", init=init)
    with k.running(owner):
        assert k.register_netdev(dev) == 0
    assert k.dev_open(dev) == 0
    return dev


def loaded(k: Kernel, name: str = "m") -> Module:
    m = Module(name)
    assert k.insmod(m) == 0
    return m


def _with(k: Kernel, m: Module, fn: Callable[[], object]) -> None:
    with k.running(m):
        fn()


def _panic(k: Kernel, fn: Callable[[], object]) -> None:
    with pytest.raises(KernelPanic):
        fn()


def _skb_over(k: Kernel) -> None:
    s = skb(k, 4)
    _panic(k, lambda: k.skb_put(s, 5))


def _skb_under(k: Kernel) -> None:
    s = skb(k, 4)
    _panic(k, lambda: k.skb_push(s, 1))


def _alloc_nonatomic(k: Kernel) -> None:
    k.request_irq(7, lambda i, d, r: k.alloc_skb(8, GFP_KERNEL))
    k.raise_irq(7)


def _reserve_nonempty(k: Kernel) -> None:
    s = skb(k)
    k.skb_put(s, 1)
    k.skb_reserve(s, 1)


def _clone_write(k: Kernel) -> None:
    s = skb(k)
    k.skb_clone(s)
    k.skb_put(s, 1)


def _use_after_free(k: Kernel) -> None:
    s = skb(k)
    s.free = 1
    k.kfree_skb(s)
    k.skb_pull(s, 0)


def _double_free(k: Kernel) -> None:
    s = skb(k)
    s.free = 1
    k.kfree_skb(s)
    k.kfree_skb(s)


def _free_queued(k: Kernel) -> None:
    q = k.skb_queue_head_init()
    s = skb(k)
    s.free = 1
    k.skb_queue_tail(q, s)
    k.kfree_skb(s)


def _skb_not_owned(k: Kernel) -> None:
    s = skb(k)
    with k.running(loaded(k)):
        k.skb_trim(s, 0)


def _queue_not_owned(k: Kernel) -> None:
    q = k.skb_queue_head_init()
    with k.running(loaded(k)):
        k.skb_dequeue(q)


def _queue_twice(k: Kernel) -> None:
    q = k.skb_queue_head_init()
    s = skb(k)
    k.skb_queue_tail(q, s)
    k.skb_queue_head(q, s)


def _queue_reinit(k: Kernel) -> None:
    q = k.skb_queue_head_init()
    k.skb_queue_tail(q, skb(k))
    k.skb_queue_head_init(q)


def _unregister_unowned(k: Kernel) -> None:
    dev = Device("x", init=lambda d: 0)
    k.register_netdev(dev)
    with k.running(loaded(k)):
        k.unregister_netdev(dev)


def _unregister_busy(k: Kernel) -> None:
    k.unregister_netdev(up_device(k, lambda s, d: 0))


def _open_bad_return(k: Kernel) -> None:
    dev = Device("x", init=lambda d: 0, open=lambda d: 3)
    k.register_netdev(dev)
    k.dev_open(dev)


def _callback_bad_return(k: Kernel) -> None:
    k.register_netdev(Device("x", init=lambda d: "yes"))  # type: ignore[arg-type, return-value]


def _xmit_bad_priority(k: Kernel) -> None:
    k.dev_queue_xmit(skb(k), up_device(k, lambda s, d: 0), 5)


def _xmit_no_method(k: Kernel) -> None:
    k.dev_queue_xmit(skb(k), up_device(k, None), 0)


def _xmit_busy_consumed(k: Kernel) -> None:
    def xmit(s: SkBuff | None, d: Device) -> int:
        k.kfree_skb(s)
        return 1
    k.dev_queue_xmit(skb(k), up_device(k, xmit, loaded(k)), 0)


def _xmit_busy_no_tbusy(k: Kernel) -> None:
    dev = up_device(k, lambda s, d: 1)
    k.skbuff._enqueue_tail(dev.buffs[0], skb(k))
    k.dev_tint(dev)


def _tint_in_xmit(k: Kernel) -> None:
    def xmit(s: SkBuff | None, d: Device) -> int:
        k.dev_tint(d)
        return 0
    k.dev_queue_xmit(skb(k), up_device(k, xmit), 0)


def _rx_no_dev(k: Kernel) -> None:
    s = skb(k)
    s.protocol = 0x0800
    k.netif_rx(s)


def _rx_no_protocol(k: Kernel) -> None:
    s = skb(k)
    s.dev = up_device(k, None)
    k.netif_rx(s)


def _irq_storm(k: Kernel) -> None:
    k.request_irq(9, lambda i, d, r: k.raise_irq(9))
    k.raise_irq(9)


def _port_outside(k: Kernel) -> None:
    k.attach_card(SimpleNic(), 0x300)
    with k.running(loaded(k)):
        k.inb(0x300)


def _leak(kind: str) -> Callable[[Kernel], None]:
    def run(k: Kernel) -> None:
        def init() -> int:
            if kind == "leak_device":
                k.register_netdev(Device("x", init=lambda d: 0))
            elif kind == "leak_irq":
                k.request_irq(7, lambda i, d, r: None)
            elif kind == "leak_region":
                k.request_region(0x300, 8, "x")
            elif kind == "leak_dma":
                k.request_dma(1, "x")
            elif kind == "leak_skb":
                skb(k)
            elif kind == "leak_queue":
                k.skb_queue_tail(k.skb_queue_head_init(), skb(k))
            elif kind == "leak_timer":
                k.add_timer(TimerList(5, 0, lambda data: None))
            else:
                k.dev_add_pack(PacketType(0x1234, lambda s, d, p: None))
            return 0
        k.insmod(Module("m", init_module=init))
        k.rmmod("m")
    return run


def _timer_added_twice(k: Kernel) -> None:
    t = TimerList(5, 0, lambda data: None)
    k.add_timer(t)
    k.add_timer(t)


def _timer_reinit_pending(k: Kernel) -> None:
    t = TimerList(5, 0, lambda data: None)
    k.add_timer(t)
    k.init_timer(t)


def _timer_not_owned(k: Kernel) -> None:
    t = TimerList(5, 0, lambda data: None)
    k.add_timer(t)
    with k.running(loaded(k)):
        k.del_timer(t)


def _dec_below_zero(k: Kernel) -> None:
    k.mod_dec_use_count(loaded(k))


def _insmod_loaded(k: Kernel) -> None:
    m = loaded(k)
    k.insmod(m)


def _eth_short(k: Kernel) -> None:
    dev = Device("x")
    k.ether_setup(dev)
    k.eth_type_trans(skb(k), dev)


SCENARIOS: dict[str, Callable[[Kernel], object]] = {
    "alloc_bad_size": lambda k: k.alloc_skb(-1),
    "alloc_nonatomic_in_irq": _alloc_nonatomic,
    "skb_over": _skb_over,
    "skb_under": _skb_under,
    "negative_length": lambda k: k.skb_trim((s := skb(k), k.skb_put(s, 4))[0], -1),
    "reserve_nonempty": _reserve_nonempty,
    "reserve_over": lambda k: k.skb_reserve(skb(k, 4), 5),
    "clone_write": _clone_write,
    "data_out_of_bounds": lambda k: k.skb_read(skb(k, 4), 0, 1),
    "use_after_free": _use_after_free,
    "double_free": _double_free,
    "free_null": lambda k: k.kfree_skb(None),
    "free_flag_unset": lambda k: k.kfree_skb(skb(k)),
    "free_queued": _free_queued,
    "double_lock": lambda k: [k.skb_device_lock(s := skb(k)), k.skb_device_lock(s)],
    "double_unlock": lambda k: k.skb_device_unlock(skb(k)),
    "skb_not_owned": _skb_not_owned,
    "queue_not_owned": _queue_not_owned,
    "queue_twice": _queue_twice,
    "queue_reinit_nonempty": _queue_reinit,
    "insert_unlisted": lambda k: k.skb_append(skb(k), skb(k)),
    "register_no_init": lambda k: k.register_netdev(Device("x")),
    "register_twice": lambda k: [k.register_netdev(d := Device("x", init=lambda d: 0)),
                                 k.register_netdev(d)],
    "register_name_taken": lambda k: [k.register_netdev(Device("x", init=lambda d: 0))
                                      for _ in range(2)],
    "unregister_null": lambda k: k.unregister_netdev(None),
    "unregister_not_found": lambda k: k.unregister_netdev(Device("x")),
    "unregister_unowned": _unregister_unowned,
    "unregister_busy": _unregister_busy,
    "device_not_registered": lambda k: k.dev_open(Device("x")),
    "eth_index_range": lambda k: k.ether_setup(Device("eth16")),
    "eth_short_frame": _eth_short,
    "open_bad_return": _open_bad_return,
    "callback_raised": lambda k: k.register_netdev(Device("x", init=lambda d: 1 // 0)),
    "callback_bad_return": _callback_bad_return,
    "xmit_null": lambda k: k.dev_queue_xmit(None, Device("x")),
    "xmit_device_down": lambda k: k.dev_queue_xmit(skb(k), Device("x"), 0),
    "xmit_bad_priority": _xmit_bad_priority,
    "xmit_no_method": _xmit_no_method,
    "xmit_busy_consumed": _xmit_busy_consumed,
    "xmit_busy_no_tbusy": _xmit_busy_no_tbusy,
    "tint_in_xmit": _tint_in_xmit,
    "rx_null": lambda k: k.netif_rx(None),
    "rx_no_dev": _rx_no_dev,
    "rx_no_protocol": _rx_no_protocol,
    "remove_pack_not_found": lambda k: k.dev_remove_pack(PacketType(1, lambda s, d, p: None)),
    "irq_shared_dev_id": lambda k: k.request_irq(9, lambda i, d, r: None, SA_SHIRQ, "x", None),
    "free_irq_bad_line": lambda k: k.free_irq(99),
    "free_irq_not_held": lambda k: k.free_irq(9),
    "free_irq_unowned": lambda k: _with(k, loaded(k), lambda: k.free_irq(0)),
    "irq_storm": _irq_storm,
    "request_region_busy": lambda k: [k.request_region(0x300, 8, "a"),
                                      k.request_region(0x300, 8, "b")],
    "request_region_full": lambda k: [k.request_region(16 * i, 8, "r") for i in range(65)],
    "region_bad_range": lambda k: k.request_region(0xFFF0, 32, "x"),
    "release_region_nomatch": lambda k: k.release_region(0x300, 8),
    "release_region_unowned": lambda k: [k.request_region(0x300, 8, "a"),
                                         _with(k, loaded(k), lambda: k.release_region(0x300, 8))],
    "free_dma_bad": lambda k: k.free_dma(8),
    "free_dma_not_held": lambda k: k.free_dma(1),
    "free_dma_unowned": lambda k: _with(k, loaded(k), lambda: k.free_dma(4)),
    "port_outside_region": _port_outside,
    "iomem_outside_window": lambda k: _with(k, loaded(k), lambda: k.readb(0xD0000)),
    "insmod_loaded": _insmod_loaded,
    "module_not_loaded": lambda k: _with(k, Module("ghost"), lambda: None),
    "mod_dec_below_zero": _dec_below_zero,
    "timer_added_twice": _timer_added_twice,
    "timer_reinit_pending": _timer_reinit_pending,
    "timer_not_owned": _timer_not_owned,
    **{kind: _leak(kind) for kind in ("leak_device", "leak_irq", "leak_region", "leak_dma",
                                      "leak_skb", "leak_queue", "leak_packet_type",
                                      "leak_timer")},
}


def test_every_kind_has_a_scenario() -> None:
    """The catalogue of misuse kinds and the scenarios below cover each other exactly."""
    assert set(SCENARIOS) == set(MISUSE_KINDS)


@pytest.mark.parametrize("kind", sorted(MISUSE_KINDS))
def test_misuse_kind_is_recorded(kind: str) -> None:
    """Every misuse 2.0.1 lets through is recorded under its kind, with the module that did
    it, and the process survives."""
    k = Kernel()
    SCENARIOS[kind](k)
    assert kind in k.misuse_kinds(), (kind, k.misuse_kinds())
    rec = next(m for m in k.misuse if m.kind == kind)
    assert rec.message
