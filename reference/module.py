"""Loading and unloading modules, after Linux 2.0.1's ``kernel/module.c``
(``sys_init_module``, ``sys_delete_module``) and the use-count macros of
``include/linux/module.h`` (``MOD_INC_USE_COUNT``, ``MOD_DEC_USE_COUNT``,
``MOD_IN_USE``).

The :class:`~netdevspec.reference.modules.Module` record itself is in
:mod:`netdevspec.reference.modules`. What a module still holds when it goes away is
recorded (``leak_*``) and left as it is, as 2.0 would.
"""

from __future__ import annotations

from netdevspec.reference.common import EBUSY, EEXIST, ENOENT, KernelCore
from netdevspec.reference.modules import (
    MOD_CLEANING_UP,
    MOD_INITIALIZING,
    MOD_LIVE,
    MOD_UNLOADED,
    Module,
)

__all__ = ["Modules"]


class Modules:
    """The loaded modules and insmod/rmmod."""

    def __init__(self, core: KernelCore) -> None:
        self._k = core
        self._misuse = core._misuse
        self._misuse_as = core._misuse_as
        #: Loaded modules by name.
        self.modules: dict[str, Module] = {}

    def insmod(self, module: Module) -> int:
        """Load ``module`` and run its ``init_module`` (MOD-1): 0, or -EBUSY when
        ``init_module`` returns non-zero (2.0 maps every failure to it; the module is
        unloaded again and what it still holds is recorded as ``leak_*``), or -EEXIST if a
        module of that name is loaded. The use count is raised by 1 while init runs."""
        if not isinstance(module, Module):
            raise TypeError(f"insmod: expected a Module, got {type(module).__name__}")
        if module.loaded or module.name in self.modules:
            self._misuse("insmod_loaded", f"insmod {module.name}: already loaded",
                         module=module.name)
            return -EEXIST
        self.modules[module.name] = module
        module.state = MOD_INITIALIZING
        module.use_count = 1
        self._k.depth += 1
        try:
            rc: object = 0
            ok = True
            if module.init_module is not None:
                ok, rc = self._k.call(module, f"init_module of {module.name}", module.init_module)
            module.use_count -= 1
            if ok and not isinstance(rc, int):
                self._misuse_as(module, "callback_bad_return", f"init_module of {module.name} "
                                f"returned {rc!r}, not an int")
                ok = False
            if not ok or rc != 0:
                self._leak_check(module, "init_module failed")
                module.state = MOD_UNLOADED
                # 2.0 frees the module (and its count) here; a later insmod starts at 0.
                module.use_count = 0
                del self.modules[module.name]
                return -EBUSY
            module.state = MOD_LIVE
            return 0
        finally:
            self._k.leave()

    def rmmod(self, name: str | Module) -> int:
        """Unload a module (MOD-2): -ENOENT if none is loaded under ``name``, -EBUSY while
        its use count is non-zero, else ``cleanup_module`` runs and the module goes away.
        What it still holds then is recorded (``leak_device``, ``leak_irq``,
        ``leak_region``, ``leak_dma``, ``leak_skb``, ``leak_queue``,
        ``leak_packet_type``, ``leak_timer``) and left as it is, as 2.0 would."""
        if isinstance(name, Module):
            name = name.name
        module = self.modules.get(name)
        if module is None:
            return -ENOENT
        if module.use_count != 0:
            return -EBUSY
        module.state = MOD_CLEANING_UP
        self._k.depth += 1
        try:
            if module.cleanup_module is not None:
                self._k.call(module, f"cleanup_module of {module.name}", module.cleanup_module)
            self._leak_check(module, "cleanup_module returned")
            module.state = MOD_UNLOADED
            module.use_count = 0  # as after a failed init: the module is gone
            del self.modules[module.name]
            return 0
        finally:
            self._k.leave()

    def _leak_check(self, m: Module, when: str) -> None:
        for dev in list(m.devices.values()):
            self._misuse_as(m, "leak_device", f"{when}: module {m.name} left device "
                            f"{dev.name!r} registered", dev=dev.name)
        for a in list(m.irqs):
            self._misuse_as(m, "leak_irq", f"{when}: module {m.name} left IRQ {a.line} "
                            f"({a.name!r}) claimed", irq=a.line)
        for r in list(m.regions):
            self._misuse_as(m, "leak_region", f"{when}: module {m.name} left I/O region "
                            f"{r.start:#x}-{r.last:#x} claimed", start=r.start, num=r.num)
        for ch in sorted(m.dma):
            self._misuse_as(m, "leak_dma", f"{when}: module {m.name} left DMA {ch} claimed",
                            dma=ch)
        for skb in sorted(m.skbs, key=lambda s: s.id):
            self._misuse_as(m, "leak_skb", f"{when}: module {m.name} still holds buffer "
                            f"#{skb.id}", skb=skb.id)
        for q in list(m.queues):
            if q.qlen:
                self._misuse_as(m, "leak_queue", f"{when}: module {m.name} left {q.qlen} "
                                f"buffer(s) on its queue {q.name or '?'}", qlen=q.qlen)
        for t in list(m.timers):
            self._misuse_as(m, "leak_timer", f"{when}: module {m.name} left a kernel timer "
                            f"pending (expires {t.expires}): it would call unloaded code",
                            expires=t.expires)
        for pt in list(m.packet_types):
            self._misuse_as(m, "leak_packet_type", f"{when}: module {m.name} left a packet "
                            f"handler for type {pt.type:#06x} registered", type=pt.type)
        m.checked.clear()

    def mod_inc_use_count(self, module: Module | None = None) -> None:
        """MOD_INC_USE_COUNT for ``module`` (default: the running module; a no-op for the
        kernel, as outside a module)."""
        m = self._k.current if module is None else module
        if m is not None:
            m.use_count += 1

    def mod_dec_use_count(self, module: Module | None = None) -> None:
        """MOD_DEC_USE_COUNT; going below zero is recorded (``mod_dec_below_zero``) and done,
        as 2.0 does (the module then stays "in use")."""
        m = self._k.current if module is None else module
        if m is not None:
            if m.use_count <= 0:
                self._misuse_as(m, "mod_dec_below_zero", f"MOD_DEC_USE_COUNT of {m.name} at "
                                f"use count {m.use_count}", use_count=m.use_count)
            m.use_count -= 1

    def mod_in_use(self, module: Module | None = None) -> bool:
        """MOD_IN_USE: the use count is non-zero; always true for code that is not a
        module's, as the macro is 1 outside a module (``include/linux/module.h:106``)."""
        m = self._k.current if module is None else module
        return m is None or m.use_count != 0
