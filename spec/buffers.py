"""sk_buff geometry, allocation, freeing, clones and queues (api-facts SKB and Q)."""

from __future__ import annotations

from netdevspec.spec._build import (
    A1,
    K,
    at,
    bind,
    case,
    cite,
    guarantee,
    guarantee_rule,
    invariant,
    obligation,
    operation,
    whole,
)
from netdevspec.spec.common import (
    CALLER_LOADED,
    Q_OWNED,
    SKB_ALIVE,
    SKB_OWNED,
    SKB_UNQUEUED_FREE,
    b,
    b2,
    c,
    h,
    k,
    n,
    q,
    ret,
    x,
)
from netdevspec.spec.logic import BOOL, And, Expr, Forall, Implies, Ite, Var, null
from netdevspec.spec.rules import Citation, Frame, Operation, Rule, Use
from netdevspec.spec.vocabulary import (
    BACKLOG,
    BLK,
    DEV_ALLOC_SKB_HEADROOM,
    KERNEL,
    QUEUE,
    SKB,
    blk_at,
    blk_end,
    blk_head,
    blk_live,
    blk_refs,
    loaded,
    q_at,
    q_dev,
    q_hi,
    q_init,
    q_lo,
    q_owner,
    qlen,
    shared,
    skb_alive,
    skb_blk,
    skb_data,
    skb_dev,
    skb_end,
    skb_ever,
    skb_free,
    skb_head,
    skb_len,
    skb_list,
    skb_lock,
    skb_owner,
    skb_pos,
    skb_proto,
    skb_queued,
    skb_ref,
    skb_tail,
)

_SKBH = "include/linux/skbuff.h"
_SKBC = "net/core/skbuff.c"
qv = Var("qv", QUEUE)
kv = Var("kv", BLK)

# -- invariants ---------------------------------------------------------------------------

GEOMETRY = invariant(
    "skb.geometry",
    "every live buffer has head ≤ data ≤ tail ≤ end and len = tail − data",
    Forall(x, Implies(skb_alive(x), And(
        skb_head(x) <= skb_data(x), skb_data(x) <= skb_tail(x), skb_tail(x) <= skb_end(x),
        skb_len(x) == skb_tail(x) - skb_data(x), skb_head(x) >= 0))),
    cite(("SKB-1", K(f"{_SKBC} skb_check")), ("SKB-2", K(_SKBH))),
)

LIFECYCLE = invariant(
    "skb.lifecycle",
    "a live buffer was allocated, has an owner that is loaded, a free flag in 0..3 and a "
    "lock count ≥ 0; NULL is never live",
    And(~skb_alive(null(SKB)), Forall(x, Implies(skb_alive(x), And(
        skb_ever(x), skb_owner(x) != null(skb_owner.result), loaded(skb_owner(x)),
        skb_free(x) >= 0, skb_free(x) <= 3, skb_lock(x) >= 0)))),
    cite(("SKB-12", K(f"{_SKBC} skb_check")), ("SKB-13", A1), ("SKB-14", K(_SKBC))),
)

CLONE_AREA = invariant(
    "skb.clone.area",
    "a live buffer points into a live data area whose bounds are its head and end, and is "
    "listed among that area's references",
    Forall(x, Implies(skb_alive(x), And(
        blk_live(skb_blk(x)), skb_head(x) == blk_head(skb_blk(x)),
        skb_end(x) == blk_end(skb_blk(x)), skb_ref(x) >= 0,
        skb_ref(x) < blk_refs(skb_blk(x)), blk_at(skb_blk(x), skb_ref(x)) == x))),
    cite(("SKB-15", K(f"{_SKBC} skb_clone")), ("SKB-11", K(f"{_SKBC} kfree_skbmem"))),
)

CLONE_REFS = invariant(
    "skb.clone.refs",
    "a live data area's reference count is exactly the number of live buffers sharing it, "
    "so the data goes when the last reference goes",
    And(~blk_live(null(BLK)), Forall(kv, Implies(blk_live(kv), And(
        blk_refs(kv) >= 1,
        Forall(n, And(skb_alive(blk_at(kv, n)), skb_blk(blk_at(kv, n)) == kv,
                      skb_ref(blk_at(kv, n)) == n), within=(0, blk_refs(kv)))))))
    ,
    cite(("SKB-11", K(f"{_SKBC} kfree_skbmem")), ("SKB-15", A1), ("SKB-17", K(_SKBH))),
)

Q_MEMBER = invariant(
    "queue.member",
    "a queued buffer is live, on exactly one initialised queue, at a position inside it, "
    "and owned by that queue's owner (so it is never freed or touched while queued)",
    Forall(x, Implies(skb_queued(x), And(
        skb_alive(x), skb_list(x) != null(QUEUE), q_init(skb_list(x)),
        q_lo(skb_list(x)) <= skb_pos(x),
        skb_pos(x) < q_hi(skb_list(x)), q_at(skb_list(x), skb_pos(x)) == x,
        skb_owner(x) == q_owner(skb_list(x))))),
    cite(("Q-7", K(_SKBH)), ("Q-2", A1), ("HAZ-9", K(f"{_SKBC} kfree_skb"))),
)

Q_SLOTS = invariant(
    "queue.slots",
    "every position of a queue holds a buffer that is queued there, so qlen equals the "
    "number of elements; an uninitialised queue is empty",
    Forall(qv, And(q_lo(qv) <= q_hi(qv), Implies(~q_init(qv), qlen(qv) == 0),
                   Forall(n, And(skb_queued(q_at(qv, n)), skb_list(q_at(qv, n)) == qv,
                                 skb_pos(q_at(qv, n)) == n), within=(q_lo(qv), q_hi(qv))))),
    cite(("Q-7", K(_SKBH)), ("Q-1", K(_SKBH))),
)

