"""I/O port regions, after Linux 2.0.1's ``kernel/resource.c``.

A sorted list of claimed regions in a 64-entry table (``resource.c:16``), searched by
``find_gap`` (``resource.c:47``). ``check_region`` (``resource.c:117``) answers -EBUSY
when a range overlaps a claimed one or wraps around (``from > from+num-1`` in 32-bit
unsigned arithmetic, ``resource.c:53``); ``request_region`` (``resource.c:72``) is void and
claims nothing when the table is full or the range is not free; ``release_region``
(``resource.c:98``) removes the entry of exactly that extent, silently doing nothing
otherwise. No function checks who claimed what: the reference records that.
"""

from __future__ import annotations

from dataclasses import dataclass

from netdevspec.reference.common import EBUSY, KernelCore, need_int
from netdevspec.reference.modules import Module

__all__ = ["IOTABLE_SIZE", "PORT_MAX", "Region", "Resource"]

#: kernel/resource.c:16: the number of regions the table holds.
IOTABLE_SIZE = 64
#: The last port of the ISA port space.
PORT_MAX = 0xFFFF
_U32 = 0xFFFF_FFFF


@dataclass(eq=False)
class Region:
    """One claimed I/O region ``[start, start + num)`` with its name and owner (RES-9)."""

    start: int
    num: int
    name: str
    owner: Module | None

    @property
    def last(self) -> int:
        """The last port of the region."""
        return self.start + self.num - 1


class Resource:
    """The I/O region table."""

    def __init__(self, core: KernelCore) -> None:
        self._k = core
        self._regions: list[Region] = []
        #: Counts claims and releases of I/O regions (a cheap "has the table changed").
        self.region_changes = 0

    # -- building a kernel in a given state ----------------------------------------------------

    def install(self, region: Region) -> None:
        """Put ``region`` into the table, in order, without request_region's checks (boot,
        or building a kernel in a given state). The owner's accounting is the caller's."""
        at = 0
        regions = self._regions
        while at < len(regions) and regions[at].start < region.start:
            at += 1
        regions.insert(at, region)
        self.region_changes += 1

    # -- the API -------------------------------------------------------------------------------

    def overlapping(self, start: int, num: int) -> Region | None:
        """The first claimed region sharing a port with ``[start, start+num)``, or None."""
        last = start + num - 1
        for r in self._regions:
            if r.start <= last and start <= r.last:
                return r
        return None

    def _gap(self, start: int, num: int) -> bool:
        """2.0.1's ``find_gap`` found room: no wrap-around and no overlap (32-bit unsigned)."""
        start &= _U32
        last = (start + (num & _U32) - 1) & _U32
        if start > last:
            return False
        return all(not (r.start <= last and start <= r.last) for r in self._regions)

    def check_region(self, start: int, num: int) -> int:
        """0 if ``[start, start+num)`` is free, -EBUSY if it overlaps a claimed region or
        wraps around (RES-8, ``resource.c:117``). ``num`` 0 wraps unless ``start`` is 0,
        and ``(0, 0)`` covers every port. A free answer lets the calling module probe
        those ports."""
        need_int("check_region", "from", start)
        need_int("check_region", "num", num)
        if not self._gap(start, num):
            return -EBUSY
        cur = self._k.current
        if cur is not None:
            cur.checked.append((start, num))
            if len(cur.checked) > IOTABLE_SIZE:
                del cur.checked[0]
        return 0

    def request_region(self, start: int, num: int, name: str = "") -> None:
        """Claim ``[start, start+num)`` for the caller (RES-9); void, as in 2.0.

        A full 64-entry table is logged and recorded (``request_region_full``,
        ``resource.c:80``); a range that is not free is recorded (``request_region_busy``,
        ``resource.c:84``); neither claims anything. An empty range claims nothing either
        (recorded as busy; see decision.region.empty). A range past port 0xffff is
        recorded (``region_bad_range``) and claimed.
        """
        need_int("request_region", "from", start)
        need_int("request_region", "num", num)
        k = self._k
        if len(self._regions) >= IOTABLE_SIZE:
            k.printk("warning: ioport table is full")
            k._misuse("request_region_full", f"request_region({start:#x}, {num}): the "
                      f"{IOTABLE_SIZE}-entry table is full", start=start, num=num)
            return
        clash = self.overlapping(start, num) if num > 0 else None
        if num <= 0 or clash is not None or not self._gap(start, num):
            holder = ("" if clash is None else f", which overlaps {clash.name!r} "
                      f"[{clash.start:#x}-{clash.last:#x}]")
            k._misuse("request_region_busy", f"request_region({start:#x}, {num}) ignored"
                      f"{holder}", start=start, num=num)
            return
        if start < 0 or start + num - 1 > PORT_MAX:
            k._misuse("region_bad_range", f"request_region({start:#x}, {num}) reaches "
                      "outside the port space 0..0xffff", start=start, num=num)
        region = Region(start, num, str(name), k.current)
        self.install(region)
        if region.owner is not None:
            region.owner.regions.append(region)

    def release_region(self, start: int, num: int) -> None:
        """Release the region with exactly this extent (RES-10, ``resource.c:98``).

        No exact match: recorded (``release_region_nomatch``), nothing happens. Another
        module's region: recorded (``release_region_unowned``) and released, as 2.0 does.
        """
        need_int("release_region", "from", start)
        need_int("release_region", "num", num)
        k = self._k
        for i, r in enumerate(self._regions):
            if r.start == start and r.num == num:
                cur = k.current
                if cur is not None and r.owner is not cur:
                    holder = "the kernel" if r.owner is None else f"module {r.owner.name}"
                    k._misuse("release_region_unowned",
                              f"release_region({start:#x}, {num}) released {r.name!r} "
                              f"of {holder}", start=start, num=num)
                del self._regions[i]
                self.region_changes += 1
                if r.owner is not None:
                    r.owner.regions.remove(r)
                return
        k._misuse("release_region_nomatch", f"release_region({start:#x}, {num}): no "
                  "region has exactly this extent", start=start, num=num)

    @property
    def regions(self) -> tuple[Region, ...]:
        """The claimed I/O regions, by start port."""
        return tuple(self._regions)

    def region_owner(self, port: int) -> Region | None:
        """The claimed region containing ``port``, or None."""
        return self.overlapping(port, 1)
