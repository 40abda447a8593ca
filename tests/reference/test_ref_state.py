"""Kernel.from_state builds a kernel in a given state, keeping every module's accounting."""

from __future__ import annotations

from netdevspec.reference import (
    EBUSY,
    MOD_LIVE,
    Device,
    DmaClaim,
    IrqAction,
    Kernel,
    MachineState,
    Module,
    Region,
    SkbData,
    SkBuff,
)


def nothing(irq: int, dev_id: object, regs: object) -> None:
    """An interrupt handler that does nothing."""


def test_from_state_builds_and_accounts() -> None:
    m = Module("m")
    m.state = MOD_LIVE
    dev = Device("eth0")
    dev.owner = m
    act = IrqAction(5, nothing, 0, "m", None, m)
    region = Region(0x300, 0x20, "m", m)
    skb = SkBuff(7, SkbData(0x20_0000, 64), 64 + 160, m)
    k = Kernel.from_state(MachineState(
        modules=[m], devices=[dev], eth_slots={0: dev}, irq_actions=[act], regions=[region],
        dma={3: DmaClaim("m", m)}, skbs=[skb], rx_dropping=True))
    assert k.modules == {"m": m} and k.dev_base == [dev] and dev.registered
    assert k.dev_get("eth0") is dev and k.ethdev_index[0] is dev
    assert k.irq_actions(5) == (act,) and k.regions == (region,)
    assert k.request_dma(3, "x") == -EBUSY and k.check_region(0x310, 1) == -EBUSY
    assert k.live_skbs == {7: skb} and k.net_skbcount == 1 and k.rx_dropping
    assert m.holdings() == {"devices": 1, "irqs": 1, "regions": 1, "dma": 1, "skbs": 1,
                            "queued_buffers": 0, "packet_types": 0, "timers": 0}
    fresh = k.alloc_skb(10)
    assert fresh is not None and fresh.id == 8 and fresh.head >= skb.end
    with k.running(m):
        k.free_irq(5, None)
        k.release_region(0x300, 0x20)
        k.free_dma(3)
        k.kfree_skb(skb)
        k.unregister_netdev(dev)
    assert set(m.holdings().values()) == {0}
    assert k.misuse_kinds() == ["free_flag_unset"]  # the buffer's free flag was never set
