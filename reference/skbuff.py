"""Socket buffers, after Linux 2.0.1's ``net/core/skbuff.c`` and ``include/linux/skbuff.h``.

:class:`SkBuff`, :class:`SkBuffHead` and the buffer functions of 2.0. The functions are
methods of :class:`SkbOps`, the kernel's buffer part;
:class:`~netdevspec.reference.kernel.Kernel` offers them under the same names, so a
driver calls ``kernel.alloc_skb(n)``, ``kernel.skb_put(skb, n)``, ... with the C argument
order. They behave as Linux 2.0.1's ``net/core/skbuff.c`` and
``include/linux/skbuff.h`` do (api-facts SKB-1..SKB-18, Q-1..Q-7), with these
differences, all recorded as misuse rather than left to corrupt memory:

* pointers are ints: ``head``, ``data``, ``tail`` and ``end`` are addresses inside a
  simulated data area (a running allocator address, never reused); the bytes live in a
  ``bytearray`` shared by a buffer and its clones, read and written with
  :meth:`SkbOps.skb_read`, :meth:`SkbOps.skb_write` and :meth:`SkbOps.skb_put_data`;
* what 2.0 panics on raises :class:`~netdevspec.reference.common.KernelPanic` and leaves
  the buffer unchanged;
* a buffer that is freed, or put on a queue, while it is still on another queue is
  unlinked first (2.0 would leave the old queue pointing at it), so queues stay
  consistent;
* an operation on a freed buffer is recorded as ``use_after_free``; frees of a freed
  buffer are ignored after being recorded as ``double_free``.

Every buffer has an owner: the module that allocated it or was handed it, or ``None``
for the kernel (protocol) side. A module touching a buffer or a queue it does not own is
recorded (``skb_not_owned``, ``queue_not_owned``). No function here looks at more than
the buffers and queue it is given: the cost of each call does not depend on how many
buffers are alive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from netdevspec.reference.common import KernelCore, KernelPanic

if TYPE_CHECKING:
    from netdevspec.reference.device import Device
    from netdevspec.reference.modules import Module

__all__ = [
    "DEV_ALLOC_SKB_HEADROOM",
    "FREE_READ",
    "FREE_WRITE",
    "GFP_ATOMIC",
    "GFP_BUFFER",
    "GFP_KERNEL",
    "GFP_USER",
    "PACKET_BROADCAST",
    "PACKET_HOST",
    "PACKET_MULTICAST",
    "PACKET_OTHERHOST",
    "SKB_STRUCT_SIZE",
    "SkBuff",
    "SkBuffHead",
    "SkbData",
    "SkbOps",
    "Sock",
]

# include/linux/skbuff.h
FREE_READ = 1
FREE_WRITE = 0
PACKET_HOST = 0
PACKET_BROADCAST = 1
PACKET_MULTICAST = 2
PACKET_OTHERHOST = 3
# include/linux/mm.h (2.0)
GFP_BUFFER = 0x00
GFP_ATOMIC = 0x01
GFP_USER = 0x02
GFP_KERNEL = 0x03

#: Headroom dev_alloc_skb reserves (SKB-9).
DEV_ALLOC_SKB_HEADROOM = 16
#: sizeof(struct sk_buff) used for truesize; 2.0/i386's is about this (a modelling choice).
SKB_STRUCT_SIZE = 160
#: Where the simulated allocator starts handing out data areas.
_FIRST_ADDRESS = 0x0010_0000


class Sock:
    """The part of ``struct sock`` buffers touch: the memory counters kfree_skb credits (ART-3)."""

    __slots__ = ("name", "rmem_alloc", "wmem_alloc")

    def __init__(self, name: str = "sock") -> None:
        self.name = name
        self.rmem_alloc = 0
        self.wmem_alloc = 0

    def __repr__(self) -> str:
        return f"<Sock {self.name} rmem={self.rmem_alloc} wmem={self.wmem_alloc}>"


class SkbData:
    """A data area: ``size`` bytes at address ``head``, shared by a buffer and its clones.

    ``refs`` counts the live buffer headers that point into it; the bytes are released when
    it reaches 0. ``buf`` is created on first access (like untouched pages).
    """

    __slots__ = ("buf", "head", "refs", "size")

    def __init__(self, head: int, size: int) -> None:
        self.head = head
        self.size = size
        self.refs = 1
        self.buf: bytearray | None = None

    def bytes_(self) -> bytearray:
        """The area's bytes, created (zeroed) on first use."""
        buf = self.buf
        if buf is None:
            buf = self.buf = bytearray(self.size)
        return buf


