"""The reference kernel's buffers and queues against api-facts SKB-1..SKB-18 and Q-1..Q-7."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netdevspec.reference import (
    FREE_READ,
    FREE_WRITE,
    GFP_KERNEL,
    Kernel,
    KernelPanic,
    Module,
    SkBuff,
    Sock,
)
from netdevspec.reference.skbuff import SKB_STRUCT_SIZE


def new(k: Kernel, size: int = 100) -> SkBuff:
    skb = k.alloc_skb(size)
    assert skb is not None
    return skb


def geometry_ok(skb: SkBuff) -> bool:
    return (skb.head <= skb.data <= skb.tail <= skb.end
            and skb.len == skb.tail - skb.data)


# -- allocation -------------------------------------------------------------------------------

def test_alloc_skb_fields(kernel: Kernel) -> None:
    """SKB-3: h = d = t, e = h + size, len 0, truesize = round16(size) + struct, free 2."""
    skb = new(kernel, 100)
    assert skb.head == skb.data == skb.tail
    assert skb.end == skb.head + 100
    assert skb.len == 0
    assert skb.truesize == 112 + SKB_STRUCT_SIZE
    assert (skb.count, skb.free, skb.lock, skb.list, skb.sk) == (1, 2, 0, None, None)
    assert skb.alive and skb.owner is None
    assert kernel.misuse == []


def test_alloc_ids_and_addresses_are_never_reused(kernel: Kernel) -> None:
    """SKB-12: a buffer's identity is unique per allocation, even after frees."""
    seen_ids, seen_heads = set(), set()
    for _ in range(50):
        skb = new(kernel, 32)
        assert skb.id not in seen_ids and skb.head not in seen_heads
        seen_ids.add(skb.id)
        seen_heads.add(skb.head)
        skb.free = 1
        kernel.kfree_skb(skb)


def test_alloc_failure_injection(kernel: Kernel) -> None:
    """SKB-3: alloc_skb returns NULL on allocation failure and counts net_fails."""
    kernel.fail_next_alloc(2)
    assert kernel.alloc_skb(10) is None
    assert kernel.dev_alloc_skb(10) is None
    assert kernel.alloc_skb(10) is not None
    assert kernel.net_fails == 2
    kernel.alloc_fails = lambda: True
    assert kernel.alloc_skb(10) is None
    kernel.alloc_fails = None
    assert kernel.alloc_skb(10) is not None


def test_clone_and_copy_can_fail(kernel: Kernel) -> None:
    """SKB-15, SKB-16: skb_clone and skb_copy return NULL when allocation fails."""
    skb = new(kernel)
    kernel.fail_next_alloc(2)
    assert kernel.skb_clone(skb) is None
    assert kernel.skb_copy(skb) is None
    assert skb.area.refs == 1


def test_alloc_bad_arguments(kernel: Kernel) -> None:
    """SKB-3: a non-int size is a TypeError; a negative size fails and is recorded."""
    with pytest.raises(TypeError, match="size must be an int"):
        kernel.alloc_skb("10")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be an int ≥ 0"):
        kernel.fail_next_alloc(-1)
    assert kernel.alloc_skb(-1) is None
    assert kernel.misuse_kinds() == ["alloc_bad_size"]


def test_alloc_nonatomic_in_interrupt_is_recorded(kernel: Kernel) -> None:
    """SKB-3: alloc_skb with GFP_KERNEL in interrupt context warns (first 4 times)."""
    kernel.request_irq(7, lambda i, d, r: [kernel.alloc_skb(10, GFP_KERNEL) for _ in range(6)],
                       0, "t", None)
    kernel.raise_irq(7)
    assert kernel.misuse_kinds().count("alloc_nonatomic_in_irq") == 6
    assert kernel.log.count("alloc_skb called nonatomically from interrupt") == 4


def test_dev_alloc_skb_headroom(kernel: Kernel) -> None:
    """SKB-9: dev_alloc_skb(n) has 16 bytes of headroom, len 0 and tailroom ≥ n."""
    skb = kernel.dev_alloc_skb(60)
    assert skb is not None
    assert kernel.skb_headroom(skb) == 16 and skb.len == 0
    assert kernel.skb_tailroom(skb) >= 60
    assert skb.free == 2


# -- geometry ---------------------------------------------------------------------------------

