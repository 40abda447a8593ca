"""Differential tests against Linux 2.0.1's header inlines and small kernel functions the
reference kernel offers: port I/O (``include/asm-i386/io.h``), the DMA controller inlines
(``include/asm-i386/dma.h``), ``mark_bh`` (``include/linux/interrupt.h``), the interrupt
flag macros (``include/asm-i386/system.h``), ``printk`` (``kernel/printk.c``) and the
buffer data access drivers write in C as ``memcpy`` through ``skb->data`` pointers
(``skb_write``/``skb_read``/``skb_put_data`` here).

Each test asserts what 2.0.1 does and registers the branch it checks (:mod:`linux201`).
"""

from __future__ import annotations

import pytest
from linux201 import branch
from netdevspec.reference import NET_BH, IsaCard, Kernel, KernelPanic, Module
from netdevspec.reference.dma import DMA1_MASK_REG, DMA2_MASK_REG
from netdevspec.reference.ioport import SLOW_DOWN_PORT

IO = "include/asm-i386/io.h"
DMAH = "include/asm-i386/dma.h"
SYSH = "include/asm-i386/system.h"


class Probe(IsaCard):
    """A card that records every access and answers reads from a script."""

    def __init__(self, extent: int = 8, answers: tuple[int, ...] = ()) -> None:
        super().__init__(extent)
        self.writes: list[tuple[int, int, int]] = []
        self.reads: list[tuple[int, int]] = []
        self._answers = list(answers)

    def read(self, offset: int, width: int) -> int:
        self.reads.append((offset, width))
        return self._answers.pop(0) if self._answers else 0

    def write(self, offset: int, width: int, value: int) -> None:
        self.writes.append((offset, width, value))


def rig(answers: tuple[int, ...] = ()) -> tuple[Kernel, Probe, Probe]:
    """A kernel with a probe card at 0x300 and one at port 0x80 (the pause port)."""
    k = Kernel()
    card = k.attach_card(Probe(answers=answers), 0x300)
    pause = k.attach_card(Probe(1), SLOW_DOWN_PORT)
    return k, card, pause


# -- io.h -------------------------------------------------------------------------------------


@branch(f"{IO}:126", "inb", "one byte read from the port")
@branch(f"{IO}:130", "inw", "one 16-bit read from the port")
@branch(f"{IO}:133", "inl", "one 32-bit read from the port")
def test_in(kernel: Kernel) -> None:
    k, card, pause = rig((0x12, 0x3456, 0x789ABCDE))
    assert (k.inb(0x301), k.inw(0x302), k.inl(0x304)) == (0x12, 0x3456, 0x789ABCDE)
    assert card.reads == [(1, 1), (2, 2), (4, 4)] and pause.writes == []
    assert (kernel.inb(0x300), kernel.inw(0x300), kernel.inl(0x300)) == (
        0xFF, 0xFFFF, 0xFFFFFFFF)  # no card: the ISA bus floats high


@branch(f"{IO}:136", "outb", "the value is an unsigned char: its low byte is written")
@branch(f"{IO}:137", "outw", "the value is an unsigned short")
@branch(f"{IO}:138", "outl", "the value is an unsigned int")
def test_out() -> None:
    k, card, pause = rig()
    k.outb(0x1FF, 0x300)
    k.outb(-1, 0x301)
    k.outw(0x12345, 0x302)
    k.outl(0x1_2345_6789, 0x304)
    assert card.writes == [(0, 1, 0xFF), (1, 1, 0xFF), (2, 2, 0x2345), (4, 4, 0x2345_6789)]
    assert pause.writes == []


@branch(f"{IO}:111", "inb_p", "the read, then SLOW_DOWN_IO writes the byte read to port 0x80")
@branch(f"{IO}:111", "inw_p", "the read, then the low byte of the word read to port 0x80")
@branch(f"{IO}:99", "outb_p", "the write, then SLOW_DOWN_IO writes the value to port 0x80")
@branch(f"{IO}:99", "outw_p", "the write, then the value's low byte to port 0x80")
@branch(f"{IO}:111", "inl_p", "the read, then the low byte of the value read to port 0x80")
@branch(f"{IO}:99", "outl_p", "the write, then the value's low byte to port 0x80")
@branch(f"{IO}:31", "SLOW_DOWN_IO", "outb %al,$0x80")
def test_pausing_variants() -> None:
    k, card, pause = rig((0xAB, 0x1234, 0x55667788))
    assert k.inb_p(0x300) == 0xAB and k.inw_p(0x302) == 0x1234 and k.inl_p(0x304) == 0x55667788
    k.outb_p(0x5A, 0x300)
    k.outw_p(0xBEEF, 0x302)
    k.outl_p(0x01020304, 0x304)
    assert card.writes == [(0, 1, 0x5A), (2, 2, 0xBEEF), (4, 4, 0x01020304)]
    assert pause.writes == [(0, 1, 0xAB), (0, 1, 0x34), (0, 1, 0x88),
                            (0, 1, 0x5A), (0, 1, 0xEF), (0, 1, 0x04)]