class SkBuff:
    """One ``struct sk_buff``: geometry, flags, queue links and the owner.

    Geometry (SKB-1): ``head ≤ data ≤ tail ≤ end`` and ``len == tail - data``, all ints
    (addresses in the simulated memory). ``free`` is 0..3 (SKB-13; alloc leaves 2),
    ``lock`` the device lock count (SKB-14), ``count`` 2.0's reference count on the
    buffer memory (SKB-11), ``area`` the data area shared with clones, ``alive`` False
    once freed, ``id`` unique per allocation and never reused, ``owner`` the module that
    holds it (None: the kernel/protocol side). ``list``/``next``/``prev`` link it into at
    most one :class:`SkBuffHead`.
    """

    __slots__ = (
        "alive", "area", "arp", "count", "data", "data_skb", "destructor", "dev", "end",
        "free", "h_raw", "head", "id", "ip_summed", "len", "list", "lock", "mac_raw", "next",
        "owner", "pkt_type", "prev", "protocol", "raddr", "sk", "stamp", "tail", "truesize",
        "users",
    )

    def __init__(self, ident: int, area: SkbData, truesize: int, owner: Module | None) -> None:
        head = area.head
        self.id = ident
        self.area = area
        self.head = head
        self.data = head
        self.tail = head
        self.end = head + area.size
        self.len = 0
        self.truesize = truesize
        self.free = 2
        self.lock = 0
        self.count = 1
        self.alive = True
        self.owner = owner
        self.list: SkBuffHead | None = None
        self.next: SkBuff | SkBuffHead | None = None
        self.prev: SkBuff | SkBuffHead | None = None
        self.sk: Sock | None = None
        self.dev: Device | None = None
        self.data_skb: SkBuff | None = None
        self.destructor: Callable[[SkBuff], None] | None = None
        self.protocol = 0
        self.pkt_type = PACKET_HOST
        self.arp = 0
        self.raddr = 0
        self.users = 0
        self.mac_raw = 0
        self.h_raw = 0
        self.stamp = 0
        self.ip_summed = 0

    def payload(self) -> bytes:
        """The bytes from ``data`` to ``tail`` (the frame), without any checks or records."""
        buf = self.area.buf
        start = self.data - self.area.head
        stop = self.tail - self.area.head
        if buf is None or not self.alive:
            return bytes(max(0, stop - start))
        return bytes(buf[max(0, start):max(0, stop)])

    def __repr__(self) -> str:
        owner = "kernel" if self.owner is None else self.owner.name
        state = "" if self.alive else " FREED"
        return (f"<SkBuff #{self.id} head={self.head:#x} data=+{self.data - self.head} "
                f"tail=+{self.tail - self.head} end=+{self.end - self.head} len={self.len} "
                f"free={self.free} lock={self.lock} owner={owner}{state}>")


class SkBuffHead:
    """A ``struct sk_buff_head``: a circular doubly linked list with ``qlen`` (Q-1).

    The head is its own sentinel (empty iff ``next is self``), so every queue operation is
    O(1). ``owner`` is the module that initialised it (None: the kernel); a device's
    ``buffs[]`` and the backlog belong to the kernel. Iterating walks the queue (for tests
    and debugging; kernel paths never do).
    """

    __slots__ = ("name", "next", "owner", "prev", "qlen")

    def __init__(self, owner: Module | None = None, name: str = "") -> None:
        self.next: SkBuff | SkBuffHead = self
        self.prev: SkBuff | SkBuffHead = self
        self.qlen = 0
        self.owner = owner
        self.name = name

    def __len__(self) -> int:
        return self.qlen

    def __iter__(self) -> Iterator[SkBuff]:
        node = self.next
        guard = self.qlen
        while isinstance(node, SkBuff) and guard >= 0:
            yield node
            node = node.next if node.next is not None else self
            guard -= 1

    def __repr__(self) -> str:
        owner = "kernel" if self.owner is None else self.owner.name
        return f"<SkBuffHead {self.name or hex(id(self))} qlen={self.qlen} owner={owner}>"


def _not_skb(fn: str, skb: object) -> TypeError:
    return TypeError(f"{fn}: skb must be an SkBuff, got {type(skb).__name__}; pass the buffer "
                     "that alloc_skb/dev_alloc_skb returned (a NULL buffer is a driver bug)")


def _need_skb(fn: str, skb: object) -> SkBuff:
    if isinstance(skb, SkBuff):
        return skb
    raise _not_skb(fn, skb)


def _need_head(fn: str, head: object) -> SkBuffHead:
    if isinstance(head, SkBuffHead):
        return head
    raise TypeError(f"{fn}: list must be an SkBuffHead, got {type(head).__name__}; create one "
                    "with kernel.skb_queue_head_init()")


def _need_int(fn: str, name: str, value: object) -> int:
    if isinstance(value, int):
        return value
    raise TypeError(f"{fn}: {name} must be an int (a byte count or address), got "
                    f"{type(value).__name__} {value!r}")


def _link_between(prv: SkBuff | SkBuffHead, nxt: SkBuff | SkBuffHead, new: SkBuff,
                  lst: SkBuffHead) -> None:
    """Link ``new`` between two neighbours on ``lst`` (the queue head closes the ring)."""
    new.prev = prv
    new.next = nxt
    prv.next = new
    nxt.prev = new
    new.list = lst
    lst.qlen += 1