def test_skb_put_returns_old_tail(kernel: Kernel) -> None:
    """SKB-4: skb_put grows tail and len by n and returns the old tail."""
    skb = new(kernel)
    kernel.skb_reserve(skb, 10)
    old = skb.tail
    assert kernel.skb_put(skb, 20) == old
    assert (skb.tail, skb.len, skb.data) == (old + 20, 20, skb.head + 10)


def test_skb_put_past_end_panics(kernel: Kernel) -> None:
    """SKB-4: skb_put past end is 2.0's panic("skput:over"): recorded, raised, no change."""
    skb = new(kernel, 10)
    with pytest.raises(KernelPanic, match=r"^skput:over: kernel:11$"):
        kernel.skb_put(skb, 11)
    assert skb.tail == skb.head and skb.len == 0
    assert kernel.misuse_kinds() == ["skb_over"]
    assert kernel.panicked and kernel.log[-1].startswith("Kernel panic: skput:over")


def test_skb_push_below_head_panics(kernel: Kernel) -> None:
    """SKB-5: skb_push below head is 2.0's panic("skpush:under")."""
    skb = new(kernel, 10)
    kernel.skb_reserve(skb, 4)
    assert kernel.skb_push(skb, 4) == skb.head and skb.len == 4
    with pytest.raises(KernelPanic, match="skpush:under"):
        kernel.skb_push(skb, 1)
    assert kernel.misuse_kinds() == ["skb_under"]
    assert skb.data == skb.head


def test_skb_pull_too_much_returns_null(kernel: Kernel) -> None:
    """SKB-6: skb_pull with n > len returns NULL and changes nothing."""
    skb = new(kernel)
    kernel.skb_put(skb, 10)
    assert kernel.skb_pull(skb, 11) is None
    assert skb.len == 10
    assert kernel.skb_pull(skb, 4) == skb.head + 4 and skb.len == 6
    assert kernel.misuse == []


def test_skb_reserve_unchecked_but_recorded(kernel: Kernel) -> None:
    """SKB-7: skb_reserve is unchecked; non-empty or past end is recorded and done."""
    skb = new(kernel, 20)
    kernel.skb_put(skb, 5)
    kernel.skb_reserve(skb, 2)
    assert kernel.misuse_kinds() == ["reserve_nonempty"]
    assert skb.data == skb.head + 2 and skb.tail == skb.head + 7
    kernel.skb_reserve(skb, 100)
    assert "reserve_over" in kernel.misuse_kinds()
    assert skb.tail > skb.end  # carried out as the 2.0 inline version does


def test_skb_trim_only_shrinks(kernel: Kernel) -> None:
    """SKB-8: skb_trim cuts len to n when longer and never grows the buffer."""
    skb = new(kernel)
    kernel.skb_put(skb, 30)
    kernel.skb_trim(skb, 40)
    assert skb.len == 30
    kernel.skb_trim(skb, 12)
    assert skb.len == 12 and skb.tail == skb.data + 12


def test_negative_lengths_are_recorded(kernel: Kernel) -> None:
    """SKB-4..SKB-6: a negative length is a caller error (skb.length.nonneg), recorded."""
    skb = new(kernel)
    kernel.skb_put(skb, 10)
    kernel.skb_pull(skb, -2)
    assert kernel.misuse_kinds() == ["negative_length"]


def test_type_errors_name_the_problem(kernel: Kernel) -> None:
    """Bad Python-level arguments raise TypeError saying what is wrong and what to do."""
    skb = new(kernel)
    with pytest.raises(TypeError, match=r"skb_put: n must be an int"):
        kernel.skb_put(skb, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"skb_put: skb must be an SkBuff, got NoneType"):
        kernel.skb_put(None, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="skb_dequeue: list must be an SkBuffHead"):
        kernel.skb_dequeue(skb)  # type: ignore[arg-type]