@branch(f"{IO}:140", "insb", "rep insb: count byte reads at one port")
@branch(f"{IO}:141", "insw", "rep insw: count word reads at one port, in memory order")
@branch(f"{IO}:144", "outsb", "rep outsb: one byte write per byte, at one port")
@branch(f"{IO}:145", "outsw", "rep outsw: one word write per two bytes, at one port")
def test_string_io() -> None:
    k, card, _ = rig((1, 2, 3, 0x0A0B, 0x0C0D))
    assert k.insb(0x300, 3) == b"\x01\x02\x03"
    assert k.insw(0x302, 2) == b"\x0b\x0a\x0d\x0c"  # little-endian, as in memory
    assert card.reads == [(0, 1)] * 3 + [(2, 2)] * 2
    k.outsb(0x301, b"\x07\x08")
    k.outsw(0x302, b"\x01\x02\x03\x04")
    assert card.writes == [(1, 1, 7), (1, 1, 8), (2, 2, 0x0201), (2, 2, 0x0403)]


@branch(f"{IO}:91", "outb", "the port is an unsigned short")
def test_port_outside_the_port_space(kernel: Kernel) -> None:
    """2.0.1 truncates a port past 0xffff to 16 bits; the reference refuses it with a
    message (decision.io.port)."""
    with pytest.raises(ValueError, match=r"outb: port 0x10300 is outside the ISA port space "
                                         r"0..0xffff; pass a 16-bit port number"):
        kernel.outb(0, 0x10300)
    with pytest.raises(ValueError, match="inb: port -0x1 is outside"):
        kernel.inb(-1)


# -- dma.h ------------------------------------------------------------------------------------


@branch(f"{DMAH}:133", "enable_dma", "0..3: dmanr to DMA1_MASK_REG; 4..7: dmanr & 3 to "
        "DMA2_MASK_REG")
@branch(f"{DMAH}:141", "disable_dma", "0..3: dmanr | 4 to DMA1_MASK_REG; 4..7: (dmanr & 3) "
        "| 4 to DMA2_MASK_REG")
def test_dma_mask_registers() -> None:
    k = Kernel()
    dma1 = k.attach_card(Probe(1), DMA1_MASK_REG)
    dma2 = k.attach_card(Probe(1), DMA2_MASK_REG)
    m = Module("m", init_module=lambda: 0)
    assert k.insmod(m) == 0 and (DMA1_MASK_REG, DMA2_MASK_REG) == (0x0A, 0xD4)
    with k.running(m):  # a driver's inline: nothing checks who owns the channel or port
        k.disable_dma(3)
        k.enable_dma(3)
        k.disable_dma(5)
        k.enable_dma(7)
    assert dma1.writes == [(0, 1, 7), (0, 1, 3)]
    assert dma2.writes == [(0, 1, 5), (0, 1, 3)]
    assert k.misuse == [] and k.log == []


# -- interrupt.h, softirq.c ---------------------------------------------------------------------


@branch("arch/i386/kernel/entry.S:272", "handle_bottom_half", "bottom halves run with "
        "intr_count raised")
@branch("include/linux/interrupt.h:44", "init_bh", "installs the routine and sets its bit "
        "of bh_mask, so a marked bottom half runs")
@branch("include/linux/interrupt.h:51", "mark_bh", "sets bit nr of bh_active; the bottom "
        "half runs on the way out, not at once")
def test_mark_bh(kernel: Kernel) -> None:
    ran: list[int] = []
    kernel.softirq.init_bh(3, lambda: ran.append(kernel.intr_count))
    assert kernel.softirq.bh_mask & (1 << 3) and kernel.softirq.bh_base[3] is not None
    with kernel.running(None):
        kernel.mark_bh(3)
        kernel.mark_bh(3)  # set_bit: marking twice is one mark
        assert kernel.softirq.bh_active == 1 << 3 and ran == []
    assert ran == [1] and kernel.softirq.bh_active == 0  # run with intr_count 1
    assert kernel.intr_count == 0
    kernel.mark_bh(NET_BH)
    assert kernel.softirq.bh_active == 1 << NET_BH  # waits for the next return
    kernel.do_bottom_half()
    assert kernel.softirq.bh_active == 0


@branch("kernel/sched.c:1013", "do_timer", "each timer tick adds 1 to jiffies")
def test_tick(kernel: Kernel) -> None:
    """``tick(n)`` is n timer interrupts' jiffies++ without delivering them; a delivered
    timer interrupt does the same."""
    start = kernel.jiffies
    kernel.tick()
    kernel.tick(3)
    assert kernel.jiffies == start + 4
    kernel.raise_irq(0)
    assert kernel.jiffies == start + 5