INVARIANTS: tuple[Rule, ...] = (GEOMETRY, LIFECYCLE, CLONE_AREA, CLONE_REFS, Q_MEMBER, Q_SLOTS)

# -- shared effects -----------------------------------------------------------------------------


_kb, _pb = skb_blk(b), skb_ref(b)
_last = blk_at(_kb, blk_refs(_kb) - 1)
RELEASE = guarantee_rule(
    "skb.free.release",
    "freeing a buffer ends its life and drops one reference to its data area, which is freed "
    "with the last reference (the last reference moves into the freed slot, so the count stays "
    "exact)",
    (b,),
    And(~skb_alive.post(b), blk_refs.post(_kb) == blk_refs(_kb) - 1,
        blk_live.post(_kb) == (blk_refs(_kb) > 1),
        # The slot beyond the new count is garbage: pin it only when another buffer moves.
        Implies(_last != b, And(blk_at.post(_kb, _pb) == _last, skb_ref.post(_last) == _pb))),
    cite(("SKB-11", K(f"{_SKBC} kfree_skbmem")), ("SKB-12", K(f"{_SKBC} skb_check"))),
)


def release(be: Expr) -> tuple[Use, tuple[Frame, ...]]:
    """``be`` is actually freed: the guarantee and its frame."""
    kb, p = skb_blk(be), skb_ref(be)
    last = blk_at(kb, blk_refs(kb) - 1)
    return RELEASE.at(be), (at(skb_alive, be), at(blk_refs, kb), at(blk_live, kb),
                            at(blk_at, kb, p), at(skb_ref, last))


TAIL = guarantee_rule(
    "queue.tail.effect",
    "the buffer becomes the last element of the queue and qlen grows by one", (q, b),
    And(q_at.post(q, q_hi(q)) == b, q_hi.post(q) == q_hi(q) + 1, skb_queued.post(b),
        skb_list.post(b) == q, skb_pos.post(b) == q_hi(q)),
    cite(("Q-2", K(f"{_SKBH} skb_queue_tail")), ("ART-1", A1)),
)

HEAD = guarantee_rule(
    "queue.head.effect",
    "the buffer becomes the first element of the queue and qlen grows by one", (q, b),
    And(q_at.post(q, q_lo(q) - 1) == b, q_lo.post(q) == q_lo(q) - 1, skb_queued.post(b),
        skb_list.post(b) == q, skb_pos.post(b) == q_lo(q) - 1),
    cite(("Q-2", K(f"{_SKBH} skb_queue_head")),),
)

DEQUEUE = guarantee_rule(
    "queue.dequeue.effect",
    "the first element leaves the queue and qlen shrinks by one", (q, b),
    And(q_lo.post(q) == q_lo(q) + 1, ~skb_queued.post(b)),
    cite(("Q-3", K(f"{_SKBH} skb_dequeue")), ("ART-1", A1)),
)


def enqueue_tail(qe: Expr, be: Expr) -> tuple[Use, tuple[Frame, ...]]:
    """``be`` goes to the tail of ``qe``: the guarantee and its frame."""
    return TAIL.at(qe, be), (at(q_at, qe, q_hi(qe)), at(q_hi, qe), at(skb_queued, be),
                             at(skb_list, be), at(skb_pos, be))


def enqueue_head(qe: Expr, be: Expr) -> tuple[Use, tuple[Frame, ...]]:
    """``be`` goes to the head of ``qe``: the guarantee and its frame."""
    lo1 = q_lo(qe) - 1
    return HEAD.at(qe, be), (at(q_at, qe, lo1), at(q_lo, qe), at(skb_queued, be),
                             at(skb_list, be), at(skb_pos, be))


def dequeue(qe: Expr, be: Expr) -> tuple[Use, tuple[Frame, ...]]:
    """The first element ``be`` of ``qe`` leaves it: the guarantee and its frame."""
    return DEQUEUE.at(qe, be), (at(q_lo, qe), at(skb_queued, be))


# -- allocation -----------------------------------------------------------------------------------


def new_buffer(rid: str, statement: str, bv: Var, kv_: Var, head: Expr, size: Expr | int,
               data: Expr, length: Expr | int, owner: Expr, free: int,
               cites: tuple[Citation, ...], extra_params: tuple[Var, ...] = (),
               dev: Expr | None = None, fresh_fields: bool = True,
               ) -> tuple[Use, tuple[Frame, ...]]:
    """The effect of a fresh buffer ``bv`` over a fresh data area ``kv_``.

    A fresh allocation has no device and no protocol; a copy (``fresh_fields`` False)
    takes the original's device (``dev``) and leaves the protocol unspecified (2.0 does
    not set it; SKB-16 says nothing of it).
    """
    header = (And(skb_dev.post(bv) == null(skb_dev.result), skb_proto.post(bv) == 0)
              if fresh_fields else And(skb_dev.post(bv) == dev))
    g = guarantee(
        rid, statement, (bv, kv_, *extra_params),
        And(header, skb_ever.post(bv), skb_alive.post(bv), skb_head.post(bv) == head,
            skb_data.post(bv) == data, skb_tail.post(bv) == data + length,
            skb_end.post(bv) == head + size, skb_len.post(bv) == length,
            skb_owner.post(bv) == owner, skb_free.post(bv) == free, skb_lock.post(bv) == 0,
            skb_queued.post(bv) == False,  # noqa: E712
            skb_blk.post(bv) == kv_, skb_ref.post(bv) == 0,
            blk_live.post(kv_), blk_refs.post(kv_) == 1, blk_head.post(kv_) == head,
            blk_end.post(kv_) == head + size, blk_at.post(kv_, 0) == bv),
        cites,
    )
    frames = tuple(at(s, bv) for s in (skb_ever, skb_alive, skb_head, skb_data, skb_tail,
                                       skb_end, skb_len, skb_owner, skb_free, skb_lock,
                                       skb_queued, skb_dev, skb_proto, skb_blk, skb_ref))
    frames += tuple(at(s, kv_) for s in (blk_live, blk_refs, blk_head, blk_end))
    frames += (at(blk_at, kv_, 0),)
    return g, frames


