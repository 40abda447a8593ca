"""``struct device``: the network device a driver fills in and registers.

The fields keep their C names and, for the first ones, the C order (FLD-1), so a static
initialiser reads as in ``Space.c``::

    Device("eth0", 0, 0, 0, 0, 0x300, 5, 0, 0, 0, probe)
    #       name  rmem_end rmem_start mem_end mem_start base_addr irq start interrupt tbusy init

(``next`` is not a field: the kernel keeps the device list, ``kernel.dev_base``.) The
method fields are plain Python callables or None; the kernel calls them with the C
argument order: ``dev.init(dev)``, ``dev.open(dev)``, ``dev.stop(dev)``,
``dev.hard_start_xmit(skb, dev)``, ``dev.get_stats(dev)``, ``dev.set_multicast_list(dev)``,
``dev.hard_header(skb, dev, type, daddr, saddr, len)``,
``dev.rebuild_header(data, dev, raddr, skb)``, ``dev.set_mac_address(dev, addr)``,
``dev.do_ioctl(dev, ifr, cmd)``, ``dev.set_config(dev, map)``,
``dev.change_mtu(dev, mtu)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netdevspec.reference.skbuff import SkBuff, SkBuffHead

if TYPE_CHECKING:
    from netdevspec.reference.modules import Module

__all__ = [
    "AF_INET",
    "ARPHRD_ETHER",
    "ARPHRD_LOOPBACK",
    "DEV_NUMBUFFS",
    "ETH_ALEN",
    "ETH_DATA_LEN",
    "ETH_HLEN",
    "ETH_P_802_2",
    "ETH_P_802_3",
    "ETH_P_ALL",
    "ETH_P_ARP",
    "ETH_P_IP",
    "ETH_ZLEN",
    "IFF_ALLMULTI",
    "IFF_BROADCAST",
    "IFF_DEBUG",
    "IFF_LOOPBACK",
    "IFF_MASTER",
    "IFF_MULTICAST",
    "IFF_NOARP",
    "IFF_NOTRAILERS",
    "IFF_POINTOPOINT",
    "IFF_PROMISC",
    "IFF_RUNNING",
    "IFF_SLAVE",
    "IFF_UP",
    "MAX_ADDR_LEN",
    "Device",
    "EnetStatistics",
    "IfMap",
    "need_dev",
]

# include/linux/if.h (FLG-1)
IFF_UP = 0x1
IFF_BROADCAST = 0x2
IFF_DEBUG = 0x4
IFF_LOOPBACK = 0x8
IFF_POINTOPOINT = 0x10
IFF_NOTRAILERS = 0x20
IFF_RUNNING = 0x40
IFF_NOARP = 0x80
IFF_PROMISC = 0x100
IFF_ALLMULTI = 0x200
IFF_MASTER = 0x400
IFF_SLAVE = 0x800
IFF_MULTICAST = 0x1000

# include/linux/netdevice.h, if_ether.h, if_arp.h, socket.h
DEV_NUMBUFFS = 3
MAX_ADDR_LEN = 7
ETH_ALEN = 6
ETH_HLEN = 14
ETH_ZLEN = 60
ETH_DATA_LEN = 1500
ETH_P_802_3 = 0x0001
ETH_P_ALL = 0x0003
ETH_P_802_2 = 0x0004
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772
AF_INET = 2

InitFn = Callable[["Device"], int]
StopFn = Callable[["Device"], object]
XmitFn = Callable[[SkBuff | None, "Device"], int]
StatsFn = Callable[["Device"], object]
McastFn = Callable[["Device"], object]
HeaderFn = Callable[[SkBuff, "Device", int, bytes | None, bytes | None, int], int]
RebuildFn = Callable[[int, "Device", int, SkBuff], int]
MacFn = Callable[["Device", bytes], int]
IoctlFn = Callable[["Device", object, int], int]
ConfigFn = Callable[["Device", "IfMap"], int]
MtuFn = Callable[["Device", int], int]


@dataclass
class IfMap:
    """``struct ifmap`` (CB-18, CB-20); a field of all ones means "leave unchanged"."""

    mem_start: int = 0
    mem_end: int = 0
    base_addr: int = 0
    irq: int = 0
    dma: int = 0
    port: int = 0


@dataclass
class EnetStatistics:
    """``struct enet_statistics`` (CB-12), what ``get_stats`` usually returns."""

    rx_packets: int = 0
    tx_packets: int = 0
    rx_errors: int = 0
    tx_errors: int = 0
    rx_dropped: int = 0
    tx_dropped: int = 0
    multicast: int = 0
    collisions: int = 0
    rx_length_errors: int = 0
    rx_over_errors: int = 0
    rx_crc_errors: int = 0
    rx_frame_errors: int = 0
    rx_fifo_errors: int = 0
    rx_missed_errors: int = 0
    tx_aborted_errors: int = 0
    tx_carrier_errors: int = 0
    tx_fifo_errors: int = 0
    tx_heartbeat_errors: int = 0
    tx_window_errors: int = 0


def _three_queues() -> list[SkBuffHead]:
    return [SkBuffHead(None, f"buffs[{i}]") for i in range(DEV_NUMBUFFS)]


@dataclass(eq=False, slots=True)
class Device:
    """One network device (``struct device`` of Linux 2.0).

    The kernel sets ``owner`` (the module that registered it, None for the kernel) and
    keeps ``registered``; everything else is the driver's to fill in, as in C. ``buffs``
    are the three transmit queues, owned by the kernel (FLD-10, CB-9).
    """

    name: str = ""
    rmem_end: int = 0
    rmem_start: int = 0
    mem_end: int = 0
    mem_start: int = 0
    base_addr: int = 0
    irq: int = 0
    start: int = 0
    interrupt: int = 0
    tbusy: int = 0
    init: InitFn | None = None
    if_port: int = 0
    dma: int = 0
    get_stats: StatsFn | None = None
    trans_start: int = 0
    last_rx: int = 0
    flags: int = 0
    family: int = 0
    metric: int = 0
    mtu: int = 0
    type: int = 0
    hard_header_len: int = 0
    priv: object = None
    broadcast: bytearray = field(default_factory=lambda: bytearray(MAX_ADDR_LEN))
    dev_addr: bytearray = field(default_factory=lambda: bytearray(MAX_ADDR_LEN))
    addr_len: int = 0
    pa_addr: int = 0
    pa_brdaddr: int = 0
    pa_dstaddr: int = 0
    pa_mask: int = 0
    pa_alen: int = 0
    mc_list: list[bytes] = field(default_factory=list)
    mc_count: int = 0
    #: Set by the kernel: how many dev_mc_add calls hold each address of ``mc_list``
    #: (2.0.1's ``dmi_users``).
    mc_users: dict[bytes, int] = field(default_factory=dict, repr=False)
    tx_queue_len: int = 0
    buffs: list[SkBuffHead] = field(default_factory=_three_queues)
    open: InitFn | None = None
    stop: StopFn | None = None
    hard_start_xmit: XmitFn | None = None
    hard_header: HeaderFn | None = None
    rebuild_header: RebuildFn | None = None
    set_multicast_list: McastFn | None = None
    set_mac_address: MacFn | None = None
    do_ioctl: IoctlFn | None = None
    set_config: ConfigFn | None = None
    header_cache_bind: Callable[..., object] | None = None
    header_cache_update: Callable[..., object] | None = None
    change_mtu: MtuFn | None = None
    #: Set by the kernel: the module that registered the device (None: the kernel).
    owner: Module | None = field(default=None, repr=False)
    #: Set by the kernel: True while the device is on ``kernel.dev_base``.
    registered: bool = field(default=False, repr=False)
    #: Set by the kernel: which callback is running (0 none, 1 open, 2 stop, 3 xmit).
    phase: int = field(default=0, repr=False)
    #: Set by the kernel: the queue of the frame being handed to hard_start_xmit.
    xmit_pri: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Device name must be a str, got {type(self.name).__name__}; use "
                            "\"\" or a name starting with a space for automatic ethN naming")

    @property
    def is_up(self) -> bool:
        """IFF_UP is set."""
        return bool(self.flags & IFF_UP)

    def __repr__(self) -> str:
        owner = "kernel" if self.owner is None else self.owner.name
        return (f"<Device {self.name!r} base={self.base_addr:#x} irq={self.irq} "
                f"flags={self.flags:#x} owner={owner}{' registered' if self.registered else ''}>")


def need_dev(fn: str, dev: object) -> Device:
    """``dev`` if it is a :class:`Device`; otherwise a TypeError naming the function."""
    if isinstance(dev, Device):
        return dev
    raise TypeError(f"{fn}: dev must be a Device, got {type(dev).__name__}; pass the device "
                    "structure the driver filled in")
