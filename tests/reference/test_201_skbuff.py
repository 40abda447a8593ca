"""Differential tests against Linux 2.0.1's ``net/core/skbuff.c`` and the inline buffer
functions of ``include/linux/skbuff.h`` (the default build, without CONFIG_SKB_CHECK)."""

from __future__ import annotations

import pytest
from linux201 import branch
from netdevspec.reference import (
    FREE_READ,
    FREE_WRITE,
    GFP_KERNEL,
    PACKET_HOST,
    Kernel,
    KernelPanic,
    SkBuffHead,
    Sock,
)
from netdevspec.reference.skbuff import SKB_STRUCT_SIZE

SKBC = "net/core/skbuff.c"
SKBH = "include/linux/skbuff.h"


@branch(f"{SKBC}:677", "alloc_skb", "fresh buffer: empty, free 2, count 1, truesize rounded")
def test_alloc_skb_fields(kernel: Kernel) -> None:
    skb = kernel.alloc_skb(100)
    assert skb is not None
    assert (skb.head, skb.data, skb.tail, skb.end - skb.head, skb.len) == (
        skb.head, skb.head, skb.head, 100, 0)
    assert (skb.free, skb.lock, skb.count, skb.users, skb.sk, skb.list) == (2, 0, 1, 0, None, None)
    assert skb.pkt_type == PACKET_HOST and skb.stamp == 0 and skb.data_skb is None
    assert skb.truesize == 112 + SKB_STRUCT_SIZE
    assert (kernel.net_allocs, kernel.net_skbcount) == (1, 1)


@branch(f"{SKBC}:659", "alloc_skb", "kmalloc fails: NULL, net_fails++")
def test_alloc_skb_failure(kernel: Kernel) -> None:
    kernel.fail_next_alloc()
    assert kernel.alloc_skb(100) is None
    assert (kernel.net_fails, kernel.net_allocs, kernel.net_skbcount) == (1, 0, 0)


@branch(f"{SKBC}:642", "alloc_skb", "non-atomic in interrupt: printed the first 4 times")
def test_alloc_skb_nonatomic_in_interrupt(kernel: Kernel) -> None:
    kernel.intr_count += 1
    for _ in range(6):
        assert kernel.alloc_skb(10, GFP_KERNEL) is not None
    kernel.intr_count -= 1
    assert kernel.log == ["alloc_skb called nonatomically from interrupt"] * 4


@branch(f"{SKBC}:871", "dev_alloc_skb", "alloc_skb(length + 16) then skb_reserve(16)")
def test_dev_alloc_skb(kernel: Kernel) -> None:
    skb = kernel.dev_alloc_skb(60)
    assert skb is not None
    assert (kernel.skb_headroom(skb), skb.len, kernel.skb_tailroom(skb)) == (16, 0, 60)


@branch(f"{SKBH}:390", "skb_put", "returns the old tail; tail and len grow")
@branch(f"{SKBH}:395", "skb_put", "past end: panic('skput:over')")
def test_skb_put(kernel: Kernel) -> None:
    skb = kernel.alloc_skb(20)
    assert skb is not None
    old = skb.tail
    assert kernel.skb_put(skb, 20) == old and (skb.tail, skb.len) == (old + 20, 20)
    with pytest.raises(KernelPanic, match="^skput:over: kernel:1$"):
        kernel.skb_put(skb, 1)
    assert kernel.panicked


@branch(f"{SKBH}:404", "skb_push", "returns the new data; len grows")
@branch(f"{SKBH}:408", "skb_push", "below head: panic('skpush:under')")
def test_skb_push(kernel: Kernel) -> None:
    skb = kernel.dev_alloc_skb(10)
    assert skb is not None
    assert kernel.skb_push(skb, 16) == skb.head and skb.len == 16
    with pytest.raises(KernelPanic, match="^skpush:under: kernel:1$"):
        kernel.skb_push(skb, 1)


@branch(f"{SKBH}:419", "skb_pull", "len > skb->len: NULL, nothing changes")
@branch(f"{SKBH}:421", "skb_pull", "else data and len move; returns the new data")
def test_skb_pull(kernel: Kernel) -> None:
    skb = kernel.alloc_skb(20)
    assert skb is not None
    kernel.skb_put(skb, 10)
    data = skb.data
    assert kernel.skb_pull(skb, 11) is None and (skb.data, skb.len) == (data, 10)
    assert kernel.skb_pull(skb, 4) == data + 4 and skb.len == 6