OPS = st.lists(st.tuples(st.sampled_from(["put", "push", "pull", "reserve", "trim"]),
                         st.integers(0, 80)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(size=st.integers(0, 200), ops=OPS)
def test_geometry_invariant_holds(size: int, ops: list[tuple[str, int]]) -> None:
    """SKB-1, SKB-2: every legal sequence of geometry calls keeps h ≤ d ≤ t ≤ e, len = t − d,
    headroom + len + tailroom = e − h, and end − head fixed; illegal ones panic unchanged."""
    k = Kernel()
    skb = k.alloc_skb(size)
    assert skb is not None
    span = skb.end - skb.head
    for op, n in ops:
        before = (skb.head, skb.data, skb.tail, skb.end, skb.len)
        if op == "put":
            if skb.tail + n > skb.end:
                with pytest.raises(KernelPanic):
                    k.skb_put(skb, n)
                assert (skb.head, skb.data, skb.tail, skb.end, skb.len) == before
            else:
                assert k.skb_put(skb, n) == before[2]
        elif op == "push":
            if skb.data - n < skb.head:
                with pytest.raises(KernelPanic):
                    k.skb_push(skb, n)
                assert (skb.head, skb.data, skb.tail, skb.end, skb.len) == before
            else:
                assert k.skb_push(skb, n) == before[1] - n
        elif op == "pull":
            r = k.skb_pull(skb, n)
            assert (r is None) == (n > before[4])
        elif op == "reserve" and skb.len == 0 and skb.tail + n <= skb.end:
            k.skb_reserve(skb, n)
        elif op == "trim":
            k.skb_trim(skb, n)
            assert skb.len == min(before[4], n)
        assert geometry_ok(skb)
        assert k.skb_headroom(skb) + skb.len + k.skb_tailroom(skb) == span
        assert skb.end - skb.head == span
    assert set(k.misuse_kinds()) <= {"skb_over", "skb_under"}


# -- freeing ----------------------------------------------------------------------------------

def test_kfree_null_is_logged(kernel: Kernel) -> None:
    """SKB-10: kfree_skb(NULL) logs "kfree_skb: skb = NULL" and returns."""
    kernel.kfree_skb(None)
    assert kernel.log == ["kfree_skb: skb = NULL"]
    assert kernel.misuse_kinds() == ["free_null"]


def test_kfree_unset_free_flag_warns(kernel: Kernel) -> None:
    """SKB-10, SKB-13: freeing a buffer whose free flag is still 2 warns, then frees."""
    skb = new(kernel)
    kernel.kfree_skb(skb)
    assert not skb.alive
    assert "nobody set the free flag" in kernel.log[0]
    assert kernel.misuse_kinds() == ["free_flag_unset"]


def test_double_free_and_use_after_free(kernel: Kernel) -> None:
    """SKB-12: after the free, a second free or any use is recorded; nothing crashes."""
    skb = new(kernel)
    skb.free = 1
    kernel.kfree_skb(skb)
    kernel.kfree_skb(skb)
    kernel.dev_kfree_skb(skb, FREE_WRITE)
    kernel.skb_put(skb, 1)
    q = kernel.skb_queue_head_init()
    kernel.skb_queue_tail(q, skb)
    assert q.qlen == 0
    assert kernel.skb_clone(skb) is None
    assert kernel.misuse_kinds() == ["double_free", "double_free", "use_after_free",
                                     "use_after_free", "use_after_free"]
    assert kernel.net_skbcount == 0


def test_kfree_locked_is_deferred(kernel: Kernel) -> None:
    """SKB-10, SKB-14: kfree_skb of a locked buffer sets free = 3 and defers; the unlock in
    dev_kfree_skb then frees it."""
    m = Module("drv")
    kernel.insmod(m)
    skb = new(kernel)
    kernel.skb_device_lock(skb)
    kernel.skbuff._give(skb, m)
    kernel.kfree_skb(skb)
    assert skb.alive and skb.free == 3 and skb.owner is None
    assert kernel.net_free_locked == 1 and skb not in m.skbs
    kernel.dev_kfree_skb(skb, FREE_WRITE)
    assert not skb.alive and skb.lock == 0


def test_kfree_queued_buffer_is_unlinked_and_recorded(kernel: Kernel) -> None:
    """SKB-10, Q-7: freeing a queued buffer warns "still on a list"; the queue stays sound."""
    q = kernel.skb_queue_head_init(name="q")
    a, b, c = new(kernel), new(kernel), new(kernel)
    for skb in (a, b, c):
        skb.free = 1
        kernel.skb_queue_tail(q, skb)
    kernel.kfree_skb(b)
    assert kernel.misuse_kinds() == ["free_queued"]
    assert "still on a list" in kernel.log[0]
    assert list(q) == [a, c] and q.qlen == 2


def test_kfree_credits_the_socket(kernel: Kernel) -> None:
    """ART-3, SKB-10: kfree_skb gives truesize back to the socket's read or write count."""
    sk = Sock()
    a, b = new(kernel), new(kernel)
    for skb in (a, b):
        skb.free = 1
        skb.sk = sk
    sk.rmem_alloc = sk.wmem_alloc = a.truesize
    kernel.kfree_skb(a, FREE_READ)
    kernel.kfree_skb(b, FREE_WRITE)
    assert (sk.rmem_alloc, sk.wmem_alloc) == (0, 0)


@pytest.mark.parametrize(("free", "freed"), [(0, False), (1, True), (2, False), (3, True)])
def test_dev_kfree_skb_free_protocol(kernel: Kernel, free: int, freed: bool) -> None:
    """SKB-13, SKB-14: dev_kfree_skb unlocks, then frees only if free is 1 or 3; otherwise
    the buffer goes back to the kernel (its owner keeps it)."""
    m = Module("drv")
    kernel.insmod(m)
    skb = new(kernel)
    skb.free = free
    kernel.skbuff._lock(skb)
    kernel.skbuff._give(skb, m)
    with kernel.running(m):
        kernel.dev_kfree_skb(skb, FREE_WRITE)
    assert skb.lock == 0
    assert skb.alive is not freed
    assert skb not in m.skbs
    if not freed:
        assert skb.owner is None
    assert kernel.misuse == []


def test_double_lock_and_unlock(kernel: Kernel) -> None:
    """SKB-14: a second lock logs "double lock"; unlocking an unlocked buffer "double unlock"."""
    skb = new(kernel)
    kernel.skb_device_lock(skb)
    kernel.skb_device_lock(skb)
    assert skb.lock == 2 and kernel.skb_device_locked(skb) == 1
    kernel.skb_device_unlock(skb)
    kernel.skb_device_unlock(skb)
    kernel.skb_device_unlock(skb)
    assert skb.lock == -1  # carried out as 2.0 does
    assert kernel.misuse_kinds() == ["double_lock", "double_unlock"]
    assert kernel.log == ["double lock on device queue, lock=1", "double unlock on device queue!"]


# -- clones and copies ------------------------------------------------------------------------

def test_clone_shares_data_with_refcount(kernel: Kernel) -> None:
    """SKB-15, SKB-11: a clone shares the data area (refs 2, data owner's count 2), has the
    same geometry, free 1, unlocked, on no queue; either may be freed first."""
    skb = new(kernel)
    kernel.skb_reserve(skb, 8)
    kernel.skb_put_data(skb, b"abcdef")
    skb.free = 0
    kernel.skbuff._lock(skb)
    clone = kernel.skb_clone(skb)
    assert clone is not None
    assert clone.area is skb.area and skb.area.refs == 2 and skb.count == 2 and clone.count == 1
    assert (clone.head, clone.data, clone.tail, clone.end, clone.len) == (
        skb.head, skb.data, skb.tail, skb.end, skb.len)
    assert (clone.free, clone.lock, clone.list, clone.sk) == (1, 0, None, None)
    assert clone.payload() == b"abcdef"
    kernel.skb_device_unlock(skb)
    skb.free = 1
    kernel.kfree_skb(skb)
    assert not skb.alive and clone.alive and clone.area.refs == 1 and skb.count == 1
    assert clone.payload() == b"abcdef"
    kernel.kfree_skb(clone)
    assert clone.area.refs == 0 and clone.area.buf is None and skb.count == 0
    assert kernel.misuse == []


def test_clone_of_clone_counts_on_the_data_owner(kernel: Kernel) -> None:
    """SKB-11, SKB-15: a clone of a clone adds a reference to the original's count."""
    skb = new(kernel)
    c1 = kernel.skb_clone(skb)
    assert c1 is not None
    c2 = kernel.skb_clone(c1)
    assert c2 is not None
    assert skb.count == 3 and c2.data_skb is skb and skb.area.refs == 3


def test_clones_are_read_only(kernel: Kernel) -> None:
    """SKB-15, ART-4: skb_put/skb_push/writes on a shared data area are recorded."""
    skb = new(kernel)
    kernel.skb_reserve(skb, 10)
    clone = kernel.skb_clone(skb)
    assert clone is not None
    kernel.skb_put(skb, 2)
    kernel.skb_push(clone, 2)
    kernel.skb_write(clone, clone.data, b"x")
    assert kernel.misuse_kinds() == ["clone_write"] * 3


def test_copy_is_independent(kernel: Kernel) -> None:
    """SKB-16: skb_copy has the same size, headroom and length, copies every byte from head
    to end, free 1, and writing it leaves the original alone."""
    skb = new(kernel, 64)
    kernel.skb_write(skb, skb.head, b"H" * 4)
    kernel.skb_reserve(skb, 4)
    kernel.skb_put_data(skb, b"payload")
    copy = kernel.skb_copy(skb)
    assert copy is not None and copy.area is not skb.area
    assert copy.end - copy.head == 64
    assert kernel.skb_headroom(copy) == 4 and copy.len == skb.len == 7
    assert kernel.skb_read(copy, copy.head, 11) == b"HHHHpayload"
    assert (copy.free, copy.lock, copy.list) == (1, 0, None)
    kernel.skb_write(copy, copy.data, b"P")
    assert skb.payload() == b"payload" and copy.payload() == b"Payload"
    assert kernel.misuse == []


def test_bytes_outside_the_area_are_recorded(kernel: Kernel) -> None:
    """SKB-1: reads and writes outside [head, end) are recorded and clipped."""
    skb = new(kernel, 8)
    kernel.skb_write(skb, skb.head + 6, b"abcd")
    assert kernel.skb_read(skb, skb.head + 6, 4) == b"ab\0\0"
    assert kernel.misuse_kinds() == ["data_out_of_bounds", "data_out_of_bounds"]


# -- queues -----------------------------------------------------------------------------------

def test_queue_order_and_counts(kernel: Kernel) -> None:
    """Q-1..Q-3, Q-6: an initialised queue is empty; tail/head insertion order; dequeue and
    peek take the first; dequeue on empty returns NULL."""
    q = kernel.skb_queue_head_init(name="q")
    assert kernel.skb_queue_empty(q) and kernel.skb_dequeue(q) is None
    a, b, c = new(kernel), new(kernel), new(kernel)
    kernel.skb_queue_tail(q, a)
    kernel.skb_queue_tail(q, b)
    kernel.skb_queue_head(q, c)
    assert list(q) == [c, a, b] and kernel.skb_queue_len(q) == 3
    assert kernel.skb_peek(q) is c and kernel.skb_peek_tail(q) is b
    assert kernel.skb_dequeue(q) is c
    assert c.list is None and c.next is None and c.prev is None
    assert a.list is q
    assert kernel.misuse == []


def test_insert_append_unlink(kernel: Kernel) -> None:
    """Q-4, Q-5: insert before, append after; unlink removes; unlink of a free buffer is a
    legal no-op."""
    q = kernel.skb_queue_head_init()
    a, b, c, d = (new(kernel) for _ in range(4))
    kernel.skb_queue_tail(q, a)
    kernel.skb_insert(a, b)
    kernel.skb_append(a, c)
    assert list(q) == [b, a, c] and q.qlen == 3
    kernel.skb_unlink(a)
    assert list(q) == [b, c] and a.list is None
    kernel.skb_unlink(d)
    assert kernel.misuse == []


def test_insert_next_to_unlisted_is_recorded(kernel: Kernel) -> None:
    """Q-4: skb_insert/skb_append need an anchor on a queue."""
    a, b = new(kernel), new(kernel)
    kernel.skb_insert(a, b)
    kernel.skb_append(a, b)
    assert kernel.misuse_kinds() == ["insert_unlisted", "insert_unlisted"]
    assert b.list is None


def test_queue_twice_is_unlinked_first(kernel: Kernel) -> None:
    """Q-2, Q-7: queueing a queued buffer prints "Suspicious queue tail" and is recorded;
    the buffer moves, so each buffer stays on at most one queue."""
    q1 = kernel.skb_queue_head_init(name="q1")
    q2 = kernel.skb_queue_head_init(name="q2")
    a = new(kernel)
    kernel.skb_queue_tail(q1, a)
    kernel.skb_queue_tail(q2, a)
    assert kernel.misuse_kinds() == ["queue_twice"]
    assert kernel.log == ["Suspicious queue tail: sk_buff on list!"]
    assert q1.qlen == 0 and list(q2) == [a] and a.list is q2


def test_reinit_nonempty_queue_detaches(kernel: Kernel) -> None:
    """Q-1: re-initialising a queue that holds buffers is recorded; they end up on no list."""
    q = kernel.skb_queue_head_init()
    a = new(kernel)
    kernel.skb_queue_tail(q, a)
    assert kernel.skb_queue_head_init(q) is q
    assert q.qlen == 0 and a.list is None and a.next is None
    assert kernel.misuse_kinds() == ["queue_reinit_nonempty"]


# -- ownership --------------------------------------------------------------------------------

def test_owner_is_the_calling_module(kernel: Kernel) -> None:
    """SKB-13 (ownership): buffers and queues belong to the module that made them."""
    m = Module("drv")
    kernel.insmod(m)
    with kernel.running(m):
        skb = new(kernel)
        q = kernel.skb_queue_head_init()
        clone = kernel.skb_clone(skb)
    assert skb.owner is m and q.owner is m and clone is not None and clone.owner is m
    assert m.skbs == {skb, clone} and m.queues == {q}
    skb.free = 1
    with kernel.running(m):
        kernel.kfree_skb(skb)
    assert m.skbs == {clone}


def test_touching_anothers_buffer_or_queue_is_recorded(kernel: Kernel) -> None:
    """SKB-13, Q-1: a module may use only its own buffers and queues."""
    m1, m2 = Module("a"), Module("b")
    kernel.insmod(m1)
    kernel.insmod(m2)
    with kernel.running(m1):
        skb = new(kernel)
        q = kernel.skb_queue_head_init()
    with kernel.running(m2):
        kernel.skb_put(skb, 1)
        kernel.skb_queue_tail(q, skb)
        kernel.skb_dequeue(q)
    assert kernel.misuse_kinds() == ["skb_not_owned", "skb_not_owned", "queue_not_owned",
                                     "queue_not_owned"]
    assert all(m.module == "b" for m in kernel.misuse)


def test_module_accounting_with_many_live_buffers() -> None:
    """Figures: per-module accounting is kept as buffers change hands (no scans), also with
    many buffers alive."""
    k = Kernel()
    m = Module("m")
    k.insmod(m)
    with k.running(m):
        held = [new(k, 16) for _ in range(20_000)]
        q = k.skb_queue_head_init()
        for skb in held[:1000]:
            k.skb_queue_tail(q, skb)
        assert k.skb_dequeue(q) is held[0]
    assert len(m.skbs) == 20_000 and q.qlen == 999
    for skb in held[:500]:
        skb.dev = None
        k.netif_rx(skb)
    assert len(m.skbs) == 19_500


QOPS = st.lists(st.tuples(st.sampled_from(["tail", "head", "dequeue", "unlink", "insert",
                                           "append"]),
                          st.integers(0, 1), st.integers(0, 5), st.integers(0, 5)),
                max_size=60)


@settings(max_examples=150, deadline=None)
@given(ops=QOPS)
def test_queues_match_a_list_model(ops: list[tuple[str, int, int, int]]) -> None:
    """Q-2..Q-7: any sequence of queue operations keeps each queue equal to a list model,
    qlen equal to the number of elements, and every buffer on at most one queue."""
    k = Kernel()
    queues = [k.skb_queue_head_init(name="q0"), k.skb_queue_head_init(name="q1")]
    model: list[list[SkBuff]] = [[], []]
    pool = [new(k, 8) for _ in range(6)]

    def where(s: SkBuff) -> int | None:
        return next((i for i in (0, 1) if s in model[i]), None)
    for op, qi, a, b in ops:
        x, y = pool[a], pool[b]
        if op in ("tail", "head"):
            old = where(x)
            if old is not None:
                model[old].remove(x)
            (k.skb_queue_tail if op == "tail" else k.skb_queue_head)(queues[qi], x)
            if op == "tail":
                model[qi].append(x)
            else:
                model[qi].insert(0, x)
        elif op == "dequeue":
            got = k.skb_dequeue(queues[qi])
            assert got is (model[qi].pop(0) if model[qi] else None)
        elif op == "unlink":
            old = where(x)
            if old is not None:
                model[old].remove(x)
            k.skb_unlink(x)
        else:
            anchor = where(x)
            (k.skb_insert if op == "insert" else k.skb_append)(x, y)
            if anchor is not None and x is not y:
                old = where(y)
                if old is not None:
                    model[old].remove(y)
                i = model[anchor].index(x)
                model[anchor].insert(i if op == "insert" else i + 1, y)
        for i in (0, 1):
            assert list(queues[i]) == model[i]
            assert queues[i].qlen == len(model[i])
            assert all(s.list is queues[i] for s in model[i])
        assert all(s.list is None for s in pool if where(s) is None)
