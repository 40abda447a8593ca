"""Differential tests against Linux 2.0.1's built-in loopback device: ``loopback_dev`` in
``drivers/net/Space.c``, ``drivers/net/loopback.c`` and its set-up by ``net_dev_init``
(``net/core/dev.c``). ``Kernel.pc()`` boots with it; ``Kernel()`` has no device.

Each test asserts what 2.0.1 does and registers the branch it checks (:mod:`linux201`).
"""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import (
    AF_INET,
    ENOENT,
    ETH_P_IP,
    IFF_BROADCAST,
    IFF_LOOPBACK,
    IFF_RUNNING,
    IFF_UP,
    Device,
    EnetStatistics,
    Kernel,
    Module,
    PacketType,
    SkBuff,
)
from netdevspec.reference.boot import builtin_module, net_dev_init
from netdevspec.reference.device import ARPHRD_LOOPBACK
from netdevspec.reference.loopback import (
    CHECKSUM_UNNECESSARY,
    LOOPBACK_MTU,
    BuiltinLoopback,
)
from netdevspec.reference.skbuff import Sock
from reftools import eth_frame

LB = "drivers/net/loopback.c"
SPACE = "drivers/net/Space.c"
DEV = "net/core/dev.c"


def booted() -> tuple[Kernel, Device, list[SkBuff]]:
    """A booted PC with lo up and an IP handler that keeps what it is given."""
    k = Kernel.pc()
    lo = k.dev_get("lo")
    assert lo is not None
    got: list[SkBuff] = []
    k.dev_add_pack(PacketType(ETH_P_IP, lambda skb, dev, pt: got.append(skb)))
    assert k.dev_open(lo) == 0
    return k, lo, got


def frame(k: Kernel, payload: bytes, free: int = 1) -> SkBuff:
    """A frame as the protocols hand it to dev_queue_xmit (free set, link header built)."""
    data = eth_frame(proto=ETH_P_IP, payload=payload)
    skb = k.alloc_skb(len(data))
    assert skb is not None
    k.skb_put_data(skb, data)
    skb.free = free
    return skb


@branch(f"{SPACE}:437", "loopback_dev", "the static device lo, base 0, irq 0, init loopback_init")
@branch(f"{SPACE}:450", "dev_base", "the device list starts at loopback_dev")
@branch(f"{LB}:118", "loopback_init", "MTU, queue length, type, flags, 127.0.0.1/8, statistics")
@branch(f"{DEV}:1431", "net_dev_init", "every static device's queues are initialised, "
        "then its init called")
def test_lo_at_boot() -> None:
    k = Kernel.pc()
    assert [d.name for d in k.dev_base] == ["lo"]
    lo = k.dev_base[0]
    builtin = lo.owner
    assert lo.registered and builtin is not None and builtin.name == "built-in"
    assert builtin.loaded and builtin.use_count == 0 and builtin.devices == {id(lo): lo}
    assert k.modules == {} and k.rmmod("built-in") == -ENOENT  # nothing to unload
    assert (lo.base_addr, lo.irq, lo.dma, lo.mem_start, lo.start) == (0, 0, 0, 0, 0)
    assert lo.mtu == LOOPBACK_MTU == 3584 and lo.tx_queue_len == 50000
    assert lo.hard_header_len == 14 and lo.addr_len == 6 and lo.type == ARPHRD_LOOPBACK
    assert lo.flags == IFF_LOOPBACK | IFF_BROADCAST and not lo.flags & IFF_UP
    assert lo.family == AF_INET and lo.pa_alen == 4
    # in_aton stores network byte order: 127.0.0.1 read as a little-endian long
    assert lo.pa_addr.to_bytes(4, "little") == bytes([127, 0, 0, 1])
    assert lo.pa_brdaddr.to_bytes(4, "little") == bytes([127, 255, 255, 255])
    assert lo.pa_mask.to_bytes(4, "little") == bytes([255, 0, 0, 0])
    assert lo.hard_header == k.eth_header and lo.rebuild_header == k.eth_rebuild_header
    assert lo.stop is None and lo.set_multicast_list is None and lo.change_mtu is None
    assert isinstance(lo.priv, EnetStatistics) and lo.get_stats is not None
    assert lo.get_stats(lo) is lo.priv
    assert all(q.qlen == 0 and q.owner is None for q in lo.buffs)
    assert k.ethdev_index == [None] * 16  # lo takes no eth slot
    assert k.log == [] and k.misuse == []
    assert Kernel().dev_base == []  # the empty machine has no device


@branch(f"{DEV}:1435", "net_dev_init", "a static device whose init fails is unhooked")
def test_net_dev_init_unhooks_a_failed_probe() -> None:
    k = Kernel()
    absent = Device("eth0", init=lambda dev: -19)  # ethif_probe finding no card: -ENODEV
    lo = BuiltinLoopback(k).dev
    assert net_dev_init(k, [lo, absent], builtin_module()) == [lo]
    assert k.dev_base == [lo] and not absent.registered