def fresh(bv: Var, kv_: Var) -> Expr:
    """The kernel picks a never-used buffer identity and a free data area."""
    return And(bv != null(SKB), ~skb_ever(bv), kv_ != null(BLK), ~blk_live(kv_))


SIZE_OK = obligation(
    "skb.alloc.size", "a buffer is allocated with a size ≥ 0", (n,), n >= 0,
    cite(("SKB-3", K(f"{_SKBC} alloc_skb"))), "alloc_skb was asked for {n} bytes")

_alloc_g, _alloc_f = new_buffer(
    "skb.alloc.new",
    "alloc_skb returns a new empty buffer owned by the caller: head = data = tail, "
    "end = head + size, len 0, free flag 2 (unset), unlocked, on no queue",
    b, k, h, n, h, 0, c, 2, cite(("SKB-3", K(f"{_SKBC} alloc_skb")), ("ART-2", A1)), (c, h, n))

atomic = Var("atomic", BOOL)
in_irq = Var("in_irq", BOOL)
ATOMIC_IN_IRQ = obligation(
    "skb.alloc.atomic", "in interrupt context (an interrupt handler or the bottom half) a "
    "buffer is allocated with GFP_ATOMIC: the allocator must not sleep there",
    (atomic, in_irq), Implies(in_irq, atomic),
    cite(("SKB-3", K(f"{_SKBC} alloc_skb")), ("CB-21", K(_SKBC))),
    "alloc_skb without GFP_ATOMIC in interrupt context")

ALLOC_SKB = operation(
    "alloc_skb", "allocate a buffer of size bytes (may fail); ``atomic``: the priority is "
    "GFP_ATOMIC, ``in_irq``: the caller runs in interrupt context", (c, n, atomic, in_irq,
                                                                    b, k, h),
    (bind(CALLER_LOADED, c), bind(SIZE_OK, n), bind(ATOMIC_IN_IRQ, atomic, in_irq)),
    (
        case("alloc_skb.fail", "no memory: returns NULL, nothing changes", And(), ret="NULL"),
        case("alloc_skb.ok", "returns a fresh buffer b over a fresh area k at address h",
             And(fresh(b, k), h >= 0), (_alloc_g,), _alloc_f, ret="b"),
    ),
    cite(("SKB-3", K(f"{_SKBC} alloc_skb")), ("ART-2", A1)),
    "struct sk_buff *alloc_skb(unsigned int size, int priority)",
)

_devalloc_g, _devalloc_f = new_buffer(
    "skb.dev_alloc.new",
    "dev_alloc_skb returns a new empty buffer with 16 bytes of headroom and at least n "
    "bytes of tailroom",
    b, k, h, n + DEV_ALLOC_SKB_HEADROOM, h + DEV_ALLOC_SKB_HEADROOM, 0, c, 2,
    cite(("SKB-9", K(f"{_SKBC} dev_alloc_skb")), ("RX-1", K("drivers/net/skeleton.c"))), (c, h, n))

DEV_ALLOC_SKB = operation(
    "dev_alloc_skb", "allocate a receive buffer (GFP_ATOMIC, 16 bytes headroom)", (c, n, b, k, h),
    (bind(CALLER_LOADED, c), bind(SIZE_OK, n)),
    (
        case("dev_alloc_skb.fail", "no memory: returns NULL", And(), ret="NULL"),
        case("dev_alloc_skb.ok", "returns a fresh buffer with headroom 16",
             And(fresh(b, k), h >= 0), (_devalloc_g,), _devalloc_f, ret="b"),
    ),
    cite(("SKB-9", K(f"{_SKBC} dev_alloc_skb")), ("RX-1", K("drivers/net/skeleton.c"))),
    "struct sk_buff *dev_alloc_skb(unsigned int length)",
)

# -- geometry -------------------------------------------------------------------------------------

N_NONNEG = obligation("skb.length.nonneg", "a length argument is ≥ 0", (n,), n >= 0,
                      cite(("SKB-4", K(_SKBH)), ("SKB-5", K(_SKBH)), ("SKB-6", K(_SKBH))),
                      "a negative length {n} was passed")

WRITE_UNSHARED = obligation(
    "skb.clone.readonly",
    "a buffer whose data area is shared with a clone is read-only: no skb_put or skb_push",
    (b,), ~shared(b),
    cite(("SKB-15", A1), ("ART-4", A1)),
    "buffer {b} shares its data with a clone, so it must not be written (use skb_copy)",
)

PUT_BOUNDS = obligation(
    "skb.put.bounds", "skb_put(b, n) needs tail + n ≤ end", (b, n),
    skb_tail(b) + n <= skb_end(b),
    cite(("SKB-4", K(f"{_SKBH} skb_put")), ("SKB-1", K(f"{_SKBC} skb_check"))),
    "skb_put({b}, {n}) would move tail past end (2.0 panics: skput:over)")

_USE = (bind(CALLER_LOADED, c), bind(SKB_ALIVE, b), bind(SKB_OWNED, c, b))

SKB_DATA = operation(
    "skb_data", "the caller reads or writes a buffer's bytes (memcpy to or from skb->data)",
    (c, b), _USE,
    (case("skb_data.ok", "the bytes change; no state the spec models does", And()),),
    cite(("SKB-13", A1), ("RX-5", K("net/core/dev.c netif_rx"))),
    "memcpy(skb->data, ...), eth_copy_and_sum(skb, ...), insw(ioaddr, skb->data, ...)",
)

addr = Var("addr", n.sort)

