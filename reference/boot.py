"""What a PC holds after Linux 2.0.1 has booted, before any driver module is loaded.

Every 2.0.1 kernel on an i386 PC claims, at boot:

* I/O regions for the devices on every PC (``arch/i386/kernel/setup.c:200``-``204``: dma1,
  timer, dma page reg, dma2, npu), the two interrupt controllers
  (``arch/i386/kernel/irq.c:555``-``556``: pic1, pic2) and the keyboard controller
  (``drivers/char/keyboard.c:1206``);
* IRQ lines 0 (timer, ``arch/i386/kernel/time.c:472``), 1 (keyboard,
  ``drivers/char/keyboard.c:1205``), 2 (cascade) and 13 (math error,
  ``arch/i386/kernel/irq.c:557``-``558``);
* DMA channel 4 (cascade, ``kernel/dma.c:51``).

and it has one network device, the loopback device ``lo`` (``drivers/net/Space.c:437``-``450``:
``dev_base`` starts at ``loopback_dev``), set up by :func:`net_dev_init` as
``net/core/dev.c:1427``-``1446`` does (:mod:`~netdevspec.reference.loopback`) and owned
by the module that stands for the built-in drivers (:func:`builtin_module`). The other
static devices of Space.c (``eth0``..``eth7`` and the rest) probe for hardware 2.0.1 has
drivers for; the simulated cards are not such hardware, so each probe fails and
net_dev_init unlinks them: they are left out.

Drivers for optional hardware (floppy, IDE, serial ports, the RTC) claim more when
configured; they are left out. :meth:`netdevspec.reference.kernel.Kernel.pc` builds a
kernel in this state; ``Kernel()`` holds only the IRQ lines 0, 2, 13 and DMA channel 4
and no device (the empty machine the spec's initial state describes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.device import DEV_NUMBUFFS, Device
from netdevspec.reference.irq import IrqAction
from netdevspec.reference.modules import MOD_LIVE, Module
from netdevspec.reference.resource import Region

if TYPE_CHECKING:
    from netdevspec.reference.kernel import Kernel

__all__ = ["BUILTIN", "PC_IRQS", "PC_REGIONS", "builtin_module", "net_dev_init",
           "pc_irq_actions", "pc_regions"]

#: (first port, number of ports, name) of every region a 2.0.1 PC claims at boot.
PC_REGIONS: tuple[tuple[int, int, str], ...] = (
    (0x00, 0x20, "dma1"),
    (0x20, 0x20, "pic1"),
    (0x40, 0x20, "timer"),
    (0x60, 0x10, "keyboard"),
    (0x80, 0x20, "dma page reg"),
    (0xA0, 0x20, "pic2"),
    (0xC0, 0x20, "dma2"),
    (0xF0, 0x10, "npu"),
)

#: The IRQ lines held at boot beyond those every Kernel() holds (0, 2, 13): (line, name).
PC_IRQS: tuple[tuple[int, str], ...] = ((1, "keyboard"),)


def _keyboard_interrupt(irq: int, dev_id: object, regs: object) -> None:
    """The keyboard's handler (the keyboard is not simulated)."""


def pc_regions() -> list[Region]:
    """New :class:`Region` objects for :data:`PC_REGIONS`, held by the kernel."""
    return [Region(start, num, name, None) for start, num, name in PC_REGIONS]


def pc_irq_actions() -> list[IrqAction]:
    """New actions for :data:`PC_IRQS` (flags 0, as keyboard.c requests), held by the kernel."""
    return [IrqAction(line, _keyboard_interrupt, 0, name, None, None) for line, name in PC_IRQS]


#: The name of the module that stands for the drivers built into the kernel image.
BUILTIN = "built-in"


def builtin_module() -> Module:
    """A module for the drivers built into the kernel: loaded from boot and never unloaded
    (it is not in ``kernel.modules``, so ``rmmod`` does not find it, as 2.0.1's
    ``sys_delete_module`` finds no built-in driver). The spec counts built-in drivers as
    such modules (``reg.name.set``): a registered device belongs to a loaded module."""
    return Module(BUILTIN, state=MOD_LIVE)


def net_dev_init(kernel: Kernel, static: list[Device], owner: Module) -> list[Device]:
    """Set up the static devices as ``net_dev_init`` does (``net/core/dev.c:1427``-``1446``):
    initialise each device's queues (the kernel's), call its ``init`` as ``owner``, the
    built-in drivers' module, and link those whose ``init`` returned 0 as ``owner``'s; the
    others are left out, as 2.0.1 unhooks them. Returns the devices linked, in order."""
    linked: list[Device] = []
    for dev in static:
        with kernel.running(None):
            for i in range(DEV_NUMBUFFS):  # dev.c:1431
                kernel.skb_queue_head_init(dev.buffs[i])
        ok, rc = (True, 0) if dev.init is None else kernel.core.call(
            owner, f"init of {dev.name!r}", dev.init, dev)
        if ok and rc == 0:  # dev.c:1435: "if (dev->init && dev->init(dev))" unhooks
            kernel.dev.link(dev, owner)
            linked.append(dev)
    return linked
