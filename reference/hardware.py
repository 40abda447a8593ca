"""Simulated ISA hardware: the bus, a card base class and :class:`SimpleNic`.

Drivers reach the hardware only through the kernel's port functions (``kernel.inb``,
``kernel.outb``, ``kernel.insw``, ...), which check every access against the I/O regions
the calling module claimed and then forward it to :class:`IsaBus`. A port with no card
reads as all ones (0xff), as a floating ISA bus does; writes to it are lost.

:class:`SimpleNic` is a small Ethernet card in the style ``skeleton.c`` expects: a station
address PROM at ``base+0..5`` (prefix 00:42:65 by default, so skeleton-style probes
recognise it), a receive FIFO the test pushes frames into, a transmit buffer, interrupt
status and mask registers, and an IRQ line it raises on receive and on transmit-complete.

Register map of :class:`SimpleNic` (offsets from the base port; extent 32):

====== ========= =============================================================
offset name      meaning
====== ========= =============================================================
0..5   SA_PROM   station address (read only)
6      ISR       interrupt causes: 0x01 frame received, 0x02 transmit done;
                 writing 1s clears them
7      CMD       write: 0x01 transmit, 0x02 drop the head receive frame,
                 0x04 reset, 0x08 start the receiver, 0x10 stop it
8      IMR       interrupt mask (same bits as ISR)
9      RXCOUNT   frames waiting in the receive FIFO (read only)
10-11  RXLEN     length of the head receive frame (16 bits, read only)
12-13  TXLEN     length of the frame to transmit (16 bits, write)
14     CONFIG    free for the driver (promiscuous etc.; stored only)
15     STATUS    0x01 a frame is waiting, 0x04 transmitter busy, 0x80 running
16     DATA      byte or word port: reads the head receive frame, writes the
                 transmit buffer
====== ========= =============================================================
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netdevspec.reference.kernel import Kernel

__all__ = ["IsaBus", "IsaCard", "SimpleNic"]

_ALL_ONES = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFF_FFFF}


def _check_width(width: int) -> None:
    if width not in _ALL_ONES:
        raise ValueError(f"port access width must be 1, 2 or 4 bytes, got {width}")


class IsaCard:
    """A card occupying ``extent`` ports from its base; subclass and override the accessors.

    ``kernel`` is set when the card is attached with ``kernel.attach_card``; a card raises
    its interrupt with ``self.kernel.raise_irq(line)``.
    """

    def __init__(self, extent: int) -> None:
        if not isinstance(extent, int) or extent <= 0:
            raise ValueError(f"a card needs a positive port extent, got {extent!r}")
        self.extent = extent
        self.base: int | None = None
        self.kernel: Kernel | None = None

    def read(self, offset: int, width: int) -> int:
        """Read ``width`` bytes at ``offset`` from the base (default: nothing answers)."""
        return _ALL_ONES[width]

    def write(self, offset: int, width: int, value: int) -> None:
        """Write ``width`` bytes at ``offset`` from the base (default: ignored)."""

    def read_string(self, offset: int, width: int, count: int) -> bytes:
        """``count`` reads of ``width`` bytes at one port (insb/insw), as little-endian bytes."""
        return b"".join(self.read(offset, width).to_bytes(width, "little")
                        for _ in range(max(count, 0)))

    def write_string(self, offset: int, width: int, data: bytes) -> None:
        """Writes of ``width`` bytes at one port (outsb/outsw); a short tail is padded."""
        for i in range(0, len(data), width):
            chunk = data[i:i + width].ljust(width, b"\0")
            self.write(offset, width, int.from_bytes(chunk, "little"))


class IsaBus:
    """The ISA port space: which card answers at which port."""

    def __init__(self) -> None:
        self._map: dict[int, IsaCard] = {}
        self.cards: list[IsaCard] = []

    def attach(self, card: IsaCard, base: int) -> None:
        """Map ``card`` at ports ``base .. base + card.extent - 1``.

        Raises ValueError if the range leaves the port space or overlaps another card:
        two cards on the same ports is a hardware conflict, not something to simulate.
        """
        if not isinstance(base, int) or base < 0 or base + card.extent - 1 > 0xFFFF:
            raise ValueError(f"cannot attach a card of {card.extent} ports at {base!r}: the "
                             "range must lie inside the ISA port space 0..0xffff")
        for port in range(base, base + card.extent):
            if port in self._map:
                raise ValueError(f"cannot attach a card at {base:#x}: port {port:#x} already "
                                 "belongs to another card; pick another base address")
        for port in range(base, base + card.extent):
            self._map[port] = card
        card.base = base
        self.cards.append(card)

    def detach(self, card: IsaCard) -> None:
        """Take ``card`` off the bus."""
        if card.base is not None:
            for port in range(card.base, card.base + card.extent):
                self._map.pop(port, None)
        if card in self.cards:
            self.cards.remove(card)
        card.base = None

    def card_at(self, port: int) -> IsaCard | None:
        """The card answering at ``port``, or None."""
        return self._map.get(port)

    def read(self, port: int, width: int) -> int:
        """A read of ``width`` bytes at ``port``: the card's answer, or all ones."""
        _check_width(width)
        card = self._map.get(port)
        if card is None or card.base is None:
            return _ALL_ONES[width]
        return card.read(port - card.base, width) & _ALL_ONES[width]

    def write(self, port: int, width: int, value: int) -> None:
        """A write of ``width`` bytes at ``port`` (lost if no card answers)."""
        _check_width(width)
        card = self._map.get(port)
        if card is not None and card.base is not None:
            card.write(port - card.base, width, value & _ALL_ONES[width])

    def read_string(self, port: int, width: int, count: int) -> bytes:
        """``count`` reads of ``width`` bytes at ``port`` (insb/insw)."""
        _check_width(width)
        card = self._map.get(port)
        if card is None or card.base is None:
            return b"\xff" * (width * max(count, 0))
        return card.read_string(port - card.base, width, count)

    def write_string(self, port: int, width: int, data: bytes) -> None:
        """Writes of ``width`` bytes at ``port`` (outsb/outsw)."""
        _check_width(width)
        card = self._map.get(port)
        if card is not None and card.base is not None:
            card.write_string(port - card.base, width, data)


