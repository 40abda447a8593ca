"""The state vocabulary: sorts, named entities and state symbols of the kernel model.

Symbols are named ``group.field``; the group is the kind of object they describe
(``skb.tail(b)``, ``dev.irq(d)``). Integer codes used in place of C values:

* interface names are integers: ``ethN`` (N < 16) is ``N``, a name made by
  ``dev_alloc_name(fmt)`` is ``1000*fmt + unit``, a blank name is ``NAME_BLANK``
  and a NULL name pointer ``NAME_NULL`` (see :data:`ethname`);
* ``dev.flags`` is the 16-bit IFF_* word of ``include/linux/if.h``.
"""

from __future__ import annotations

from netdevspec.spec.logic import (
    BOOL,
    BV16,
    INT,
    Expr,
    Fn,
    Sort,
    StateSym,
    entity_const,
    lit,
)

# -- sorts -------------------------------------------------------------------------------
PARTY = Sort.entity("Party", "m")
"""Modules, and the kernel itself (the protocol layers and net_bh act as KERNEL)."""
DEV = Sort.entity("Dev", "d")
SKB = Sort.entity("Skb", "b")
BLK = Sort.entity("Blk", "k")
"""A data area shared by a buffer and its clones."""
QUEUE = Sort.entity("Queue", "q")
ACT = Sort.entity("Act", "a")
"""An IRQ action (one ``request_irq`` claim)."""
REGION = Sort.entity("Region", "r")
"""An I/O port region (an entry of the 64-slot table)."""
TIMER = Sort.entity("Timer", "t")
"""A kernel timer (a driver's ``struct timer_list``)."""

# -- named entities ------------------------------------------------------------------------
KERNEL = entity_const(PARTY, "kernel")
ACT_TIMER = entity_const(ACT, "timer")
ACT_CASCADE = entity_const(ACT, "cascade")
ACT_FPU = entity_const(ACT, "fpu")
BACKLOG = entity_const(QUEUE, "backlog")
CONSTANTS: tuple[Expr, ...] = (KERNEL, ACT_TIMER, ACT_CASCADE, ACT_FPU, BACKLOG)

# -- constants of the C API -------------------------------------------------------------------
MAX_ETH_CARDS = 16
DEV_NUMBUFFS = 3
NR_IRQS = 16
MAX_DMA_CHANNELS = 8
DMA_CASCADE = 4
IO_TABLE_SIZE = 64
IO_SPACE = 0x10000
NETDEV_MAX_BACKLOG = 300
DEV_ALLOC_SKB_HEADROOM = 16
ETH_HLEN = 14
ETH_DATA_LEN = 1500
ETH_ALEN = 6
ETHER_TX_QUEUE_LEN = 100
NAME_BLANK = -1
NAME_NULL = -2
FREE_WRITE, FREE_READ = 0, 1
EIO, ENOMEM, EBUSY, ENODEV, ENFILE, EINVAL, EEXIST = 5, 12, 16, 19, 23, 22, 17

IFF_UP = lit(0x1, BV16)
IFF_BROADCAST = lit(0x2, BV16)
IFF_RUNNING = lit(0x40, BV16)
IFF_MULTICAST = lit(0x1000, BV16)
IFF_LOOPBACK = lit(0x8, BV16)
BV_ZERO = lit(0, BV16)


def _ethname(i: Expr) -> Expr:
    return i


ethname = Fn("ethname", (INT,), INT, "the name code of \"eth%d\" % i", _ethname)
#: Name codes per ``fmt%d`` prefix: ``ethN`` (prefix code 0) is N for N < UNIT_CODES.
UNIT_CODES = 1000
unit_name = Fn("unit_name", (INT, INT), INT, "the name code of fmt % unit",
               lambda f, u: f * UNIT_CODES + u)

# -- state symbols -----------------------------------------------------------------------------
_V: list[StateSym] = []


def sym(name: str, args: tuple[Sort, ...], result: Sort, doc: str, default: object,
        **kw: object) -> StateSym:
    s = StateSym(name, args, result, doc, default, **kw)  # type: ignore[arg-type]
    _V.append(s)
    return s


# modules
mod_phase = sym("mod.phase", (PARTY,), INT,
                "0 not loaded, 1 init_module running, 2 live, 3 cleanup_module running", 0)
mod_use = sym("mod.use", (PARTY,), INT, "the module use count (MOD_INC/DEC_USE_COUNT)", 0)

