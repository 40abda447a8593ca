"""The transmit path and its hand-off contract, and the receive path (api-facts CB, RX)."""

from __future__ import annotations

from netdevspec.spec._build import (
    A1,
    K,
    at,
    bind,
    case,
    cite,
    guarantee,
    invariant,
    obligation,
    operation,
)
from netdevspec.spec.buffers import (
    dequeue,
    enqueue_head,
    enqueue_tail,
    release,
)
from netdevspec.spec.common import (
    CALLER_LOADED,
    DEV_OWNED,
    SKB_ALIVE,
    SKB_OWNED,
    SKB_UNQUEUED_FREE,
    b,
    c,
    d,
    j,
    n,
    pri,
    rc,
    ret,
)
from netdevspec.spec.devices import is_up
from netdevspec.spec.logic import And, Forall, Implies, Ite, Not, Or, Var, null
from netdevspec.spec.rules import Operation, Rule
from netdevspec.spec.vocabulary import (
    BACKLOG,
    DEV,
    DEV_NUMBUFFS,
    KERNEL,
    NETDEV_MAX_BACKLOG,
    QUEUE,
    SKB,
    dev_hhlen,
    dev_owner,
    dev_phase,
    dev_q,
    dev_reg,
    dev_tbusy,
    dev_txqlen,
    dev_xmit_pri,
    dev_xmit_skb,
    q_at,
    q_init,
    q_lo,
    q_owner,
    qlen,
    rx_dropping,
    skb_alive,
    skb_data,
    skb_dev,
    skb_ever,
    skb_free,
    skb_len,
    skb_lock,
    skb_owner,
    skb_proto,
    skb_queued,
)

_DEV = "net/core/dev.c"
_SKEL = "drivers/net/skeleton.c"
ev = Var("ev", DEV)
dv = Var("dev", DEV)
proto = Var("protocol", n.sort)

BACKLOG_OK = invariant(
    "rx.backlog",
    "the receive backlog is an initialised kernel queue",
    And(q_init(BACKLOG), q_owner(BACKLOG) == KERNEL),
    cite(("RX-5", K(f"{_DEV} netif_rx")), ("Q-1", K(_DEV))),
)

IN_XMIT = invariant(
    "cb.xmit.frame",
    "while hard_start_xmit runs, its frame was allocated, came from one of the device's "
    "queues, and is device-locked for as long as the driver still holds it",
    Forall(ev, Implies(dev_phase(ev) == 3, And(
        dev_xmit_skb(ev) != null(SKB), skb_ever(dev_xmit_skb(ev)),
        dev_xmit_pri(ev) >= 0, dev_xmit_pri(ev) < DEV_NUMBUFFS,
        Implies(And(skb_alive(dev_xmit_skb(ev)), skb_owner(dev_xmit_skb(ev)) == dev_owner(ev)),
                skb_lock(dev_xmit_skb(ev)) >= 1)))),
    cite(("CB-4", K(f"{_DEV} do_dev_queue_xmit")), ("SKB-14", K("net/core/skbuff.c"))),
)

INVARIANTS: tuple[Rule, ...] = (BACKLOG_OK, IN_XMIT)

# -- transmit -------------------------------------------------------------------------------------

XMIT_DEV = obligation(
    "cb.xmit.device", "frames are queued for transmission only on a registered device that "
    "is up, at a priority 0..DEV_NUMBUFFS-1", (d, pri),
    And(dev_reg(d), is_up(d), pri >= 0, pri < DEV_NUMBUFFS),
    cite(("CB-9", K(f"{_DEV} dev_queue_xmit")), ("FLD-10", K("include/linux/netdevice.h"))),
    "dev_queue_xmit on device {d} (down or unregistered) or priority {pri}")

_q = dev_q(d, pri)
_drop_g, _drop_f = release(b)
_enq_g, _enq_f = enqueue_tail(_q, b)
_over = And(qlen(_q) > 0, qlen(_q) > dev_txqlen(d))
_frees = And(skb_lock(b) <= 1, Or(skb_free(b) == 1, skb_free(b) == 3))
_UNLOCKED = guarantee(
    "cb.xmit.unlock", "dev_queue_xmit locks an unlocked frame and then, queueing or "
    "dropping it, unlocks it once: lock' = max(lock − 1, 0)", (b,),
    skb_lock.post(b) == Ite(skb_lock(b) > 0, skb_lock(b) - 1, 0),
    cite(("CB-9", K(f"{_DEV} dev_queue_xmit")), ("SKB-14", K("net/core/skbuff.c"))))