DATA_BOUNDS = obligation(
    "skb.data.bounds",
    "a copy into or out of a buffer's memory (memcpy to skb->data, eth_copy_and_sum, insw "
    "into the area skb_put returned) stays inside its data area: head ≤ addr and "
    "addr + n ≤ end, with n ≥ 0",
    (b, addr, n),
    # A freed buffer's area is gone: using it is skb.use.alive's finding, not this one's.
    Implies(skb_alive(b), And(n >= 0, skb_head(b) <= addr, addr + n <= skb_end(b))),
    cite(("SKB-1", K(f"{_SKBC} skb_check")), ("SKB-4", K(f"{_SKBH} skb_put")),
         ("SKB-2", K(_SKBH))),
    "a copy of {n} bytes at {addr} reaches outside the data area of buffer {b} (it "
    "overwrites or reads memory that is not the buffer's)")

SKB_WRITE = operation(
    "skb_write", "the caller copies n bytes into a buffer's memory at address addr (memcpy to "
    "skb->data, eth_copy_and_sum, insw into the area skb_put returned)", (c, b, addr, n),
    (*_USE, bind(DATA_BOUNDS, b, addr, n), bind(WRITE_UNSHARED, b)),
    (case("skb_write.ok", "the bytes change; no state the spec models does", And()),),
    cite(("SKB-15", A1), ("ART-4", A1), ("SKB-4", K(f"{_SKBH} skb_put"))),
    "void *memcpy(void *to, const void *from, size_t n)  /* to inside skb's data area */",
)

SKB_READ = operation(
    "skb_read", "the caller copies n bytes out of a buffer's memory at address addr (memcpy "
    "from skb->data, outsw of a frame being transmitted); a clone may be read",
    (c, b, addr, n), (*_USE, bind(DATA_BOUNDS, b, addr, n)),
    (case("skb_read.ok", "nothing changes", And()),),
    cite(("SKB-15", A1), ("ART-4", A1), ("SKB-2", K(_SKBH))),
    "void *memcpy(void *to, const void *from, size_t n)  /* from inside skb's data area */",
)

SKB_PUT = operation(
    "skb_put", "add n bytes of data at the tail; returns the old tail", (c, b, n, ret),
    (*_USE, bind(N_NONNEG, n), bind(PUT_BOUNDS, b, n), bind(WRITE_UNSHARED, b)),
    (case("skb_put.ok", "tail and len grow by n; returns the first byte of the new area",
          ret == skb_tail(b),
          (guarantee("skb.put.effect", "tail' = tail + n, len' = len + n, data unchanged",
                     (b, n), And(skb_tail.post(b) == skb_tail(b) + n,
                                 skb_len.post(b) == skb_len(b) + n),
                     cite(("SKB-4", K(f"{_SKBH} skb_put")), ("ART-2", A1))),),
          (at(skb_tail, b), at(skb_len, b)), ret="old tail"),),
    cite(("SKB-4", K(f"{_SKBH} skb_put"))),
    "unsigned char *skb_put(struct sk_buff *skb, int len)",
)

PUSH_BOUNDS = obligation(
    "skb.push.bounds", "skb_push(b, n) needs data − n ≥ head", (b, n),
    skb_data(b) - n >= skb_head(b),
    cite(("SKB-5", K(f"{_SKBH} skb_push")), ("SKB-1", K(f"{_SKBC} skb_check"))),
    "skb_push({b}, {n}) would move data below head (2.0 panics: skpush:under)")

SKB_PUSH = operation(
    "skb_push", "add n bytes of data at the front, into the headroom", (c, b, n, ret),
    (*_USE, bind(N_NONNEG, n), bind(PUSH_BOUNDS, b, n), bind(WRITE_UNSHARED, b)),
    (case("skb_push.ok", "data moves down by n and len grows by n; returns the new data",
          ret == skb_data(b) - n,
          (guarantee("skb.push.effect", "data' = data − n, len' = len + n", (b, n),
                     And(skb_data.post(b) == skb_data(b) - n, skb_len.post(b) == skb_len(b) + n),
                     cite(("SKB-5", K(f"{_SKBH} skb_push")))),),
          (at(skb_data, b), at(skb_len, b)), ret="new data"),),
    cite(("SKB-5", K(f"{_SKBH} skb_push"))),
    "unsigned char *skb_push(struct sk_buff *skb, int len)",
)

SKB_PULL = operation(
    "skb_pull", "remove n bytes from the front (returns NULL if n > len)", (c, b, n),
    (*_USE, bind(N_NONNEG, n)),
    (case("skb_pull.null", "n > len: returns NULL and changes nothing", n > skb_len(b),
          ret="NULL"),
     case("skb_pull.ok", "data moves up by n, len shrinks by n; returns the new data",
          n <= skb_len(b),
          (guarantee("skb.pull.effect", "data' = data + n, len' = len − n", (b, n),
                     And(skb_data.post(b) == skb_data(b) + n, skb_len.post(b) == skb_len(b) - n),
                     cite(("SKB-6", K(f"{_SKBH} skb_pull")))),),
          (at(skb_data, b), at(skb_len, b)), ret="new data")),
    cite(("SKB-6", K(f"{_SKBH} skb_pull"))),
    "unsigned char *skb_pull(struct sk_buff *skb, int len)",
)

RESERVE_EMPTY = obligation(
    "skb.reserve.empty", "skb_reserve is used only on an empty buffer (len = 0)", (b,),
    skb_len(b) == 0,
    cite(("SKB-7", A1), ("HAZ-10", K(_SKBH)), ("RX-2", K("drivers/net/3c501.c"))),
    "skb_reserve({b}, ...) on a buffer that already holds data")
RESERVE_BOUNDS = obligation(
    "skb.reserve.bounds", "skb_reserve(b, n) needs tail + n ≤ end", (b, n),
    skb_tail(b) + n <= skb_end(b),
    cite(("SKB-7", K(_SKBH)), ("HAZ-10", K(_SKBH))),
    "skb_reserve({b}, {n}) would move tail past end (sk_res: over)")