@branch(f"{SKBH}:438", "skb_reserve", "data and tail move up, unchecked")
@branch(f"{SKBH}:444", "skb_trim", "shrinks only: len > n sets len n, tail data + n")
@branch(f"{SKBH}:426", "skb_headroom", "data - head")
@branch(f"{SKBH}:431", "skb_tailroom", "end - tail")
def test_reserve_trim_rooms(kernel: Kernel) -> None:
    skb = kernel.alloc_skb(40)
    assert skb is not None
    kernel.skb_reserve(skb, 8)
    assert (kernel.skb_headroom(skb), kernel.skb_tailroom(skb)) == (8, 32)
    kernel.skb_put(skb, 20)
    kernel.skb_trim(skb, 30)
    assert skb.len == 20
    kernel.skb_trim(skb, 5)
    assert (skb.len, skb.tail) == (5, skb.data + 5)


@branch(f"{SKBC}:578", "kfree_skb", "NULL: printed, nothing else")
def test_kfree_skb_null(kernel: Kernel) -> None:
    kernel.kfree_skb(None, FREE_WRITE)
    assert kernel.log == ["kfree_skb: skb = NULL"]


@branch(f"{SKBC}:587", "kfree_skb", "locked: free = 3, net_free_locked++, not freed")
@branch(f"{SKBC}:862", "dev_kfree_skb", "unlocked to 0 with free 3: freed")
def test_kfree_skb_locked_is_deferred(kernel: Kernel) -> None:
    skb = kernel.alloc_skb(10)
    assert skb is not None
    skb.free = 0
    kernel.skb_device_lock(skb)
    kernel.kfree_skb(skb, FREE_WRITE)
    assert skb.alive and skb.free == 3 and kernel.net_free_locked == 1
    kernel.dev_kfree_skb(skb, FREE_WRITE)
    assert not skb.alive


@branch(f"{SKBC}:593", "kfree_skb", "free == 2: warned, freed")
@branch(f"{SKBC}:601", "kfree_skb", "destructor called")
@branch(f"{SKBC}:616", "kfree_skb", "sk without prot: rmem/wmem credited by truesize")
def test_kfree_skb_warnings_and_accounting(kernel: Kernel) -> None:
    seen = []
    sk = Sock()
    for rw in (FREE_READ, FREE_WRITE):
        skb = kernel.alloc_skb(10)
        assert skb is not None
        skb.sk = sk
        skb.destructor = seen.append
        kernel.kfree_skb(skb, rw)
        assert not skb.alive and seen[-1] is skb
    assert sk.rmem_alloc == sk.wmem_alloc == -(16 + SKB_STRUCT_SIZE)
    assert kernel.log == ["Warning: kfree_skb passed an skb that nobody set the free flag "
                          "on!"] * 2


@branch(f"{SKBC}:742", "skb_clone", "shares the data; count of the data owner +1; free 1")
@branch(f"{SKBC}:750", "skb_clone", "every other field copied, the destructor too")
@branch(f"{SKBC}:728", "kfree_skbmem", "a clone drops the data owner's count")
def test_skb_clone_and_kfree_skbmem(kernel: Kernel) -> None:
    skb = kernel.alloc_skb(30)
    assert skb is not None
    kernel.skb_put(skb, 10)
    skb.free = 0
    skb.sk = Sock()
    skb.destructor = lambda s: None
    kernel.skb_device_lock(skb)
    c = kernel.skb_clone(skb)
    assert c is not None
    assert (c.head, c.data, c.tail, c.end, c.len) == (skb.head, skb.data, skb.tail, skb.end, 10)
    assert (c.free, c.lock, c.users, c.sk, c.list, c.count) == (1, 0, 0, None, None, 1)
    assert c.data_skb is skb and skb.count == 2
    assert c.destructor is skb.destructor  # skbuff.c:750 copies the whole header
    c2 = kernel.skb_clone(c)
    assert c2 is not None and c2.data_skb is skb and skb.count == 3
    kernel.kfree_skb(c, FREE_WRITE)
    assert skb.count == 2


@branch(f"{SKBC}:783", "skb_copy", "alloc_skb(truesize - sizeof(sk_buff)): size rounded to 16")
@branch(f"{SKBC}:816", "skb_copy", "same headroom and len, free 1, protocol not copied")
def test_skb_copy_geometry(kernel: Kernel) -> None:
    """2.0.1's copy is the original's size rounded up to 16 (here 112 for 100); the
    reference's is exactly the original's (decision.copy.size)."""
    skb = kernel.alloc_skb(100)
    assert skb is not None
    kernel.skb_reserve(skb, 10)
    kernel.skb_put_data(skb, b"abcdef")
    skb.protocol = 0x0800
    skb.free = 1
    n = kernel.skb_copy(skb)
    assert n is not None and n.area is not skb.area
    assert n.end - n.head == 100  # 2.0.1: 112 (decision.copy.size)
    assert (kernel.skb_headroom(n), n.len, n.free, n.lock, n.protocol) == (10, 6, 1, 0, 0)
    assert kernel.skb_read(n, n.data, 6) == b"abcdef"