class SkbOps:
    """The 2.0 buffer and queue functions (``net/core/skbuff.c``, ``skbuff.h`` inlines).

    All are O(1) except the byte copies (skb_copy, skb_read/skb_write), which are linear in
    the bytes copied. ``core`` is the state the kernel's subsystems share (who is running,
    the records, ``intr_count``, allocation faults).
    """

    def __init__(self, core: KernelCore) -> None:
        self._k = core
        self._misuse = core._misuse
        self.printk = core.printk
        self._next_addr = _FIRST_ADDRESS
        self._next_id = 1
        self._nonatomic_warnings = 0
        #: 2.0's buffer statistics (net/core/skbuff.c show_net_buffers).
        self.net_skbcount = 0
        #: Every live buffer header by id, in allocation order (O(1) to keep; the
        #: conformance monitor quantifies over it).
        self.live_skbs: dict[int, SkBuff] = {}
        self.net_allocs = 0
        self.net_fails = 0
        self.net_locked = 0
        self.net_free_locked = 0

    # -- building a kernel in a given state ----------------------------------------------------

    def adopt(self, skb: SkBuff) -> None:
        """Count a buffer built outside :meth:`alloc_skb` as live (for building a kernel in
        a given state, e.g. a spec state, without going through the API).

        Its id and address are reserved, so later allocations never reuse them; the caller
        has set its geometry, owner and data area already.
        """
        if skb.alive:
            self.live_skbs[skb.id] = skb
            self.net_skbcount += 1
        self.reserve(skb.id + 1, skb.end + 64)

    def reserve(self, next_id: int, next_addr: int) -> None:
        """Make later allocations take ids from ``next_id`` and addresses from
        ``next_addr`` on (or later, if those are already past them)."""
        self._next_id = max(self._next_id, next_id)
        self._next_addr = max(self._next_addr, next_addr)

    # -- ownership ----------------------------------------------------------------------------

    def _give(self, skb: SkBuff, new: Module | None) -> None:
        """Hand a live buffer to ``new`` (None: the kernel), keeping per-module accounting."""
        old = skb.owner
        if old is not new:
            if old is not None:
                old.skbs.discard(skb)
            if new is not None:
                new.skbs.add(skb)
            skb.owner = new

    def _bad_use(self, skb: SkBuff, fn: str) -> None:
        """Record why ``skb`` may not be used here (freed, or not the calling module's)."""
        if not skb.alive:
            self._misuse("use_after_free", f"{fn} on buffer #{skb.id}, which was already freed",
                         skb=skb.id, op=fn)
        else:
            cur = self._k.current
            holder = "the kernel" if skb.owner is None else f"module {skb.owner.name}"
            self._misuse("skb_not_owned",
                         f"{fn} by module {cur.name if cur else '?'} on buffer #{skb.id}, "
                         f"which belongs to {holder}", skb=skb.id, op=fn)

    def _bad_queue(self, head: SkBuffHead, fn: str) -> None:
        cur = self._k.current
        holder = "the kernel" if head.owner is None else f"module {head.owner.name}"
        self._misuse("queue_not_owned",
                     f"{fn} by module {cur.name if cur else '?'} on queue {head.name or '?'}, "
                     f"which belongs to {holder}", queue=head.name, op=fn)

    # -- allocation ---------------------------------------------------------------------------

    def alloc_skb(self, size: int, priority: int = GFP_ATOMIC) -> SkBuff | None:
        """Allocate a buffer of ``size`` bytes (SKB-3): empty, ``free`` 2, owned by the caller.

        Returns None when the allocation fails (injected with :meth:`fail_next_alloc` or
        :attr:`alloc_fails`). A negative size is recorded (``alloc_bad_size``) and fails,
        as 2.0's unsigned size would. A non-atomic priority in interrupt context is
        recorded (``alloc_nonatomic_in_irq``) and logged the first 4 times, as 2.0 does.
        """
        if not isinstance(size, int):
            _need_int("alloc_skb", "size", size)
        if size < 0:
            self._misuse("alloc_bad_size", f"alloc_skb asked for {size} bytes", size=size)
            self.net_fails += 1
            return None
        if self._k.intr_count and priority != GFP_ATOMIC:
            self._nonatomic_warnings += 1
            if self._nonatomic_warnings < 5:
                self.printk("alloc_skb called nonatomically from interrupt")
            self._misuse("alloc_nonatomic_in_irq",
                         f"alloc_skb(priority={priority}) in interrupt context", priority=priority)
        k = self._k
        if (k._fail_budget or k.alloc_fails is not None) and k._alloc_failed():
            self.net_fails += 1
            return None
        return self._new_skb(size)

    def _new_skb(self, size: int) -> SkBuff:
        truesize = ((size + 15) & ~15) + SKB_STRUCT_SIZE
        area = SkbData(self._next_addr, size)
        self._next_addr += truesize
        ident = self._next_id
        self._next_id = ident + 1
        owner = self._k.current
        skb = SkBuff(ident, area, truesize, owner)
        if owner is not None:
            owner.skbs.add(skb)
        self.net_allocs += 1
        self.net_skbcount += 1
        self.live_skbs[ident] = skb
        return skb

    def dev_alloc_skb(self, length: int) -> SkBuff | None:
        """``alloc_skb(length + 16, GFP_ATOMIC)`` then ``skb_reserve(16)`` (SKB-9), or None."""
        if not isinstance(length, int):
            _need_int("dev_alloc_skb", "length", length)
        if length < 0:
            self._misuse("alloc_bad_size", f"dev_alloc_skb asked for {length} bytes",
                         size=length)
            self.net_fails += 1
            return None
        k = self._k
        if (k._fail_budget or k.alloc_fails is not None) and k._alloc_failed():
            self.net_fails += 1
            return None
        skb = self._new_skb(length + DEV_ALLOC_SKB_HEADROOM)
        skb.data += DEV_ALLOC_SKB_HEADROOM
        skb.tail += DEV_ALLOC_SKB_HEADROOM
        return skb

    # -- geometry -----------------------------------------------------------------------------

    def skb_put(self, skb: SkBuff, n: int) -> int:
        """Add ``n`` bytes at the tail (SKB-4); returns the old tail, where the new bytes go.

        Past ``end`` this is 2.0's ``panic("skput:over: ...")``: recorded (``skb_over``)
        and raised as :class:`KernelPanic`, the buffer unchanged.
        """
        try:
            alive = skb.alive
        except AttributeError:
            raise _not_skb("skb_put", skb) from None
        cur = self._k.current
        if not alive or (cur is not None and skb.owner is not cur):
            self._bad_use(skb, "skb_put")
        if not isinstance(n, int):
            _need_int("skb_put", "n", n)
        tail = skb.tail
        new_tail = tail + n
        if new_tail > skb.end:
            self._panic("skb_over", f"skput:over: {self._who()}:{n}", skb, n)
        if n < 0:
            self._misuse("negative_length", f"skb_put(#{skb.id}, {n})", skb=skb.id, n=n)
        if skb.area.refs > 1:
            self._shared_write(skb, "skb_put")
        skb.tail = new_tail
        skb.len += n
        return tail

    def skb_push(self, skb: SkBuff, n: int) -> int:
        """Add ``n`` bytes at the front (SKB-5); returns the new data address.

        Below ``head`` this is 2.0's ``panic("skpush:under: ...")``: recorded
        (``skb_under``) and raised as :class:`KernelPanic`, the buffer unchanged.
        """
        try:
            alive = skb.alive
        except AttributeError:
            raise _not_skb("skb_push", skb) from None
        cur = self._k.current
        if not alive or (cur is not None and skb.owner is not cur):
            self._bad_use(skb, "skb_push")
        if not isinstance(n, int):
            _need_int("skb_push", "n", n)
        data = skb.data - n
        if data < skb.head:
            self._panic("skb_under", f"skpush:under: {self._who()}:{n}", skb, n)
        if n < 0:
            self._misuse("negative_length", f"skb_push(#{skb.id}, {n})", skb=skb.id, n=n)
        if skb.area.refs > 1:
            self._shared_write(skb, "skb_push")
        skb.data = data
        skb.len += n
        return data

    def skb_pull(self, skb: SkBuff, n: int) -> int | None:
        """Remove ``n`` bytes from the front (SKB-6); None (and no change) when n > len."""
        try:
            alive = skb.alive
        except AttributeError:
            raise _not_skb("skb_pull", skb) from None
        cur = self._k.current
        if not alive or (cur is not None and skb.owner is not cur):
            self._bad_use(skb, "skb_pull")
        if not isinstance(n, int):
            _need_int("skb_pull", "n", n)
        if n > skb.len:
            return None
        if n < 0:
            self._misuse("negative_length", f"skb_pull(#{skb.id}, {n})", skb=skb.id, n=n)
        skb.data += n
        skb.len -= n
        return skb.data

    def skb_reserve(self, skb: SkBuff, n: int) -> None:
        """Move data and tail up by ``n`` (SKB-7), unchecked as 2.0's inline version is.

        Reserving on a non-empty buffer (``reserve_nonempty``) or past ``end``
        (``reserve_over``) is recorded and carried out anyway.
        """
        try:
            alive = skb.alive
        except AttributeError:
            raise _not_skb("skb_reserve", skb) from None
        cur = self._k.current
        if not alive or (cur is not None and skb.owner is not cur):
            self._bad_use(skb, "skb_reserve")
        if not isinstance(n, int):
            _need_int("skb_reserve", "n", n)
        if skb.len != 0:
            self._misuse("reserve_nonempty",
                         f"skb_reserve(#{skb.id}, {n}) on a buffer holding {skb.len} bytes",
                         skb=skb.id, n=n, len=skb.len)
        if skb.tail + n > skb.end:
            self._misuse("reserve_over",
                         f"skb_reserve(#{skb.id}, {n}) moves tail past end by "
                         f"{skb.tail + n - skb.end}", skb=skb.id, n=n)
        if n < 0:
            self._misuse("negative_length", f"skb_reserve(#{skb.id}, {n})", skb=skb.id, n=n)
        skb.data += n
        skb.tail += n

    def skb_trim(self, skb: SkBuff, n: int) -> None:
        """Cut the buffer to ``n`` bytes if it is longer (SKB-8); never grows it."""
        try:
            alive = skb.alive
        except AttributeError:
            raise _not_skb("skb_trim", skb) from None
        cur = self._k.current
        if not alive or (cur is not None and skb.owner is not cur):
            self._bad_use(skb, "skb_trim")
        if not isinstance(n, int):
            _need_int("skb_trim", "n", n)
        if skb.len > n:
            if n < 0:
                self._misuse("negative_length", f"skb_trim(#{skb.id}, {n})", skb=skb.id, n=n)
            skb.len = n
            skb.tail = skb.data + n

    def skb_headroom(self, skb: SkBuff) -> int:
        """``data - head`` (SKB-2)."""
        if not _need_skb("skb_headroom", skb).alive:
            self._bad_use(skb, "skb_headroom")
        return skb.data - skb.head

    def skb_tailroom(self, skb: SkBuff) -> int:
        """``end - tail`` (SKB-2)."""
        if not _need_skb("skb_tailroom", skb).alive:
            self._bad_use(skb, "skb_tailroom")
        return skb.end - skb.tail

    def _who(self) -> str:
        cur = self._k.current
        return "kernel" if cur is None else cur.name

    def _panic(self, kind: str, message: str, skb: SkBuff, n: int) -> None:
        self._misuse(kind, message, skb=skb.id, n=n, head=skb.head, data=skb.data,
                     tail=skb.tail, end=skb.end)
        self.printk(f"Kernel panic: {message}")
        self._k.panicked = True
        raise KernelPanic(message)

    def _shared_write(self, skb: SkBuff, fn: str) -> None:
        self._misuse("clone_write",
                     f"{fn} on buffer #{skb.id}, whose data area is shared with "
                     f"{skb.area.refs - 1} other buffer(s): clones are read-only",
                     skb=skb.id, op=fn)

    # -- bytes --------------------------------------------------------------------------------

    def _span(self, skb: SkBuff, fn: str, at: int, n: int) -> tuple[int, int]:
        """Clip ``[at, at+n)`` to the data area, recording a reach outside it."""
        lo, hi = skb.head, skb.end
        if at < lo or at + n > hi or n < 0:
            self._misuse("data_out_of_bounds",
                         f"{fn}(#{skb.id}, {at:#x}, {n}) reaches outside the data area "
                         f"[{lo:#x}, {hi:#x})", skb=skb.id, at=at, n=n)
        start = min(max(at, lo), hi) - lo
        stop = min(max(at + max(n, 0), lo), hi) - lo
        return start, max(start, stop)

    def skb_write(self, skb: SkBuff, at: int, data: bytes | bytearray | memoryview) -> None:
        """Copy ``data`` into the buffer's memory at address ``at`` (a memcpy).

        Writing outside ``[head, end)`` is recorded (``data_out_of_bounds``) and clipped;
        writing into an area shared with a clone is recorded (``clone_write``).
        """
        try:
            alive = skb.alive
        except AttributeError:
            raise _not_skb("skb_write", skb) from None
        cur = self._k.current
        if not alive or (cur is not None and skb.owner is not cur):
            self._bad_use(skb, "skb_write")
        _need_int("skb_write", "at", at)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"skb_write: data must be bytes-like, got {type(data).__name__}")
        if skb.area.refs > 1:
            self._shared_write(skb, "skb_write")
        n = len(data)
        start, stop = self._span(skb, "skb_write", at, n)
        if stop > start:
            offset = (skb.head + start) - at
            skb.area.bytes_()[start:stop] = bytes(data)[offset:offset + stop - start]

    def skb_read(self, skb: SkBuff, at: int, n: int) -> bytes:
        """Read ``n`` bytes of the buffer's memory at address ``at``.

        Reading outside ``[head, end)`` is recorded (``data_out_of_bounds``); the missing
        bytes read as 0.
        """
        try:
            alive = skb.alive
        except AttributeError:
            raise _not_skb("skb_read", skb) from None
        cur = self._k.current
        if not alive or (cur is not None and skb.owner is not cur):
            self._bad_use(skb, "skb_read")
        _need_int("skb_read", "at", at)
        _need_int("skb_read", "n", n)
        start, stop = self._span(skb, "skb_read", at, n)
        buf = skb.area.buf
        got = b"" if buf is None or not skb.alive else bytes(buf[start:stop])
        before = max(0, min(skb.head, at + n) - at) if at < skb.head else 0
        out = bytes(before) + got.ljust(stop - start, b"\0")
        return out.ljust(max(n, 0), b"\0")

    def skb_put_data(self, skb: SkBuff, data: bytes | bytearray | memoryview) -> int:
        """``memcpy(skb_put(skb, len(data)), data, len(data))``; returns the old tail."""
        at = self.skb_put(skb, len(data))
        if data:
            self.skb_write(skb, at, data)
        return at

    # -- freeing ------------------------------------------------------------------------------

    def kfree_skb(self, skb: SkBuff | None, rw: int = FREE_WRITE) -> None:
        """Free a buffer (SKB-10/11/12).

        ``None`` is logged and recorded (``free_null``); a freed buffer is recorded
        (``double_free``) and ignored; a device-locked one is deferred (``free`` = 3, the
        kernel holds it until ``dev_kfree_skb`` unlocks it); ``free`` = 2 is warned about and
        recorded (``free_flag_unset``); a queued one is warned about, recorded
        (``free_queued``), unlinked and freed.
        """
        checked = self._free_entry(skb, "kfree_skb")
        if checked is not None:
            self._kfree(checked, rw)

    def _free_entry(self, skb: SkBuff | None, fn: str) -> SkBuff | None:
        """What both frees check first: NULL (logged), a buffer already freed (recorded
        as a double free), a buffer that is not the calling module's (recorded)."""
        if skb is None:
            self.printk(f"{fn}: skb = NULL")
            self._misuse("free_null", f"{fn}(NULL)")
            return None
        skb = _need_skb(fn, skb)
        if not skb.alive:
            self._misuse("double_free", f"{fn} on buffer #{skb.id}, already freed", skb=skb.id)
            return None
        cur = self._k.current
        if cur is not None and skb.owner is not cur:
            self._bad_use(skb, fn)
        return skb

    def _kfree(self, skb: SkBuff, rw: int) -> None:
        if skb.lock:
            skb.free = 3
            self.net_free_locked += 1
            self._give(skb, None)
            return
        if skb.free == 2:
            self.printk("Warning: kfree_skb passed an skb that nobody set the free flag on!")
            self._misuse("free_flag_unset",
                         f"kfree_skb on buffer #{skb.id} whose free flag was never set",
                         skb=skb.id)
        if skb.list is not None:
            self.printk("Warning: kfree_skb passed an skb still on a list.")
            self._misuse("free_queued", f"kfree_skb on buffer #{skb.id}, still on queue "
                         f"{skb.list.name or '?'}", skb=skb.id)
            self._unlink(skb)
        destructor = skb.destructor
        if destructor is not None:
            destructor(skb)
        sk = skb.sk
        if sk is not None:
            if rw:
                sk.rmem_alloc -= skb.truesize
            else:
                sk.wmem_alloc -= skb.truesize
        self._kfree_skbmem(skb)

    def _kfree_skbmem(self, skb: SkBuff) -> None:
        skb.alive = False
        owner = skb.owner
        if owner is not None:
            owner.skbs.discard(skb)
        # 2.0's count: the data owner's count also counts its clones (SKB-11).
        skb.count -= 1
        if skb.count == 0 and skb.data_skb is not None:
            skb.data_skb.count -= 1
        area = skb.area
        area.refs -= 1
        if area.refs == 0:
            area.buf = None
        self.net_skbcount -= 1
        self.live_skbs.pop(skb.id, None)

    def dev_kfree_skb(self, skb: SkBuff | None, mode: int = FREE_WRITE) -> None:
        """A driver releases a buffer (SKB-14): unlock once, then free it only if it is
        unlocked and ``free`` is 1 or 3; otherwise it goes back to the kernel (its real
        owner keeps it)."""
        checked = self._free_entry(skb, "dev_kfree_skb")
        if checked is None:
            return
        skb = checked
        if skb.list is not None:
            self._misuse("free_queued", f"dev_kfree_skb on buffer #{skb.id}, still on queue "
                         f"{skb.list.name or '?'}", skb=skb.id)
        self._dev_kfree(skb, mode)

    def _dev_kfree(self, skb: SkBuff, mode: int) -> None:
        if skb.lock:
            # 2.0.1 counts net_locked down on every unlock here, even one that leaves the
            # buffer locked (skbuff.c:857), unlike skb_device_unlock.
            skb.lock -= 1
            self.net_locked -= 1
        if not skb.lock and (skb.free == 1 or skb.free == 3):
            self._kfree(skb, mode)
        else:
            self._give(skb, None)

    # -- device lock --------------------------------------------------------------------------

    def skb_device_lock(self, skb: SkBuff) -> None:
        """Increment the device lock (SKB-14); a second lock is logged and recorded."""
        skb = _need_skb("skb_device_lock", skb)
        if not skb.alive:
            self._bad_use(skb, "skb_device_lock")
        if skb.lock:
            self._misuse("double_lock", f"skb_device_lock on buffer #{skb.id}, lock={skb.lock}",
                         skb=skb.id)
        self._lock(skb)

    def _lock(self, skb: SkBuff) -> None:
        if skb.lock:
            self.printk(f"double lock on device queue, lock={skb.lock}")
        else:
            self.net_locked += 1
        skb.lock += 1

    def skb_device_unlock(self, skb: SkBuff) -> None:
        """Decrement the device lock (SKB-14); unlocking an unlocked buffer is logged and
        recorded (``double_unlock``) and, as in 2.0, still decrements it."""
        skb = _need_skb("skb_device_unlock", skb)
        if not skb.alive:
            self._bad_use(skb, "skb_device_unlock")
        if skb.lock == 0:
            self._misuse("double_unlock", f"skb_device_unlock on unlocked buffer #{skb.id}",
                         skb=skb.id)
        self._unlock(skb)

    def _unlock(self, skb: SkBuff) -> None:
        if skb.lock == 0:
            self.printk("double unlock on device queue!")
        skb.lock -= 1
        if skb.lock == 0:
            self.net_locked -= 1

    def skb_device_locked(self, skb: SkBuff) -> int:
        """1 if the buffer is device-locked, else 0."""
        return 1 if _need_skb("skb_device_locked", skb).lock else 0

    # -- clones and copies --------------------------------------------------------------------

    def skb_clone(self, skb: SkBuff, priority: int = GFP_ATOMIC) -> SkBuff | None:
        """A new header sharing ``skb``'s data area (SKB-15): same geometry, ``free`` 1,
        unlocked, on no queue, owned by the caller. None when the allocation fails or the
        buffer was already freed (recorded as ``use_after_free``)."""
        skb = _need_skb("skb_clone", skb)
        cur = self._k.current
        if not skb.alive or (cur is not None and skb.owner is not cur):
            self._bad_use(skb, "skb_clone")
            if not skb.alive:
                return None
        k = self._k
        if (k._fail_budget or k.alloc_fails is not None) and k._alloc_failed():
            self.net_fails += 1
            return None
        area = skb.area
        ident = self._next_id
        self._next_id = ident + 1
        owner = self._k.current
        n = SkBuff(ident, area, skb.truesize, owner)
        n.data = skb.data
        n.tail = skb.tail
        n.end = skb.end
        n.head = skb.head
        n.len = skb.len
        n.free = 1
        n.dev = skb.dev
        n.protocol = skb.protocol
        n.pkt_type = skb.pkt_type
        n.arp = skb.arp
        n.raddr = skb.raddr
        n.mac_raw = skb.mac_raw
        n.h_raw = skb.h_raw
        n.stamp = skb.stamp
        n.ip_summed = skb.ip_summed
        n.destructor = skb.destructor  # skbuff.c:750 copies the whole header
        data_owner = skb.data_skb if skb.data_skb is not None else skb
        data_owner.count += 1
        n.data_skb = data_owner
        area.refs += 1
        if owner is not None:
            owner.skbs.add(n)
        self.net_allocs += 1
        self.net_skbcount += 1
        self.live_skbs[n.id] = n
        return n

    def skb_copy(self, skb: SkBuff, priority: int = GFP_ATOMIC) -> SkBuff | None:
        """A new buffer with a private, writable copy of the data (SKB-16): the same size,
        headroom and length, every byte from head to end copied, ``free`` 1, protocol not
        set, owned by the caller. None when the allocation fails or the buffer was already
        freed. 2.0.1 rounds the size up to 16 bytes (``skbuff.c:783``; decision.copy.size)."""
        skb = _need_skb("skb_copy", skb)
        cur = self._k.current
        if not skb.alive or (cur is not None and skb.owner is not cur):
            self._bad_use(skb, "skb_copy")
            if not skb.alive:
                return None
        k = self._k
        if (k._fail_budget or k.alloc_fails is not None) and k._alloc_failed():
            self.net_fails += 1
            return None
        n = self._new_skb(skb.end - skb.head)
        offset = n.head - skb.head
        n.data = skb.data + offset
        n.tail = skb.tail + offset
        n.len = skb.len
        src = skb.area.buf
        if src is not None:
            n.area.buf = bytearray(src)
        n.free = 1
        n.dev = skb.dev
        # skbuff.c:772-824 does not copy protocol: the copy's is not set (0 here).
        n.pkt_type = skb.pkt_type
        n.arp = skb.arp
        n.raddr = skb.raddr
        n.mac_raw = skb.mac_raw + offset if skb.mac_raw else 0
        n.h_raw = skb.h_raw + offset if skb.h_raw else 0
        n.stamp = skb.stamp
        return n

    # -- queues -------------------------------------------------------------------------------

    def skb_queue_head_init(self, head: SkBuffHead | None = None, name: str = "") -> SkBuffHead:
        """Initialise a queue (Q-1) owned by the caller and return it (a new one if None).

        Re-initialising a queue that still holds buffers is recorded
        (``queue_reinit_nonempty``); its buffers are detached (on no list) rather than left
        pointing at it as 2.0 would.
        """
        cur = self._k.current
        if head is None:
            head = SkBuffHead(cur, name)
        else:
            head = _need_head("skb_queue_head_init", head)
            if cur is not None and head.owner is not cur and head.owner is not None:
                self._bad_queue(head, "skb_queue_head_init")
            if head.qlen:
                self._misuse("queue_reinit_nonempty",
                             f"skb_queue_head_init on queue {head.name or '?'} holding "
                             f"{head.qlen} buffer(s)", queue=head.name, qlen=head.qlen)
                self._detach_all(head)
            old = head.owner
            if old is not None and old is not cur:
                old.queues.discard(head)
            head.owner = cur
            if name:
                head.name = name
        if cur is not None:
            cur.queues.add(head)
        return head

    def _detach_all(self, head: SkBuffHead) -> None:
        node = head.next
        while isinstance(node, SkBuff):
            nxt = node.next
            node.next = node.prev = None
            node.list = None
            node = nxt if nxt is not None else head
        head.next = head.prev = head
        head.qlen = 0

    def _queue_check(self, head: SkBuffHead, skb: SkBuff, fn: str) -> bool:
        """Common checks before linking ``skb`` into ``head``; False: do not link it."""
        if not isinstance(head, SkBuffHead):
            _need_head(fn, head)
        skb = _need_skb(fn, skb)
        if not skb.alive:
            self._bad_use(skb, fn)
            return False
        cur = self._k.current
        if cur is not None:
            if skb.owner is not cur:
                self._bad_use(skb, fn)
            if head.owner is not cur:
                self._bad_queue(head, fn)
        if skb.list is not None or skb.next is not None:
            where = skb.list.name if skb.list is not None else "?"
            self.printk(f"Suspicious queue {'head' if fn == 'skb_queue_head' else 'tail'}: "
                        "sk_buff on list!")
            self._misuse("queue_twice", f"{fn} of buffer #{skb.id}, already on queue "
                         f"{where or '?'}", skb=skb.id, op=fn)
            self._unlink(skb)
        return True

    def skb_queue_tail(self, head: SkBuffHead, skb: SkBuff) -> None:
        """Append ``skb`` to ``head`` (Q-2)."""
        if self._queue_check(head, skb, "skb_queue_tail"):
            self._enqueue_tail(head, skb)

    def skb_queue_head(self, head: SkBuffHead, skb: SkBuff) -> None:
        """Put ``skb`` at the front of ``head`` (Q-2)."""
        if self._queue_check(head, skb, "skb_queue_head"):
            self._enqueue_head(head, skb)

    @staticmethod
    def _enqueue_tail(head: SkBuffHead, skb: SkBuff) -> None:
        _link_between(head.prev, head, skb, head)

    @staticmethod
    def _enqueue_head(head: SkBuffHead, skb: SkBuff) -> None:
        _link_between(head, head.next, skb, head)

    def skb_dequeue(self, head: SkBuffHead) -> SkBuff | None:
        """Remove and return the first buffer of ``head``, or None if it is empty (Q-3)."""
        if not isinstance(head, SkBuffHead):
            _need_head("skb_dequeue", head)
        cur = self._k.current
        if cur is not None and head.owner is not cur:
            self._bad_queue(head, "skb_dequeue")
        first = head.next
        if isinstance(first, SkBuffHead):
            return None
        nxt = first.next
        if nxt is None:  # corrupted link; cannot happen through these functions
            return None
        head.next = nxt
        nxt.prev = head
        first.next = first.prev = None
        first.list = None
        head.qlen -= 1
        return first

    def _dequeue(self, head: SkBuffHead) -> SkBuff | None:
        first = head.next
        if isinstance(first, SkBuffHead):
            return None
        self._unlink(first)
        return first

    def skb_peek(self, head: SkBuffHead) -> SkBuff | None:
        """The first buffer of ``head`` without removing it, or None (Q-6)."""
        first = _need_head("skb_peek", head).next
        return None if isinstance(first, SkBuffHead) else first

    def skb_peek_tail(self, head: SkBuffHead) -> SkBuff | None:
        """The last buffer of ``head`` without removing it, or None."""
        last = _need_head("skb_peek_tail", head).prev
        return None if isinstance(last, SkBuffHead) else last

    def skb_queue_len(self, head: SkBuffHead) -> int:
        """The number of buffers on ``head`` (qlen)."""
        return _need_head("skb_queue_len", head).qlen

    def skb_queue_empty(self, head: SkBuffHead) -> bool:
        """True if ``head`` holds no buffer."""
        return _need_head("skb_queue_empty", head).qlen == 0

    def skb_unlink(self, skb: SkBuff) -> None:
        """Take ``skb`` off whatever queue it is on (Q-5); a legal no-op if it is on none."""
        skb = _need_skb("skb_unlink", skb)
        if not skb.alive:
            self._bad_use(skb, "skb_unlink")
            return
        cur = self._k.current
        if cur is not None:
            if skb.owner is not cur:
                self._bad_use(skb, "skb_unlink")
            if skb.list is not None and skb.list.owner is not cur:
                self._bad_queue(skb.list, "skb_unlink")
        self._unlink(skb)

    @staticmethod
    def _unlink(skb: SkBuff) -> None:
        lst = skb.list
        if lst is None:
            return
        nxt, prv = skb.next, skb.prev
        if nxt is not None and prv is not None:
            nxt.prev = prv
            prv.next = nxt
        skb.next = skb.prev = None
        skb.list = None
        lst.qlen -= 1

    def _anchor_check(self, old: SkBuff, new: SkBuff, fn: str) -> SkBuffHead | None:
        old = _need_skb(fn, old)
        new = _need_skb(fn, new)
        if not new.alive:
            self._bad_use(new, fn)
            return None
        lst = old.list
        if lst is None or not old.alive:
            self.printk(f"{'insert before' if fn == 'skb_insert' else 'append before'} "
                        "unlisted item!")
            self._misuse("insert_unlisted", f"{fn} next to buffer #{old.id}, which is on no "
                         "queue", skb=old.id, op=fn)
            return None
        cur = self._k.current
        if cur is not None:
            if new.owner is not cur:
                self._bad_use(new, fn)
            if lst.owner is not cur:
                self._bad_queue(lst, fn)
        if new is old:
            self._misuse("queue_twice", f"{fn} of buffer #{new.id} next to itself",
                         skb=new.id, op=fn)
            return None
        if new.list is not None:
            self.printk(f"{'inserted' if fn == 'skb_insert' else 'append'} item is already "
                        "on a list.")
            self._misuse("queue_twice", f"{fn} of buffer #{new.id}, already on a queue",
                         skb=new.id, op=fn)
            self._unlink(new)
        return lst

    def skb_insert(self, old: SkBuff, new: SkBuff) -> None:
        """Put ``new`` just before ``old`` on ``old``'s queue (Q-4)."""
        lst = self._anchor_check(old, new, "skb_insert")
        if lst is None:
            return
        prv = old.prev
        if prv is not None:
            _link_between(prv, old, new, lst)

    def skb_append(self, old: SkBuff, new: SkBuff) -> None:
        """Put ``new`` just after ``old`` on ``old``'s queue (Q-4)."""
        lst = self._anchor_check(old, new, "skb_append")
        if lst is None:
            return
        nxt = old.next
        if nxt is not None:
            _link_between(old, nxt, new, lst)
