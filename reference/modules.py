"""Loadable modules: the :class:`Module` record and what it holds.

A module is a name plus two plain Python callables, ``init_module() -> int`` and
``cleanup_module() -> None`` (MOD-1, MOD-2). The kernel loads it with
``kernel.insmod(module)`` and unloads it with ``kernel.rmmod(name)``. While the module's
code runs (its init/cleanup, a callback of a device it registered, an interrupt handler
it installed, or a ``with kernel.running(module):`` block) ``kernel.current`` is the
module, and everything claimed or freed is attributed to it. The accounting below is
kept by the kernel as claims are made and released, so checking what a module still
holds when it goes away never scans the kernel's tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netdevspec.reference.device import Device
    from netdevspec.reference.kernel import IrqAction, PacketType, Region
    from netdevspec.reference.skbuff import SkBuff, SkBuffHead
    from netdevspec.reference.timer import TimerList

__all__ = ["MOD_CLEANING_UP", "MOD_INITIALIZING", "MOD_LIVE", "MOD_UNLOADED", "Module"]

#: Module states (the spec's phases 0..3).
MOD_UNLOADED = "unloaded"
MOD_INITIALIZING = "initializing"
MOD_LIVE = "live"
MOD_CLEANING_UP = "cleaning_up"


@dataclass(eq=False, repr=False)
class Module:
    """A loadable module: its entry points, use count, state and what it holds.

    ``use_count`` is 2.0's ``mod_use_count_`` (MOD-3); ``state`` one of
    :data:`MOD_UNLOADED`, :data:`MOD_INITIALIZING`, :data:`MOD_LIVE`,
    :data:`MOD_CLEANING_UP`. The sets below are maintained by the kernel: the devices
    the module registered, its IRQ actions, I/O regions, DMA channels, the live buffers
    it owns, the queues it initialised and its packet handlers.
    """

    name: str
    init_module: Callable[[], int] | None = None
    cleanup_module: Callable[[], object] | None = None
    use_count: int = 0
    state: str = MOD_UNLOADED
    devices: dict[int, Device] = field(default_factory=dict, repr=False)
    irqs: list[IrqAction] = field(default_factory=list, repr=False)
    regions: list[Region] = field(default_factory=list, repr=False)
    dma: set[int] = field(default_factory=set, repr=False)
    skbs: set[SkBuff] = field(default_factory=set, repr=False)
    queues: set[SkBuffHead] = field(default_factory=set, repr=False)
    packet_types: list[PacketType] = field(default_factory=list, repr=False)
    #: Kernel timers it added that are still pending.
    timers: set[TimerList] = field(default_factory=set, repr=False)
    #: Port ranges this module found free with check_region (probing them is allowed).
    checked: list[tuple[int, int]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Module name must be a non-empty str, got {self.name!r}; it is "
                             "what rmmod and the misuse records use to name the module")

    def __repr__(self) -> str:
        return f"<Module {self.name} {self.state} use_count={self.use_count}>"

    @property
    def loaded(self) -> bool:
        """True from insmod until the module is unloaded again."""
        return self.state != MOD_UNLOADED

    def holdings(self) -> dict[str, int]:
        """How many of each kind of thing the module holds now (for reports and tests)."""
        return {
            "devices": len(self.devices),
            "irqs": len(self.irqs),
            "regions": len(self.regions),
            "dma": len(self.dma),
            "skbs": len(self.skbs),
            "queued_buffers": sum(q.qlen for q in self.queues),
            "packet_types": len(self.packet_types),
            "timers": len(self.timers),
        }
