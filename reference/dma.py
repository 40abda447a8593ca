"""DMA channels, after Linux 2.0.1's ``kernel/dma.c``.

Eight channels (``include/asm-i386/dma.h``), channel 4 locked as "cascade" from boot
(``dma.c:51``); channel 0 is a real, claimable channel (``dma.c:37``). ``request_dma``
(``dma.c:72``) answers -EINVAL outside 0..7 and -EBUSY for a locked channel;
``free_dma`` (``dma.c:87``) prints and does nothing outside 0..7 or for a free channel,
and never checks who locked it (the reference records that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netdevspec.reference.common import EBUSY, EINVAL, KernelCore, need_int
from netdevspec.reference.modules import Module

__all__ = ["DMA1_MASK_REG", "DMA2_MASK_REG", "DMA_CASCADE", "MAX_DMA_CHANNELS", "Dma",
           "DmaClaim"]

#: include/asm-i386/dma.h
MAX_DMA_CHANNELS = 8
#: The channel that cascades the two controllers, locked from boot.
DMA_CASCADE = 4
#: asm-i386/dma.h:83, 94: the single-channel mask registers of the two 8237s.
DMA1_MASK_REG = 0x0A
DMA2_MASK_REG = 0xD4


def _nowhere(value: int, port: int) -> None:
    """A Dma not part of a kernel writes to no bus."""


@dataclass(frozen=True)
class DmaClaim:
    """A locked DMA channel: the device_id string given to request_dma and the owner."""

    name: str
    owner: Module | None


class Dma:
    """``dma_chan_busy[]``: who holds each channel; and the inlines of ``asm-i386/dma.h``
    that program the controllers, through ``dma_outb`` (``outb`` to the bus, set by the
    kernel; the 8237s are not simulated, so a card at their ports sees the writes)."""

    def __init__(self, core: KernelCore) -> None:
        self._k = core
        #: ``dma_outb(value, port)`` (``asm-i386/dma.h:17``): a write to the bus as the kernel.
        self.dma_outb: Callable[[int, int], None] = _nowhere
        self._chan: list[DmaClaim | None] = [None] * MAX_DMA_CHANNELS
        self._chan[DMA_CASCADE] = DmaClaim("cascade", None)

    def set_claim(self, dmanr: int, claim: DmaClaim | None) -> None:
        """Set who holds channel ``dmanr`` without request_dma/free_dma's checks (building a
        kernel in a given state). The owner's accounting is the caller's."""
        self._chan[dmanr] = claim

    def request_dma(self, dmanr: int, device_id: str = "") -> int:
        """Lock DMA channel ``dmanr`` for the caller (RES-6): 0, -EINVAL (not 0..7,
        ``dma.c:74``) or -EBUSY (already locked, ``dma.c:77``; channel 4 is the cascade)."""
        need_int("request_dma", "dmanr", dmanr)
        if dmanr < 0 or dmanr >= MAX_DMA_CHANNELS:
            return -EINVAL
        if self._chan[dmanr] is not None:
            return -EBUSY
        cur = self._k.current
        self._chan[dmanr] = DmaClaim(str(device_id), cur)
        if cur is not None:
            cur.dma.add(dmanr)
        return 0

    def free_dma(self, dmanr: int) -> None:
        """Unlock DMA channel ``dmanr`` (RES-7).

        Not 0..7 (``free_dma_bad``, ``dma.c:89``) or not locked (``free_dma_not_held``,
        ``dma.c:94``): logged and recorded. Another owner's channel: recorded
        (``free_dma_unowned``) and unlocked, as 2.0 never checks.
        """
        need_int("free_dma", "dmanr", dmanr)
        k = self._k
        if dmanr < 0 or dmanr >= MAX_DMA_CHANNELS:
            k.printk(f"Trying to free DMA{dmanr}")
            k._misuse("free_dma_bad", f"free_dma({dmanr}): no such channel", dma=dmanr)
            return
        claim = self._chan[dmanr]
        if claim is None:
            k.printk(f"Trying to free free DMA{dmanr}")
            k._misuse("free_dma_not_held", f"free_dma({dmanr}): the channel is free",
                      dma=dmanr)
            return
        cur = k.current
        if cur is not None and claim.owner is not cur:
            holder = "the kernel" if claim.owner is None else f"module {claim.owner.name}"
            k._misuse("free_dma_unowned", f"free_dma({dmanr}) unlocked {claim.name!r} of "
                      f"{holder}", dma=dmanr)
        self._chan[dmanr] = None
        if claim.owner is not None:
            claim.owner.dma.discard(dmanr)

    def dma_claim(self, dmanr: int) -> DmaClaim | None:
        """Who holds DMA channel ``dmanr`` (None: free)."""
        return self._chan[dmanr]

    def disable_dma(self, dmanr: int) -> None:
        """Mask channel ``dmanr`` at its 8237 controller (``asm-i386/dma.h:141``): channels
        0..3 write ``dmanr | 4`` to DMA1_MASK_REG (0x0a), the others ``(dmanr & 3) | 4`` to
        DMA2_MASK_REG (0xd4). Nothing is checked, as in 2.0.1."""
        dmanr = need_int("disable_dma", "dmanr", dmanr)
        if 0 <= dmanr <= 3:
            self.dma_outb(dmanr | 4, DMA1_MASK_REG)
        else:
            self.dma_outb((dmanr & 3) | 4, DMA2_MASK_REG)

    def enable_dma(self, dmanr: int) -> None:
        """Unmask channel ``dmanr`` (``asm-i386/dma.h:133``): ``dmanr`` to DMA1_MASK_REG for
        0..3, ``dmanr & 3`` to DMA2_MASK_REG otherwise."""
        dmanr = need_int("enable_dma", "dmanr", dmanr)
        if 0 <= dmanr <= 3:
            self.dma_outb(dmanr, DMA1_MASK_REG)
        else:
            self.dma_outb(dmanr & 3, DMA2_MASK_REG)