# -- system.h ---------------------------------------------------------------------------------


@branch(f"{SYSH}:226", "save_flags", "the interrupt flag as it is, for restore_flags")
def test_save_flags(kernel: Kernel) -> None:
    """2.0.1 saves EFLAGS (IF is 0x200); the reference saves the interrupt-enable state as
    a bool, which restore_flags takes back (decision.flags.value)."""
    assert kernel.save_flags() is True
    kernel.cli()
    saved = kernel.save_flags()
    assert saved is False
    kernel.sti()
    kernel.restore_flags(saved)
    assert kernel.irq.enabled is False
    kernel.restore_flags(True)
    assert kernel.irq.enabled is True


# -- printk.c ---------------------------------------------------------------------------------


@branch("kernel/printk.c:161", "printk", "the formatted message goes to the log buffer")
@branch("kernel/printk.c:173", "printk", "a message without a level prefix gets level 4")
def test_printk(kernel: Kernel) -> None:
    """The reference logs the formatted text, one entry per call, without the level 2.0.1
    prefixes and without the trailing newline; it returns nothing where 2.0.1 returns the
    count of characters (decision.printk)."""
    returned = kernel.printk("eth0: Memory squeeze, dropping packet.")
    assert returned is None
    kernel.printk("<3>an error")
    assert kernel.log == ["eth0: Memory squeeze, dropping packet.", "<3>an error"]


# -- buffer data: memcpy through skb->data --------------------------------------------------


@branch("include/asm-i386/string.h:446", "memcpy", "into the area skb_put returned "
        "(skeleton.c:471): skb_write, skb_put_data")
@branch("include/linux/skbuff.h:390", "skb_put", "returns the old tail: where the new "
        "bytes go")
def test_memcpy_into_a_buffer(kernel: Kernel) -> None:
    skb = kernel.alloc_skb(64)
    assert skb is not None
    kernel.skb_reserve(skb, 2)
    at = kernel.skb_put_data(skb, b"hello")  # not in 2.0.1 (4.13): memcpy(skb_put(...))
    assert at == skb.head + 2 and skb.len == 5
    more = kernel.skb_put(skb, 3)
    kernel.skb_write(skb, more, b"abc")
    assert kernel.skb_read(skb, skb.data, skb.len) == b"helloabc"
    assert kernel.misuse == []


@branch("include/asm-i386/string.h:446", "memcpy", "past skb->end: writes over whatever "
        "follows the data area")
def test_memcpy_outside_a_buffer(kernel: Kernel) -> None:
    """In 2.0.1 the sk_buff header lies right after the data area (skbuff.c:675), so a copy
    past end corrupts it; the reference clips the copy and records it
    (decision.memory.safety)."""
    skb = kernel.alloc_skb(8)
    assert skb is not None
    kernel.skb_write(skb, skb.end - 2, b"1234")
    assert kernel.skb_read(skb, skb.end - 2, 4) == b"12\0\0"
    assert kernel.misuse_kinds() == ["data_out_of_bounds", "data_out_of_bounds"]


@branch("include/asm-i386/string.h:446", "memcpy", "into data shared with a clone: both "
        "see the bytes")
def test_memcpy_into_shared_data(kernel: Kernel) -> None:
    """2.0.1 lets it happen; clones are read-only by contract (ART-4): the reference writes
    and records it."""
    skb = kernel.alloc_skb(16)
    assert skb is not None
    kernel.skb_put_data(skb, b"original")
    clone = kernel.skb_clone(skb)
    assert clone is not None
    kernel.skb_write(skb, skb.data, b"X")
    assert kernel.skb_read(clone, clone.data, 8) == b"Xriginal"
    assert "clone_write" in kernel.misuse_kinds()


# -- skbuff.h: the state a panic leaves -------------------------------------------------------


@branch("include/linux/skbuff.h:393", "skb_put", "tail and len move before the bound is "
        "checked; past end the panic finds them moved")
@branch("include/linux/skbuff.h:406", "skb_push", "data and len move before the bound is "
        "checked; below head the panic finds them moved")
def test_a_panic_leaves_the_buffer_as_it_was(kernel: Kernel) -> None:
    """2.0.1 moves the pointers, then panics; the reference panics first and leaves the
    buffer as the refused call found it (decision.panic.state)."""
    skb = kernel.alloc_skb(8)
    assert skb is not None
    with pytest.raises(KernelPanic):
        kernel.skb_put(skb, 9)
    assert (skb.tail, skb.len) == (skb.head, 0)
    with pytest.raises(KernelPanic):
        kernel.skb_push(skb, 1)
    assert (skb.data, skb.len) == (skb.head, 0)