class SimpleNic(IsaCard):
    """A simple ISA Ethernet card (see the module docstring for its registers).

    ``push_frame(frame)`` delivers a frame from the wire: it joins the receive FIFO (if the
    receiver is started and the FIFO has room) and the card raises its line if receive
    interrupts are enabled. Transmitted frames are appended to :attr:`sent`; with
    ``auto_tx_complete`` (the default) transmission completes at once (the interrupt is
    latched and delivered when the driver's code returns to the kernel), otherwise when
    the test calls :meth:`complete_tx`.

    Faulty cards, for scenarios that reach a driver's error paths (:meth:`behave`): a
    slow card completes a transmission ``tx_delay`` clock ticks after it started
    (:meth:`advance` moves its clock), a stuck one only when it is reset; a card with
    ``rx_errors`` reports every received frame's length with the error bit 0x8000 set; a
    ``dead`` card does not answer at all (reads float to all ones, writes are lost, it
    never interrupts).
    """

    EXTENT = 32
    SA_PROM = 0x00
    ISR = 0x06
    CMD = 0x07
    IMR = 0x08
    RXCOUNT = 0x09
    RXLEN = 0x0A
    TXLEN = 0x0C
    CONFIG = 0x0E
    STATUS = 0x0F
    DATA = 0x10

    ISR_RX = 0x01
    ISR_TX = 0x02
    CMD_TX = 0x01
    CMD_RX_NEXT = 0x02
    CMD_RESET = 0x04
    CMD_START = 0x08
    CMD_STOP = 0x10
    STATUS_RX_READY = 0x01
    STATUS_TX_BUSY = 0x04
    STATUS_RUNNING = 0x80

    def __init__(self, mac: bytes = b"\x00\x42\x65\x00\x00\x01", irq: int = 5,
                 rx_capacity: int = 16, auto_tx_complete: bool = True) -> None:
        super().__init__(self.EXTENT)
        if len(mac) != 6:
            raise ValueError(f"a station address has 6 bytes, got {len(mac)}")
        if not 0 <= irq <= 15:
            raise ValueError(f"an ISA card's IRQ line is 0..15, got {irq}")
        self.mac = bytes(mac)
        self.irq = irq
        self.rx_capacity = rx_capacity
        self.auto_tx_complete = auto_tx_complete
        self.rx_fifo: deque[bytes] = deque()
        self._rx_ptr = 0
        self._tx_buf = bytearray()
        self._tx_len = 0
        #: Frames the card put on the wire, in order.
        self.sent: list[bytes] = []
        self.isr = 0
        self.imr = 0
        self.config = 0
        self.running = False
        self.tx_busy = False
        self.rx_missed = 0
        self.rx_overruns = 0
        #: Ticks a transmission takes when ``auto_tx_complete`` is off (None: until
        #: :meth:`complete_tx`; -1: never, until a reset), and the ticks left of the one
        #: in progress.
        self.tx_delay: int | None = None
        self._tx_left = 0
        self.rx_errors = False
        self.dead = False

    #: The behaviours :meth:`behave` knows.
    BEHAVIOURS = ("normal", "slow", "stuck", "rx_errors", "ring", "dead")

    def behave(self, mode: str, k: int = 0) -> None:
        """Set the card's behaviour: ``normal``; ``slow`` (a transmission completes ``k``
        ticks after it starts, at least 1); ``stuck`` (it completes only when the card is
        reset); ``rx_errors`` (received lengths carry the error bit); ``ring`` (the
        receive FIFO holds ``k`` frames, at least 1); ``dead`` (the card does not answer).
        Raises ValueError for another mode."""
        if mode not in self.BEHAVIOURS:
            raise ValueError(f"unknown card behaviour {mode!r}: choose one of "
                             f"{', '.join(self.BEHAVIOURS)}")
        self.auto_tx_complete = mode not in ("slow", "stuck")
        self.tx_delay = max(k, 1) if mode == "slow" else -1 if mode == "stuck" else None
        self.rx_errors = mode == "rx_errors"
        self.dead = mode == "dead"
        if mode == "ring":
            self.rx_capacity = max(k, 1)

    def advance(self, n: int) -> None:
        """The clock advances ``n`` ticks: a slow transmission in progress may complete."""
        if self.tx_busy and self.tx_delay is not None and self.tx_delay > 0:
            self._tx_left -= n
            if self._tx_left <= 0:
                self._tx_done()

    def ticks_to_completion(self) -> int | None:
        """Ticks until the transmission in progress completes by itself, or None."""
        if self.tx_busy and self.tx_delay is not None and self.tx_delay > 0:
            return max(self._tx_left, 1)
        return None

    # -- the wire side (for tests) ---------------------------------------------------------------

    def push_frame(self, frame: bytes) -> bool:
        """A frame arrives from the wire; True if the card took it."""
        if not self.running or self.dead:
            self.rx_missed += 1
            return False
        if len(self.rx_fifo) >= self.rx_capacity:
            self.rx_overruns += 1
            return False
        self.rx_fifo.append(bytes(frame))
        self.isr |= self.ISR_RX
        if self.imr & self.ISR_RX:
            self._raise()
        return True

    def complete_tx(self) -> None:
        """Finish the transmission in progress (when ``auto_tx_complete`` is off; a
        stuck card's only by a reset)."""
        if self.tx_busy and self.tx_delay != -1:
            self._tx_done()

    def _tx_done(self) -> None:
        self.tx_busy = False
        self.isr |= self.ISR_TX
        if self.imr & self.ISR_TX:
            self._raise()

    def _raise(self) -> None:
        if self.kernel is not None and not self.dead:
            self.kernel.raise_irq(self.irq)

    # -- the bus side --------------------------------------------------------------------------

    def _head_len(self) -> int:
        if not self.rx_fifo:
            return 0
        return len(self.rx_fifo[0]) | (0x8000 if self.rx_errors else 0)

    def _read_byte(self, off: int) -> int:
        if 0 <= off < 6:
            return self.mac[off]
        if off == self.ISR:
            return self.isr
        if off == self.IMR:
            return self.imr
        if off == self.RXCOUNT:
            return min(len(self.rx_fifo), 255)
        if off == self.RXLEN:
            return self._head_len() & 0xFF
        if off == self.RXLEN + 1:
            return (self._head_len() >> 8) & 0xFF
        if off == self.CONFIG:
            return self.config
        if off == self.STATUS:
            return ((self.STATUS_RX_READY if self.rx_fifo else 0)
                    | (self.STATUS_TX_BUSY if self.tx_busy else 0)
                    | (self.STATUS_RUNNING if self.running else 0))
        if off == self.DATA:
            return self._data_byte()
        return 0xFF

    def _data_byte(self) -> int:
        if not self.rx_fifo:
            return 0
        frame = self.rx_fifo[0]
        ptr = self._rx_ptr
        self._rx_ptr += 1
        return frame[ptr] if ptr < len(frame) else 0

    def read(self, offset: int, width: int) -> int:
        """Register read (see the register map); all ones from a dead card."""
        if self.dead:
            return super().read(offset, width)
        if offset == self.DATA:
            return int.from_bytes(bytes(self._data_byte() for _ in range(width)), "little")
        return int.from_bytes(bytes(self._read_byte(offset + i) for i in range(width)),
                              "little")

    def read_string(self, offset: int, width: int, count: int) -> bytes:
        """insb/insw: at the DATA port, a block copy of the head receive frame."""
        if offset != self.DATA or self.dead:
            return super().read_string(offset, width, count)
        n = width * max(count, 0)
        if not self.rx_fifo:
            return bytes(n)
        frame = self.rx_fifo[0]
        chunk = frame[self._rx_ptr:self._rx_ptr + n]
        self._rx_ptr += n
        return chunk.ljust(n, b"\0")

    def write(self, offset: int, width: int, value: int) -> None:
        """Register write (see the register map); lost on a dead card."""
        if self.dead:
            return
        if offset == self.DATA:
            self._tx_buf += value.to_bytes(width, "little")
            return
        for i in range(width):
            self._write_byte(offset + i, (value >> (8 * i)) & 0xFF)

    def write_string(self, offset: int, width: int, data: bytes) -> None:
        """outsb/outsw: at the DATA port, a block copy into the transmit buffer."""
        if self.dead:
            return
        if offset != self.DATA:
            super().write_string(offset, width, data)
            return
        pad = (-len(data)) % width
        self._tx_buf += data + bytes(pad)

    def _write_byte(self, off: int, v: int) -> None:
        if off == self.ISR:
            self.isr &= ~v
        elif off == self.CMD:
            self._command(v)
        elif off == self.IMR:
            self.imr = v
        elif off == self.TXLEN:
            self._tx_len = (self._tx_len & 0xFF00) | v
        elif off == self.TXLEN + 1:
            self._tx_len = (self._tx_len & 0x00FF) | (v << 8)
        elif off == self.CONFIG:
            self.config = v

    def _command(self, v: int) -> None:
        if v & self.CMD_RESET:
            self.rx_fifo.clear()
            self._rx_ptr = 0
            self._tx_buf.clear()
            self._tx_len = 0
            self.isr = self.imr = 0
            self.running = False
            self.tx_busy = False
        if v & self.CMD_START:
            self.running = True
        if v & self.CMD_STOP:
            self.running = False
        if v & self.CMD_RX_NEXT and self.rx_fifo:
            self.rx_fifo.popleft()
            self._rx_ptr = 0
        if v & self.CMD_TX:
            n = self._tx_len
            frame = bytes(self._tx_buf[:n]).ljust(n, b"\0")
            self._tx_buf.clear()
            self.sent.append(frame)
            self.tx_busy = True
            self._tx_left = self.tx_delay if self.tx_delay is not None else 0
            if self.auto_tx_complete:
                self._tx_done()
