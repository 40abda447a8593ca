"""ISA shared memory, after Linux 2.0.1's ``include/asm-i386/io.h`` (``readb``/``readw``/
``readl``, ``writeb``/``writew``/``writel``, ``memcpy_fromio``, ``memcpy_toio``,
``io.h:68-78``): a shared-memory card (``wd.c``, ``smc-ultra.c``, ``3c503.c``) maps its
packet buffer into the ISA memory hole (0xA0000-0xFFFFF), and its driver reads and writes
it there, between the device's ``mem_start`` and ``mem_end`` (FLD-5).

:class:`IsaMemory` holds the windows cards map (:meth:`IsaMemory.attach` a
:class:`SharedMemory` at a base address); an address no card maps reads 0xff and ignores
writes, as the ISA bus does. An access by a module outside the shared-memory window of
every device it set up (``mem_start <= addr`` and ``addr + n <= mem_end``) is recorded
(``iomem_outside_window``), except while its ``init_module`` runs: a probe looks for the
card's memory before the device has a window (``wd.c`` ``wd_probe1``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from netdevspec.reference.common import KernelCore, need_int

if TYPE_CHECKING:
    from netdevspec.reference.device import Device

__all__ = ["ISA_MEM_END", "ISA_MEM_START", "IoMem", "IsaMemory", "SharedMemory"]

#: The ISA memory hole a card can map its buffer into.
ISA_MEM_START, ISA_MEM_END = 0xA0000, 0x100000


class SharedMemory:
    """A card's packet buffer as the CPU sees it: ``size`` bytes of RAM."""

    def __init__(self, size: int) -> None:
        if not isinstance(size, int) or not 0 < size <= ISA_MEM_END - ISA_MEM_START:
            raise ValueError(f"SharedMemory: size must be 1..{ISA_MEM_END - ISA_MEM_START} "
                             f"bytes, got {size!r}")
        self.ram = bytearray(size)
        #: Where it is mapped (set by :meth:`IsaMemory.attach`).
        self.base: int | None = None


class IsaMemory:
    """The ISA memory hole: which card's buffer answers at which address."""

    def __init__(self) -> None:
        self.windows: list[SharedMemory] = []

    def attach(self, mem: SharedMemory, base: int) -> SharedMemory:
        """Map ``mem`` at ``base`` (inside the ISA hole, overlapping no other window)."""
        need_int("attach", "base", base)
        end = base + len(mem.ram)
        if base < ISA_MEM_START or end > ISA_MEM_END:
            raise ValueError(f"a card's memory must lie in {ISA_MEM_START:#x}..{ISA_MEM_END:#x},"
                             f" not {base:#x}..{end:#x}")
        for w in self.windows:
            assert w.base is not None
            if base < w.base + len(w.ram) and w.base < end:
                raise ValueError(f"the memory at {base:#x} overlaps a card's at {w.base:#x}")
        mem.base = base
        self.windows.append(mem)
        return mem

    def read(self, addr: int, n: int) -> bytes:
        """``n`` bytes at ``addr`` (0xff where no card answers)."""
        return bytes(self._byte(a) for a in range(addr, addr + n))

    def write(self, addr: int, data: bytes) -> None:
        """Store ``data`` at ``addr`` (bytes no card answers for are lost)."""
        for i, b in enumerate(data):
            hit = self._at(addr + i)
            if hit is not None:
                w, off = hit
                w.ram[off] = b

    def _at(self, a: int) -> tuple[SharedMemory, int] | None:
        for w in self.windows:
            assert w.base is not None
            if w.base <= a < w.base + len(w.ram):
                return w, a - w.base
        return None

    def _byte(self, a: int) -> int:
        hit = self._at(a)
        return 0xFF if hit is None else hit[0].ram[hit[1]]


class IoMem:
    """``readb``, ``writeb``, ``memcpy_fromio``, ``memcpy_toio`` and the window check."""

    def __init__(self, core: KernelCore, mem: IsaMemory,
                 devices: Callable[[], Iterable[Device]]) -> None:
        self._k = core
        self.mem = mem
        self._devices = devices

    def _check(self, fn: str, addr: int, n: int) -> None:
        cur = self._k.current
        if cur is None:
            return
        from netdevspec.reference.modules import MOD_INITIALIZING

        if cur.state == MOD_INITIALIZING:
            return  # probing for the card's memory (wd_probe1)
        for d in self._devices():
            if (d.owner is cur and d.registered and d.mem_start <= addr
                    and addr + n <= d.mem_end):
                return
        self._k._misuse("iomem_outside_window", f"{fn}({addr:#x}, {n}) by module {cur.name} "
                        "outside the shared-memory window of every device it registered",
                        addr=addr, n=n, op=fn)

    def readb(self, addr: int) -> int:
        """A byte of shared memory."""
        self._check("readb", need_int("readb", "addr", addr), 1)
        return self.mem.read(addr, 1)[0]

    def readw(self, addr: int) -> int:
        """A little-endian 16-bit word of shared memory."""
        self._check("readw", need_int("readw", "addr", addr), 2)
        return int.from_bytes(self.mem.read(addr, 2), "little")

    def writeb(self, value: int, addr: int) -> None:
        """Store a byte (C order: value first)."""
        self._check("writeb", need_int("writeb", "addr", addr), 1)
        self.mem.write(addr, bytes([need_int("writeb", "value", value) & 0xFF]))

    def writew(self, value: int, addr: int) -> None:
        """Store a little-endian 16-bit word (C order: value first)."""
        self._check("writew", need_int("writew", "addr", addr), 2)
        self.mem.write(addr, (need_int("writew", "value", value) & 0xFFFF).to_bytes(2, "little"))

    def memcpy_fromio(self, addr: int, n: int) -> bytes:
        """``n`` bytes of shared memory from ``addr`` (here: returned)."""
        self._check("memcpy_fromio", need_int("memcpy_fromio", "addr", addr),
                    need_int("memcpy_fromio", "n", n))
        return self.mem.read(addr, max(n, 0))

    def memcpy_toio(self, addr: int, data: bytes | bytearray) -> None:
        """Copy ``data`` into shared memory at ``addr``."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"memcpy_toio: data must be bytes, got {type(data).__name__}")
        self._check("memcpy_toio", need_int("memcpy_toio", "addr", addr), len(data))
        self.mem.write(addr, bytes(data))