@branch(f"{LB}:111", "loopback_open", "sets IFF_LOOPBACK and returns 0")
@branch(f"{DEV}:270", "dev_close", "lo has no stop: only the flags go down")
def test_lo_open_and_close() -> None:
    k, lo, _ = booted()
    assert lo.flags == IFF_LOOPBACK | IFF_BROADCAST | IFF_UP | IFF_RUNNING
    assert lo.start == 0  # loopback.c never sets start
    assert k.dev_close(lo) == 0
    assert lo.flags == IFF_LOOPBACK | IFF_BROADCAST and k.misuse == []


@branch(f"{LB}:72", "loopback_xmit", "free 1: the frame itself goes up through netif_rx")
@branch(f"{LB}:96", "loopback_xmit", "netif_rx, then the frame is unlocked")
@branch(f"{LB}:100", "loopback_xmit", "rx_packets and tx_packets counted")
def test_lo_passes_a_frame_up() -> None:
    k, lo, got = booted()
    skb = frame(k, b"ping")
    k.dev_queue_xmit(skb, lo, 0)
    assert got == [skb]  # the same buffer, not a copy
    assert skb.lock == 0 and k.net_locked == 0 and skb.dev is lo
    assert skb.protocol == ETH_P_IP and skb.ip_summed == CHECKSUM_UNNECESSARY
    assert skb.data - skb.head == 14  # eth_type_trans pulled the link header
    s = lo.get_stats(lo)  # type: ignore[misc]
    assert (s.rx_packets, s.tx_packets) == (1, 1)
    assert k.misuse == [] and lo.tbusy == 0


@branch(f"{LB}:74", "loopback_xmit", "free 0: a clone goes up, the original is released "
        "to its owner")
def test_lo_clones_a_kept_frame() -> None:
    k, lo, got = booted()
    kept = frame(k, b"tcp segment", free=0)
    k.dev_queue_xmit(kept, lo, 1)
    assert len(got) == 1 and got[0] is not kept and got[0].area is kept.area
    assert kept.alive and kept.lock == 0 and kept.list is None
    assert k.net_locked == 0 and k.misuse == []


@branch(f"{LB}:76", "loopback_xmit", "the clone fails: 1 (busy) with tbusy clear")
def test_lo_clone_failure_answers_busy() -> None:
    """2.0.1's dev_tint would resubmit the frame forever; the reference stops after one try
    and records it (decision.tint.spin)."""
    k, lo, got = booted()
    kept = frame(k, b"tcp segment", free=0)
    k.fail_next_alloc()
    k.dev_queue_xmit(kept, lo, 0)
    assert got == [] and lo.tbusy == 0
    assert list(lo.buffs[0]) == [kept] and kept.lock == 0  # requeued at the head
    k.dev_tint(lo)
    assert "xmit_busy_no_tbusy" not in k.misuse_kinds()  # the clone succeeds now
    assert len(got) == 1 and lo.buffs[0].qlen == 0


@branch(f"{LB}:81", "loopback_xmit", "a socket's frame: its send memory is credited back")
def test_lo_credits_the_socket() -> None:
    k, lo, got = booted()
    skb = frame(k, b"udp")
    sk = Sock("udp")
    skb.sk, sk.wmem_alloc = sk, skb.truesize
    k.dev_queue_xmit(skb, lo, 0)
    assert sk.wmem_alloc == 0 and got == [skb] and skb.sk is None  # netif_rx clears sk


@branch(f"{LB}:64", "loopback_xmit", "NULL buffer: 0")
def test_lo_null_frame() -> None:
    _, lo, _ = booted()
    assert lo.hard_start_xmit is not None
    assert lo.hard_start_xmit(None, lo) == 0


@branch(f"{DEV}:537", "dev_transmit", "net_bh kicks lo too: its flags are not 0 even when down")
def test_net_bh_kicks_lo() -> None:
    k = Kernel.pc()
    idle: list[object] = []
    k.tracer = lambda ev, f: idle.append(f["dev"]) if ev == "xmit.idle" else None
    k.net_bh()
    lo = k.dev_get("lo")
    assert idle == [lo] * 3


def test_modules_meet_lo() -> None:
    """A module cannot take the name lo (decision.register.duplicate); one that unregisters
    lo is recorded (the device is not its own, REG-10) and unlinks it, as 2.0.1 would."""
    k = Kernel.pc()
    lo = k.dev_get("lo")
    assert lo is not None
    mine = Device("lo", init=lambda dev: 0)
    rogue = Module("rogue", init_module=lambda: k.register_netdev(mine),
                   cleanup_module=lambda: k.unregister_netdev(lo))
    assert k.insmod(rogue) != 0 and not mine.registered
    assert "register_name_taken" in k.misuse_kinds()
    rogue.init_module = lambda: 0
    assert k.insmod(rogue) == 0 and k.rmmod(rogue) == 0
    assert "unregister_unowned" in k.misuse_kinds() and k.dev_base == []
