"""What every part of the reference kernel shares: errno values, misuse records, the panic.

The reference kernel never lets a driver's mistake crash the Python process. What the
Linux 2.0.1 kernel would let through silently (a double free, releasing a region you do
not own, ...) is carried out as 2.0.1 would and recorded as a :class:`Misuse`, so the
conformance suite can name the rule that was broken. What 2.0.1 *panics* on
(``skb_put`` past the end, ``skb_push`` below the head) raises :class:`KernelPanic`
after recording it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netdevspec.reference.modules import Module

__all__ = [
    "EAGAIN",
    "EBUSY",
    "EEXIST",
    "EINVAL",
    "EIO",
    "ENFILE",
    "ENODEV",
    "ENOENT",
    "ENOMEM",
    "ENXIO",
    "EOPNOTSUPP",
    "EPERM",
    "KernelCore",
    "KernelPanic",
    "Misuse",
]

# errno values of Linux/i386 (include/asm-i386/errno.h). Kernel functions return them negated.
EPERM = 1
ENOENT = 2
EIO = 5
ENXIO = 6
EAGAIN = 11
ENOMEM = 12
EBUSY = 16
EEXIST = 17
ENODEV = 19
EINVAL = 22
ENFILE = 23
EOPNOTSUPP = 95


class KernelPanic(RuntimeError):
    """What Linux 2.0.1 would ``panic()`` on, e.g. ``skb_put`` past the end of a buffer.

    The message is the 2.0 panic text (``"skput:over: ..."``, ``"skpush:under: ..."``).
    The panic is also recorded in ``kernel.misuse`` and ``kernel.log`` before it is raised,
    and the buffer is left as it was before the call.
    """


@dataclass(frozen=True)
class Misuse:
    """One use of the API that Linux 2.0.1 lets through (or panics on), recorded.

    ``kind`` is a stable snake_case name (``double_free``, ``release_region_unowned``,
    ...; the list is in :data:`netdevspec.reference.MISUSE_KINDS`), ``message`` says what
    happened in words, ``module`` names the module whose code made the call (``None`` for
    the kernel itself or a test acting as the kernel), and ``detail`` holds the values
    involved (buffer ids, ports, lines, ...).
    """

    kind: str
    message: str
    module: str | None
    detail: dict[str, object] = field(default_factory=dict)


class KernelCore:
    """The state every part of the kernel needs: who is running, the records, allocation faults.

    :class:`~netdevspec.reference.kernel.Kernel` inherits it through the buffer functions
    (:class:`~netdevspec.reference.skbuff.SkbOps`).
    """

    def __init__(self) -> None:
        #: The module whose code is running now, or None for the kernel itself.
        self.current: Module | None = None
        #: Every misuse recorded so far, in order.
        self.misuse: list[Misuse] = []
        #: The printk messages 2.0 would print, in order, without the trailing newline.
        self.log: list[str] = []
        #: A hook asked before each allocation; True makes that allocation fail.
        self.alloc_fails: Callable[[], bool] | None = None
        self._fail_budget = 0
        #: Set once something would have panicked a 2.0 kernel.
        self.panicked = False

    # -- records -------------------------------------------------------------------------------

    def _misuse(self, kind: str, message: str, **detail: object) -> None:
        cur = self.current
        self.misuse.append(Misuse(kind, message, None if cur is None else cur.name, detail))

    def printk(self, message: str) -> None:
        """Append one kernel message to :attr:`log` (what 2.0's ``printk`` would print)."""
        self.log.append(message)

    def misuse_kinds(self) -> list[str]:
        """The kinds of every misuse recorded so far, in order (handy in tests)."""
        return [m.kind for m in self.misuse]

    def clear_records(self) -> None:
        """Forget the misuse records and the log (the kernel state is kept)."""
        self.misuse.clear()
        self.log.clear()

    # -- allocation failure injection ----------------------------------------------------------

    def fail_next_alloc(self, n: int = 1) -> None:
        """Make the next ``n`` allocations fail (alloc_skb, dev_alloc_skb, skb_clone,
        skb_copy, request_irq's action).

        Raises ValueError for a negative ``n``: it is a count of allocations.
        """
        if not isinstance(n, int) or n < 0:
            raise ValueError(
                f"fail_next_alloc(n={n!r}): n must be an int ≥ 0 (the number of allocations "
                "that should fail); pass 0 to cancel")
        self._fail_budget = n

    def _alloc_failed(self) -> bool:
        """Consume one injected failure, or ask the hook; True means the allocation fails."""
        if self._fail_budget:
            self._fail_budget -= 1
            return True
        hook = self.alloc_fails
        return hook is not None and bool(hook())