@branch(f"{SKBC}:834", "skb_device_lock", "already locked: prints 'double lock'")
@branch(f"{SKBC}:883", "skb_device_locked", "1 if locked, else 0")
@branch(f"{SKBC}:845", "skb_device_unlock", "unlocked: prints 'double unlock'")
def test_device_lock_and_unlock(kernel: Kernel) -> None:
    skb = kernel.alloc_skb(10)
    assert skb is not None
    kernel.skb_device_lock(skb)
    kernel.skb_device_lock(skb)
    assert (skb.lock, kernel.net_locked, kernel.skb_device_locked(skb)) == (2, 1, 1)
    kernel.skb_device_unlock(skb)
    kernel.skb_device_unlock(skb)
    assert (skb.lock, kernel.net_locked, kernel.skb_device_locked(skb)) == (0, 0, 0)
    kernel.skb_device_unlock(skb)
    assert skb.lock == -1
    assert kernel.log == ["double lock on device queue, lock=1", "double unlock on device queue!"]


@branch(f"{SKBC}:857", "dev_kfree_skb", "locked: lock-- and net_locked-- (even if still locked)")
@branch(f"{SKBC}:862", "dev_kfree_skb", "still locked, or free 0/2: not freed")
def test_dev_kfree_skb_counts_net_locked_per_unlock(kernel: Kernel) -> None:
    skb = kernel.alloc_skb(10)
    assert skb is not None
    skb.free = 1
    kernel.skb_device_lock(skb)
    kernel.skb_device_lock(skb)  # lock 2, net_locked 1
    kernel.dev_kfree_skb(skb, FREE_WRITE)
    assert skb.alive and skb.lock == 1 and kernel.net_locked == 0
    kept = kernel.alloc_skb(10)
    assert kept is not None
    kept.free = 0
    kernel.dev_kfree_skb(kept, FREE_WRITE)
    assert kept.alive


@branch(f"{SKBC}:857", "dev_kfree_skb", "NULL: 2.0.1 dereferences it")
def test_dev_kfree_skb_null_is_recorded(kernel: Kernel) -> None:
    """2.0.1 would oops; the reference logs and records it (decision.memory.safety)."""
    kernel.dev_kfree_skb(None, FREE_WRITE)
    assert kernel.misuse_kinds() == ["free_null"]


@branch(f"{SKBH}:205", "skb_queue_head_init", "empty circular list, qlen 0")
@branch(f"{SKBH}:247", "__skb_queue_tail", "appended, qlen++")
@branch(f"{SKBH}:219", "__skb_queue_head", "prepended, qlen++")
@branch(f"{SKBH}:275", "__skb_dequeue", "empty: NULL; else the first, unlinked")
@branch(f"{SKBH}:180", "skb_peek", "the first or NULL, left on the list")
@branch(f"{SKBH}:169", "skb_queue_empty", "next == head")
@branch(f"{SKBH}:192", "skb_queue_len", "qlen")
def test_queue_head_tail_dequeue(kernel: Kernel) -> None:
    q = kernel.skb_queue_head_init(SkBuffHead())
    assert (kernel.skb_queue_len(q), kernel.skb_queue_empty(q), kernel.skb_peek(q)) == (
        0, True, None)
    assert kernel.skb_dequeue(q) is None
    a, b, c = (kernel.alloc_skb(10) for _ in range(3))
    assert a is not None and b is not None and c is not None
    kernel.skb_queue_tail(q, a)
    kernel.skb_queue_tail(q, b)
    kernel.skb_queue_head(q, c)
    assert list(q) == [c, a, b] and kernel.skb_queue_len(q) == 3 and kernel.skb_peek(q) is c
    assert kernel.skb_dequeue(q) is c and (c.list, c.next, c.prev) == (None, None, None)
    assert list(q) == [a, b] and not kernel.skb_queue_empty(q)


