"""Device registration, naming, ether_setup and open/close against api-facts REG, FLD, CB, FLG."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from netdevspec.reference import (
    AF_INET,
    ARPHRD_ETHER,
    EBUSY,
    EEXIST,
    EINVAL,
    EIO,
    ENFILE,
    ENODEV,
    ETH_P_IP,
    FREE_WRITE,
    IFF_BROADCAST,
    IFF_MULTICAST,
    IFF_NOARP,
    IFF_PROMISC,
    IFF_RUNNING,
    IFF_UP,
    Device,
    Kernel,
    Module,
    SkBuff,
)


def ok_init(dev: Device) -> int:
    return 0


def eth_init(k: Kernel) -> Callable[[Device], int]:
    def init(dev: Device) -> int:
        k.ether_setup(dev)
        dev.open = lambda d: 0
        dev.hard_start_xmit = lambda skb, d: 0
        return 0
    return init


def test_dev_get_finds_the_first_by_name(kernel: Kernel) -> None:
    """REG-1: dev_get returns the first registered device with the name, else NULL."""
    a = Device("dummy0", init=ok_init)
    assert kernel.register_netdev(a) == 0
    assert kernel.dev_get("dummy0") is a
    assert kernel.dev_get("dummy1") is None


def test_register_without_init_links_nothing(kernel: Kernel) -> None:
    """REG-2: 2.0.1 returns 0 without linking a device whose init is NULL (recorded)."""
    dev = Device("x")
    assert kernel.register_netdev(dev) == 0
    assert kernel.register_netdev(None) == 0
    assert kernel.dev_base == [] and not dev.registered
    assert kernel.misuse_kinds() == ["register_no_init", "register_no_init"]


@pytest.mark.parametrize("blank", ["", "    ", " "])
def test_blank_names_take_the_lowest_free_eth_slot(kernel: Kernel, blank: str) -> None:
    """REG-3: a name that is empty or starts with a space becomes eth<lowest free slot>."""
    devs = [Device(blank, init=ok_init) for _ in range(3)]
    for d in devs:
        assert kernel.register_netdev(d) == 0
    assert [d.name for d in devs] == ["eth0", "eth1", "eth2"]
    assert kernel.log[0] == "loading device 'eth0'..."
    kernel.unregister_netdev(devs[1])
    again = Device(blank, init=ok_init)
    assert kernel.register_netdev(again) == 0
    assert again.name == "eth1"


def test_explicit_eth_name_takes_its_slot(kernel: Kernel) -> None:
    """REG-3, REG-12: a device registered as eth0 holds slot 0, so auto-naming skips it."""
    assert kernel.register_netdev(Device("eth0", init=ok_init)) == 0
    d = Device("", init=ok_init)
    assert kernel.register_netdev(d) == 0
    assert d.name == "eth1"


def test_all_sixteen_slots_taken_gives_enfile(kernel: Kernel) -> None:
    """REG-3, REG-11 (decision.register.autoname_full): blank name with all 16 eth slots
    taken answers -ENFILE after the probe and links nothing."""
    for _ in range(16):
        assert kernel.register_netdev(Device("", init=ok_init)) == 0
    probed = []
    dev = Device("", init=lambda d: probed.append(d) or 0)
    assert kernel.register_netdev(dev) == -ENFILE
    assert probed == [dev] and not dev.registered and dev.name == ""
    assert len(kernel.dev_base) == 16


def test_probe_failure_gives_eio_and_frees_the_slot(kernel: Kernel) -> None:
    """REG-5: a non-zero init result is collapsed to -EIO; the slot is released, nothing
    is linked."""
    dev = Device("", init=lambda d: -19)
    assert kernel.register_netdev(dev) == -EIO
    assert kernel.ethdev_index[0] is None and kernel.dev_base == []
    d2 = Device("", init=ok_init)
    assert kernel.register_netdev(d2) == 0 and d2.name == "eth0"


def test_probe_that_raises_is_a_failed_probe(kernel: Kernel) -> None:
    """REG-5: an init that raises is recorded (callback_raised) and answers -EIO."""
    def boom(dev: Device) -> int:
        raise RuntimeError("card on fire")
    assert kernel.register_netdev(Device("x", init=boom)) == -EIO
    assert kernel.misuse_kinds() == ["callback_raised"]
    assert "card on fire" in kernel.misuse[0].message


def test_register_appends_at_the_tail(kernel: Kernel) -> None:
    """REG-6: devices are linked at the tail of dev_base in registration order."""
    names = ["a", "b", "c"]
    for n in names:
        kernel.register_netdev(Device(n, init=ok_init))
    assert [d.name for d in kernel.dev_base] == names


def test_duplicate_name_gives_eexist(kernel: Kernel) -> None:
    """REG-7 (decision.register.duplicate): a taken explicit name answers -EEXIST and links
    nothing; registering the same structure twice does too."""
    a = Device("dummy0", init=ok_init)
    assert kernel.register_netdev(a) == 0
    b = Device("dummy0", init=ok_init)
    assert kernel.register_netdev(b) == -EEXIST
    assert kernel.register_netdev(a) == -EEXIST
    assert kernel.dev_base == [a] and not b.registered
    assert kernel.misuse_kinds() == ["register_name_taken", "register_twice"]


def test_dev_alloc_name(kernel: Kernel) -> None:
    """REG-8: dev_alloc_name picks the lowest free unit 0..99, or -ENFILE."""
    for i in range(100):
        d = Device(init=ok_init)
        assert kernel.dev_alloc_name(d, "dummy%d") == i
        assert kernel.register_netdev(d) == 0
    assert kernel.dev_alloc_name(Device(), "dummy%d") == -ENFILE
    with pytest.raises(ValueError, match="exactly one %d"):
        kernel.dev_alloc_name(Device(), "dummy")


def test_unregister_null_and_unknown(kernel: Kernel) -> None:
    """REG-9: NULL prints "was NULL"; an unknown device prints "not found"; nothing changes."""
    kernel.unregister_netdev(None)
    kernel.unregister_netdev(Device("ghost"))
    assert kernel.log == ["was NULL", "unregister_netdev: 'ghost' not found"]
    assert kernel.misuse_kinds() == ["unregister_null", "unregister_not_found"]


def test_unregister_frees_the_slot_and_unlinks(kernel: Kernel) -> None:
    """REG-9: unregister_netdev unlinks the device and clears its eth slot."""
    a, b = Device("", init=ok_init), Device("", init=ok_init)
    kernel.register_netdev(a)
    kernel.register_netdev(b)
    kernel.unregister_netdev(a)
    assert kernel.dev_base == [b] and kernel.ethdev_index[0] is None and not a.registered


def test_unregister_while_up_closes_first(kernel: Kernel) -> None:
    """REG-9 (decision.close): unregistering a device that is up logs "busy and not
    MOD_IN_USE", records it, and closes it (stop is called) before unlinking
    (decision.unregister.order)."""
    stopped = []
    dev = Device("", init=eth_init(kernel))
    kernel.register_netdev(dev)
    dev.stop = lambda d: stopped.append(kernel.dev_get(d.name))
    assert kernel.dev_open(dev) == 0
    dev.start = 1
    kernel.unregister_netdev(dev)
    assert stopped == [dev]  # still linked while it was closed
    assert not dev.registered and not dev.flags & (IFF_UP | IFF_RUNNING)
    assert kernel.log[-1] == "ERROR 'eth0' busy and not MOD_IN_USE."
    assert kernel.misuse_kinds() == ["unregister_busy"]


def test_unregister_someone_elses_device(kernel: Kernel) -> None:
    """REG-10: a module unregistering a device another module registered is recorded."""
    a, b = Module("a"), Module("b")
    kernel.insmod(a)
    kernel.insmod(b)
    dev = Device("x", init=ok_init)
    with kernel.running(a):
        kernel.register_netdev(dev)
    assert dev.owner is a and a.devices
    with kernel.running(b):
        kernel.unregister_netdev(dev)
    assert kernel.misuse_kinds() == ["unregister_unowned"]
    assert not dev.registered and not a.devices


def test_ether_setup_defaults(kernel: Kernel) -> None:
    """FLD-9, REG-12: ether_setup sets the Ethernet defaults and overwrites flags."""
    dev = Device("x")
    dev.flags = IFF_NOARP | IFF_PROMISC
    kernel.ether_setup(dev)
    assert (dev.type, dev.hard_header_len, dev.mtu, dev.addr_len, dev.tx_queue_len) == (
        ARPHRD_ETHER, 14, 1500, 6, 100)
    assert bytes(dev.broadcast[:6]) == b"\xff" * 6
    assert dev.flags == IFF_BROADCAST | IFF_MULTICAST
    assert (dev.family, dev.pa_addr, dev.pa_brdaddr, dev.pa_mask, dev.pa_alen) == (
        AF_INET, 0, 0, 0, 4)
    assert dev.hard_header == kernel.eth_header
    assert dev.rebuild_header == kernel.eth_rebuild_header
    assert dev.set_mac_address == kernel.eth_mac_addr
    assert dev.change_mtu == kernel.eth_change_mtu
    assert all(q.qlen == 0 and q.owner is None for q in dev.buffs) and len(dev.buffs) == 3


def test_ether_setup_records_boot_names(kernel: Kernel) -> None:
    """REG-12: ether_setup puts an ethN device in slot N; a clash prints "Ouch!"."""
    a, b = Device("eth3"), Device("eth3")
    kernel.ether_setup(a)
    assert kernel.ethdev_index[3] is a
    kernel.ether_setup(b)
    assert kernel.log == ["ether_setup: Ouch! Someone else took eth3"]
    kernel.ether_setup(Device("eth42"))
    assert kernel.misuse_kinds() == ["eth_index_range"]


def test_init_etherdev_makes_and_links_a_device(kernel: Kernel) -> None:
    """REG-13: init_etherdev(NULL, n) allocates a zeroed device with priv, names it eth0,
    runs ether_setup and links it."""
    dev = kernel.init_etherdev(None, 10)
    assert dev is not None and dev.name == "eth0" and dev.registered
    assert isinstance(dev.priv, bytearray) and len(dev.priv) == 12
    assert dev.mtu == 1500 and kernel.dev_base == [dev]
    mine = Device("")
    assert kernel.init_etherdev(mine) is mine and mine.name == "eth1" and not mine.registered


def test_eth_helpers(kernel: Kernel) -> None:
    """CB-14, CB-16, CB-19: eth_header pushes 14 bytes (negative length when the
    destination is unknown); eth_mac_addr refuses while started; MTU 68..1500."""
    dev = Device("e")
    kernel.ether_setup(dev)
    dev.dev_addr[:6] = b"\x00\x42\x65\x00\x00\x01"
    skb = kernel.alloc_skb(100)
    assert skb is not None
    kernel.skb_reserve(skb, 32)
    kernel.skb_put_data(skb, b"ip")
    assert kernel.eth_header(skb, dev, ETH_P_IP, b"\xaa" * 6, None, 2) == 14
    assert skb.payload() == b"\xaa" * 6 + b"\x00\x42\x65\x00\x00\x01\x08\x00ip"
    assert kernel.eth_header(skb, dev, ETH_P_IP, None, None, 2) == -14
    dev.start = 1
    assert kernel.eth_mac_addr(dev, b"\x01" * 6) == -EBUSY
    dev.start = 0
    assert kernel.eth_mac_addr(dev, b"\x02" * 6) == 0 and bytes(dev.dev_addr[:6]) == b"\2" * 6
    assert kernel.eth_change_mtu(dev, 67) == -EINVAL
    assert kernel.eth_change_mtu(dev, 1501) == -EINVAL
    assert kernel.eth_change_mtu(dev, 576) == 0 and dev.mtu == 576


# -- open / close -----------------------------------------------------------------------------

def test_dev_open_sets_up_and_running(kernel: Kernel) -> None:
    """CB-2, FLG-2: dev_open calls open; on 0 IFF_UP|IFF_RUNNING are set and the multicast
    list is loaded; an up device is left alone."""
    calls: list[str] = []
    dev = Device("", init=eth_init(kernel))
    kernel.register_netdev(dev)
    dev.open = lambda d: calls.append("open") or 0
    dev.set_multicast_list = lambda d: calls.append("mc")
    assert kernel.dev_open(dev) == 0
    assert dev.flags & IFF_UP and dev.flags & IFF_RUNNING
    assert kernel.dev_open(dev) == 0
    assert calls == ["open", "mc"]


def test_dev_open_failures(kernel: Kernel) -> None:
    """CB-2: no open method gives -ENODEV; a failing open leaves the device down; an open
    that raises counts as -EIO; an unregistered device gives -ENODEV."""
    dev = Device("x", init=ok_init)
    kernel.register_netdev(dev)
    assert kernel.dev_open(dev) == -ENODEV
    dev.open = lambda d: -EBUSY
    assert kernel.dev_open(dev) == -EBUSY and not dev.flags & IFF_UP

    def boom(d: Device) -> int:
        raise OSError("no")
    dev.open = boom
    assert kernel.dev_open(dev) == -EIO and not dev.flags & IFF_UP
    assert kernel.dev_open(Device("y", open=lambda d: 0)) == -ENODEV
    assert kernel.misuse_kinds() == ["callback_raised", "device_not_registered"]


def test_dev_close_stops_and_drains(kernel: Kernel) -> None:
    """CB-3 (decision.drain): dev_close calls stop only when up, clears the flags, drops
    the multicast list and drains buffs[]: frames with free != 0 are freed, free == 0 ones
    are left to their owner."""
    stops: list[Device] = []
    dev = Device("", init=eth_init(kernel))
    kernel.register_netdev(dev)
    dev.stop = stops.append
    assert kernel.dev_close(dev) == 0 and stops == []
    kernel.dev_open(dev)
    kernel.dev_mc_add(dev, b"\x01\x00\x5e\x00\x00\x01")
    frames: list[SkBuff] = []
    for free in (1, 0, 1):
        skb = kernel.alloc_skb(60)
        assert skb is not None
        skb.free = free
        kernel.skbuff._enqueue_tail(dev.buffs[free], skb)
        frames.append(skb)
    assert kernel.dev_close(dev) == 0
    assert stops == [dev] and not dev.flags & (IFF_UP | IFF_RUNNING)
    assert dev.mc_count == 0 and dev.mc_list == []
    assert [s.alive for s in frames] == [False, True, False]
    assert all(q.qlen == 0 for q in dev.buffs) and frames[1].list is None
    assert kernel.misuse == []


def test_dev_close_ignores_stop_result_and_exceptions(kernel: Kernel) -> None:
    """CB-3: stop "cannot fail": its result is ignored; one that raises is recorded."""
    dev = Device("", init=eth_init(kernel))
    kernel.register_netdev(dev)
    kernel.dev_open(dev)

    def bad_stop(d: Device) -> int:
        raise ValueError("stuck")
    dev.stop = bad_stop
    assert kernel.dev_close(dev) == 0 and not dev.flags & IFF_UP
    assert kernel.misuse_kinds() == ["callback_raised"]


def test_siocsifflags(kernel: Kernel) -> None:
    """FLG-2, FLG-3: SIOCSIFFLAGS keeps IFF_UP itself and opens or closes on a change."""
    dev = Device("", init=eth_init(kernel))
    kernel.register_netdev(dev)
    assert kernel.dev_change_flags(dev, IFF_UP | IFF_BROADCAST | IFF_PROMISC) == 0
    assert dev.flags == IFF_UP | IFF_RUNNING | IFF_BROADCAST | IFF_PROMISC
    assert kernel.dev_change_flags(dev, IFF_BROADCAST) == 0
    assert dev.flags == IFF_BROADCAST
    dev.open = lambda d: -EBUSY
    assert kernel.dev_change_flags(dev, IFF_UP) == -EBUSY and not dev.flags & IFF_UP


def test_get_stats(kernel: Kernel) -> None:
    """CB-12: get_stats may be NULL; otherwise its result is returned."""
    dev = Device("x", init=ok_init)
    assert kernel.dev_get_stats(dev) is None
    dev.get_stats = lambda d: {"rx_packets": 3}
    assert kernel.dev_get_stats(dev) == {"rx_packets": 3}


def test_free_write_constant() -> None:
    """SKB-10: FREE_WRITE is 0 and FREE_READ 1, as in 2.0's skbuff.h."""
    assert FREE_WRITE == 0


