"""The reference kernel side of the Linux 2.0 network-driver API.

An ordinary, efficient, pure-Python implementation of what Linux 2.0.1's kernel does for
network drivers: the device list, IRQ lines, I/O regions, DMA channels, socket buffers
and queues, the transmit and receive paths, loadable modules and simulated ISA cards.
It is written independently of :mod:`netdevspec.spec` (it imports nothing from it), so
checking it against the spec means something.

A minimal session::

    from netdevspec.reference import Kernel, Module, Device, SimpleNic

    kernel = Kernel()
    card = kernel.attach_card(SimpleNic(irq=5), 0x300)
    dev = Device("", base_addr=0x300, init=my_probe)
    module = Module("mydrv", init_module=lambda: kernel.register_netdev(dev),
                    cleanup_module=lambda: kernel.unregister_netdev(dev))
    assert kernel.insmod(module) == 0
    ...
    kernel.misuse      # what the driver did that 2.0.1 would have let through

:data:`MISUSE_KINDS` lists every kind of misuse record with what it means.
"""

from __future__ import annotations

from netdevspec.reference.common import (
    EAGAIN,
    EBUSY,
    EEXIST,
    EINVAL,
    EIO,
    ENFILE,
    ENODEV,
    ENOENT,
    ENOMEM,
    ENXIO,
    EOPNOTSUPP,
    EPERM,
    KernelPanic,
    Misuse,
)
from netdevspec.reference.device import (
    AF_INET,
    ARPHRD_ETHER,
    DEV_NUMBUFFS,
    ETH_ALEN,
    ETH_DATA_LEN,
    ETH_HLEN,
    ETH_P_802_2,
    ETH_P_802_3,
    ETH_P_ALL,
    ETH_P_ARP,
    ETH_P_IP,
    ETH_ZLEN,
    IFF_ALLMULTI,
    IFF_BROADCAST,
    IFF_LOOPBACK,
    IFF_MULTICAST,
    IFF_NOARP,
    IFF_POINTOPOINT,
    IFF_PROMISC,
    IFF_RUNNING,
    IFF_UP,
    Device,
    EnetStatistics,
    IfMap,
)
from netdevspec.reference.hardware import IsaBus, IsaCard, SimpleNic
from netdevspec.reference.iomem import SharedMemory
from netdevspec.reference.kernel import (
    IOTABLE_SIZE,
    MAX_DMA_CHANNELS,
    MAX_ETH_CARDS,
    NET_BH,
    NETDEV_MAX_BACKLOG,
    NR_IRQS,
    SA_INTERRUPT,
    SA_SAMPLE_RANDOM,
    SA_SHIRQ,
    TRACE_EVENTS,
    DmaClaim,
    IrqAction,
    Kernel,
    MachineState,
    PacketType,
    Region,
    TimerList,
)
from netdevspec.reference.modules import (
    MOD_CLEANING_UP,
    MOD_INITIALIZING,
    MOD_LIVE,
    MOD_UNLOADED,
    Module,
)
from netdevspec.reference.skbuff import (
    DEV_ALLOC_SKB_HEADROOM,
    FREE_READ,
    FREE_WRITE,
    GFP_ATOMIC,
    GFP_KERNEL,
    PACKET_BROADCAST,
    PACKET_HOST,
    PACKET_MULTICAST,
    PACKET_OTHERHOST,
    SkbData,
    SkBuff,
    SkBuffHead,
    Sock,
)

