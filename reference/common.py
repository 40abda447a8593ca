"""What every part of the reference kernel shares: errno values, misuse records, the panic.

The reference kernel never lets a driver's mistake crash the Python process. What the
Linux 2.0.1 kernel would let through silently (a double free, releasing a region you do
not own, ...) is carried out as 2.0.1 would and recorded as a :class:`Misuse`, so the
conformance suite can name the rule that was broken. What 2.0.1 *panics* on
(``skb_put`` past the end, ``skb_push`` below the head) raises :class:`KernelPanic`
after recording it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    "Tracer",
    "need_int",
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


#: ``tracer(event, fields)``: see :data:`netdevspec.reference.kernel.TRACE_EVENTS`.
Tracer = Callable[[str, dict[str, object]], object]


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


def need_int(fn: str, name: str, value: object) -> int:
    """``value`` if it is an int; otherwise a TypeError naming the function and argument."""
    if isinstance(value, int):
        return value
    raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__} {value!r}")


class KernelCore:
    """What every part of the kernel shares: who runs, the records, nesting, allocation faults.

    One :class:`KernelCore` is shared by the subsystem objects a
    :class:`~netdevspec.reference.kernel.Kernel` is composed of (one per 2.0.1 source
    file: ``skbuff.c``, ``irq.c``, ``dev.c``, ...). It holds no state of any one of them:

    * ``current``: the module whose code is running (None: the kernel);
    * the records: :attr:`misuse` (what 2.0.1 lets through) and :attr:`log` (its printk);
    * ``intr_count``, 2.0's interrupt/bottom-half nesting counter (``kernel/softirq.c``);
    * the kernel-call nesting (:meth:`enter`, :meth:`leave`): when the outermost call ends,
      :attr:`flush` runs what was latched meanwhile (interrupts, bottom halves);
    * the callback wrapper :meth:`call` (driver code runs as its owner; an exception is
      recorded, never propagated), and :attr:`tracer`;
    * allocation-failure injection (:meth:`fail_next_alloc`, :attr:`alloc_fails`).
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
        #: Interrupt/bottom-half nesting (2.0's intr_count); alloc_skb checks it.
        self.intr_count = 0
        #: How many kernel calls (or driver callbacks) are running, nested.
        self.depth = 0
        #: True while :attr:`flush` runs (an interrupt raised then is latched).
        self.flushing = False
        #: Called when the outermost kernel call ends (set by the kernel: deliver latched
        #: interrupts, then run marked bottom halves).
        self.flush: Callable[[], None] = _nothing
        #: Called as ``tracer(event, fields)`` at each internal step boundary listed in
        #: :data:`netdevspec.reference.kernel.TRACE_EVENTS` (None: no tracing).
        self.tracer: Tracer | None = None

    # -- records -------------------------------------------------------------------------------

    def _misuse(self, kind: str, message: str, **detail: object) -> None:
        cur = self.current
        self.misuse.append(Misuse(kind, message, None if cur is None else cur.name, detail))

    def _misuse_as(self, module: Module | None, kind: str, message: str,
                   **detail: object) -> None:
        """Record a misuse on behalf of ``module`` (whatever is running now)."""
        prev = self.current
        self.current = module
        try:
            self._misuse(kind, message, **detail)
        finally:
            self.current = prev

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

    # -- nesting and callbacks -----------------------------------------------------------------

    def enter(self) -> None:
        """A kernel call begins (interrupts raised from now on are latched)."""
        self.depth += 1

    def leave(self) -> None:
        """A kernel call ends; the outermost one runs :attr:`flush`."""
        self.depth -= 1
        if self.depth == 0:
            self.flush()

    @contextmanager
    def running(self, module: Module | None) -> Iterator[None]:
        """Run the ``with`` body as ``module``'s code (None: as the kernel).

        Interrupts raised meanwhile are delivered when the outermost kernel call or
        ``running`` block ends. Running code of a module that is not loaded is recorded
        (``module_not_loaded``).
        """
        if module is not None:
            from netdevspec.reference.modules import Module as _Module

            if not isinstance(module, _Module):
                raise TypeError(f"running: module must be a Module or None, got "
                                f"{type(module).__name__}")
            if not module.loaded:
                self._misuse_as(module, "module_not_loaded",
                                f"code of module {module.name} runs while it is not loaded")
        prev = self.current
        self.current = module
        self.depth += 1
        try:
            yield
        finally:
            self.current = prev
            self.leave()

    def call(self, owner: Module | None, what: str, fn: Callable[..., object],
             *args: object) -> tuple[bool, object]:
        """Call driver code as ``owner``; an exception is recorded, never propagated.

        Returns ``(ok, result)``: ok is False when the code raised.
        """
        prev = self.current
        self.current = owner
        self.depth += 1
        tracer = self.tracer
        if tracer is not None:
            tracer("callback.begin", {"what": what, "owner": owner, "args": args, "fn": fn})
        ok, result = False, None
        raised: Exception | None = None
        try:
            result = fn(*args)
            ok = True
        except Exception as exc:  # a driver bug must not corrupt the kernel
            self._misuse("callback_raised", f"{what} raised {type(exc).__name__}: {exc}",
                         callback=what, error=repr(exc))
            raised = exc
        finally:
            self.current = prev
            self.depth -= 1
        if tracer is not None:
            tracer("callback.end", {"what": what, "owner": owner, "ok": ok, "result": result,
                                    "raised": raised})
        return ok, result

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


def _nothing() -> None:
    """The flush of a core no kernel has wired up yet."""