SKB_RESERVE = operation(
    "skb_reserve", "make n bytes of headroom in an empty buffer", (c, b, n),
    (*_USE, bind(N_NONNEG, n), bind(RESERVE_EMPTY, b), bind(RESERVE_BOUNDS, b, n)),
    (case("skb_reserve.ok", "data and tail both move up by n",
          And(),
          (guarantee("skb.reserve.effect", "data' = data + n, tail' = tail + n", (b, n),
                     And(skb_data.post(b) == skb_data(b) + n, skb_tail.post(b) == skb_tail(b) + n),
                     cite(("SKB-7", K(_SKBH)))),),
          (at(skb_data, b), at(skb_tail, b))),),
    cite(("SKB-7", A1)),
    "void skb_reserve(struct sk_buff *skb, int len)",
)

SKB_TRIM = operation(
    "skb_trim", "cut the data to n bytes (never grows it)", (c, b, n),
    (*_USE, bind(N_NONNEG, n)),
    (case("skb_trim.noop", "len ≤ n: nothing changes", skb_len(b) <= n),
     case("skb_trim.shrink", "len > n: len' = n and tail' = data + n", skb_len(b) > n,
          (guarantee("skb.trim.effect", "len' = n, tail' = data + n", (b, n),
                     And(skb_len.post(b) == n, skb_tail.post(b) == skb_data(b) + n),
                     cite(("SKB-8", K(_SKBH)))),),
          (at(skb_len, b), at(skb_tail, b)))),
    cite(("SKB-8", K(f"{_SKBH} skb_trim"))),
    "void skb_trim(struct sk_buff *skb, int len)",
)

SKB_HEADROOM = operation(
    "skb_headroom", "bytes free before data", (c, b, ret), _USE,
    (case("skb_headroom.ok", "returns data − head; changes nothing",
          ret == skb_data(b) - skb_head(b), ret="data − head"),),
    cite(("SKB-2", K(_SKBH))), "int skb_headroom(struct sk_buff *skb)")

SKB_TAILROOM = operation(
    "skb_tailroom", "bytes free after tail", (c, b, ret), _USE,
    (case("skb_tailroom.ok", "returns end − tail; changes nothing",
          ret == skb_end(b) - skb_tail(b), ret="end − tail"),),
    cite(("SKB-2", K(_SKBH))), "int skb_tailroom(struct sk_buff *skb)")

# -- freeing --------------------------------------------------------------------------------------

_rel_g, _rel_f = release(b)
_FREE_USE = (*_USE, bind(SKB_UNQUEUED_FREE, b))

FLAG_SET = obligation(
    "skb.free.flag_set",
    "a buffer freed with kfree_skb has its free flag set (0 or 1, or 3 once deferred): 2.0.1 "
    "warns \"nobody set the free flag\" for 2, the value alloc_skb leaves",
    (b,), skb_free(b) != 2,
    cite(("SKB-10", K(f"{_SKBC} kfree_skb")), ("SKB-13", A1)),
    "buffer {b} was freed with kfree_skb while its free flag was still unset (2): set "
    "skb->free first, or release a frame with dev_kfree_skb")

KFREE_SKB = operation(
    "kfree_skb", "free a buffer (deferred while a device holds it locked)", (c, b),
    _FREE_USE,
    (case("kfree_skb.deferred", "locked by a device: free flag 3, freed when unlocked; the "
          "caller loses the buffer", skb_lock(b) > 0,
          (guarantee("skb.free.deferred", "the free is recorded (free = 3) and the buffer "
                     "passes to the kernel until the device unlocks it", (b,),
                     And(skb_free.post(b) == 3, skb_owner.post(b) == KERNEL),
                     cite(("SKB-10", K(f"{_SKBC} kfree_skb")), ("SKB-13", A1))),),
          (at(skb_free, b), at(skb_owner, b))),
     case("kfree_skb.ok", "unlocked: the buffer is freed", skb_lock(b) == 0,
          (_rel_g,), _rel_f, obligations=(bind(FLAG_SET, b),))),
    cite(("SKB-10", K(f"{_SKBC} kfree_skb")), ("SKB-12", K(_SKBC))),
    "void kfree_skb(struct sk_buff *skb, int rw)",
)

DEV_KFREE_SKB = operation(
    "dev_kfree_skb", "a driver releases a buffer: unlock, then free if the free flag allows",
    (c, b), _FREE_USE,
    (case("dev_kfree_skb.free", "after unlocking, lock is 0 and free is 1 or 3: freed",
          And(skb_lock(b) <= 1, (skb_free(b) == 1) | (skb_free(b) == 3)),
          (guarantee("skb.dev_free.unlock", "the device lock is dropped first (lock' = 0)",
                     (b,), skb_lock.post(b) == 0,
                     cite(("SKB-14", K(f"{_SKBC} dev_kfree_skb")),)), _rel_g),
          (*_rel_f, at(skb_lock, b))),
     case("dev_kfree_skb.keep", "still locked, or free is 0 or 2: unlocked once and given "
          "back to the kernel (its owner keeps it)",
          ~And(skb_lock(b) <= 1, (skb_free(b) == 1) | (skb_free(b) == 3)),
          (guarantee("skb.dev_free.keep", "lock drops by one (not below 0) and the buffer "
                     "goes back to the kernel", (b,),
                     And(skb_lock.post(b) == Ite(skb_lock(b) > 0, skb_lock(b) - 1, 0),
                         skb_owner.post(b) == KERNEL),
                     cite(("SKB-14", K(f"{_SKBC} dev_kfree_skb")), ("SKB-13", A1))),),
          (at(skb_lock, b), at(skb_owner, b)))),
    cite(("SKB-14", K(f"{_SKBC} dev_kfree_skb")), ("CB-4", K("drivers/net/skeleton.c"))),
    "void dev_kfree_skb(struct sk_buff *skb, int mode)",
)

