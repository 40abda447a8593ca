"""The driver-model contract as types, and the small helpers every driver model shares.

See :mod:`netdevspec.reference.drivers` for the contract in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from netdevspec.conformance.handle import KernelHandle

__all__ = ["DriverFactory", "DriverModel", "module_name", "take_params"]


class DriverModel(Protocol):
    """A loaded driver: its module name and its two module entry points (MOD-1, MOD-2)."""

    #: The module name (what insmod/rmmod and the misuse records use).
    name: str

    def init_module(self) -> int:
        """Set the driver up (register its devices); 0 or a negative errno (MOD-1)."""
        ...

    def cleanup_module(self) -> None:
        """Undo everything ``init_module`` did (MOD-2)."""
        ...


class DriverFactory(Protocol):
    """``FACTORY(handle, *, instance=0, **params) -> model``.

    ``instance`` tells independent copies apart (their module names differ); ``params``
    are the driver's insmod parameters (ints, e.g. ``io``, ``irq``, ``dma``).
    """

    def __call__(self, handle: KernelHandle, /, *, instance: int = 0,
                 **params: int) -> DriverModel:
        """Make one independent driver model that talks to the kernel through ``handle``."""
        ...


def module_name(base: str, instance: int) -> str:
    """``base`` for instance 0, ``base`` followed by the instance number otherwise
    (``skeleton``, ``skeleton1``, ``skeleton2``, ...)."""
    if isinstance(instance, bool) or not isinstance(instance, int) or instance < 0:
        raise ValueError(f"{base}: instance must be an int ≥ 0, got {instance!r}")
    return base if instance == 0 else f"{base}{instance}"


def take_params(driver: str, given: Mapping[str, object],
                defaults: Mapping[str, int]) -> dict[str, int]:
    """The driver's insmod parameters: ``defaults`` overridden by ``given``.

    Raises TypeError for a parameter the driver does not have (as insmod refuses an
    unknown symbol) or a value that is not an int.
    """
    out = dict(defaults)
    for key, value in given.items():
        if key not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            raise TypeError(f"{driver}: unknown parameter {key!r}; its parameters are: {known}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{driver}: parameter {key} must be an int, got {value!r}")
        out[key] = value
    return out
