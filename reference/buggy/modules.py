"""Buggy drivers: module life-cycle mistakes (MOD-1..MOD-3).

Each factory is the reference ``dummy`` with one method overridden, or (the kernel
timer bugs) the skeleton with atp.c's transmit watchdog,
:class:`netdevspec.reference.drivers.variants.Watchdog`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.drivers.dummy import Dummy
from netdevspec.reference.drivers.skeleton import Skeleton
from netdevspec.reference.drivers.variants import Watchdog

if TYPE_CHECKING:
    from netdevspec.reference.device import Device

__all__ = [
    "DecInInit",
    "InitReturnsPositive",
    "TimerAddedTwice",
    "TimerLeftPending",
    "TimerReinitPending",
    "UseCountDecrementedTwice",
    "UseCountNotDecremented",
    "dec_in_init",
    "init_returns_positive",
    "timer_added_twice",
    "timer_left_pending",
    "timer_reinit_pending",
    "use_count_decremented_twice",
    "use_count_not_decremented",
]


class UseCountNotDecremented(Dummy):
    """dummy whose ``stop`` forgets ``MOD_DEC_USE_COUNT`` (MOD-3)."""

    def dummy_close(self, dev: Device) -> int:
        """Bug: the reference ``stop`` without ``MOD_DEC_USE_COUNT``: the count raised by
        ``open`` is never lowered, so rmmod is refused forever."""
        dev.start, dev.tbusy = 0, 1
        return 0  # BUG: no MOD_DEC_USE_COUNT


class UseCountDecrementedTwice(Dummy):
    """dummy whose ``stop`` lowers the use count twice (MOD-3)."""

    def dummy_close(self, dev: Device) -> int:
        """Bug: the reference ``stop``, then ``MOD_DEC_USE_COUNT`` once more: the count
        goes below zero."""
        rc = super().dummy_close(dev)
        self._h.MOD_DEC_USE_COUNT()  # BUG: once too often
        return rc


class DecInInit(Dummy):
    """dummy that drops the use count the kernel holds while ``init_module`` runs (MOD-1)."""

    def init_module(self) -> int:
        """Bug: ``MOD_DEC_USE_COUNT`` in ``init_module`` ("balance the kernel's count"): the
        count ends at -1 and the module can never be removed."""
        rc = super().init_module()
        self._h.MOD_DEC_USE_COUNT()  # BUG: not a count of the module's own
        return rc


class InitReturnsPositive(Dummy):
    """dummy whose ``init_module`` reports success as 1 (MOD-1)."""

    def init_module(self) -> int:
        """Bug: returns 1 after registering its device: insmod fails (-EBUSY) and the
        module goes away with the device still registered."""
        rc = super().init_module()
        return 1 if rc == 0 else rc  # BUG: 1 for success


class TimerLeftPending(Watchdog):
    """skeleton with atp.c's transmit watchdog whose stop forgets ``del_timer`` (MOD-2)."""

    def net_close(self, dev: Device) -> int:
        """Bug: the skeleton's stop without ``del_timer``: the watchdog stays pending over
        ifconfig down and rmmod, and would then call code that is gone."""
        return Skeleton.net_close(self, dev)  # BUG: no del_timer(&watchdog)


class TimerAddedTwice(Watchdog):
    """skeleton whose open arms its watchdog twice (kernel/sched.c add_timer)."""

    def net_open(self, dev: Device) -> int:
        """Bug: arms the watchdog in open and once more "to be sure": add_timer of a
        pending timer links it twice (2.0.1 corrupts its timer list)."""
        rc = super().net_open(dev)
        if rc == 0:
            self.arm()  # BUG: already pending
        return rc


class TimerReinitPending(Watchdog):
    """skeleton whose stop disarms its watchdog with ``init_timer`` (include/linux/timer.h)."""

    def net_close(self, dev: Device) -> int:
        """Bug: ``init_timer`` instead of ``del_timer``: the pending timer's list links are
        cleared while its neighbours still point at it (2.0.1 corrupts the list)."""
        self._h.init_timer(self.timer)  # BUG: not del_timer
        return Skeleton.net_close(self, dev)


use_count_not_decremented = UseCountNotDecremented
use_count_decremented_twice = UseCountDecrementedTwice
dec_in_init = DecInInit
init_returns_positive = InitReturnsPositive
timer_left_pending = TimerLeftPending
timer_added_twice = TimerAddedTwice
timer_reinit_pending = TimerReinitPending