@branch(f"{SKBH}:326", "skb_insert", "before old, on old's list")
@branch(f"{SKBH}:340", "skb_append", "after old, on old's list")
@branch(f"{SKBH}:375", "skb_unlink", "on a list: unlinked; on none: nothing")
def test_insert_append_unlink(kernel: Kernel) -> None:
    q = kernel.skb_queue_head_init(SkBuffHead())
    a, b, c = (kernel.alloc_skb(10) for _ in range(3))
    assert a is not None and b is not None and c is not None
    kernel.skb_queue_tail(q, a)
    kernel.skb_insert(a, b)
    kernel.skb_append(a, c)
    assert list(q) == [b, a, c] and q.qlen == 3 and c.list is q
    kernel.skb_unlink(a)
    kernel.skb_unlink(a)
    assert list(q) == [b, c] and q.qlen == 2 and a.list is None


@branch(f"{SKBH}:247", "__skb_queue_tail", "a buffer already on a list: both lists corrupted")
def test_queueing_a_queued_buffer(kernel: Kernel) -> None:
    """The default build links the buffer into the second list and leaves the first one
    pointing at it; the reference prints as CONFIG_SKB_CHECK's skbuff.c does, unlinks it
    first and records it (decision.memory.safety)."""
    q1, q2 = kernel.skb_queue_head_init(SkBuffHead()), kernel.skb_queue_head_init(SkBuffHead())
    skb = kernel.alloc_skb(10)
    assert skb is not None
    kernel.skb_queue_tail(q1, skb)
    kernel.skb_queue_tail(q2, skb)
    assert (q1.qlen, q2.qlen, skb.list) == (0, 1, q2)
    assert kernel.log == ["Suspicious queue tail: sk_buff on list!"]
    assert kernel.misuse_kinds() == ["queue_twice"]
    other = kernel.alloc_skb(10)
    assert other is not None
    kernel.skb_insert(other, kernel.alloc_skb(10))  # next to an unlisted buffer: refused
    assert kernel.misuse_kinds()[-1] == "insert_unlisted" and other.list is None


def _two(kernel: Kernel) -> tuple[SkBuffHead, object, object]:
    q = kernel.skb_queue_head_init(SkBuffHead())
    a, b = kernel.alloc_skb(10), kernel.alloc_skb(10)
    assert a is not None and b is not None
    return q, a, b


@branch(f"{SKBH}:219", "skb_queue_head", "links the buffer first: list set, qlen++")
def test_skb_queue_head_puts_the_buffer_first(kernel: Kernel) -> None:
    q, a, b = _two(kernel)
    kernel.skb_queue_head(q, a)
    kernel.skb_queue_head(q, b)
    assert list(q) == [b, a] and q.qlen == 2
    assert a.list is q and b.list is q and q.next is b and q.prev is a  # type: ignore[attr-defined]


@branch(f"{SKBH}:247", "skb_queue_tail", "links the buffer last: list set, qlen++")
def test_skb_queue_tail_puts_the_buffer_last(kernel: Kernel) -> None:
    q, a, b = _two(kernel)
    kernel.skb_queue_tail(q, a)
    kernel.skb_queue_tail(q, b)
    assert list(q) == [a, b] and q.qlen == 2
    assert q.next is a and q.prev is b and b.list is q  # type: ignore[attr-defined]


@branch(f"{SKBH}:281", "skb_dequeue", "empty list: NULL, nothing changes")
@branch(f"{SKBH}:282", "skb_dequeue", "the first buffer, unlinked: qlen--, next/prev/list NULL")
def test_skb_dequeue_takes_the_first_buffer(kernel: Kernel) -> None:
    q, a, b = _two(kernel)
    assert kernel.skb_dequeue(q) is None and q.qlen == 0
    kernel.skb_queue_tail(q, a)
    kernel.skb_queue_tail(q, b)
    got = kernel.skb_dequeue(q)
    assert got is a and q.qlen == 1 and list(q) == [b]
    assert (a.next, a.prev, a.list) == (None, None, None)  # type: ignore[attr-defined]


@branch(f"{SKBH}:233", "skb_queue_head", "save_flags, cli, restore_flags: the interrupt "
        "state is as before")
@branch(f"{SKBH}:295", "skb_dequeue", "save_flags, cli, restore_flags: the interrupt "
        "state is as before")
def test_queue_functions_restore_the_interrupt_state(kernel: Kernel) -> None:
    q, a, _ = _two(kernel)
    before = kernel.save_flags()
    kernel.skb_queue_head(q, a)
    assert kernel.skb_dequeue(q) is a
    assert kernel.save_flags() == before
    kernel.cli()
    disabled = kernel.save_flags()
    assert disabled != before
    kernel.skb_queue_tail(q, a)
    assert kernel.save_flags() == disabled  # still off: restore_flags, not sti
    kernel.sti()
