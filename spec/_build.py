"""Small constructors that keep the rule catalogue readable (internal)."""

from __future__ import annotations

from collections.abc import Iterable

from netdevspec.spec.logic import Expr, StateSym, Var, free_vars, lit, walk
from netdevspec.spec.rules import Case, Citation, Frame, Operation, Rule, RuleKind, Use

# Source keys of api-facts.md section 0.
A1 = "[A1] Network Buffers and Memory Management (article transcription)"
A2 = "[A2] linuxjournal.com/article/1312 (seeds/000_d3f6ad01bb1efb48.txt)"


def K(path: str) -> str:
    """A Linux 2.0.1 source file, liexusong/linux-2.0.0 @ d8873c8."""
    return f"[K] {path}"


def cite(*pairs: tuple[str, str]) -> tuple[Citation, ...]:
    """Citations from (item, source) pairs."""
    return tuple(Citation(i, s) for i, s in pairs)


def _rule(kind: RuleKind, id: str, statement: str, params: Iterable[Var], formula: Expr,
          cites: tuple[Citation, ...], message: str | None) -> Rule:
    ps = tuple(params)
    return Rule(id, kind, statement, formula, cites,
                message or statement.replace("{", "{{").replace("}", "}}"), ps)


def invariant(id: str, statement: str, formula: Expr, cites: tuple[Citation, ...],
              message: str | None = None) -> Rule:
    """A closed invariant of every reachable state."""
    return _rule(RuleKind.INVARIANT, id, statement, (), formula, cites, message)


def transition(id: str, statement: str, params: Iterable[Var], formula: Expr,
               cites: tuple[Citation, ...], message: str | None = None) -> Rule:
    """A two-state invariant of every step: reads the pre-state and (``sym.post``) the
    post-state; ``params`` are bound by name to each operation's parameters."""
    return _rule(RuleKind.TRANSITION, id, statement, params, formula, cites, message)


def obligation(id: str, statement: str, params: Iterable[Var], formula: Expr,
               cites: tuple[Citation, ...], message: str | None = None) -> Rule:
    """A caller obligation over its own parameters."""
    return _rule(RuleKind.OBLIGATION, id, statement, params, formula, cites, message)


def duty(id: str, statement: str, params: Iterable[Var], formula: Expr,
         cites: tuple[Citation, ...], message: str | None = None) -> Rule:
    """An end-of-life duty (checked when a module's init fails or its cleanup returns)."""
    return _rule(RuleKind.DUTY, id, statement, params, formula, cites, message)


def guarantee_rule(id: str, statement: str, params: Iterable[Var], formula: Expr,
                   cites: tuple[Citation, ...]) -> Rule:
    """A kernel guarantee over ``params`` plus any other free variable of ``formula``."""
    ps = list(params)
    names = {p.name for p in ps}
    for node in walk(formula):
        if isinstance(node, Var) and node.name not in names and node.name in free_vars(formula):
            ps.append(node)
            names.add(node.name)
    return _rule(RuleKind.GUARANTEE, id, statement, ps, formula, cites, None)


def guarantee(id: str, statement: str, params: Iterable[Var], formula: Expr,
              cites: tuple[Citation, ...]) -> Use:
    """A kernel guarantee, bound to the same variables it is written over."""
    rule = guarantee_rule(id, statement, params, formula, cites)
    return rule.at(*rule.params)


def bind(rule: Rule, *args: Expr) -> Use:
    """Shorthand for ``rule.at(*args)``."""
    return rule.at(*args)


def case(id: str, statement: str, guard: Expr, guarantees: Iterable[Use] = (),
         modifies: Iterable[Frame] = (), obligations: Iterable[Use] = (),
         violates: Iterable[Use] = (), ret: str = "") -> Case:
    """A branch of an operation."""
    return Case(id, statement, guard, tuple(guarantees), tuple(modifies), tuple(obligations),
                tuple(violates), ret)


def operation(name: str, statement: str, params: Iterable[Var], obligations: Iterable[Use],
              cases: Iterable[Case], cites: tuple[Citation, ...], signature: str = "") -> Operation:
    """A kernel API function, or a callback's return into the kernel."""
    return Operation(name, statement, tuple(params), tuple(obligations), tuple(cases), cites,
                     signature)


def at(sym: StateSym, *args: Expr | int) -> Frame:
    """A frame entry: ``sym`` may change at ``args`` only."""
    return Frame(sym, tuple(a if isinstance(a, Expr) else lit(a) for a in args))


def whole(sym: StateSym) -> Frame:
    """A frame entry: ``sym`` may change anywhere."""
    return Frame(sym, None)