#: Every kind of :class:`Misuse` the reference kernel records, and what it means.
MISUSE_KINDS: dict[str, str] = {
    # buffers (SKB, Q)
    "alloc_bad_size": "alloc_skb/dev_alloc_skb asked for a negative size (the allocation fails)",
    "alloc_nonatomic_in_irq": "alloc_skb with a priority other than GFP_ATOMIC in interrupt "
                              "context (SKB-3)",
    "skb_over": "skb_put past end: 2.0 panics (\"skput:over\"); KernelPanic is raised (SKB-4)",
    "skb_under": "skb_push below head: 2.0 panics (\"skpush:under\"); KernelPanic is raised "
                 "(SKB-5)",
    "negative_length": "a negative length passed to skb_put/push/pull/reserve/trim",
    "reserve_nonempty": "skb_reserve on a buffer that already holds data (SKB-7)",
    "reserve_over": "skb_reserve moving tail past end (SKB-7)",
    "clone_write": "skb_put/skb_push/skb_write on a data area shared with a clone (SKB-15)",
    "data_out_of_bounds": "skb_read/skb_write outside [head, end) (clipped)",
    "use_after_free": "an operation on a buffer that was already freed (SKB-12)",
    "double_free": "kfree_skb/dev_kfree_skb of a buffer that was already freed (SKB-12)",
    "free_null": "kfree_skb/dev_kfree_skb(NULL) (SKB-10)",
    "free_flag_unset": "kfree_skb of a buffer whose free flag is still 2 (SKB-10, SKB-13)",
    "free_queued": "freeing a buffer still on a queue; it is unlinked first (SKB-10, Q-7)",
    "double_lock": "skb_device_lock on a locked buffer (SKB-14)",
    "double_unlock": "skb_device_unlock on an unlocked buffer (SKB-14)",
    "skb_not_owned": "a module used a buffer it does not own (handed on, or another's)",
    "queue_not_owned": "a module used a queue it did not initialise (e.g. a device's buffs[])",
    "queue_twice": "queueing a buffer that is already on a queue; it is unlinked first (Q-2)",
    "queue_reinit_nonempty": "skb_queue_head_init/ether_setup on a queue holding buffers (Q-1)",
    "insert_unlisted": "skb_insert/skb_append next to a buffer on no queue (Q-4)",
    # devices (REG, CB, FLG)
    "register_no_init": "register_netdev of a device with no init (or NULL): 0, nothing "
                        "linked (REG-2)",
    "register_twice": "register_netdev of a device that is already registered (REG-7)",
    "register_name_taken": "register_netdev under a name already registered: -EEXIST (REG-7)",
    "unregister_null": "unregister_netdev(NULL) (REG-9)",
    "unregister_not_found": "unregister_netdev of a device that is not registered (REG-9)",
    "unregister_unowned": "a module unregistered a device another module registered (REG-10)",
    "unregister_busy": "unregister_netdev of a device still up or started; closed first "
                       "(REG-9)",
    "device_not_registered": "dev_open/dev_close/SIOCSIFFLAGS on an unregistered device",
    "eth_index_range": "ether_setup of an ethN name with N ≥ 16 (REG-12)",
    "eth_short_frame": "eth_type_trans on a frame shorter than 14 bytes (RX-4)",
    "open_bad_return": "open returned a positive value instead of 0 or -errno (CB-2)",
    "callback_raised": "a driver callback raised a Python exception (treated as failure)",
    "callback_bad_return": "a driver callback returned something that is not an int (init "
                           "and open: failure; hard_start_xmit: taken as 0, accepted)",
    # transmit and receive (CB, RX)
    "xmit_null": "dev_queue_xmit(NULL)",
    "xmit_device_down": "dev_queue_xmit on a device that is not registered and up (CB-9)",
    "xmit_bad_priority": "dev_queue_xmit priority ≥ DEV_NUMBUFFS (priority 1 used) (CB-9)",
    "xmit_no_method": "a device with no hard_start_xmit was asked to transmit",
    "xmit_busy_consumed": "hard_start_xmit returned busy but freed, kept or queued the frame "
                          "(CB-4)",
    "xmit_busy_no_tbusy": "hard_start_xmit returned busy without setting tbusy: 2.0's "
                          "dev_tint would spin (CB-5, CB-10)",
    "tint_in_xmit": "dev_tint called from inside the device's own hard_start_xmit (CB-10)",
    "rx_null": "netif_rx(NULL)",
    "rx_no_dev": "netif_rx of a frame whose skb->dev is not a registered device (RX-3)",
    "rx_no_protocol": "netif_rx of a frame with no skb->protocol (RX-4, HAZ-8)",
    "remove_pack_not_found": "dev_remove_pack of a handler that is not registered",
    # resources (RES)
    "irq_shared_dev_id": "a SA_SHIRQ claim with a NULL or already used dev_id (RES-3)",
    "free_irq_bad_line": "free_irq of a line outside 0..15 (RES-2)",
    "free_irq_not_held": "free_irq with no action for that dev_id on the line (RES-2)",
    "free_irq_unowned": "free_irq removed another owner's action (RES-2)",
    "irq_storm": "interrupts or bottom halves kept coming; delivery was stopped",
    "request_region_busy": "request_region of a range that is not free (silently ignored in "
                           "2.0) (RES-9)",
    "request_region_full": "request_region with the 64-entry table full (RES-9)",
    "region_bad_range": "request_region reaching past port 0xffff",
    "release_region_nomatch": "release_region with no region of exactly that extent (RES-10)",
    "release_region_unowned": "release_region of another owner's region (RES-10)",
    "free_dma_bad": "free_dma of a channel outside 0..7 (RES-7)",
    "free_dma_not_held": "free_dma of a free channel (RES-7)",
    "free_dma_unowned": "free_dma of another owner's channel (RES-7)",
    "iomem_outside_window": "readb/writeb/memcpy_fromio/memcpy_toio outside the "
                            "mem_start..mem_end window of every device the module registered "
                            "(outside its init_module) (FLD-5)",
    "port_outside_region": "a port access outside every region the module claimed (and not a "
                           "probe of a range it found free with check_region) (RES-8, RES-11)",
    # modules (MOD)
    "insmod_loaded": "insmod of a module (name) that is already loaded",
    "module_not_loaded": "code of a module that is not loaded ran (kernel.running)",
    "mod_dec_below_zero": "MOD_DEC_USE_COUNT at use count 0 (MOD-3)",
    "leak_device": "a module went away with a device still registered (MOD-2)",
    "leak_irq": "a module went away with an IRQ still claimed (MOD-2)",
    "leak_region": "a module went away with an I/O region still claimed (MOD-2)",
    "leak_dma": "a module went away with a DMA channel still claimed (MOD-2)",
    "leak_skb": "a module went away still owning a live buffer (MOD-2, CB-4)",
    "leak_queue": "a module went away with buffers on a queue of its own (MOD-2)",
    "leak_packet_type": "a module went away with a packet handler registered",
    "leak_timer": "a module went away with a kernel timer still pending: it would call "
                  "unloaded code",
    # kernel timers (sched.c)
    "timer_added_twice": "add_timer of a timer that is already pending (2.0.1 corrupts the "
                         "timer list; ignored)",
    "timer_reinit_pending": "init_timer of a pending timer (it falls off the list)",
    "timer_not_owned": "del_timer of a timer another module added",
}

