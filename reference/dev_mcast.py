"""Multicast address lists, after Linux 2.0.1's ``net/core/dev_mcast.c``.

``dev_mc_upload`` (``dev_mcast.c:62``) calls the driver's ``set_multicast_list``
when the device is up; ``dev_mc_delete`` (``dev_mcast.c:85``) and ``dev_mc_add``
(``dev_mcast.c:108``) change ``dev->mc_list`` and upload it; ``dev_mc_discard``
(``dev_mcast.c:136``) empties it when the device goes down (CB-13).
"""

from __future__ import annotations

from netdevspec.reference.common import KernelCore
from netdevspec.reference.device import ETH_ALEN, IFF_UP, Device

__all__ = ["DevMcast"]


class DevMcast:
    """The multicast list functions."""

    def __init__(self, core: KernelCore) -> None:
        self._k = core

    def dev_mc_upload(self, dev: Device) -> None:
        """Program the filter (``dev_mcast.c:62``): call ``set_multicast_list`` if the
        device is up and has one."""
        if dev.flags & IFF_UP and dev.set_multicast_list is not None:
            self._k.call(dev.owner, f"set_multicast_list of {dev.name!r}",
                         dev.set_multicast_list, dev)

    def dev_mc_discard(self, dev: Device) -> None:
        """Empty the list (``dev_mcast.c:136``); the filter is not reprogrammed."""
        dev.mc_list.clear()
        dev.mc_users.clear()
        dev.mc_count = 0

    def dev_mc_add(self, dev: Device, addr: bytes, alen: int = ETH_ALEN,
                   newonly: int = 0) -> None:
        """Add a multicast address (``dev_mcast.c:108``, CB-13).

        An address already on the list gains a user (none with ``newonly``) and the filter
        is not reprogrammed; a new one goes at the head of the list with one user, and the
        filter is reprogrammed.
        """
        a = bytes(addr[:alen])
        if a in dev.mc_users:
            if not newonly:
                dev.mc_users[a] += 1
            return
        dev.mc_list.insert(0, a)
        dev.mc_users[a] = 1
        dev.mc_count += 1
        self.dev_mc_upload(dev)

    def dev_mc_delete(self, dev: Device, addr: bytes, alen: int = ETH_ALEN,
                      all_: int = 0) -> None:
        """Drop one user of a multicast address (``dev_mcast.c:85``, CB-13).

        The address leaves the list, and the filter is reprogrammed, when its last user
        goes or ``all_`` is set; an address not on the list is ignored.
        """
        a = bytes(addr[:alen])
        users = dev.mc_users.get(a)
        if users is None:
            return
        users -= 1
        dev.mc_users[a] = users
        if users and not all_:
            return
        del dev.mc_users[a]
        dev.mc_list.remove(a)
        dev.mc_count -= 1
        self.dev_mc_upload(dev)
