"""Buggy drivers: device registration and device-structure mistakes (REG, FLD, FLG).

Each factory is the reference ``dummy`` (or ``skeleton``) with one method overridden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.drivers.dummy import Dummy
from netdevspec.reference.drivers.skeleton import Skeleton
from netdevspec.reference.drivers.variants import SharedMem

if TYPE_CHECKING:
    from netdevspec.reference.device import Device

__all__ = [
    "ClearsPastWindow",
    "DeviceLeftRegistered",
    "DriverSetsIffUp",
    "EtherSetupInOpen",
    "NoUseCount",
    "RegisterNameTaken",
    "RegisterNoInit",
    "RegisterTwice",
    "RunningAtProbe",
    "SetsRmemFields",
    "UnregisterForeign",
    "UnregisterTwice",
    "clears_past_window",
    "device_left_registered",
    "driver_sets_iff_up",
    "ether_setup_in_open",
    "no_use_count",
    "register_name_taken",
    "register_no_init",
    "register_twice",
    "running_at_probe",
    "sets_rmem_fields",
    "unregister_foreign",
    "unregister_twice",
]


class UnregisterForeign(Dummy):
    """dummy that evicts whoever holds ``dummy0`` instead of picking a free name (REG-10)."""

    def init_module(self) -> int:
        """Bug: ``unregister_netdev(dev_get("dummy0"))`` on a device another module
        registered, then registers its own device under that name."""
        h = self._h
        dev = self.dev = self._new_device()
        stale = h.dev_get(dev.name)
        if stale is not None:
            h.unregister_netdev(stale)  # BUG: not this module's device
        if h.register_netdev(dev) != 0:
            return -h.EIO
        return 0


class RegisterNameTaken(Dummy):
    """A two-port dummy that gives both ports the same name (REG-7)."""

    def init_module(self) -> int:
        """Bug: the second port is registered as ``dummy0`` too (the unit number is never
        bumped); its failure is ignored and the driver runs with the first port."""
        h = self._h
        first = self.dev = self._new_device()
        second = self._new_device()  # BUG: same name as the first port
        self.ports = [d for d in (first, second) if h.register_netdev(d) == 0]
        return 0 if self.ports else -h.EIO

    def cleanup_module(self) -> None:
        """Unregister every port that was registered (MOD-2)."""
        for dev in self.ports:
            self._h.unregister_netdev(dev)
            dev.priv = None


class RegisterTwice(Dummy):
    """dummy that registers its device a second time "to be sure" (REG-7)."""

    def init_module(self) -> int:
        """Bug: a second ``register_netdev`` of the device it has just registered."""
        rc = super().init_module()
        if rc == 0:
            self._h.register_netdev(self.dev)  # BUG: already linked
        return rc


class RegisterNoInit(Dummy):
    """dummy that sets its device up itself and registers it without an ``init`` (REG-2)."""

    def init_module(self) -> int:
        """Bug: calls its probe directly and registers a device whose ``init`` is NULL:
        2.0.1 answers 0 and links nothing."""
        h = self._h
        dev = self.dev = h.Device("dummy0")  # BUG: no init=
        self.dummy_init(dev)
        if h.register_netdev(dev) != 0:
            return -h.EIO
        return 0


class DeviceLeftRegistered(Dummy):
    """dummy whose ``cleanup_module`` forgets ``unregister_netdev`` (MOD-2)."""

    def cleanup_module(self) -> None:
        """Bug: drops ``priv`` but leaves the device on the device list."""
        self.dev.priv = None  # BUG: no unregister_netdev


class UnregisterTwice(Dummy):
    """dummy whose ``cleanup_module`` unregisters its device twice (REG-9)."""

    def cleanup_module(self) -> None:
        """Bug: a second ``unregister_netdev`` of a device already unlinked."""
        super().cleanup_module()
        self._h.unregister_netdev(self.dev)  # BUG: not registered any more


class NoUseCount(Dummy):
    """dummy that never touches the module use count, so rmmod succeeds while it is up."""

    def dummy_open(self, dev: Device) -> int:
        """Bug: the reference ``open`` without ``MOD_INC_USE_COUNT`` (MOD-3): the module
        can be removed while the device is up."""
        dev.start, dev.tbusy, dev.interrupt = 1, 0, 0
        return 0  # BUG: no MOD_INC_USE_COUNT

    def dummy_close(self, dev: Device) -> int:
        """The reference ``stop`` without ``MOD_DEC_USE_COUNT`` (there was no increment)."""
        dev.start, dev.tbusy = 0, 1
        return 0


class EtherSetupInOpen(Dummy):
    """dummy that calls ``ether_setup`` again in ``open``, on a registered device."""

    def dummy_open(self, dev: Device) -> int:
        """Bug: ``ether_setup`` after registration: it overwrites the flags (IFF_NOARP is
        lost) and the queues of a device the kernel already uses (REG-12)."""
        h = self._h
        h.ether_setup(dev)  # BUG: the device is linked
        return super().dummy_open(dev)


class SetsRmemFields(Skeleton):
    """skeleton that fills in the obsolete receive-memory fields (FLD-6)."""

    def netcard_probe1(self, dev: Device, ioaddr: int) -> int:
        """Bug: sets ``rmem_start``/``rmem_end`` as 8390 drivers did; new drivers leave
        them 0."""
        rc = super().netcard_probe1(dev, ioaddr)
        if rc == 0:
            dev.rmem_start = 0xD0000  # BUG: obsolete fields
            dev.rmem_end = 0xD2000
        return rc


class DriverSetsIffUp(Dummy):
    """dummy whose probe marks the device up and running itself (FLG-2)."""

    def dummy_init(self, dev: Device) -> int:
        """Bug: ``dev.flags |= IFF_UP | IFF_RUNNING``: only the kernel sets those. The
        kernel then never calls ``open`` and lets rmmod remove a device that is up."""
        rc = super().dummy_init(dev)
        dev.flags |= self._h.IFF_UP | self._h.IFF_RUNNING  # BUG
        return rc


class RunningAtProbe(Dummy):
    """dummy whose probe sets IFF_RUNNING ("link detected") on a device that is down."""

    def dummy_init(self, dev: Device) -> int:
        """Bug: ``dev.flags |= IFF_RUNNING`` while IFF_UP is clear (FLG-2, FLG-5)."""
        rc = super().dummy_init(dev)
        dev.flags |= self._h.IFF_RUNNING  # BUG
        return rc


unregister_foreign = UnregisterForeign
register_name_taken = RegisterNameTaken
register_twice = RegisterTwice
register_no_init = RegisterNoInit
device_left_registered = DeviceLeftRegistered
unregister_twice = UnregisterTwice
no_use_count = NoUseCount
ether_setup_in_open = EtherSetupInOpen
sets_rmem_fields = SetsRmemFields
driver_sets_iff_up = DriverSetsIffUp
running_at_probe = RunningAtProbe


class ClearsPastWindow(SharedMem):
    """skeleton with a shared-memory buffer whose reset clears one page too many (FLD-5)."""

    def clear_buffer(self, dev: Device) -> None:
        """Bug: clears ``mem_end - mem_start + 256`` bytes: the last page written is past
        the card's window (another card's memory, or the BIOS's)."""
        self._h.memcpy_toio(dev.mem_start, bytes(dev.mem_end - dev.mem_start + 256))  # BUG


clears_past_window = ClearsPastWindow
