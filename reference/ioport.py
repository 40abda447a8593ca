"""Port I/O, after Linux 2.0.1's ``include/asm-i386/io.h`` (``inb``/``outb`` and friends).

The ports reach the simulated ISA bus (:class:`~netdevspec.reference.hardware.IsaBus`). The
pausing variants (``inb_p``, ``outb_p``, ...) do the access and then 2.0.1's
``SLOW_DOWN_IO`` (``io.h:31``): ``outb %al,$0x80``, a write of the low byte of the
value moved to port 0x80, where no PC device answers (as the kernel: no module
claims port 0x80). 2.0.1 checks nothing here; the reference records a module's access
to a port outside every region it claimed, unless it is probing a range it found free
with ``check_region`` (``port_outside_region``; RES-8, RES-11, RES-12).
"""

from __future__ import annotations

from typing import TypeVar

from netdevspec.reference.common import KernelCore, need_int
from netdevspec.reference.hardware import IsaBus, IsaCard
from netdevspec.reference.resource import PORT_MAX, Resource

__all__ = ["SLOW_DOWN_PORT", "Ports"]

#: io.h:31: ``__SLOW_DOWN_IO`` is ``outb %al,$0x80``.
SLOW_DOWN_PORT = 0x80

_Card = TypeVar("_Card", bound=IsaCard)


def _need_port(fn: str, port: object) -> int:
    p = need_int(fn, "port", port)
    if not 0 <= p <= PORT_MAX:
        raise ValueError(f"{fn}: port {p:#x} is outside the ISA port space 0..0xffff; pass a "
                         "16-bit port number")
    return p


class Ports:
    """The port functions over an ISA bus."""

    def __init__(self, core: KernelCore, resource: Resource, bus: IsaBus) -> None:
        self._k = core
        self._res = resource
        self.bus = bus

    def attach(self, card: _Card, base: int) -> _Card:
        """Put ``card`` on the bus at ports ``base .. base + card.extent - 1``; returns it."""
        self.bus.attach(card, base)
        return card

    def _port_check(self, port: int, width: int, op: str) -> None:
        cur = self._k.current
        if cur is None:
            return
        last = port + width - 1
        for r in cur.regions:
            if r.start <= port and last <= r.last:
                return
        for start, num in cur.checked:
            if (start <= port and last < start + num
                    and self._res.overlapping(port, width) is None):
                return  # probing ports it found free with check_region (RES-8, RES-12)
        self._k._misuse("port_outside_region",
                        f"{op} on port {port:#x} outside every region module {cur.name} "
                        "claimed", port=port, op=op)

    def inb(self, port: int) -> int:
        """Read a byte from ``port`` (0xff where no card answers)."""
        self._port_check(_need_port("inb", port), 1, "inb")
        return self.bus.read(port, 1)

    def inw(self, port: int) -> int:
        """Read a 16-bit word from ``port``."""
        self._port_check(_need_port("inw", port), 2, "inw")
        return self.bus.read(port, 2)

    def inl(self, port: int) -> int:
        """Read a 32-bit word from ``port``."""
        self._port_check(_need_port("inl", port), 4, "inl")
        return self.bus.read(port, 4)

    def outb(self, value: int, port: int) -> None:
        """Write a byte to ``port`` (C order: value first)."""
        self._port_check(_need_port("outb", port), 1, "outb")
        self.bus.write(port, 1, need_int("outb", "value", value) & 0xFF)

    def outw(self, value: int, port: int) -> None:
        """Write a 16-bit word to ``port`` (C order: value first)."""
        self._port_check(_need_port("outw", port), 2, "outw")
        self.bus.write(port, 2, need_int("outw", "value", value) & 0xFFFF)

    def outl(self, value: int, port: int) -> None:
        """Write a 32-bit word to ``port`` (C order: value first)."""
        self._port_check(_need_port("outl", port), 4, "outl")
        self.bus.write(port, 4, need_int("outl", "value", value) & 0xFFFF_FFFF)

    def insb(self, port: int, count: int) -> bytes:
        """Read ``count`` bytes from ``port`` (a string read)."""
        self._port_check(_need_port("insb", port), 1, "insb")
        return self.bus.read_string(port, 1, need_int("insb", "count", count))

    def insw(self, port: int, count: int) -> bytes:
        """Read ``count`` 16-bit words from ``port`` (little-endian bytes, 2*count long)."""
        self._port_check(_need_port("insw", port), 2, "insw")
        return self.bus.read_string(port, 2, need_int("insw", "count", count))

    def insl(self, port: int, count: int) -> bytes:
        """Read ``count`` 32-bit words from ``port`` (little-endian bytes, 4*count long)."""
        self._port_check(_need_port("insl", port), 4, "insl")
        return self.bus.read_string(port, 4, need_int("insl", "count", count))

    def outsl(self, port: int, data: bytes | bytearray) -> None:
        """Write ``data`` to ``port`` as 32-bit words (a short last word is padded with 0)."""
        self._port_check(_need_port("outsl", port), 4, "outsl")
        self.bus.write_string(port, 4, bytes(data))

    def outsb(self, port: int, data: bytes | bytearray) -> None:
        """Write ``data`` to ``port`` byte by byte."""
        self._port_check(_need_port("outsb", port), 1, "outsb")
        self.bus.write_string(port, 1, bytes(data))

    def outsw(self, port: int, data: bytes | bytearray) -> None:
        """Write ``data`` to ``port`` as 16-bit words (an odd length is padded with 0)."""
        self._port_check(_need_port("outsw", port), 2, "outsw")
        self.bus.write_string(port, 2, bytes(data))

    # -- the pausing variants (io.h:99, io.h:111) ------------------------------------------------

    def _slow_down_io(self, al: int) -> None:
        self.bus.write(SLOW_DOWN_PORT, 1, al & 0xFF)

    def inb_p(self, port: int) -> int:
        """``inb`` then the pause (``io.h:111``): the byte read is written to port 0x80."""
        v = self.inb(port)
        self._slow_down_io(v)
        return v

    def inw_p(self, port: int) -> int:
        """``inw`` then the pause: the low byte of the word read goes to port 0x80."""
        v = self.inw(port)
        self._slow_down_io(v)
        return v

    def inl_p(self, port: int) -> int:
        """``inl`` then the pause: the low byte of the value read goes to port 0x80."""
        v = self.inl(port)
        self._slow_down_io(v)
        return v

    def outb_p(self, value: int, port: int) -> None:
        """``outb`` then the pause (``io.h:99``): the low byte of ``value`` to port 0x80."""
        self.outb(value, port)
        self._slow_down_io(value)

    def outw_p(self, value: int, port: int) -> None:
        """``outw`` then the pause: the low byte of ``value`` to port 0x80."""
        self.outw(value, port)
        self._slow_down_io(value)

    def outl_p(self, value: int, port: int) -> None:
        """``outl`` then the pause: the low byte of ``value`` to port 0x80."""
        self.outl(value, port)
        self._slow_down_io(value)
