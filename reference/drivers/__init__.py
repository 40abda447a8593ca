"""Reference network drivers written as *driver models*: dummy, loopback and skeleton.

They are the 2.0.1 drivers ``dummy.c``, ``loopback.c`` and ``skeleton.c`` (api-facts
section 12) rewritten against the kernel handle, and they are what a conforming driver
looks like: loaded into a fresh :class:`~netdevspec.reference.Kernel` and put through a
workload, they leave ``kernel.misuse`` empty and hold nothing after rmmod.

The driver-model contract
=========================

**Factory.** A driver is a factory callable, exported by its module as ``FACTORY``::

    FACTORY(handle, *, instance=0, **params) -> model

``handle`` is a :class:`netdevspec.conformance.handle.KernelHandle`, the *only* thing
the model gets: every kernel function, constant and struct constructor it uses comes
from it (``handle.register_netdev(dev)``, ``handle.IFF_NOARP``, ``handle.Device(...)``).
A model imports nothing else from netdevspec at run time (type annotations may).
Calling the factory twice gives two independent models; ``instance`` tells them apart:
instance 0 is named after the driver (``"skeleton"``), instance *n* gets the number
appended (``"skeleton1"``). ``params`` are the driver's insmod parameters, all ints
(``skeleton``: ``io``, ``irq``, ``dma``, ``mem``); an unknown one is a TypeError. A
factory may declare them, with their defaults, as ``FACTORY.PARAMS`` (a mapping): a
check then loads instances with values drawn from the machine's wiring.

**Model.** The model has

* ``name: str``: the module name;
* ``init_module() -> int``: 0 or a negative errno (MOD-1). It registers the driver's
  devices; probing, claiming I/O regions and so on happen as in C, from there or from
  the device's ``init`` (the probe, CB-1);
* ``cleanup_module() -> None``: undoes everything ``init_module`` did (MOD-2).

The kernel runs them as the module's code: wrap the model in a
:class:`~netdevspec.reference.Module` whose ``init_module``/``cleanup_module`` are the
model's and insmod it (:func:`netdevspec.conformance.handle.make_module` does exactly
that and names the module after ``model.name``).

**Callbacks.** Device callbacks are set on ``handle.Device`` objects as in C: ``init``
(the probe), ``open``, ``stop``, ``hard_start_xmit``, ``get_stats``,
``set_multicast_list``, ``set_mac_address``, ``do_ioctl``, ``set_config``,
``change_mtu``, ``hard_header``/``rebuild_header`` (``ether_setup`` fills in the
Ethernet ones). The interrupt handler is the function passed to ``request_irq``. The
kernel calls them with the C argument order, as the module.

**The machine.** Which simulated cards sit at which ports is set up by whoever runs the
driver (``kernel.attach_card(SimpleNic(...), 0x300)``), never by the driver. An ISA
driver finds its card by probing: ``skeleton`` walks ``netcard_portlist`` (0x200 ..
0x340), checking each range with ``check_region`` before touching it, and recognises a
:class:`~netdevspec.reference.SimpleNic` by its station-address prefix 00:42:65. What it
cannot probe (the IRQ line, the DMA channel) comes from its parameters, as skeleton.c's
``irq=``/``dma=`` insmod parameters do.

Drivers
=======

* :mod:`.dummy`: ``dummy.c``; a device ``dummy0`` (``dummy1``, ... if taken) whose
  transmit frees the frame.
* :mod:`.loopback`: ``loopback.c`` as a module; a device ``lo`` whose transmit hands
  the frame back to the receive path.
* :mod:`.skeleton`: ``skeleton.c`` completed for :class:`~netdevspec.reference.SimpleNic`.

:data:`DRIVERS` maps each name to its factory.
"""

from __future__ import annotations

from netdevspec.reference.drivers import dummy, loopback, skeleton
from netdevspec.reference.drivers.base import (
    DriverFactory,
    DriverModel,
    module_name,
    take_params,
)

#: The reference drivers by name.
DRIVERS: dict[str, DriverFactory] = {
    "dummy": dummy.FACTORY,
    "loopback": loopback.FACTORY,
    "skeleton": skeleton.FACTORY,
}

__all__ = ["DRIVERS", "DriverFactory", "DriverModel", "module_name", "take_params"]