_TAKEN = guarantee(
    "cb.xmit.queued", "the frame belongs to the kernel and records its device", (b, d),
    And(skb_owner.post(b) == KERNEL, skb_dev.post(b) == d),
    cite(("CB-9", K(f"{_DEV} dev_queue_xmit")), ("SKB-18", K(_DEV))))
_TAKEN_F = (at(skb_owner, b), at(skb_dev, b))

DEV_QUEUE_XMIT = operation(
    "dev_queue_xmit", "the protocol layer queues a frame for a device (kernel side)",
    (c, b, d, pri),
    (bind(SKB_ALIVE, b), bind(SKB_OWNED, c, b), bind(SKB_UNQUEUED_FREE, b),
     bind(XMIT_DEV, d, pri)),
    (case("dev_queue_xmit.drop", "the queue is over tx_queue_len: dev_kfree_skb unlocks "
          "the frame and frees it (it was locked at most once, its free flag is 1 or 3)",
          And(_over, _frees), (_TAKEN, _UNLOCKED, _drop_g), (*_drop_f, *_TAKEN_F,
                                                              at(skb_lock, b))),
     case("dev_queue_xmit.drop_kept", "the queue is over tx_queue_len, but the frame is "
          "still locked by another holder or its free flag says its owner keeps it (0, or 2 "
          "unset): dev_kfree_skb only unlocks it once", And(_over, Not(_frees)),
          (_TAKEN, _UNLOCKED), (*_TAKEN_F, at(skb_lock, b))),
     case("dev_queue_xmit.queue", "the frame waits at the tail of dev->buffs[pri], owned by "
          "the kernel; a frame that came locked loses the one lock the queue takes off",
          Or(qlen(_q) == 0, qlen(_q) <= dev_txqlen(d)),
          (_enq_g, _TAKEN, _UNLOCKED), (*_enq_f, *_TAKEN_F, at(skb_lock, b)))),
    cite(("CB-9", K(f"{_DEV} dev_queue_xmit")), ("SKB-18", K(_DEV))),
    "void dev_queue_xmit(struct sk_buff *skb, struct device *dev, int pri)",
)

_head = q_at(_q, q_lo(_q))
_deq_g, _deq_f = dequeue(_q, b)
_LEND = guarantee(
    "cb.xmit.lend",
    "the head frame leaves the queue, is device-locked and lent to the driver, which is now "
    "inside hard_start_xmit",
    (b, d, pri),
    And(skb_owner.post(b) == dev_owner(d), skb_lock.post(b) == skb_lock(b) + 1,
        skb_dev.post(b) == d, dev_phase.post(d) == 3, dev_xmit_skb.post(d) == b,
        dev_xmit_pri.post(d) == pri),
    cite(("CB-4", K(f"{_DEV} do_dev_queue_xmit")), ("SKB-14", K("net/core/skbuff.c")),
         ("CB-9", K(_DEV))),
)
_LEND_F = (*_deq_f, at(skb_owner, b), at(skb_lock, b), at(skb_dev, b), at(dev_phase, d),
           at(dev_xmit_skb, d), at(dev_xmit_pri, d))

HARD_START_XMIT = operation(
    "hard_start_xmit", "the kernel takes the head frame of a queue and calls the driver's "
    "hard_start_xmit (kernel side, from dev_queue_xmit or dev_tint)", (d, pri, b),
    (bind(XMIT_DEV, d, pri),),
    (case("hard_start_xmit.empty", "nothing queued at this priority",
          And(dev_phase(d) == 0, qlen(_q) == 0)),
     case("hard_start_xmit.call", "the frame b is handed to the driver",
          And(dev_phase(d) == 0, qlen(_q) > 0, b == _head), (_deq_g, _LEND), _LEND_F)),
    cite(("CB-4", K(f"{_DEV} do_dev_queue_xmit")), ("CB-10", K(f"{_DEV} dev_tint"))),
    "dev->hard_start_xmit(skb, dev)",
)