def test_ioctl_path_methods_are_called_and_their_absence_is_eopnotsupp() -> None:
    """SIOCSIFHWADDR, SIOCSIFMAP, SIOCDEVPRIVATE and SIOCSIFMTU reach the device's methods
    (CB-16..19); a device without one answers -EOPNOTSUPP (MTU: set directly)."""
    from netdevspec.reference import EOPNOTSUPP, Device, IfMap, Kernel

    k = Kernel()
    seen: list[tuple[str, object]] = []
    dev = Device("dummy0", init=lambda d: 0)
    assert k.register_netdev(dev) == 0
    assert k.dev_set_mac_address(dev, b"\x00" * 6) == -EOPNOTSUPP
    assert k.dev_set_config(dev, IfMap()) == -EOPNOTSUPP
    assert k.dev_private_ioctl(dev, None, 0x89F0) == -EOPNOTSUPP
    assert k.dev_set_mtu(dev, 1400) == 0 and dev.mtu == 1400
    dev.set_mac_address = lambda d, a: seen.append(("mac", a)) or 0
    dev.do_ioctl = lambda d, ifr, cmd: seen.append(("ioctl", cmd)) or 0
    dev.change_mtu = lambda d, mtu: seen.append(("mtu", mtu)) or -22
    assert k.dev_set_mac_address(dev, b"\x01" * 6) == 0
    assert k.dev_private_ioctl(dev, None, 0x89F1) == 0
    assert k.dev_set_mtu(dev, 9000) == -22
    assert seen == [("mac", b"\x01" * 6), ("ioctl", 0x89F1), ("mtu", 9000)]
    dev.do_ioctl = lambda d, ifr, cmd: None
    assert k.dev_private_ioctl(dev, None, 0x89F0) == -5
    assert k.misuse_kinds()[-1] == "callback_bad_return"
