"""Buggy drivers: buffer-queue mistakes (Q-1..Q-7).

Most are :class:`~netdevspec.reference.buggy._bases.QueueDummy` (dummy with a one-frame
private transmit queue) with one method overridden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netdevspec.reference.buggy._bases import QueueDummy
from netdevspec.reference.drivers.dummy import Dummy

if TYPE_CHECKING:
    from netdevspec.reference.device import Device
    from netdevspec.reference.skbuff import SkBuff

__all__ = [
    "AppendUnlisted",
    "FreeQueued",
    "PeekDeviceQueue",
    "QueueLeakAtRmmod",
    "QueueTwice",
    "ReinitDeviceQueues",
    "append_unlisted",
    "free_queued",
    "peek_device_queue",
    "queue_leak_at_rmmod",
    "queue_twice",
    "reinit_device_queues",
]


class FreeQueued(QueueDummy):
    """QueueDummy that frees the previous frame without taking it off its queue (Q-7)."""

    def send_pending(self) -> None:
        """Bug: ``skb_peek`` instead of ``skb_dequeue``: the frame is freed while queued."""
        h = self._h
        prev = h.skb_peek(self.queue())  # BUG: still on the queue
        if prev is not None:
            h.dev_kfree_skb(prev, h.FREE_WRITE)


class QueueTwice(QueueDummy):
    """QueueDummy that queues each frame at the tail and then again at the head (Q-2)."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: "moves the frame to the front" by queueing it again without unlinking it."""
        if skb is None:
            return 0
        h = self._h
        self.send_pending()
        h.skb_queue_tail(self.queue(), skb)
        h.skb_queue_head(self.queue(), skb)  # BUG: already on the queue
        self.stats_of(dev).tx_packets += 1
        return 0


class AppendUnlisted(QueueDummy):
    """QueueDummy that appends the new frame after the one it has just dequeued (Q-4)."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: ``skb_append(prev, skb)`` after ``prev`` left the queue: the anchor is on no
        queue, so the new frame is linked nowhere (and later leaks)."""
        if skb is None:
            return 0
        h = self._h
        prev = h.skb_dequeue(self.queue())
        if prev is None:
            h.skb_queue_tail(self.queue(), skb)
        else:
            h.skb_append(prev, skb)  # BUG: prev is no longer on the queue
            h.dev_kfree_skb(prev, h.FREE_WRITE)
        self.stats_of(dev).tx_packets += 1
        return 0


class QueueLeakAtRmmod(QueueDummy):
    """QueueDummy whose ``stop`` forgets to purge the private queue (Q-5, MOD-2)."""

    def dummy_close(self, dev: Device) -> int:
        """Bug: the reference ``stop`` without ``purge``: the frame on the private queue
        stays there."""
        return Dummy.dummy_close(self, dev)  # BUG: skips QueueDummy's purge


class PeekDeviceQueue(Dummy):
    """dummy that pulls the next waiting frame off the kernel's ``dev->buffs[]`` itself."""

    def dummy_xmit(self, skb: SkBuff | None, dev: Device) -> int:
        """Bug: batches by dequeuing from ``dev.buffs[0]``, a queue the kernel owns."""
        if skb is None:
            return 0
        h = self._h
        batch = [skb]
        nxt = h.skb_dequeue(dev.buffs[0])  # BUG: the kernel's queue, not the driver's
        if nxt is not None:
            batch.append(nxt)
        for frame in batch:
            h.dev_kfree_skb(frame, h.FREE_WRITE)
            self._stats(dev).tx_packets += 1
        return 0


class ReinitDeviceQueues(Dummy):
    """dummy that re-initialises the device's transmit queues in ``open`` (Q-1)."""

    def dummy_open(self, dev: Device) -> int:
        """Bug: ``skb_queue_head_init(dev.buffs[i])``: those queues are the kernel's."""
        h = self._h
        for q in dev.buffs:
            h.skb_queue_head_init(q)  # BUG: takes over the kernel's transmit queues
        return super().dummy_open(dev)


free_queued = FreeQueued
queue_twice = QueueTwice
append_unlisted = AppendUnlisted
queue_leak_at_rmmod = QueueLeakAtRmmod
peek_device_queue = PeekDeviceQueue
reinit_device_queues = ReinitDeviceQueues