IN_XMIT_OB = obligation(
    "cb.xmit.inside", "hard_start_xmit returns only from a hard_start_xmit call", (d,),
    dev_phase(d) == 3, cite(("CB-4", K(f"{_DEV} do_dev_queue_xmit")),),
    "device {d} returned from hard_start_xmit without being called")

_xb = dev_xmit_skb(d)
BUSY_INTACT = obligation(
    "cb.xmit.busy.keep",
    "a driver that returns busy (non-zero) from hard_start_xmit has neither freed nor kept "
    "the frame: it is still live, still the driver's, on no queue and still locked",
    (c, d), And(skb_alive(_xb), skb_owner(_xb) == c, ~skb_queued(_xb), skb_lock(_xb) >= 1),
    cite(("CB-4", K(f"{_DEV} do_dev_queue_xmit")), ("CB-5", K(_SKEL))),
    "hard_start_xmit of device {d} returned busy but freed or kept its frame")

BUSY_TBUSY = obligation(
    "cb.xmit.busy.tbusy", "a driver that returns busy from hard_start_xmit has set "
    "dev->tbusy, so that dev_tint stops resubmitting until the transmitter is free", (d,),
    dev_tbusy(d), cite(("CB-5", K(_SKEL)), ("CB-10", K(f"{_DEV} dev_tint"))),
    "hard_start_xmit of device {d} returned busy with tbusy clear (dev_tint would spin)")

_req_g, _req_f = enqueue_head(dev_q(d, dev_xmit_pri(d)), _xb)
XMIT_RETURN = operation(
    "hard_start_xmit_return",
    "the driver's hard_start_xmit returns: 0 = accepted (the driver now owns the frame and "
    "must free it), non-zero = busy (the kernel requeues it at the head)", (c, d, rc),
    (bind(CALLER_LOADED, c), bind(DEV_OWNED, c, d), bind(IN_XMIT_OB, d)),
    (case("hard_start_xmit_return.accepted", "0: the frame is the driver's; it must release "
          "it with dev_kfree_skb", rc == 0,
          (guarantee("cb.xmit.accepted", "the callback is over; the driver keeps the frame",
                     (d,), dev_phase.post(d) == 0,
                     cite(("CB-4", K(f"{_DEV} do_dev_queue_xmit")),)),),
          (at(dev_phase, d),)),
     case("hard_start_xmit_return.busy", "non-zero: the frame is unlocked and requeued at the "
          "head of its queue, owned by the kernel again", rc != 0,
          (_req_g,
           guarantee("cb.xmit.requeued", "the frame belongs to the kernel again, one lock "
                     "fewer; the callback is over", (d,),
                     And(skb_owner.post(_xb) == KERNEL, skb_lock.post(_xb) == skb_lock(_xb) - 1,
                         dev_phase.post(d) == 0),
                     cite(("CB-4", K(f"{_DEV} do_dev_queue_xmit")), ("CB-9", K(_DEV))))),
          (*_req_f, at(skb_owner, _xb), at(skb_lock, _xb), at(dev_phase, d)),
          obligations=(bind(BUSY_INTACT, c, d), bind(BUSY_TBUSY, d)))),
    cite(("CB-4", K(f"{_DEV} do_dev_queue_xmit")), ("CB-5", K(_SKEL))),
    "return from int (*hard_start_xmit)(struct sk_buff *skb, struct device *dev)",
)

_lower_empty = Forall(j, qlen(dev_q(d, j)) == 0, within=(0, pri))
NOT_IN_XMIT = obligation(
    "cb.tint.context", "dev_tint is called from the driver's interrupt path, not from inside "
    "its own hard_start_xmit", (d,), dev_phase(d) == 0,
    cite(("CB-10", K(f"{_DEV} dev_tint")), ("CB-6", K(_SKEL))),
    "dev_tint on device {d} from inside hard_start_xmit")