FREE_FLAG = obligation(
    "skb.free.flag", "a driver sets skb->free only to 0 (keep) or 1 (free after use)",
    (n,), (n == 0) | (n == 1), cite(("SKB-13", A1), ("SKB-3", A1)),
    "skb->free was set to {n}")

SKB_SET_FREE = operation(
    "skb_set_free", "the caller writes skb->free (as alloc_skb expects it to)", (c, b, n),
    (*_USE, bind(FREE_FLAG, n)),
    (case("skb_set_free.ok", "free' = n", And(),
          (guarantee("skb.set_free.effect", "free' = n", (b, n), skb_free.post(b) == n,
                     cite(("SKB-3", A1))),), (at(skb_free, b),)),),
    cite(("SKB-13", A1)), "skb->free = n;")

LOCK_SINGLE = obligation(
    "skb.lock.single",
    "skb_device_lock is used on a buffer that is not device-locked yet: 2.0.1 logs \"double "
    "lock on device queue\" (the lock counts one holder: the device that is sending it)",
    (b,), skb_lock(b) == 0,
    cite(("SKB-14", K(f"{_SKBC} skb_device_lock")),),
    "buffer {b} is already device-locked (double lock on device queue)")

SKB_DEVICE_LOCK = operation(
    "skb_device_lock", "lock a buffer for a device (as dev_queue_xmit does before "
    "hard_start_xmit)", (c, b),
    (bind(CALLER_LOADED, c), bind(SKB_ALIVE, b), bind(LOCK_SINGLE, b)),
    (case("skb_device_lock.ok", "the lock count grows by one", And(),
          (guarantee("skb.lock.effect", "lock' = lock + 1", (b,),
                     skb_lock.post(b) == skb_lock(b) + 1,
                     cite(("SKB-14", K(f"{_SKBC} skb_device_lock")),)),),
          (at(skb_lock, b),)),),
    cite(("SKB-14", K(f"{_SKBC} skb_device_lock")),),
    "void skb_device_lock(struct sk_buff *skb)",
)

# -- clones and copies ---------------------------------------------------------------------------

CLONE_G = guarantee(
    "skb.clone.effect",
    "the clone is a new live buffer owned by the caller with the same head/data/tail/end/len, "
    "sharing the data area (one more reference), free 1, unlocked, on no queue",
    (c, b, b2),
    And(skb_ever.post(b2), skb_alive.post(b2), skb_head.post(b2) == skb_head(b),
        skb_data.post(b2) == skb_data(b), skb_tail.post(b2) == skb_tail(b),
        skb_end.post(b2) == skb_end(b), skb_len.post(b2) == skb_len(b),
        skb_owner.post(b2) == c, skb_free.post(b2) == 1, skb_lock.post(b2) == 0,
        skb_dev.post(b2) == skb_dev(b), skb_proto.post(b2) == skb_proto(b),
        skb_blk.post(b2) == skb_blk(b), skb_ref.post(b2) == blk_refs(skb_blk(b)),
        blk_refs.post(skb_blk(b)) == blk_refs(skb_blk(b)) + 1,
        blk_at.post(skb_blk(b), blk_refs(skb_blk(b))) == b2),
    cite(("SKB-15", K(f"{_SKBC} skb_clone")), ("ART-4", A1)),
)

SKB_CLONE = operation(
    "skb_clone", "a new header sharing the same data (read-only)", (c, b, b2),
    _USE,
    (case("skb_clone.fail", "no memory: returns NULL", And(), ret="NULL"),
     case("skb_clone.ok", "returns the clone b2", And(b2 != null(SKB), ~skb_ever(b2)),
          (CLONE_G,),
          (*(at(s, b2) for s in (skb_ever, skb_alive, skb_head, skb_data, skb_tail, skb_end,
                                 skb_len, skb_owner, skb_free, skb_lock, skb_dev, skb_proto,
                                 skb_blk, skb_ref)),
           at(blk_refs, skb_blk(b)), at(blk_at, skb_blk(b), blk_refs(skb_blk(b)))),
          ret="b2")),
    cite(("SKB-15", K(f"{_SKBC} skb_clone"))),
    "struct sk_buff *skb_clone(struct sk_buff *skb, int priority)",
)

_copy_g, _copy_f = new_buffer(
    "skb.copy.effect",
    "the copy is a new, independent, writable buffer of the same size with the same headroom "
    "and length and the same device, owned by the caller, free 1 (its protocol is not set)",
    b2, k, h, skb_end(b) - skb_head(b), h + (skb_data(b) - skb_head(b)), skb_len(b), c, 1,
    cite(("SKB-16", K(f"{_SKBC} skb_copy")), ("ART-4", A1)), (c, h, b),
    dev=skb_dev(b), fresh_fields=False)

SKB_COPY = operation(
    "skb_copy", "a new buffer with a private copy of the data", (c, b, b2, k, h), _USE,
    (case("skb_copy.fail", "no memory: returns NULL", And(), ret="NULL"),
     case("skb_copy.ok", "returns the copy b2", And(fresh(b2, k), h >= 0), (_copy_g,), _copy_f,
          ret="b2")),
    cite(("SKB-16", K(f"{_SKBC} skb_copy"))),
    "struct sk_buff *skb_copy(struct sk_buff *skb, int priority)",
)

# -- queues ---------------------------------------------------------------------------------------

