"""Check one observed step (state before, call, state after) against the spec.

Everything here evaluates the spec's own rule objects with the concrete interpreter; no
rule is restated. A step agrees with the spec when some case of the operation has a
guard that holds, guarantees that hold, and a frame that covers every change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netdevspec.spec.logic import ConcreteState, evaluate
from netdevspec.spec.rules import Case, Operation, Rule, Spec

__all__ = ["StepReport", "changes", "check_step", "unframed_changes"]


@dataclass(frozen=True)
class StepReport:
    """What one step showed: the case it took (None if none fits) and what is wrong."""

    operation: str
    case: str | None
    broken_obligations: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    broken_invariants: tuple[str, ...] = field(default=())

    @property
    def agrees(self) -> bool:
        """The step took a case of the spec and kept every invariant."""
        return self.case is not None and not self.problems and not self.broken_invariants


def changes(pre: ConcreteState, post: ConcreteState, spec: Spec
            ) -> list[tuple[str, tuple[Any, ...], Any, Any]]:
    """Every (symbol, arguments, before, after) whose value differs between the states."""
    out = []
    for sym in spec.vocabulary:
        before, after = pre.values.get(sym.name, {}), post.values.get(sym.name, {})
        if before == after:  # the common case, compared in C
            continue
        keys = set(before) | set(after)
        if sym.index is not None:
            # Positions outside a queue's (or data area's) live range hold garbage in the
            # spec: only positions live after the step are observable.
            lo_sym, hi_sym = sym.index

            def live(args: tuple[Any, ...], lo_sym: Any = lo_sym, hi_sym: Any = hi_sym) -> bool:
                lo = 0 if lo_sym is None else post.get(lo_sym, args[:-1])
                return bool(lo <= args[-1] < post.get(hi_sym, args[:-1]))

            keys = {a for a in keys if live(a)}
        for args in keys:
            a, b = pre.get(sym, args), post.get(sym, args)
            if a != b:
                out.append((sym.name, args, a, b))
    return out


def unframed_changes(spec: Spec, c: Case, pre: ConcreteState, post: ConcreteState,
                     env: Mapping[str, Any],
                     diff: list[tuple[str, tuple[Any, ...], Any, Any]] | None = None
                     ) -> list[str]:
    """Changes the case's ``modifies`` frame does not allow (``diff``: the step's
    :func:`changes`, if already computed)."""
    whole = {f.sym.name for f in c.modifies if f.at is None or not f.at}
    at: dict[str, set[tuple[Any, ...]]] = {}
    for f in c.modifies:
        if f.at:
            at.setdefault(f.sym.name, set()).add(
                tuple(evaluate(x, pre, None, env) for x in f.at))
    bad = []
    for name, args, a, b in (changes(pre, post, spec) if diff is None else diff):
        if name in whole or args in at.get(name, ()):
            continue
        bad.append(f"{name}{args}: {a!r} -> {b!r}")
    return bad


def check_step(spec: Spec, op: Operation | str, pre: ConcreteState, post: ConcreteState,
               env: Mapping[str, Any], check_invariants: bool = True,
               returned: str | None = None) -> StepReport:
    """Which case of ``op`` this step took, and whether the spec agrees with it.

    ``returned`` is the observed return in the cases' notation (``"0"``, ``"-EBUSY"``,
    ``"NULL"``); when given, a case documenting that return is preferred, because
    branches the kernel may choose between (out of memory or not) can otherwise both fit.
    """
    if isinstance(op, str):
        op = spec.operation(op)
    cases = list(op.cases)
    if returned is not None and any(c.ret == returned for c in cases):
        cases = [c for c in cases if c.ret == returned] + [
            c for c in cases if c.ret != returned]
    broken = tuple(u.rule.id for u in op.obligations
                   if not evaluate(u.formula, pre, None, env))
    problems: list[str] = []
    taken: str | None = None
    diff = changes(pre, post, spec)
    for c in cases:
        if not evaluate(c.guard, pre, None, env):
            continue
        bad = [u.rule.id for u in c.guarantees if not evaluate(u.formula, pre, post, env)]
        unframed = unframed_changes(spec, c, pre, post, env, diff)
        if not bad and not unframed:
            taken = c.id
            problems = []
            break
        problems.append(f"{c.id}: guard holds but " + "; ".join(
            ([f"guarantees {bad} are false"] if bad else [])
            + ([f"changes outside the frame: {unframed[:6]}"] if unframed else [])))
    if taken is None and not problems:
        problems.append("no case's guard holds")
    inv: tuple[str, ...] = ()
    if check_invariants:
        # When a case fits, its frame check has shown that nothing outside ``modifies``
        # changed, so an invariant reading none of those symbols has its value from
        # ``pre``: only the others are evaluated (the caller checks the first state whole).
        todo = spec.invariants if taken is None else _touched(spec, op.case(taken))
        inv = tuple(i.id for i in todo if not evaluate(i.formula, post))
    return StepReport(op.name, taken, broken, tuple(problems), inv)


_TOUCHED: dict[tuple[Spec, str], tuple[Rule, ...]] = {}


def _touched(spec: Spec, c: Case) -> tuple[Rule, ...]:
    """The invariants that read a symbol the case may modify."""
    key = (spec, c.id)
    hit = _TOUCHED.get(key)
    if hit is None:
        mod = {f.sym.name for f in c.modifies}
        hit = _TOUCHED[key] = tuple(i for i in spec.invariants
                                    if any(sym.name in mod for sym in i.reads))
    return hit