DEV_TINT = operation(
    "dev_tint", "the driver asks the kernel to send queued frames (after transmit-complete)",
    (c, d, pri, b),
    (bind(CALLER_LOADED, c), bind(DEV_OWNED, c, d), bind(NOT_IN_XMIT, d)),
    (case("dev_tint.idle", "nothing is queued on the device",
          Forall(j, qlen(dev_q(d, j)) == 0, within=(0, DEV_NUMBUFFS))),
     case("dev_tint.send", "the head frame of the first non-empty queue is handed to "
          "hard_start_xmit (2.0's dev_tint does not look at tbusy before the first frame; "
          "it stops once tbusy is set)",
          And(pri >= 0, pri < DEV_NUMBUFFS, _lower_empty, qlen(_q) > 0, b == _head),
          (_deq_g, _LEND), _LEND_F)),
    cite(("CB-10", K(f"{_DEV} dev_tint")), ("CB-5", K(_SKEL))),
    "void dev_tint(struct device *dev)",
)

# -- receive ----------------------------------------------------------------------------------

RX_DEV = obligation(
    "rx.dev.set", "a received frame names its registered device (skb->dev = dev)", (b,),
    And(skb_dev(b) != null(DEV), dev_reg(skb_dev(b))),
    cite(("RX-3", K(_SKEL)), ("SKB-18", K("drivers/net/loopback.c"))),
    "buffer {b} reached netif_rx without skb->dev set")
RX_PROTO = obligation(
    "rx.protocol.set", "a received frame has its protocol set (eth_type_trans), or no protocol "
    "handler will take it", (b,), skb_proto(b) != 0,
    cite(("RX-4", K("net/ethernet/eth.c eth_type_trans")), ("HAZ-8", K(_SKEL))),
    "buffer {b} reached netif_rx without skb->protocol set")

RX_UNLOCKED = obligation(
    "rx.unlocked", "a frame passed to netif_rx is not device-locked (a transmit frame reused "
    "for receive, as loopback does, is unlocked first)", (b,), skb_lock(b) == 0,
    cite(("RX-7", K("drivers/net/loopback.c")), ("SKB-14", K("net/core/skbuff.c"))),
    "buffer {b} reached netif_rx still device-locked")

_back_g, _back_f = enqueue_tail(BACKLOG, b)
_rxdrop_g, _rxdrop_f = release(b)
# 2.0 leaves dropping mode when it finds the backlog empty, before deciding.
_busy = And(qlen(BACKLOG) > 0, Or(rx_dropping(), qlen(BACKLOG) > NETDEV_MAX_BACKLOG))
_HANDOFF = guarantee(
    "rx.handoff", "the buffer belongs to the kernel (free = 1): the driver must not touch it "
    "again", (b,), And(skb_owner.post(b) == KERNEL, skb_free.post(b) == 1),
    cite(("RX-5", K(f"{_DEV} netif_rx")), ("SKB-13", A1)))

NETIF_RX = operation(
    "netif_rx", "the driver passes a received frame up; the buffer is the kernel's from now on",
    (c, b),
    (bind(CALLER_LOADED, c), bind(SKB_ALIVE, b), bind(SKB_OWNED, c, b),
     bind(SKB_UNQUEUED_FREE, b), bind(RX_DEV, b), bind(RX_PROTO, b), bind(RX_UNLOCKED, b)),
    (case("netif_rx.queued", "the frame joins the backlog, owned by the kernel, free 1",
          And(~_busy, skb_lock(b) == 0),
          (_back_g, _HANDOFF,
           guarantee("rx.accepting", "netif_rx is not in dropping mode after queueing (an "
                     "empty backlog ends it)", (), ~rx_dropping.post(),
                     cite(("RX-5", K(f"{_DEV} netif_rx")),))),
          (*_back_f, at(skb_owner, b), at(skb_free, b), at(rx_dropping))),
     case("netif_rx.dropped", "dropping mode (backlog over 300): the frame, handed to the "
          "kernel all the same, is freed", And(_busy, skb_lock(b) == 0),
          (_HANDOFF, _rxdrop_g,
           guarantee("rx.dropping", "netif_rx stays in dropping mode", (), rx_dropping.post(),
                     cite(("RX-5", K(f"{_DEV} netif_rx")),))),
          (*_rxdrop_f, at(skb_owner, b), at(skb_free, b), at(rx_dropping)))),
    cite(("RX-5", K(f"{_DEV} netif_rx")), ("RX-1", K(_SKEL))),
    "void netif_rx(struct sk_buff *skb)",
)