__all__ = [
    "AF_INET",
    "ARPHRD_ETHER",
    "DEV_ALLOC_SKB_HEADROOM",
    "DEV_NUMBUFFS",
    "EAGAIN",
    "EBUSY",
    "EEXIST",
    "EINVAL",
    "EIO",
    "ENFILE",
    "ENODEV",
    "ENOENT",
    "ENOMEM",
    "ENXIO",
    "EOPNOTSUPP",
    "EPERM",
    "ETH_ALEN",
    "ETH_DATA_LEN",
    "ETH_HLEN",
    "ETH_P_802_2",
    "ETH_P_802_3",
    "ETH_P_ALL",
    "ETH_P_ARP",
    "ETH_P_IP",
    "ETH_ZLEN",
    "FREE_READ",
    "FREE_WRITE",
    "GFP_ATOMIC",
    "GFP_KERNEL",
    "IFF_ALLMULTI",
    "IFF_BROADCAST",
    "IFF_LOOPBACK",
    "IFF_MULTICAST",
    "IFF_NOARP",
    "IFF_POINTOPOINT",
    "IFF_PROMISC",
    "IFF_RUNNING",
    "IFF_UP",
    "IOTABLE_SIZE",
    "MAX_DMA_CHANNELS",
    "MAX_ETH_CARDS",
    "MISUSE_KINDS",
    "MOD_CLEANING_UP",
    "MOD_INITIALIZING",
    "MOD_LIVE",
    "MOD_UNLOADED",
    "NETDEV_MAX_BACKLOG",
    "NET_BH",
    "NR_IRQS",
    "PACKET_BROADCAST",
    "PACKET_HOST",
    "PACKET_MULTICAST",
    "PACKET_OTHERHOST",
    "SA_INTERRUPT",
    "SA_SAMPLE_RANDOM",
    "SA_SHIRQ",
    "TRACE_EVENTS",
    "Device",
    "DmaClaim",
    "EnetStatistics",
    "IfMap",
    "IrqAction",
    "IsaBus",
    "IsaCard",
    "Kernel",
    "KernelPanic",
    "MachineState",
    "Misuse",
    "Module",
    "PacketType",
    "Region",
    "SharedMemory",
    "SimpleNic",
    "SkBuff",
    "SkBuffHead",
    "SkbData",
    "Sock",
    "TimerList",
]
