"""Ghost state: the parts of the spec's state that a real kernel does not store.

The spec counts exactly, for any number of objects, by keeping dense ghost tables: each
queue's elements sit at positions ``lo .. hi-1``; each data area lists the buffers that
share it in slots ``0 .. refs-1``; the I/O table lists regions in slots ``0 .. count-1``.
A kernel keeps none of these numbers, so whoever maps a kernel's state to the spec's
(the refinement tests, the conformance monitor) must maintain them, moving them exactly
as the spec's guarantees say each operation moves them. This module does that, and maps
interface names to the spec's integer name codes.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from netdevspec.spec.vocabulary import MAX_ETH_CARDS, NAME_BLANK, NAME_NULL, UNIT_CODES

__all__ = ["NameCodes", "QueueGhost", "SlotTable"]

_UNIT = re.compile(r"^(?P<prefix>[A-Za-z_\-]*[A-Za-z_\-])(?P<unit>\d{1,3})$")


@dataclass
class NameCodes:
    """Interface names as the spec's integer codes.

    ``ethN`` is ``N``; another ``<prefix>N`` (N < 1000) is ``1000 * k + N`` where ``k``
    numbers the prefixes in the order they are first seen (from 1); a blank name (empty,
    or starting with a space, as 2.0 tests it) is ``NAME_BLANK``; no name is
    ``NAME_NULL``; any other name gets a code above every unit code.
    """

    prefixes: dict[str, int] = field(default_factory=dict)
    others: dict[str, int] = field(default_factory=dict)

    def prefix(self, prefix: str) -> int:
        """The format code of ``prefix`` (``eth`` is 0)."""
        if prefix == "eth":
            return 0
        return self.prefixes.setdefault(prefix, len(self.prefixes) + 1)

    def code(self, name: str | None) -> int:
        """The code of an interface name."""
        if name is None:
            return NAME_NULL
        if name == "" or name.startswith(" ") or name.startswith("\0"):
            return NAME_BLANK
        m = _UNIT.match(name)
        if m is not None:
            unit = int(m.group("unit"))
            return UNIT_CODES * self.prefix(m.group("prefix")) + unit
        return self.others.setdefault(name, 10**6 + len(self.others))

    @staticmethod
    def eth_slot(code: int) -> int | None:
        """The eth slot a name code takes, if any."""
        return code if 0 <= code < MAX_ETH_CARDS else None


@dataclass
class QueueGhost:
    """The ghost position of a queue's first element, moved as the spec moves it.

    Positions are ``lo + index``: appending at the tail or after an element leaves
    ``lo`` alone; putting a buffer at the head or before an element moves it down by
    one; taking one off the head, or unlinking one, moves it up by one.
    """

    lo: dict[Hashable, int] = field(default_factory=dict)

    def reset(self, queue: Hashable) -> None:
        """The queue was (re)initialised: empty, at position 0."""
        self.lo[queue] = 0

    def first(self, queue: Hashable) -> int:
        """The position of the queue's first element."""
        return self.lo.get(queue, 0)

    def grew_at_front(self, queue: Hashable) -> None:
        """``skb_queue_head`` or ``skb_insert`` (and a busy frame requeued at the head)."""
        self.lo[queue] = self.first(queue) - 1

    def shrank_at_front(self, queue: Hashable) -> None:
        """``skb_dequeue`` or ``skb_unlink`` (the elements before move up one)."""
        self.lo[queue] = self.first(queue) + 1

    def emptied(self, queue: Hashable, length: int) -> None:
        """A drain: every element left from the front."""
        self.lo[queue] = self.first(queue) + length


@dataclass
class SlotTable:
    """A dense table of slots ``0 .. n-1`` per owner key; removal moves the last element
    into the freed slot (the spec's clone references and its I/O region table)."""

    slots: dict[Hashable, list[Hashable]] = field(default_factory=dict)
    where: dict[Hashable, int] = field(default_factory=dict)

    def add(self, key: Hashable, item: Hashable) -> int:
        """Append ``item`` under ``key``; returns its slot."""
        table = self.slots.setdefault(key, [])
        table.append(item)
        self.where[item] = len(table) - 1
        return len(table) - 1

    def remove(self, key: Hashable, item: Hashable) -> None:
        """Remove ``item``: the last element takes its slot."""
        table = self.slots[key]
        i = self.where.pop(item)
        last = table.pop()
        if last != item:
            table[i] = last
            self.where[last] = i
        if not table:
            del self.slots[key]

    def slot(self, item: Hashable) -> int:
        """The slot of ``item``."""
        return self.where[item]

    def items(self, key: Hashable) -> list[Hashable]:
        """The items under ``key`` in slot order."""
        return list(self.slots.get(key, ()))

    def seed(self, key: Hashable, items: Iterable[Hashable]) -> None:
        """Start ``key``'s table with ``items`` in this order (for a kernel already running)."""
        for item in items:
            self.add(key, item)