_bh_g, _bh_f = dequeue(BACKLOG, b)
_bhfree_g, _bhfree_f = release(b)
NET_BH = operation(
    "net_bh", "the bottom half takes the first backlog frame for the protocols (kernel side)",
    (b,), (),
    (case("net_bh.idle", "the backlog is empty: dropping mode ends", qlen(BACKLOG) == 0,
          (guarantee("rx.bh.resume", "netif_rx accepts frames again", (), ~rx_dropping.post(),
                     cite(("RX-5", K(f"{_DEV} net_bh")),)),), (at(rx_dropping),)),
     case("net_bh.deliver", "the first frame leaves the backlog (the protocols own it)",
          And(qlen(BACKLOG) > 0, b == q_at(BACKLOG, q_lo(BACKLOG))), (_bh_g,), _bh_f),
     case("net_bh.discard", "the first frame leaves the backlog and, with no handler for "
          "its protocol, is freed",
          And(qlen(BACKLOG) > 0, b == q_at(BACKLOG, q_lo(BACKLOG)), skb_lock(b) == 0),
          (_bh_g, _bhfree_g), (*_bh_f, *_bhfree_f))),
    cite(("RX-5", K(f"{_DEV} net_bh")), ("RX-4", K(_DEV))),
    "static void net_bh(void *unused)",
)

FRAME_LEN = obligation(
    "rx.eth.header", "eth_type_trans is given a device (never NULL: 2.0 dereferences it) and "
    "a frame holding at least its link header (hard_header_len, 14 after ether_setup)", (b, d),
    And(d != null(DEV), dev_hhlen(d) >= 0, skb_len(b) >= dev_hhlen(d)),
    cite(("RX-4", K("net/ethernet/eth.c eth_type_trans")),),
    "eth_type_trans on buffer {b} shorter than the link header of device {d}")

ETH_TYPE_TRANS = operation(
    "eth_type_trans", "pull the Ethernet header and return the frame's protocol", (c, b, d, ret),
    (bind(CALLER_LOADED, c), bind(SKB_ALIVE, b), bind(SKB_OWNED, c, b), bind(FRAME_LEN, b, d)),
    (case("eth_type_trans.ok", "data moves past the header; a non-zero protocol is returned",
          ret > 0,
          (guarantee("rx.eth.pulled", "the link header is pulled: data' = data + "
                     "hard_header_len, len' = len − hard_header_len", (b, d),
                     And(skb_data.post(b) == skb_data(b) + dev_hhlen(d),
                         skb_len.post(b) == skb_len(b) - dev_hhlen(d)),
                     cite(("RX-4", K("net/ethernet/eth.c eth_type_trans")),)),),
          (at(skb_data, b), at(skb_len, b)), ret="protocol"),),
    cite(("RX-4", K("net/ethernet/eth.c eth_type_trans")),),
    "unsigned short eth_type_trans(struct sk_buff *skb, struct device *dev)",
)

SKB_SET_RX = operation(
    "skb_set_rx", "the driver writes skb->dev and skb->protocol on a received frame",
    (c, b, dv, proto),
    (bind(CALLER_LOADED, c), bind(SKB_ALIVE, b), bind(SKB_OWNED, c, b)),
    (case("skb_set_rx.ok", "the fields hold the written values", And(),
          (guarantee("rx.fields.effect", "skb->dev and skb->protocol hold the written values",
                     (b, dv, proto), And(skb_dev.post(b) == dv, skb_proto.post(b) == proto),
                     cite(("RX-3", K(_SKEL)), ("RX-4", K(_SKEL)))),),
          (at(skb_dev, b), at(skb_proto, b))),),
    cite(("RX-3", K(_SKEL)), ("RX-4", K("net/ethernet/eth.c"))),
    "skb->dev = dev; skb->protocol = eth_type_trans(skb, dev);",
)

OPERATIONS: tuple[Operation, ...] = (DEV_QUEUE_XMIT, HARD_START_XMIT, XMIT_RETURN, DEV_TINT,
                                     NETIF_RX, NET_BH, ETH_TYPE_TRANS, SKB_SET_RX)

del QUEUE
