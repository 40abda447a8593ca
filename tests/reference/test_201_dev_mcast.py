"""Differential tests against Linux 2.0.1's ``net/core/dev_mcast.c``."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import IFF_UP, Device, Kernel

MC = "net/core/dev_mcast.c"
G1, G2 = b"\x01\x00\x5e\x00\x00\x01", b"\x01\x00\x5e\x00\x00\x02"


def device(kernel: Kernel) -> tuple[Device, list[int]]:
    uploads: list[int] = []
    dev = Device("x")
    kernel.ether_setup(dev)
    dev.set_multicast_list = lambda d: uploads.append(d.mc_count)
    return dev, uploads


@branch(f"{MC}:68", "dev_mc_upload", "device not up: nothing")
@branch(f"{MC}:75", "dev_mc_upload", "no set_multicast_list: nothing")
@branch(f"{MC}:78", "dev_mc_upload", "else set_multicast_list(dev)")
def test_dev_mc_upload(kernel: Kernel) -> None:
    dev, uploads = device(kernel)
    kernel.dev_mc_add(dev, G1)
    assert uploads == [] and dev.mc_list == [G1]  # down: the list changes, no upload
    dev.flags |= IFF_UP
    kernel.dev_mc_add(dev, G2)
    assert uploads == [2]
    dev.set_multicast_list = None
    kernel.dev_mc_delete(dev, G2)
    assert dev.mc_list == [G1]


@branch(f"{MC}:127", "dev_mc_add", "new address: at the head of mc_list, mc_count++, uploaded")
@branch(f"{MC}:116", "dev_mc_add", "known address: one more user (none if newonly), no upload")
def test_dev_mc_add_known_address(kernel: Kernel) -> None:
    dev, uploads = device(kernel)
    dev.flags |= IFF_UP
    kernel.dev_mc_add(dev, G1)
    kernel.dev_mc_add(dev, G2)
    assert dev.mc_list == [G2, G1] and dev.mc_count == 2 and uploads == [1, 2]
    kernel.dev_mc_add(dev, G1)
    kernel.dev_mc_add(dev, G1, newonly=1)
    assert dev.mc_count == 2 and uploads == [1, 2] and dev.mc_users[G1] == 2


@branch(f"{MC}:93", "dev_mc_delete", "other users left and not all: only a user dropped")
@branch(f"{MC}:98", "dev_mc_delete", "last user (or all): removed, mc_count--, uploaded")
def test_dev_mc_delete_drops_one_user(kernel: Kernel) -> None:
    dev, uploads = device(kernel)
    dev.flags |= IFF_UP
    kernel.dev_mc_add(dev, G1)
    kernel.dev_mc_add(dev, G1)
    kernel.dev_mc_delete(dev, G1)
    assert dev.mc_list == [G1] and uploads == [1]
    kernel.dev_mc_delete(dev, G1)
    assert dev.mc_list == [] and dev.mc_count == 0 and uploads == [1, 0]
    kernel.dev_mc_add(dev, G2)
    kernel.dev_mc_add(dev, G2)
    kernel.dev_mc_delete(dev, G2, all_=1)
    assert dev.mc_list == []
    kernel.dev_mc_delete(dev, G2)  # not on the list: nothing
    assert dev.mc_count == 0


@branch(f"{MC}:144", "dev_mc_discard", "the list emptied, mc_count 0 (dev_close)")
def test_dev_mc_discard_on_close(kernel: Kernel) -> None:
    dev, _ = device(kernel)
    dev.init = lambda d: 0
    dev.open = lambda d: 0
    assert kernel.register_netdev(dev) == 0
    kernel.dev_mc_add(dev, G1)
    assert kernel.dev_open(dev) == 0
    kernel.dev_close(dev)
    assert dev.mc_list == [] and dev.mc_count == 0 and dev.mc_users == {}