Q_PRIVATE = obligation(
    "queue.init.private",
    "a driver initialises only its own queues, never a device's transmit queues or the "
    "backlog, and never a queue that still holds buffers",
    (c, q),
    And(q != BACKLOG, q != null(QUEUE), q_dev(q) == null(q_dev.result),
        Implies(q_init(q), And(q_owner(q) == c, qlen(q) == 0))),
    cite(("Q-1", K(f"{_SKBH} skb_queue_head_init")), ("Q-5", A1)),
    "{c} re-initialised queue {q}, which is not its own or still holds buffers")

SKB_QUEUE_HEAD_INIT = operation(
    "skb_queue_head_init", "initialise a queue head (empty, owned by the caller)", (c, q),
    (bind(CALLER_LOADED, c), bind(Q_PRIVATE, c, q)),
    (case("skb_queue_head_init.ok", "the queue is empty and belongs to the caller", And(),
          (guarantee("queue.init.effect", "the queue is initialised, empty, owned by c", (c, q),
                     And(q_init.post(q), q_owner.post(q) == c, q_lo.post(q) == 0,
                         q_hi.post(q) == 0), cite(("Q-1", K(_SKBH)))),),
          (at(q_init, q), at(q_owner, q), at(q_lo, q), at(q_hi, q))),),
    cite(("Q-1", K(f"{_SKBH} skb_queue_head_init"))),
    "void skb_queue_head_init(struct sk_buff_head *list)",
)

UNLINKED = obligation(
    "queue.enqueue.unlinked", "a buffer is put on a queue only when it is on none",
    (b,), ~skb_queued(b),
    cite(("Q-2", K(f"{_SKBH} skb_queue_tail")), ("Q-4", K(_SKBH)), ("Q-7", A1)),
    "buffer {b} is already on a queue (Suspicious queue tail: sk_buff on list!)")

_Q_USE = (*_USE, bind(Q_OWNED, c, q), bind(UNLINKED, b))
_tail_g, _tail_f = enqueue_tail(q, b)

SKB_QUEUE_TAIL = operation(
    "skb_queue_tail", "append a buffer at the tail of a queue", (c, q, b), _Q_USE,
    (case("skb_queue_tail.ok", "b is the new last element", And(), (_tail_g,), _tail_f),),
    cite(("Q-2", K(f"{_SKBH} skb_queue_tail")), ("ART-1", A1)),
    "void skb_queue_tail(struct sk_buff_head *list, struct sk_buff *newsk)",
)


_head_g, _head_f = enqueue_head(q, b)

SKB_QUEUE_HEAD = operation(
    "skb_queue_head", "put a buffer at the head of a queue", (c, q, b), _Q_USE,
    (case("skb_queue_head.ok", "b is the new first element", And(), (_head_g,), _head_f),),
    cite(("Q-2", K(f"{_SKBH} skb_queue_head"))),
    "void skb_queue_head(struct sk_buff_head *list, struct sk_buff *newsk)",
)


_deq_g, _deq_f = dequeue(q, b)
_Q_ONLY = (bind(CALLER_LOADED, c), bind(Q_OWNED, c, q))

SKB_DEQUEUE = operation(
    "skb_dequeue", "take the first buffer off a queue (NULL if empty)", (c, q, b), _Q_ONLY,
    (case("skb_dequeue.empty", "empty queue: returns NULL", And(qlen(q) == 0, b == null(SKB)),
          ret="NULL"),
     case("skb_dequeue.ok", "returns the first buffer, now on no queue",
          And(qlen(q) > 0, b == q_at(q, q_lo(q))), (_deq_g,), _deq_f, ret="b")),
    cite(("Q-3", K(f"{_SKBH} skb_dequeue"))),
    "struct sk_buff *skb_dequeue(struct sk_buff_head *list)",
)

SKB_PEEK = operation(
    "skb_peek", "look at the first buffer without removing it", (c, q, b), _Q_ONLY,
    (case("skb_peek.empty", "empty queue: returns NULL", And(qlen(q) == 0, b == null(SKB)),
          ret="NULL"),
     case("skb_peek.ok", "returns the first buffer; nothing changes",
          And(qlen(q) > 0, b == q_at(q, q_lo(q))), ret="b")),
    cite(("Q-6", K(f"{_SKBH} skb_peek"))),
    "struct sk_buff *skb_peek(struct sk_buff_head *list)",
)

SKB_PEEK_TAIL = operation(
    "skb_peek_tail", "look at the last buffer without removing it", (c, q, b), _Q_ONLY,
    (case("skb_peek_tail.empty", "empty queue: returns NULL",
          And(qlen(q) == 0, b == null(SKB)), ret="NULL"),
     case("skb_peek_tail.ok", "returns the last buffer; nothing changes",
          And(qlen(q) > 0, b == q_at(q, q_hi(q) - 1)), ret="b")),
    cite(("Q-6", "[K22] include/linux/skbuff.h skb_peek_tail (2.0.1 has skb_peek only)"),),
    "struct sk_buff *skb_peek_tail(struct sk_buff_head *list)",
)

ANCHOR = obligation(
    "queue.anchor", "skb_insert/skb_append need an anchor buffer that is on a queue the "
    "caller owns", (c, b), And(skb_queued(b), q_owner(skb_list(b)) == c),
    cite(("Q-4", K(_SKBH)), ("Q-5", A1)),
    "the anchor buffer {b} is on no queue of {c}'s")

_lq = skb_list(b)
_p = skb_pos(b)


# Quantified effects name the post-state at the bare bound variable (at′(q, n) = ...):
# z3 instantiates quantifiers by matching terms, and cannot match at′(q, n + 1).


def _shift_frame(qe: Expr, lo: Expr, hi: Expr) -> Expr:
    """Every position of every queue keeps its buffer, except positions [lo, hi) of ``qe``."""
    qq = Var("qq", QUEUE)
    ii = Var("ii", n.sort)
    inside = And(qq == qe, lo <= ii, ii < hi)
    return Forall(qq, Forall(ii, Implies(~inside, q_at.post(qq, ii) == q_at(qq, ii)),
                             within=(q_lo(qq), q_hi(qq))))


