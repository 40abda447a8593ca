"""The reference kernel side of the Linux 2.0 network-driver API: :class:`Kernel`.

One :class:`Kernel` object is one simulated machine. It is composed of one object per
Linux 2.0.1 source file it follows, so that a reader can hold one 2.0.1 file beside one
module:

=================================  ============================================  ==================
2.0.1 file                         module                                        ``kernel.`` object
=================================  ============================================  ==================
``net/core/skbuff.c``, skbuff.h    :mod:`~netdevspec.reference.skbuff`           ``skbuff``
``arch/i386/kernel/irq.c``         :mod:`~netdevspec.reference.irq`              ``irq``
``drivers/net/auto_irq.c``         :mod:`~netdevspec.reference.auto_irq`         ``auto_irq``
``kernel/softirq.c``               :mod:`~netdevspec.reference.softirq`          ``softirq``
``kernel/sched.c`` (jiffies)       :mod:`~netdevspec.reference.timer`            ``timer``
``kernel/resource.c``              :mod:`~netdevspec.reference.resource`         ``resource``
``kernel/dma.c``                   :mod:`~netdevspec.reference.dma`              ``dma``
``include/asm-i386/io.h``          :mod:`~netdevspec.reference.ioport`           ``ioport``
``net/core/dev.c``                 :mod:`~netdevspec.reference.dev`              ``dev``
``net/core/dev_mcast.c``           :mod:`~netdevspec.reference.dev_mcast`        ``dev_mcast``
``drivers/net/net_init.c``         :mod:`~netdevspec.reference.net_init`         ``net_init``
``net/ethernet/eth.c``             :mod:`~netdevspec.reference.eth`              ``eth``
``kernel/module.c``                :mod:`~netdevspec.reference.module`           ``module``
``drivers/net/loopback.c``         :mod:`~netdevspec.reference.loopback`         (``Kernel.pc``)
=================================  ============================================  ==================

They share one :class:`~netdevspec.reference.common.KernelCore` (who is running, the
records, ``intr_count``, the call nesting). The kernel offers every function of every
part under its 2.0 name (``kernel.skb_put``, ``kernel.request_irq``, ...), bound once
when the kernel is built, so a call costs what a call of the part's method costs.

Where the reference differs from 2.0.1 it says so, and the spec records why
(``spec/catalogue.py`` DECISIONS):

* ``register_netdev`` answers -EEXIST for a taken explicit name and -ENFILE for a blank
  name when all 16 eth slots are taken (2.2's answers), links nothing with ``init`` None
  (2.0.1, recorded), and -EIO when the probe fails;
* IRQ lines 0 (timer), 2 (cascade) and 13 (math error) and DMA channel 4 (cascade) are
  held by the kernel from boot; DMA channel 0 is claimable;
* ``dev_close`` drains ``dev.buffs[]``, freeing the frames whose ``free`` is non-zero.

Interrupts are delivered between kernel calls, never in the middle of one: a card that
raises its line while driver code runs (or while interrupts are off with :meth:`cli`)
latches it, and the kernel delivers it when the outermost kernel call returns, then
runs the network bottom half if it was marked. This keeps runs deterministic.

Misuse that 2.0.1 lets through is carried out as 2.0.1 would where that is sensible and
recorded in :attr:`Kernel.misuse`; see :data:`netdevspec.reference.MISUSE_KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TypeVar

from netdevspec.reference.auto_irq import AutoIrq
from netdevspec.reference.boot import (
    builtin_module,
    net_dev_init,
    pc_irq_actions,
    pc_regions,
)
from netdevspec.reference.common import KernelCore, Misuse, Tracer
from netdevspec.reference.dev import NETDEV_MAX_BACKLOG, Dev, PacketFunc, PacketType
from netdevspec.reference.dev_mcast import DevMcast
from netdevspec.reference.device import Device
from netdevspec.reference.dma import DMA_CASCADE, MAX_DMA_CHANNELS, Dma, DmaClaim
from netdevspec.reference.eth import Eth
from netdevspec.reference.hardware import IsaBus, IsaCard
from netdevspec.reference.iomem import IoMem, IsaMemory, SharedMemory
from netdevspec.reference.ioport import Ports
from netdevspec.reference.irq import (
    NR_IRQS,
    SA_INTERRUPT,
    SA_SAMPLE_RANDOM,
    SA_SHIRQ,
    Irq,
    IrqAction,
    IrqHandler,
)
from netdevspec.reference.loopback import BuiltinLoopback
from netdevspec.reference.module import Modules
from netdevspec.reference.modules import Module
from netdevspec.reference.net_init import MAX_ETH_CARDS, NetInit
from netdevspec.reference.resource import IOTABLE_SIZE, Region, Resource
from netdevspec.reference.skbuff import SkbOps, SkBuff
from netdevspec.reference.softirq import NET_BH, Softirq
from netdevspec.reference.timer import TIMER_BH, Timer, TimerList

__all__ = [
    "DMA_CASCADE",
    "IOTABLE_SIZE",
    "MAX_DMA_CHANNELS",
    "MAX_ETH_CARDS",
    "NETDEV_MAX_BACKLOG",
    "NET_BH",
    "NR_IRQS",
    "SA_INTERRUPT",
    "SA_SAMPLE_RANDOM",
    "SA_SHIRQ",
    "TRACE_EVENTS",
    "DmaClaim",
    "IrqAction",
    "IrqHandler",
    "Kernel",
    "MachineState",
    "PacketFunc",
    "PacketType",
    "Region",
    "TimerList",
    "Tracer",
]

_Card = TypeVar("_Card", bound=IsaCard)

#: The events a :attr:`Kernel.tracer` receives, with their fields. Each marks a point
#: where one internal step of a kernel call is complete and the next has not begun, so a
#: checker can split a call that runs several steps (dev_queue_xmit lending a frame to the
#: driver, the bottom half delivering frames) into those steps.
TRACE_EVENTS: dict[str, str] = {
    "callback.begin": "driver code is about to run (what, owner, args): init, open, stop, "
                      "hard_start_xmit, an interrupt handler, a packet handler, ...",
    "callback.end": "driver code returned (what, owner, ok, result); ok is False when it "
                    "raised",
    "irq.begin": "an interrupt on a line is being delivered (line)",
    "irq.end": "every handler on the line has run (line)",
    "xmit.dropped": "dev_queue_xmit freed the frame: the queue is over tx_queue_len "
                    "(skb, dev, pri)",
    "xmit.queued": "dev_queue_xmit put the frame at the tail of dev->buffs[pri], unlocked "
                   "and owned by the kernel (skb, dev, pri)",
    "xmit.lend": "the head frame left its queue, is device-locked and lent to the driver; "
                 "hard_start_xmit is called next (skb, dev, pri)",
    "xmit.idle": "dev_tint found dev->buffs[pri] empty: nothing to send from it "
                 "(dev, pri)",
    "xmit.return": "the kernel has dealt with hard_start_xmit's return: kept by the driver "
                   "(rc 0) or requeued at the head (busy) (skb, dev, pri, rc)",
    "bh.begin": "the network bottom half starts",
    "bh.deliver": "the first backlog frame left the backlog for the protocols (skb)",
    "bh.delivered": "the frame went to its packet handlers, or was freed for want of one "
                    "(skb)",
    "bh.end": "the backlog is empty and dropping mode is over",
}


@dataclass
class MachineState:
    """A kernel state to build directly, without going through the API (see
    :meth:`Kernel.from_state`). Every object is taken as it is: its fields (owner,
    geometry, queue links, ``registered``) are the caller's to have set consistently.

    * ``modules``: the loaded modules (each ``state`` other than unloaded);
    * ``devices``: the registered devices in list order, each with its owner;
      ``eth_slots`` maps an eth slot to the device that holds it;
    * ``irq_actions``: actions to add after the boot ones (each on its ``line``);
    * ``regions``: claimed I/O regions; ``dma``: the claim of each channel (None: free;
      channels not given keep their boot claim);
    * ``skbs``: the live (and freed) buffers, counted as the kernel's;
    * ``rx_dropping``: netif_rx's dropping mode.

    The module accounting (``Module.devices``, ``irqs``, ``regions``, ``dma``, ``skbs``,
    ``queues``) is kept by :meth:`Kernel.from_state` from the objects' owners.
    """

    modules: list[Module] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    eth_slots: dict[int, Device] = field(default_factory=dict)
    irq_actions: list[IrqAction] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    dma: dict[int, DmaClaim | None] = field(default_factory=dict)
    skbs: list[SkBuff] = field(default_factory=list)
    rx_dropping: bool = False


class Kernel:
    """A simulated Linux 2.0.1 kernel: the kernel side of the network-driver API.

    ``kernel.current`` is the module whose code is running (None: the kernel). Use
    ``with kernel.running(module):`` to run module code outside a callback; the kernel sets
    it itself around ``init_module``/``cleanup_module``, device callbacks, interrupt
    handlers and packet handlers. Everything claimed or freed is attributed to it.

    ``bus`` is the ISA bus the port functions (:meth:`inb`, :meth:`outb`, ...) reach; a
    new empty one if not given. Attach cards with :meth:`attach_card`.

    The parts (``kernel.skbuff``, ``kernel.irq``, ``kernel.dev``, ...; see the module
    docstring) are public for reading beside their 2.0.1 files; drivers and tests call the
    kernel's functions.
    """

    def __init__(self, bus: IsaBus | None = None) -> None:
        core = self.core = KernelCore()
        self.timer = Timer(core)
        self.skbuff = SkbOps(core)
        self.irq = Irq(core, self.timer.timer_interrupt)
        self.softirq = Softirq(core, self.irq)
        core.flush = self.softirq.flush
        self.softirq.init_bh(TIMER_BH, self.timer.run_timer_list)
        self.timer.mark = lambda: self.softirq.mark_bh(TIMER_BH)
        self.auto_irq = AutoIrq(self.irq)
        self.resource = Resource(core)
        self.dma = Dma(core)
        self.ioport = Ports(core, self.resource, bus if bus is not None else IsaBus())
        isa = self.ioport.bus
        self.dma.dma_outb = lambda value, port: isa.write(port, 1, value & 0xFF)
        self.dev_mcast = DevMcast(core)
        self.dev = Dev(core, self.skbuff, self.softirq, self.dev_mcast, self.timer)
        self.eth = Eth(core, self.skbuff)
        self.net_init = NetInit(core, self.skbuff, self.dev, self.eth)
        self.module = Modules(core)
        self.iomem = IoMem(core, IsaMemory(), lambda: self.dev.dev_base)
        self._bind()

    def _bind(self) -> None:
        """Offer every part's functions under their 2.0 names (bound once: no extra call)."""
        core, sk, irq, sirq = self.core, self.skbuff, self.irq, self.softirq
        res, dma, io, dev = self.resource, self.dma, self.ioport, self.dev
        mc, eth, ni, mod, aut = self.dev_mcast, self.eth, self.net_init, self.module, self.auto_irq
        # who runs; records; faults (common.py)
        self.running: Callable[[Module | None], AbstractContextManager[None]] = core.running
        self.printk = core.printk
        self.misuse_kinds = core.misuse_kinds
        self.clear_records = core.clear_records
        self.fail_next_alloc = core.fail_next_alloc
        # skbuff.c, skbuff.h
        self.alloc_skb = sk.alloc_skb
        self.dev_alloc_skb = sk.dev_alloc_skb
        self.skb_put = sk.skb_put
        self.skb_push = sk.skb_push
        self.skb_pull = sk.skb_pull
        self.skb_reserve = sk.skb_reserve
        self.skb_trim = sk.skb_trim
        self.skb_headroom = sk.skb_headroom
        self.skb_tailroom = sk.skb_tailroom
        self.skb_write = sk.skb_write
        self.skb_read = sk.skb_read
        self.skb_put_data = sk.skb_put_data
        self.kfree_skb = sk.kfree_skb
        self.dev_kfree_skb = sk.dev_kfree_skb
        self.skb_device_lock = sk.skb_device_lock
        self.skb_device_unlock = sk.skb_device_unlock
        self.skb_device_locked = sk.skb_device_locked
        self.skb_clone = sk.skb_clone
        self.skb_copy = sk.skb_copy
        self.skb_queue_head_init = sk.skb_queue_head_init
        self.skb_queue_tail = sk.skb_queue_tail
        self.skb_queue_head = sk.skb_queue_head
        self.skb_dequeue = sk.skb_dequeue
        self.skb_peek = sk.skb_peek
        self.skb_peek_tail = sk.skb_peek_tail
        self.skb_queue_len = sk.skb_queue_len
        self.skb_queue_empty = sk.skb_queue_empty
        self.skb_unlink = sk.skb_unlink
        self.skb_insert = sk.skb_insert
        self.skb_append = sk.skb_append
        # irq.c, system.h
        self.request_irq = irq.request_irq
        self.free_irq = irq.free_irq
        self.irq_actions = irq.irq_actions
        self.disable_irq = irq.disable_irq
        self.enable_irq = irq.enable_irq
        self.cli = irq.cli
        self.sti = irq.sti
        self.save_flags = irq.save_flags
        self.restore_flags = irq.restore_flags
        self.raise_irq = irq.raise_irq
        self.probe_irq_on = irq.probe_irq_on
        self.probe_irq_off = irq.probe_irq_off
        # auto_irq.c
        self.autoirq_setup = aut.autoirq_setup
        self.autoirq_report = aut.autoirq_report
        self.irq2dev_map = aut.irq2dev_map
        # softirq.c, sched.c
        self.mark_bh = sirq.mark_bh
        self.do_bottom_half = sirq.do_bottom_half
        self.tick = self.timer.tick
        self.init_timer = self.timer.init_timer
        self.add_timer = self.timer.add_timer
        self.del_timer = self.timer.del_timer
        self.udelay = self.timer.udelay
        # resource.c
        self.check_region = res.check_region
        self.request_region = res.request_region
        self.release_region = res.release_region
        self.region_owner = res.region_owner
        # dma.c
        self.request_dma = dma.request_dma
        self.free_dma = dma.free_dma
        self.dma_claim = dma.dma_claim
        self.disable_dma = dma.disable_dma
        self.enable_dma = dma.enable_dma
        # asm/io.h
        self.inb, self.inb_p = io.inb, io.inb_p
        self.inw, self.inw_p = io.inw, io.inw_p
        self.inl, self.inl_p = io.inl, io.inl_p
        self.outb, self.outb_p = io.outb, io.outb_p
        self.outw, self.outw_p = io.outw, io.outw_p
        self.outl, self.outl_p = io.outl, io.outl_p
        self.insb = io.insb
        self.insw = io.insw
        self.outsb = io.outsb
        self.outsw = io.outsw
        self.insl = io.insl
        self.outsl = io.outsl
        self.bus = io.bus
        # asm/io.h: ISA shared memory
        mem = self.iomem
        self.readb = mem.readb
        self.readw = mem.readw
        self.writeb = mem.writeb
        self.writew = mem.writew
        self.memcpy_fromio = mem.memcpy_fromio
        self.memcpy_toio = mem.memcpy_toio
        # dev.c
        self.dev_base = dev.dev_base
        self.backlog = dev.backlog
        self.dev_get = dev.dev_get
        self.dev_open = dev.dev_open
        self.dev_close = dev.dev_close
        self.dev_change_flags = dev.dev_change_flags
        self.dev_get_stats = dev.dev_get_stats
        self.dev_set_mac_address = dev.dev_set_mac_address
        self.dev_set_config = dev.dev_set_config
        self.dev_private_ioctl = dev.dev_private_ioctl
        self.dev_set_mtu = dev.dev_set_mtu
        self.dev_queue_xmit = dev.dev_queue_xmit
        self.dev_tint = dev.dev_tint
        self.net_bh = dev.net_bh
        self.netif_rx = dev.netif_rx
        self.dev_add_pack = dev.dev_add_pack
        self.dev_remove_pack = dev.dev_remove_pack
        # dev_mcast.c
        self.dev_mc_add = mc.dev_mc_add
        self.dev_mc_delete = mc.dev_mc_delete
        # net_init.c
        self.ethdev_index = ni.ethdev_index
        self.dev_alloc_name = ni.dev_alloc_name
        self.register_netdev = ni.register_netdev
        self.unregister_netdev = ni.unregister_netdev
        self.init_etherdev = ni.init_etherdev
        self.ether_setup = ni.ether_setup
        self.ether_config = ni.ether_config
        self.eth_mac_addr = ni.eth_mac_addr
        self.eth_change_mtu = ni.eth_change_mtu
        # eth.c
        self.eth_header = eth.eth_header
        self.eth_rebuild_header = eth.eth_rebuild_header
        self.eth_type_trans = eth.eth_type_trans
        self.eth_copy_and_sum = eth.eth_copy_and_sum
        # module.c
        self.modules = mod.modules
        self.insmod = mod.insmod
        self.rmmod = mod.rmmod
        self.mod_inc_use_count = mod.mod_inc_use_count
        self.mod_dec_use_count = mod.mod_dec_use_count
        self.mod_in_use = mod.mod_in_use

    # -- building a kernel in a given state ------------------------------------------------------

    @classmethod
    def from_state(cls, state: MachineState, bus: IsaBus | None = None) -> Kernel:
        """A kernel in ``state``, built without the API's checks (a spec state made
        concrete, a test's starting point). The boot state (the kernel's own IRQ lines and
        DMA channel) is there unless ``state.dma`` frees the channel."""
        k = cls(bus)
        for m in state.modules:
            k.modules[m.name] = m
        for dev in state.devices:
            k.dev.link(dev, dev.owner)
        for slot, dev in state.eth_slots.items():
            k.ethdev_index[slot] = dev
        for act in state.irq_actions:
            k.irq.install(act)
            if act.owner is not None:
                act.owner.irqs.append(act)
        for r in sorted(state.regions, key=lambda r: r.start):
            k.resource.install(r)
            if r.owner is not None:
                r.owner.regions.append(r)
        for ch, claim in state.dma.items():
            k.dma.set_claim(ch, claim)
            if claim is not None and claim.owner is not None:
                claim.owner.dma.add(ch)
        for skb in state.skbs:
            k.skbuff.adopt(skb)
            if skb.alive and skb.owner is not None:
                skb.owner.skbs.add(skb)
        k.dev.set_rx_dropping(state.rx_dropping)
        return k

    @classmethod
    def pc(cls, bus: IsaBus | None = None) -> Kernel:
        """A kernel as a PC is after Linux 2.0.1 has booted (:mod:`~netdevspec.reference.boot`):
        the I/O regions of the DMA controllers, interrupt controllers, timer, keyboard and
        FPU, and IRQ line 1 (keyboard) as well as 0, 2 and 13, all held by the kernel; and
        the loopback device ``lo``, registered and down, owned by the module that stands
        for the built-in drivers (``boot.builtin_module``)."""
        k = cls.from_state(MachineState(irq_actions=pc_irq_actions(), regions=pc_regions()),
                           bus)
        net_dev_init(k, [BuiltinLoopback(k).dev], builtin_module())
        return k

    # -- shared state (common.py) ------------------------------------------------------------

    @property
    def current(self) -> Module | None:
        """The module whose code is running now, or None for the kernel itself."""
        return self.core.current

    @current.setter
    def current(self, module: Module | None) -> None:
        self.core.current = module

    @property
    def misuse(self) -> list[Misuse]:
        """Every misuse recorded so far, in order."""
        return self.core.misuse

    @property
    def log(self) -> list[str]:
        """The printk messages 2.0 would print, in order, without the trailing newline."""
        return self.core.log

    @property
    def panicked(self) -> bool:
        """True once something would have panicked a 2.0 kernel."""
        return self.core.panicked

    @property
    def alloc_fails(self) -> Callable[[], bool] | None:
        """A hook asked before each allocation; True makes that allocation fail."""
        return self.core.alloc_fails

    @alloc_fails.setter
    def alloc_fails(self, hook: Callable[[], bool] | None) -> None:
        self.core.alloc_fails = hook

    @property
    def tracer(self) -> Tracer | None:
        """Called as ``tracer(event, fields)`` at each internal step boundary listed in
        :data:`TRACE_EVENTS` (None: no tracing, no cost beyond one test per boundary)."""
        return self.core.tracer

    @tracer.setter
    def tracer(self, tracer: Tracer | None) -> None:
        self.core.tracer = tracer

    @property
    def intr_count(self) -> int:
        """2.0's ``intr_count``: interrupt and bottom-half nesting."""
        return self.core.intr_count

    @intr_count.setter
    def intr_count(self, n: int) -> None:
        self.core.intr_count = n

    @property
    def in_interrupt(self) -> bool:
        """True while an interrupt handler or bottom half runs (2.0's intr_count != 0)."""
        return self.core.intr_count != 0

    # -- the parts' counters -------------------------------------------------------------------

    @property
    def jiffies(self) -> int:
        """Ticks since boot."""
        return self.timer.jiffies

    @jiffies.setter
    def jiffies(self, n: int) -> None:
        self.timer.jiffies = n

    @property
    def irq_raised(self) -> list[int]:
        """How often each line was raised (delivered or not)."""
        return self.irq.irq_raised

    @property
    def regions(self) -> tuple[Region, ...]:
        """The claimed I/O regions, by start port."""
        return self.resource.regions

    @property
    def region_changes(self) -> int:
        """Counts claims and releases of I/O regions (a cheap "has the table changed")."""
        return self.resource.region_changes

    @property
    def rx_dropping(self) -> bool:
        """True while netif_rx drops arrivals (the backlog went over 300)."""
        return self.dev.rx_dropping

    @property
    def rx_dropped(self) -> int:
        """Frames netif_rx dropped because the backlog was full."""
        return self.dev.rx_dropped

    @property
    def tx_dropped(self) -> int:
        """Frames dev_queue_xmit dropped because the queue was full."""
        return self.dev.tx_dropped

    @property
    def live_skbs(self) -> dict[int, SkBuff]:
        """Every live buffer header by id, in allocation order."""
        return self.skbuff.live_skbs

    @property
    def net_skbcount(self) -> int:
        """Live buffer headers (2.0's ``net_skbcount``)."""
        return self.skbuff.net_skbcount

    @property
    def net_allocs(self) -> int:
        """Buffers allocated so far (2.0's ``net_allocs``)."""
        return self.skbuff.net_allocs

    @property
    def net_fails(self) -> int:
        """Failed buffer allocations (2.0's ``net_fails``)."""
        return self.skbuff.net_fails

    @property
    def net_locked(self) -> int:
        """Device-locked buffers (2.0's ``net_locked``)."""
        return self.skbuff.net_locked

    @property
    def net_free_locked(self) -> int:
        """Frees deferred because the buffer was locked (2.0's ``net_free_locked``)."""
        return self.skbuff.net_free_locked

    # -- cards -----------------------------------------------------------------------------------

    def attach_memory(self, mem: SharedMemory, base: int) -> SharedMemory:
        """Map a card's shared memory at ``base`` in the ISA memory hole; returns it."""
        return self.iomem.mem.attach(mem, base)

    def attach_card(self, card: _Card, base: int) -> _Card:
        """Put ``card`` on the bus at ports ``base .. base + card.extent - 1``; returns it."""
        self.ioport.attach(card, base)
        card.kernel = self
        return card
