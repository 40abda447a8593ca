"""Differential tests against Linux 2.0.1's ``drivers/net/net_init.c``."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import (
    ARPHRD_ETHER,
    EBUSY,
    EEXIST,
    EINVAL,
    EIO,
    ENFILE,
    IFF_BROADCAST,
    IFF_MULTICAST,
    IFF_NOARP,
    IFF_UP,
    Device,
    IfMap,
    Kernel,
)

NI = "drivers/net/net_init.c"


def ok(dev: Device) -> int:
    return 0


def setup(k: Kernel):  # type: ignore[no-untyped-def]
    def init(dev: Device) -> int:
        k.ether_setup(dev)
        dev.open = ok
        return 0
    return init


@branch(f"{NI}:260", "register_netdev", "NULL or no init: 0, nothing linked")
def test_register_netdev_without_init(kernel: Kernel) -> None:
    assert kernel.register_netdev(None) == 0
    dev = Device("")
    assert kernel.register_netdev(dev) == 0
    assert kernel.dev_base == [] and dev.name == "" and not dev.registered


@branch(f"{NI}:265", "register_netdev", "blank name: the lowest free eth slot, eth%d")
@branch(f"{NI}:266", "register_netdev", "prints \"loading device 'ethN'...\"")
@branch(f"{NI}:284", "register_netdev", "probe 0: appended at the tail")
def test_register_netdev_autonames_and_appends(kernel: Kernel) -> None:
    a, b, c = Device("", init=ok), Device("    ", init=ok), Device("dummy0", init=ok)
    for d in (a, b, c):
        assert kernel.register_netdev(d) == 0
    assert [d.name for d in kernel.dev_base] == ["eth0", "eth1", "dummy0"]
    assert kernel.ethdev_index[:3] == [a, b, None]
    assert kernel.log == ["loading device 'eth0'...", "loading device 'eth1'..."]


@branch(f"{NI}:274", "register_netdev", "probe fails: slot freed, -EIO")
def test_register_netdev_probe_failure(kernel: Kernel) -> None:
    dev = Device("", init=lambda d: -19)
    assert kernel.register_netdev(dev) == -EIO
    assert kernel.ethdev_index[0] is None and kernel.dev_base == []


@branch(f"{NI}:281", "register_netdev", "no name check: a taken name is linked again")
def test_register_netdev_taken_name(kernel: Kernel) -> None:
    """2.0.1 links both; the reference answers -EEXIST (decision.register.duplicate)."""
    assert kernel.register_netdev(Device("dummy0", init=ok)) == 0
    assert kernel.register_netdev(Device("dummy0", init=ok)) == -EEXIST
    assert len(kernel.dev_base) == 1


@branch(f"{NI}:263", "register_netdev", "no free slot: the name stays blank")
def test_register_netdev_no_free_slot(kernel: Kernel) -> None:
    """2.0.1 links a blank-named device; the reference answers -ENFILE
    (decision.register.autoname_full)."""
    for _ in range(16):
        assert kernel.register_netdev(Device("", init=ok)) == 0
    assert kernel.register_netdev(Device("", init=ok)) == -ENFILE
    assert len(kernel.dev_base) == 16


@branch(f"{NI}:262", "register_netdev", "an explicit ethN name is not entered in ethdev_index")
def test_explicit_eth_name_takes_its_slot(kernel: Kernel) -> None:
    """In 2.0.1 only ether_setup enters ethN in its slot; the reference (and the spec's
    reg.eth.slots) give a registered ethN device slot N (decision.eth.explicit)."""
    dev = Device("eth3", init=ok)  # a probe that does not call ether_setup
    assert kernel.register_netdev(dev) == 0
    assert kernel.ethdev_index[3] is dev


@branch(f"{NI}:305", "unregister_netdev", "NULL: prints 'was NULL'")
@branch(f"{NI}:348", "unregister_netdev", "not on the list: prints \"'%s' not found\"")
def test_unregister_netdev_errors(kernel: Kernel) -> None:
    kernel.unregister_netdev(None)
    kernel.unregister_netdev(Device("ghost"))
    assert kernel.log == ["was NULL", "unregister_netdev: 'ghost' not found"]


@branch(f"{NI}:311", "unregister_netdev", "start set: prints 'busy and not MOD_IN_USE', goes on")
@branch(f"{NI}:357", "unregister_netdev", "unlinked, its eth slot cleared")
@branch(f"{NI}:373", "unregister_netdev", "then dev_close: stop if IFF_UP")
def test_unregister_unlinks_then_closes(kernel: Kernel) -> None:
    """2.0.1 calls stop on the device it has just unlinked; the reference closes the device
    first, while it is still registered (decision.unregister.order)."""
    listed_at_stop: list[bool] = []
    dev = Device("", init=setup(kernel))
    assert kernel.register_netdev(dev) == 0
    dev.stop = lambda d: listed_at_stop.append(kernel.dev_get(d.name) is d) or 0
    assert kernel.dev_open(dev) == 0
    dev.start = 1
    kernel.unregister_netdev(dev)
    assert listed_at_stop == [True]  # 2.0.1: [False]
    assert kernel.dev_base == [] and kernel.ethdev_index[0] is None
    assert not dev.flags & IFF_UP
    assert kernel.log[-1] == "ERROR 'eth0' busy and not MOD_IN_USE."


@branch(f"{NI}:162", "ether_setup", "the DEV_NUMBUFFS queues initialised")
@branch(f"{NI}:185", "ether_setup", "Ethernet defaults: type, header 14, mtu 1500, addr 6, "
        "qlen 100")
@branch(f"{NI}:182", "ether_setup", "eth_header_cache_bind/update installed")
@branch(f"{NI}:194", "ether_setup", "flags overwritten with IFF_BROADCAST|IFF_MULTICAST")
def test_ether_setup_defaults(kernel: Kernel) -> None:
    dev = Device("x")
    dev.flags = IFF_NOARP
    kernel.ether_setup(dev)
    assert (dev.type, dev.hard_header_len, dev.mtu, dev.addr_len, dev.tx_queue_len) == (
        ARPHRD_ETHER, 14, 1500, 6, 100)
    assert bytes(dev.broadcast[:6]) == b"\xff" * 6
    assert dev.flags == IFF_BROADCAST | IFF_MULTICAST
    assert (dev.pa_addr, dev.pa_brdaddr, dev.pa_mask, dev.pa_alen) == (0, 0, 0, 4)
    assert all(q.qlen == 0 for q in dev.buffs)
    # 2.0.1 installs eth_header_cache_bind/update; no header cache here (decision.arp)
    assert dev.header_cache_bind is None and dev.header_cache_update is None


@branch(f"{NI}:167", "ether_setup", "ethN: simple_strtoul(name + 3, NULL, 0) picks the slot")
@branch(f"{NI}:173", "ether_setup", "slot held by another: prints 'Ouch! Someone else took'")
def test_ether_setup_reads_the_number_in_c_notation(kernel: Kernel) -> None:
    a, b, c = Device("eth010"), Device("eth0x3"), Device("eth8")
    for d in (a, b, c):
        kernel.ether_setup(d)
    assert kernel.ethdev_index[8] is a and kernel.ethdev_index[3] is b
    assert kernel.log == ["ether_setup: Ouch! Someone else took eth8"]


@branch(f"{NI}:143", "eth_mac_addr", "start set: -EBUSY")
@branch(f"{NI}:151", "eth_change_mtu", "outside 68..1500: -EINVAL")
def test_eth_mac_addr_and_change_mtu(kernel: Kernel) -> None:
    dev = Device("x")
    kernel.ether_setup(dev)
    assert kernel.eth_mac_addr(dev, b"\x00\x01\x02\x03\x04\x05") == 0
    assert bytes(dev.dev_addr[:6]) == b"\x00\x01\x02\x03\x04\x05"
    dev.start = 1
    assert kernel.eth_mac_addr(dev, b"\xff" * 6) == -EBUSY
    assert [kernel.eth_change_mtu(dev, m) for m in (67, 68, 1500, 1501)] == [
        -EINVAL, 0, 0, -EINVAL]
    assert dev.mtu == 1500


@branch(f"{NI}:236", "ether_config", "all-ones fields left unchanged, the others set")
def test_ether_config(kernel: Kernel) -> None:
    dev = Device("x", base_addr=0x300, irq=5)
    m = IfMap()
    m.base_addr, m.irq, m.dma, m.mem_start, m.mem_end, m.port = (
        0xFFFF, 9, 0xFF, 0xFFFF_FFFF, 0xD0000, 0xFF)
    assert kernel.ether_config(dev, m) == 0
    assert (dev.base_addr, dev.irq, dev.mem_end) == (0x300, 9, 0xD0000)


@branch(f"{NI}:133", "init_etherdev", "NULL: a new device, auto-named, set up, appended")
def test_init_etherdev_new_device(kernel: Kernel) -> None:
    dev = kernel.init_etherdev(None, 10)
    assert dev is not None and dev.name == "eth0" and kernel.dev_base == [dev]
    assert dev.priv is not None and len(dev.priv) == 12 and dev.mtu == 1500


@branch(f"{NI}:117", "init_etherdev", "no free slot: 2.0.1 links a nameless device")
def test_init_etherdev_without_a_free_slot(kernel: Kernel) -> None:
    """The reference returns NULL instead (decision.memory.safety)."""
    for _ in range(16):
        assert kernel.init_etherdev(None, 0) is not None
    assert kernel.init_etherdev(None, 0) is None
    assert len(kernel.dev_base) == 16 and kernel.log[-1] == "init_etherdev: no free eth slot"
