"""Differential tests against Linux 2.0.1's ISA shared-memory accessors and ``udelay``
(``include/asm-i386/io.h``, ``include/asm-i386/delay.h``).

In 2.0.1 ``readb``/``readw``/``writeb``/``writew`` are plain volatile loads and stores
at the address and ``memcpy_fromio``/``memcpy_toio`` plain ``memcpy``; the reference maps
each card's buffer at its address in the ISA hole (``attach_memory``, a simulation
helper) and does the same loads, stores and copies there, little-endian as the i386 is.
"""

from __future__ import annotations

from collections.abc import Callable

from linux201 import branch
from netdevspec.reference import Kernel, Module, SharedMemory

IO = "include/asm-i386/io.h"
BASE = 0xD0000


def _probe(kernel: Kernel, body: Callable[[], object]) -> SharedMemory:
    """Map a card's buffer and run ``body`` as a module's init_module: a probing driver
    may touch ISA memory before it has a device (fld.mem.window), so nothing is
    recorded as misuse."""
    mem = kernel.attach_memory(SharedMemory(0x2000), BASE)
    assert kernel.insmod(Module("m", init_module=lambda: (body(), 0)[1])) == 0
    assert kernel.misuse_kinds() == []
    return mem


@branch(f"{IO}:68", "readb", "a byte load at the address")
@branch(f"{IO}:72", "writeb", "a byte store at the address (the value's low byte)")
def test_readb_and_writeb_are_byte_loads_and_stores(kernel: Kernel) -> None:
    seen: list[int] = []
    mem = _probe(kernel, lambda: (kernel.writeb(0x1AB, BASE + 5),
                                  seen.append(kernel.readb(BASE + 5))))
    assert seen == [0xAB] and mem.ram[5] == 0xAB


@branch(f"{IO}:69", "readw", "a 16-bit load, little-endian on the i386")
@branch(f"{IO}:73", "writew", "a 16-bit store (the value's low 16 bits)")
def test_readw_and_writew_are_little_endian_words(kernel: Kernel) -> None:
    seen: list[int] = []
    mem = _probe(kernel, lambda: (kernel.writew(0x12345, BASE + 8),
                                  seen.append(kernel.readw(BASE + 8))))
    assert seen == [0x2345] and bytes(mem.ram[8:10]) == b"\x45\x23"


@branch(f"{IO}:77", "memcpy_fromio", "memcpy from the address")
@branch(f"{IO}:78", "memcpy_toio", "memcpy to the address")
def test_memcpy_fromio_and_toio_copy_bytes(kernel: Kernel) -> None:
    seen: list[bytes] = []
    mem = _probe(kernel, lambda: (kernel.memcpy_toio(BASE + 0x100, b"frame"),
                                  seen.append(kernel.memcpy_fromio(BASE + 0x100, 5))))
    assert seen == [b"frame"] and bytes(mem.ram[0x100:0x105]) == b"frame"


@branch("include/asm-i386/io.h:142", "outsl", "count 32-bit writes to one port")
def test_outsl_writes_32_bit_words(kernel: Kernel) -> None:
    from netdevspec.reference import SimpleNic

    nic = kernel.attach_card(SimpleNic(), 0x300)
    m = Module("m")
    assert kernel.insmod(m) == 0
    with kernel.running(m):
        kernel.request_region(0x300, nic.extent, "m")
        kernel.outsl(0x310, b"\x01\x02\x03\x04")
    assert kernel.misuse_kinds() == []


@branch("include/asm-i386/delay.h:33", "udelay", "a busy loop calibrated in loops per "
        "microsecond: no state changes, the clock does not tick")
def test_udelay_changes_nothing(kernel: Kernel) -> None:
    before = kernel.jiffies
    kernel.udelay(5000)
    assert kernel.jiffies == before and kernel.misuse_kinds() == []