SKB_UNLINK = operation(
    "skb_unlink", "take a buffer off whatever queue it is on (no-op if none)", (c, b),
    (bind(CALLER_LOADED, c), bind(SKB_ALIVE, b)),
    (case("skb_unlink.noop", "on no queue: nothing happens", ~skb_queued(b)),
     case("skb_unlink.ok", "removed; the elements before it move up one position",
          skb_queued(b),
          (guarantee(
              "queue.unlink.effect",
              "the buffer leaves its queue; the order of the others is kept and qlen shrinks "
              "by one", (b,),
              And(~skb_queued.post(b), q_lo.post(_lq) == q_lo(_lq) + 1,
                  Forall(n, q_at.post(_lq, n) == q_at(_lq, n - 1),
                         within=(q_lo(_lq) + 1, _p + 1)),
                  _shift_frame(_lq, q_lo(_lq) + 1, _p + 1),
                  Forall(x, skb_pos.post(x) == Ite(
                      And(skb_queued(x), skb_list(x) == _lq, skb_pos(x) < _p),
                      skb_pos(x) + 1, skb_pos(x)))),
              cite(("Q-5", K(f"{_SKBH} skb_unlink")), ("ART-1", A1))),),
          (at(skb_queued, b), at(q_lo, _lq), whole(q_at), whole(skb_pos)),
          obligations=(bind(ANCHOR, c, b),))),
    cite(("Q-5", K(f"{_SKBH} skb_unlink"))),
    "void skb_unlink(struct sk_buff *skb)",
)

_NEW_USE = (bind(SKB_ALIVE, b2), bind(SKB_OWNED, c, b2), bind(UNLINKED, b2))


def _link(gid: str, statement: str, new_pos: Expr,
          lo_or_hi: str) -> tuple[Use, tuple[Frame, ...]]:
    before = lo_or_hi == "lo"
    bound = q_lo if before else q_hi
    if before:
        moved = Forall(n, q_at.post(_lq, n) == q_at(_lq, n + 1), within=(q_lo(_lq) - 1, _p - 1))
        frame = _shift_frame(_lq, q_lo(_lq) - 1, _p)
        pos = Forall(x, skb_pos.post(x) == Ite(
            And(skb_queued(x), skb_list(x) == _lq, skb_pos(x) < _p), skb_pos(x) - 1, skb_pos(x)))
        bound_eff = q_lo.post(_lq) == q_lo(_lq) - 1
    else:
        moved = Forall(n, q_at.post(_lq, n) == q_at(_lq, n - 1), within=(_p + 2, q_hi(_lq) + 1))
        frame = _shift_frame(_lq, _p + 1, q_hi(_lq) + 1)
        pos = Forall(x, skb_pos.post(x) == Ite(
            And(skb_queued(x), skb_list(x) == _lq, skb_pos(x) > _p), skb_pos(x) + 1,
            Ite(x == b2, new_pos, skb_pos(x))))
        bound_eff = q_hi.post(_lq) == q_hi(_lq) + 1
    if before:
        pos = Forall(x, skb_pos.post(x) == Ite(
            And(skb_queued(x), skb_list(x) == _lq, skb_pos(x) < _p), skb_pos(x) - 1,
            Ite(x == b2, new_pos, skb_pos(x))))
    g = guarantee(gid, statement, (b, b2),
                  And(bound_eff, moved, frame, q_at.post(_lq, new_pos) == b2, pos,
                      skb_queued.post(b2), skb_list.post(b2) == _lq),
                  cite(("Q-4", K(_SKBH)), ("ART-1", A1)))
    return g, (at(bound, _lq), whole(q_at), whole(skb_pos), at(skb_queued, b2),
               at(skb_list, b2))


_ins_g, _ins_f = _link("queue.insert.effect", "b2 is placed just before b; the order of "
                       "the others is kept", _p - 1, "lo")
_app_g, _app_f = _link("queue.append.effect", "b2 is placed just after b; the order of "
                       "the others is kept", _p + 1, "hi")

SKB_INSERT = operation(
    "skb_insert", "place b2 before b on b's queue", (c, b, b2),
    (bind(CALLER_LOADED, c), bind(ANCHOR, c, b), *_NEW_USE),
    (case("skb_insert.ok", "b2 now precedes b", And(), (_ins_g,), _ins_f),),
    cite(("Q-4", K(f"{_SKBH} skb_insert"))),
    "void skb_insert(struct sk_buff *old, struct sk_buff *newsk)",
)

SKB_APPEND = operation(
    "skb_append", "place b2 after b on b's queue", (c, b, b2),
    (bind(CALLER_LOADED, c), bind(ANCHOR, c, b), *_NEW_USE),
    (case("skb_append.ok", "b2 now follows b", And(), (_app_g,), _app_f),),
    cite(("Q-4", K(f"{_SKBH} skb_append"))),
    "void skb_append(struct sk_buff *old, struct sk_buff *newsk)",
)

OPERATIONS: tuple[Operation, ...] = (
    ALLOC_SKB, DEV_ALLOC_SKB, SKB_RESERVE, SKB_PUT, SKB_PUSH, SKB_PULL, SKB_TRIM,
    SKB_HEADROOM, SKB_TAILROOM, KFREE_SKB, DEV_KFREE_SKB, SKB_SET_FREE, SKB_CLONE, SKB_COPY,
    SKB_QUEUE_HEAD_INIT, SKB_QUEUE_TAIL, SKB_QUEUE_HEAD, SKB_DEQUEUE, SKB_PEEK, SKB_PEEK_TAIL,
    SKB_UNLINK,
    SKB_INSERT, SKB_APPEND, SKB_DATA, SKB_WRITE, SKB_READ, SKB_DEVICE_LOCK,
)