# devices
dev_reg = sym("dev.registered", (DEV,), BOOL, "linked into dev_base", False)
dev_owner = sym("dev.owner", (DEV,), PARTY, "the module that registered the device", None)
dev_name = sym("dev.name", (DEV,), INT, "the name code (see module doc)", NAME_NULL)
dev_has_init = sym("dev.has_init", (DEV,), BOOL, "dev->init != NULL", False)
dev_has_open = sym("dev.has_open", (DEV,), BOOL, "dev->open != NULL", False)
dev_irq = sym("dev.irq", (DEV,), INT, "dev->irq (unsigned char; 0 = none)", 0)
dev_base = sym("dev.base_addr", (DEV,), INT, "dev->base_addr (0 = none / probe)", 0)
dev_mem_start = sym("dev.mem_start", (DEV,), INT, "shared memory start (0 = none)", 0)
dev_mem_end = sym("dev.mem_end", (DEV,), INT, "shared memory end (0 = none)", 0)
dev_rmem_start = sym("dev.rmem_start", (DEV,), INT, "obsolete receive memory start", 0)
dev_rmem_end = sym("dev.rmem_end", (DEV,), INT, "obsolete receive memory end", 0)
dev_dma = sym("dev.dma", (DEV,), INT, "dev->dma (unsigned char)", 0)
dev_if_port = sym("dev.if_port", (DEV,), INT, "media selector (0 = default)", 0)
dev_flags = sym("dev.flags", (DEV,), BV16, "the IFF_* flags", 0)
dev_start = sym("dev.start", (DEV,), BOOL, "dev->start: the driver is open", False)
dev_tbusy = sym("dev.tbusy", (DEV,), BOOL, "dev->tbusy: the transmitter is busy", False)
dev_interrupt = sym("dev.interrupt", (DEV,), BOOL, "dev->interrupt: in the handler", False)
dev_mtu = sym("dev.mtu", (DEV,), INT, "maximum transfer unit", 0)
dev_txqlen = sym("dev.tx_queue_len", (DEV,), INT, "frames allowed per queue", 0)
dev_hhlen = sym("dev.hard_header_len", (DEV,), INT, "link header length", 0)
dev_addr_len = sym("dev.addr_len", (DEV,), INT, "hardware address length", 0)
dev_phase = sym("dev.phase", (DEV,), INT,
                "0 idle, 1 inside open, 2 inside stop, 3 inside hard_start_xmit", 0)
dev_xmit_skb = sym("dev.xmit_skb", (DEV,), SKB, "the frame hard_start_xmit was given", None)
dev_xmit_pri = sym("dev.xmit_pri", (DEV,), INT, "the queue that frame came from", 0)
dev_q = sym("dev.q", (DEV, INT), QUEUE, "dev->buffs[pri], the transmit queues (static)", None,
            domain=(0, DEV_NUMBUFFS))
eth_used = sym("eth.used", (INT,), BOOL, "ethdev_index[i] != NULL", False,
               domain=(0, MAX_ETH_CARDS))
eth_dev = sym("eth.dev", (INT,), DEV, "ethdev_index[i]", None, domain=(0, MAX_ETH_CARDS))

# IRQ actions
act_live = sym("act.live", (ACT,), BOOL, "the action is installed on its line", False)
act_line = sym("act.line", (ACT,), INT, "the IRQ line", 0)
act_owner = sym("act.owner", (ACT,), PARTY, "the module that requested it", None)
act_devid = sym("act.dev_id", (ACT,), DEV, "the dev_id cookie (NULL in most 2.0 drivers)", None)
act_shirq = sym("act.shirq", (ACT,), BOOL, "requested with SA_SHIRQ", False)
act_saint = sym("act.sa_interrupt", (ACT,), BOOL, "requested with SA_INTERRUPT", False)
act_at_load = sym("act.at_load", (ACT,), BOOL,
                  "requested while its module's init_module ran (a claim at probe time, which "
                  "cleanup_module gives back, RES-11); a ghost: 2.0 does not record it", False)

# I/O regions
reg_live = sym("region.live", (REGION,), BOOL, "the region is in the table", False)
reg_from = sym("region.from", (REGION,), INT, "first port", 0)
reg_num = sym("region.num", (REGION,), INT, "number of ports", 0)
reg_owner = sym("region.owner", (REGION,), PARTY, "the module that requested it", None)
reg_idx = sym("region.slot", (REGION,), INT, "its position in the table", 0)
io_count = sym("io.count", (), INT, "entries in use in the 64-entry table", 0)
io_slot = sym("io.slot", (INT,), REGION, "the region in table position i", None,
              domain=(0, IO_TABLE_SIZE))

# DMA
dma_locked = sym("dma.locked", (INT,), BOOL, "the channel is claimed", False,
                 domain=(0, MAX_DMA_CHANNELS))
