"""IRQ lines, after Linux 2.0.1's ``arch/i386/kernel/irq.c``.

request_irq/free_irq (``irq.c:437``, ``irq.c:469``, sharing through ``setup_x86_irq``,
``irq.c:395``), the interrupt controller's mask (``disable_irq``/``enable_irq``,
``irq.c:72``/``irq.c:82``: a mask bit per line, no nesting), ``do_IRQ`` (``irq.c:343``:
every action on the line, in order), ``probe_irq_on``/``probe_irq_off`` (``irq.c:497``,
``irq.c:519``) and the interrupt flag (``cli``/``sti``/``save_flags``/``restore_flags``
of ``include/asm-i386/system.h``).

As in 2.0.1 a line is masked until its first action is installed (``setup_x86_irq``
unmasks it), and masked again when its last action is freed (``free_irq``). An interrupt
raised on a masked line, or while interrupts are off, is latched (the 8259's request
register) and delivered when the line is unmasked and interrupts are on; interrupts are
delivered between kernel calls, never in the middle of one (see
:class:`~netdevspec.reference.softirq.Softirq`).

The kernel's own lines (timer 0, cascade 2, math error 13) are installed at boot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netdevspec.reference.common import EBUSY, EINVAL, ENOMEM, KernelCore, need_int
from netdevspec.reference.modules import Module

__all__ = [
    "NR_IRQS",
    "SA_INTERRUPT",
    "SA_SAMPLE_RANDOM",
    "SA_SHIRQ",
    "Irq",
    "IrqAction",
    "IrqHandler",
]

# include/asm-i386/signal.h (RES-1)
SA_INTERRUPT = 0x20000000
SA_SHIRQ = 0x04000000
SA_SAMPLE_RANDOM = 0x10000000
NR_IRQS = 16

#: ``handler(irq, dev_id, regs)``.
IrqHandler = Callable[[int, object, object], object]


@dataclass(eq=False)
class IrqAction:
    """One ``struct irqaction`` on a line: the handler, flags, name, dev_id and owner."""

    line: int
    handler: IrqHandler
    flags: int
    name: str
    dev_id: object
    owner: Module | None


def _same_id(a: object, b: object) -> bool:
    """dev_id cookies match when they are the same object (or equal non-None values)."""
    return a is b or (a is not None and b is not None and a == b)


def _no_action(irq: int, dev_id: object, regs: object) -> None:
    """The handler of the kernel's cascade and math-error lines (``irq.c:178``)."""


def pic_line(irq_nr: int) -> int:
    """The line whose mask bit ``mask_irq(irq_nr)`` sets (``irq.c:44``): bit ``irq_nr & 7``
    of the master (irq_nr < 8) or of the slave controller; ``irq_nr`` is unsigned."""
    return (irq_nr & 7) + (0 if 0 <= irq_nr < 8 else 8)


