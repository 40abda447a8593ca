"""Differential tests against Linux 2.0.1's ``kernel/dma.c``."""

from __future__ import annotations

from linux201 import branch
from netdevspec.reference import EBUSY, EINVAL, Kernel

DMA = "kernel/dma.c"


@branch(f"{DMA}:74", "request_dma", "dmanr ≥ 8: -EINVAL")
@branch(f"{DMA}:77", "request_dma", "channel locked: -EBUSY")
@branch(f"{DMA}:80", "request_dma", "free channel: locked, device_id kept, 0")
def test_request_dma(kernel: Kernel) -> None:
    assert kernel.request_dma(8, "x") == -EINVAL
    assert kernel.request_dma(-1, "x") == -EINVAL  # unsigned: huge
    assert kernel.request_dma(0, "d0") == 0  # channel 0 is real in 2.0.1
    assert kernel.request_dma(0, "again") == -EBUSY
    claim = kernel.dma_claim(0)
    assert claim is not None and claim.name == "d0"


@branch(f"{DMA}:51", "dma_chan_busy", "channel 4 is locked as cascade from boot")
def test_cascade_is_locked_at_boot(kernel: Kernel) -> None:
    claim = kernel.dma_claim(4)
    assert claim is not None and claim.name == "cascade" and claim.owner is None
    assert kernel.request_dma(4, "x") == -EBUSY
    assert [ch for ch in range(8) if kernel.dma_claim(ch)] == [4]


@branch(f"{DMA}:90", "free_dma", "dmanr ≥ 8: prints 'Trying to free DMA%d'")
@branch(f"{DMA}:95", "free_dma", "free channel: prints 'Trying to free free DMA%d'")
@branch(f"{DMA}:94", "free_dma", "locked channel: unlocked, whoever locked it")
def test_free_dma(kernel: Kernel) -> None:
    kernel.free_dma(9)
    kernel.free_dma(3)
    kernel.request_dma(3, "d3")
    kernel.free_dma(3)
    kernel.free_dma(4)  # even the cascade: 2.0.1 checks no owner
    assert kernel.log == ["Trying to free DMA9", "Trying to free free DMA3"]
    assert kernel.dma_claim(3) is None and kernel.dma_claim(4) is None