dma_owner = sym("dma.owner", (INT,), PARTY, "who claimed the channel", None,
                domain=(0, MAX_DMA_CHANNELS))
dma_at_load = sym("dma.at_load", (INT,), BOOL,
                  "claimed while its module's init_module ran (at probe time, RES-11); a ghost",
                  False, domain=(0, MAX_DMA_CHANNELS))

# buffers
skb_ever = sym("skb.allocated", (SKB,), BOOL, "the identity was ever handed out", False)
skb_alive = sym("skb.alive", (SKB,), BOOL, "allocated and not yet freed", False)
skb_head = sym("skb.head", (SKB,), INT, "start of the data area", 0)
skb_data = sym("skb.data", (SKB,), INT, "start of the data", 0)
skb_tail = sym("skb.tail", (SKB,), INT, "end of the data", 0)
skb_end = sym("skb.end", (SKB,), INT, "end of the data area", 0)
skb_len = sym("skb.len", (SKB,), INT, "data length", 0)
skb_owner = sym("skb.owner", (SKB,), PARTY, "who may touch the buffer now", None)
skb_free = sym("skb.free", (SKB,), INT, "the free flag: 0 keep, 1 free, 2 unset, 3 deferred", 0)
skb_lock = sym("skb.lock", (SKB,), INT, "device lock count", 0)
skb_queued = sym("skb.queued", (SKB,), BOOL, "skb->list != NULL", False)
skb_list = sym("skb.list", (SKB,), QUEUE, "the queue it is on", None)
skb_pos = sym("skb.pos", (SKB,), INT, "its position on that queue", 0)
skb_dev = sym("skb.dev", (SKB,), DEV, "skb->dev", None)
skb_proto = sym("skb.protocol", (SKB,), INT, "skb->protocol (0 = unset)", 0)
skb_blk = sym("skb.block", (SKB,), BLK, "its data area", None)
skb_ref = sym("skb.ref", (SKB,), INT, "its index among the area's references", 0)
blk_live = sym("blk.live", (BLK,), BOOL, "the data area is allocated", False)
blk_refs = sym("blk.refs", (BLK,), INT, "references (the original and its clones)", 0)
blk_head = sym("blk.head", (BLK,), INT, "first byte of the area", 0)
blk_end = sym("blk.end", (BLK,), INT, "end of the area", 0)
blk_at = sym("blk.at", (BLK, INT), SKB, "the i-th buffer referring to the area", None,
             index=(None, blk_refs))

# queues
q_init = sym("queue.init", (QUEUE,), BOOL, "skb_queue_head_init was called", False)
q_owner = sym("queue.owner", (QUEUE,), PARTY, "who may use the queue", None)
q_lo = sym("queue.lo", (QUEUE,), INT, "position of the first element", 0)
q_hi = sym("queue.hi", (QUEUE,), INT, "position after the last element", 0)
q_at = sym("queue.at", (QUEUE, INT), SKB, "the element at position i", None,
           index=(q_lo, q_hi))
q_dev = sym("queue.dev", (QUEUE,), DEV, "the device a transmit queue belongs to (static)", None)
q_pri = sym("queue.pri", (QUEUE,), INT, "its priority (static)", 0)

# kernel timers
tmr_pending = sym("timer.pending", (TIMER,), BOOL,
                  "on the kernel's timer list (added, not yet run or deleted)", False)
tmr_owner = sym("timer.owner", (TIMER,), PARTY, "the module that added it last", None)

# receive
rx_dropping = sym("rx.dropping", (), BOOL, "netif_rx is in dropping mode", False)

VOCABULARY: tuple[StateSym, ...] = tuple(_V)


def qlen(q: Expr) -> Expr:
    """The number of buffers on a queue."""
    return q_hi(q) - q_lo(q)


def loaded(p: Expr) -> Expr:
    """The party is the kernel or a module that is loaded."""
    return (p == KERNEL) | (mod_phase(p) != 0)


def flag(d: Expr, f: Expr, post: bool = False) -> Expr:
    """IFF flag ``f`` is set on device ``d``."""
    flags = dev_flags.post(d) if post else dev_flags(d)
    return (flags & f) != BV_ZERO


def headroom(b: Expr) -> Expr:
    """skb_headroom(b)."""
    return skb_data(b) - skb_head(b)


def tailroom(b: Expr) -> Expr:
    """skb_tailroom(b)."""
    return skb_end(b) - skb_tail(b)


def shared(b: Expr) -> Expr:
    """The buffer's data area is shared with a clone."""
    return blk_refs(skb_blk(b)) > 1