class Irq:
    """The IRQ subsystem: actions per line, the controller's mask, the interrupt flag.

    ``timer_handler`` is the timer's interrupt handler (``kernel/sched.c``'s
    ``do_timer``), installed on line 0 at boot.
    """

    def __init__(self, core: KernelCore, timer_handler: IrqHandler) -> None:
        self._k = core
        self._actions: list[list[IrqAction]] = [[] for _ in range(NR_IRQS)]
        #: The 8259 mask bits (``cache_21``/``cache_A1``, ``irq.c:37``): all masked at boot.
        self.masked = [True] * NR_IRQS
        #: How often each line was raised (delivered or not).
        self.irq_raised = [0] * NR_IRQS
        #: Lines raised while masked or while interrupts were off, in order.
        self.pending: dict[int, None] = {}
        #: The CPU's interrupt flag (``sti``/``cli``).
        self.enabled = True
        self._probe_snapshot: list[int] | None = None
        #: While autoprobing: the watched lines, each with the order of its first raise.
        self.watch: dict[int, int] | None = None
        self._raises = 0
        # time.c:451 (irq0), irq.c:217 (irq2), irq.c:210 (irq13); see decision.boot.irqflags
        for line, name in ((0, "timer"), (2, "cascade"), (13, "math error")):
            handler = timer_handler if line == 0 else _no_action
            self.install(IrqAction(line, handler, SA_INTERRUPT, name, None, None))

    # -- building a kernel in a given state ----------------------------------------------------

    def install(self, action: IrqAction) -> None:
        """Put ``action`` at the end of its line and unmask the line, without request_irq's
        checks (boot, or building a kernel in a given state). The owner's accounting is the
        caller's."""
        self._actions[action.line].append(action)
        self.masked[action.line] = False

    # -- request / free ------------------------------------------------------------------------

    def request_irq(self, irq: int, handler: IrqHandler | None, flags: int = 0,
                    devname: str = "", dev_id: object = None) -> int:
        """Install ``handler`` on line ``irq`` (RES-1, RES-3); 0 or a negative errno.

        -EINVAL for a line outside 0..15 or no handler (``irq.c:446``), -ENOMEM when the
        action cannot be allocated (``irq.c:453``), -EBUSY when the line is held and not
        both claims have SA_SHIRQ, or their SA_INTERRUPT differs (``irq.c:404``,
        ``irq.c:408``). A shared claim with a None or already used ``dev_id`` is recorded
        (``irq_shared_dev_id``) and installed, as 2.0 does. The first action on a line
        unmasks it (``irq.c:431``).
        """
        need_int("request_irq", "irq", irq)
        need_int("request_irq", "flags", flags)
        if irq < 0 or irq >= NR_IRQS or handler is None:
            return -EINVAL
        if not callable(handler):
            raise TypeError(f"request_irq: handler must be callable as handler(irq, dev_id, "
                            f"regs), got {type(handler).__name__}")
        k = self._k
        if (k._fail_budget or k.alloc_fails is not None) and k._alloc_failed():
            return -ENOMEM
        actions = self._actions[irq]
        if actions:
            old = actions[0]
            if not (old.flags & flags & SA_SHIRQ):
                return -EBUSY
            if (old.flags ^ flags) & SA_INTERRUPT:
                return -EBUSY
        if flags & SA_SHIRQ and (dev_id is None or any(_same_id(a.dev_id, dev_id)
                                                       for a in actions)):
            k._misuse("irq_shared_dev_id",
                      f"request_irq({irq}, SA_SHIRQ) with dev_id {dev_id!r}: a shared line "
                      "needs a distinct non-NULL dev_id per claim, or free_irq cannot tell "
                      "the claims apart", irq=irq)
        action = IrqAction(irq, handler, flags, str(devname), dev_id, k.current)
        self.install(action)
        if action.owner is not None:
            action.owner.irqs.append(action)
        return 0

    def free_irq(self, irq: int, dev_id: object = None) -> None:
        """Remove the first action on ``irq`` whose dev_id is ``dev_id`` (RES-2).

        A line outside 0..15 (``free_irq_bad_line``, ``irq.c:474``) and a line with no such
        action (``free_irq_not_held``, ``irq.c:494``) are logged and recorded; freeing
        another module's action is recorded (``free_irq_unowned``) and done, as 2.0 never
        checks. The line is masked when its last action goes (``irq.c:487``).
        """
        need_int("free_irq", "irq", irq)
        k = self._k
        if irq < 0 or irq >= NR_IRQS:
            k.printk(f"Trying to free IRQ{irq}")
            k._misuse("free_irq_bad_line", f"free_irq({irq}): no such line", irq=irq)
            return
        actions = self._actions[irq]
        for i, action in enumerate(actions):
            if _same_id(action.dev_id, dev_id):
                cur = k.current
                if cur is not None and action.owner is not cur:
                    holder = "the kernel" if action.owner is None else action.owner.name
                    k._misuse("free_irq_unowned",
                              f"free_irq({irq}) removed the action {action.name!r} of "
                              f"{holder}", irq=irq, name=action.name)
                del actions[i]
                if not actions:
                    self.masked[irq] = True
                if action.owner is not None:
                    action.owner.irqs.remove(action)
                return
        k.printk(f"Trying to free free IRQ{irq}")
        k._misuse("free_irq_not_held", f"free_irq({irq}, {dev_id!r}): no action with that "
                  "dev_id", irq=irq)

    def irq_actions(self, irq: int) -> tuple[IrqAction, ...]:
        """The actions installed on line ``irq``, in order."""
        return tuple(self._actions[irq])

    # -- the controller's mask and the interrupt flag ------------------------------------------

    def disable_irq(self, irq: int) -> None:
        """Mask a line (``irq.c:72``): raised interrupts wait until :meth:`enable_irq`.

        2.0.1 sets one mask bit and does not count: two disables are undone by one enable.
        ``irq`` is unsigned and only its low 3 bits pick the bit (:func:`pic_line`).
        """
        self.masked[pic_line(need_int("disable_irq", "irq", irq))] = True

    def enable_irq(self, irq: int) -> None:
        """Unmask a line (``irq.c:82``), whatever number of disables came before; latched
        interrupts are then delivered (when no kernel call is running)."""
        self.masked[pic_line(need_int("enable_irq", "irq", irq))] = False
        if self._k.depth == 0:
            self._k.flush()

    def cli(self) -> None:
        """Disable interrupts: raised lines are latched until :meth:`sti`."""
        self.enabled = False

    def sti(self) -> None:
        """Enable interrupts and deliver what was latched (when no kernel call is running)."""
        self.enabled = True
        if self._k.depth == 0:
            self._k.flush()

    def save_flags(self) -> bool:
        """The interrupt-enable state, for :meth:`restore_flags`."""
        return self.enabled

    def restore_flags(self, flags: bool) -> None:
        """Restore the interrupt-enable state saved by :meth:`save_flags`."""
        if flags:
            self.sti()
        else:
            self.cli()

    # -- delivery ------------------------------------------------------------------------------

    def raise_irq(self, line: int) -> None:
        """A card asserts ``line``: call every action on it in order, each as its owner.

        Delivered now when no kernel call or driver code is running, interrupts are on and
        the line is unmasked, otherwise latched and delivered when that ends; after
        delivery, the network bottom half runs if it was marked (``mark_bh(NET_BH)``). A
        line with no action is counted and ignored (2.0.1's ``bad_interrupt`` stub).
        """
        need_int("raise_irq", "line", line)
        if not 0 <= line < NR_IRQS:
            raise ValueError(f"raise_irq: line {line} is not an ISA IRQ line (0..15)")
        self.irq_raised[line] += 1
        watch = self.watch
        if watch is not None and line in watch and not watch[line]:
            self._raises += 1
            watch[line] = self._raises
        if not self._actions[line]:
            return
        k = self._k
        if k.depth or k.flushing or not self.enabled or self.masked[line]:
            self.pending[line] = None
            return
        k.depth += 1
        try:
            self.deliver(line)
        finally:
            k.leave()

    def next_pending(self) -> int | None:
        """The first latched line that can be delivered now, or None."""
        if not self.enabled:
            return None
        masked = self.masked
        return next((ln for ln in self.pending if not masked[ln]), None)

    def deliver(self, line: int) -> None:
        """``do_IRQ`` (``irq.c:343``): every action on ``line`` in order, as its owner."""
        k = self._k
        k.intr_count += 1
        tracer = k.tracer
        if tracer is not None:
            tracer("irq.begin", {"line": line})
        try:
            for action in list(self._actions[line]):
                k.call(action.owner, f"interrupt handler {action.name!r} (IRQ {line})",
                       action.handler, line, action.dev_id, None)
        finally:
            k.intr_count -= 1
        if tracer is not None:
            tracer("irq.end", {"line": line})

    # -- probing -------------------------------------------------------------------------------

    def probe_irq_on(self) -> int:
        """Start probing (``irq.c:497``, RES-13): unmask every free line 1..15 and return
        their mask."""
        self._probe_snapshot = list(self.irq_raised)
        irqs = 0
        for ln in range(NR_IRQS - 1, 0, -1):
            if not self._actions[ln]:
                self.masked[ln] = False
                irqs |= 1 << ln
        return irqs

    def probe_irq_off(self, irqs: int) -> int:
        """The one line in ``irqs`` raised since :meth:`probe_irq_on` (``irq.c:519``); 0 if
        none, minus the lowest if several (RES-13).

        In 2.0.1 a free line that fires is masked again by its ``bad_interrupt`` stub, and
        probe_irq_off reads the mask; here the lines raised since probe_irq_on are those.
        """
        snap = self._probe_snapshot
        self._probe_snapshot = None
        if snap is None:
            return 0
        fired = [ln for ln in range(NR_IRQS)
                 if irqs & (1 << ln) and self.irq_raised[ln] > snap[ln]]
        for ln in fired:
            if not self._actions[ln]:
                self.masked[ln] = True
        if not fired:
            return 0
        return fired[0] if len(fired) == 1 else -fired[0]

    def free_lines(self) -> list[int]:
        """The lines 1..15 with no action (what autoirq and probing watch)."""
        return [ln for ln in range(1, NR_IRQS) if not self._actions[ln]]

    def has_action(self, line: int) -> bool:
        """True if some action is installed on ``line``."""
        return bool(self._actions[line])
