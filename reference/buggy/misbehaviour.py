"""Buggy drivers: callbacks that misbehave as Python code, and reaching behind the API.

These bugs are not misuse of a kernel function but of the driver-model contract
(``netdevspec.reference.drivers``): a callback that raises, returns something that is
not an int, never returns, recurses without end, or a driver that reads the kernel's
state through the handle's private attribute instead of calling the API.

:class:`XmitHangs` really loops forever unless given ``spin=N`` (an insmod-style int
parameter): run it only under a time limit, in a process of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from netdevspec.reference.drivers.dummy import MAX_UNITS, Dummy
from netdevspec.reference.drivers.skeleton import (
    HW_MAX_ADDRS,
    RX_ALLMULTI,
    RX_MCFILTER,
    RX_PROMISC,
    Skeleton,
)

if TYPE_CHECKING:
    from netdevspec.conformance.handle import KernelHandle
    from netdevspec.reference.device import Device
    from netdevspec.reference.skbuff import SkBuff

__all__ = [
    "KernelStateAccess",
    "MulticastRaises",
    "ProbeReturnsNone",
    "XmitHangs",
    "XmitRaises",
    "XmitRecurses",
    "XmitReturnsNone",
    "kernel_state_access",
    "multicast_raises",
    "probe_returns_none",
    "xmit_hangs",
    "xmit_raises",
    "xmit_recurses",
    "xmit_returns_none",
]


class XmitRaises(Dummy):
    """dummy whose transmit raises KeyError on the first frame of each protocol."""

    def __init__(self, handle: KernelHandle, /, *, instance: int = 0, **params: int) -> None:
        super().__init__(handle, instance=instance, **params)
        #: Frames sent per protocol (never given an entry: the bug).
        self.per_protocol: dict[int, int] = {}

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: ``per_protocol[proto] += 1`` on a missing key raises KeyError."""
        if skb is None:
            return 0
        # A runt has no type field (reading one would be another bug): protocol 0.
        proto = int.from_bytes(self._h.skb_read(skb, skb.data + 12, 2), "big") \
            if skb.len >= 14 else 0
        self.per_protocol[proto] += 1  # BUG: KeyError
        return super().dummy_xmit(skb, dev)


class XmitReturnsNone(Dummy):
    """dummy whose transmit falls off the end of the function (returns None)."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: frees the frame but has no ``return 0``: the kernel gets None."""
        if skb is not None:
            self._h.dev_kfree_skb(skb, self._h.FREE_WRITE)
            self._stats(dev).tx_packets += 1
        return cast("int", None)  # BUG: what a missing return statement gives


class XmitHangs(Dummy):
    """dummy whose transmit waits forever for a transmitter that never gets ready.

    Parameter ``spin`` (default 0): 0 loops forever (the bug as it is); N > 0 gives up
    after N passes, so that a test can show the loop is entered without hanging.
    """

    def __init__(self, handle: KernelHandle, /, *, instance: int = 0, **params: int) -> None:
        spin = params.pop("spin", 0)
        if isinstance(spin, bool) or not isinstance(spin, int) or spin < 0:
            raise TypeError(f"xmit_hangs: parameter spin must be an int ≥ 0, got {spin!r}")
        super().__init__(handle, instance=instance, **params)
        #: Passes before giving up (0: never).
        self.spin_limit = spin
        #: Passes made by the last transmit.
        self.spun = 0

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: ``while True: pass`` waiting for a "ready" bit nobody sets."""
        if skb is None:
            return 0
        n = 0
        while True:  # BUG: never returns
            n += 1
            if self.spin_limit and n >= self.spin_limit:  # only when run bounded
                break
        self.spun = n
        return super().dummy_xmit(skb, dev)


class XmitRecurses(Dummy):
    """dummy whose transmit hands the frame to itself again: recursion without end."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: "retries" by calling itself with the same frame (RecursionError)."""
        if skb is None:
            return 0
        return self.dummy_xmit(skb, dev)  # BUG: no base case


class KernelStateAccess(Dummy):
    """dummy that looks for a free name in the kernel's device list directly."""

    def init_module(self) -> int:
        """Bug: walks ``handle._kernel.dev_base`` (the kernel's private state) instead of
        calling ``dev_get``."""
        h = self._h
        dev = self.dev = self._new_device()
        kernel = cast("Any", h)._kernel  # BUG: the kernel object behind the handle
        taken = {d.name for d in kernel.dev_base}
        for ct in range(MAX_UNITS):
            if f"dummy{ct}" not in taken:
                dev.name = f"dummy{ct}"
                break
        else:
            return -h.ENFILE
        if h.register_netdev(dev) != 0:
            return -h.EIO
        return 0


class MulticastRaises(Skeleton):
    """skeleton whose ``set_multicast_list`` overruns its 4-entry filter (CB-13)."""

    def set_multicast_list(self, dev: Device) -> None:
        """Bug: copies every address into a 4-slot table without the all-multicast
        fallback: IndexError once a fifth group is joined."""
        h = self._h
        lp = self._lp(dev)
        slots: list[bytes] = [b""] * HW_MAX_ADDRS
        if dev.flags & h.IFF_PROMISC:
            mode = RX_PROMISC | RX_ALLMULTI
        elif dev.flags & h.IFF_ALLMULTI:
            mode = RX_ALLMULTI
        elif dev.mc_count:
            mode = RX_MCFILTER
            for i, addr in enumerate(dev.mc_list):
                slots[i] = bytes(addr)  # BUG: IndexError past HW_MAX_ADDRS
        else:
            mode = 0
        lp.rx_mode = mode
        lp.mc_filter = [s for s in slots if s]
        h.outb(mode, dev.base_addr + 0x0E)  # CONFIG


class ProbeReturnsNone(Dummy):
    """dummy whose probe (``dev->init``) forgets to return its result."""

    def dummy_probe(self, dev: Device) -> int:
        """Bug: runs ``dummy_init`` but returns None instead of its 0."""
        self.dummy_init(dev)
        return cast("int", None)  # BUG: what a missing return statement gives


xmit_raises = XmitRaises
xmit_returns_none = XmitReturnsNone
xmit_hangs = XmitHangs
xmit_recurses = XmitRecurses
kernel_state_access = KernelStateAccess
multicast_raises = MulticastRaises
probe_returns_none = ProbeReturnsNone
