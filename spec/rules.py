"""Rule objects: invariants, obligations, guarantees, duties, operations and the spec.

Everything here is a frozen value. :class:`Spec` validates the whole catalogue
when it is built, so a malformed rule (unknown symbol, duplicate ID, missing
citation, an effect outside its frame, ...) fails at load time with a message
naming the rule and the fix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

from netdevspec.spec.formula import Exists, Forall, Read
from netdevspec.spec.logic import (
    And,
    Expr,
    Or,
    Sort,
    SortKind,
    StateSym,
    Var,
    evaluate,
    render,
    substitute,
    symbols_of,
)

from netdevspec.errors import SpecError

__all__ = [
    "Case",
    "Citation",
    "Decision",
    "Frame",
    "Operation",
    "Rule",
    "RuleKind",
    "Scenario",
    "Spec",
    "Use",
    "frame_claims",
    "post_reads",
]

class RuleKind(Enum):
    """What a rule constrains, and whom."""

    INVARIANT = "invariant"
    OBLIGATION = "caller obligation"
    GUARANTEE = "kernel guarantee"
    DUTY = "end-of-life duty"
    TRANSITION = "transition invariant"


@dataclass(frozen=True)
class Citation:
    """An api-facts item (``SKB-4``) and the source it names."""

    item: str
    source: str

    def __str__(self) -> str:
        return f"{self.item} ({self.source})"


@dataclass(frozen=True, eq=False)
class Rule:
    """One rule: a stable ID, a statement, a formula, citations and a message.

    ``params`` are the rule's own variables; an operation binds them to its
    arguments with :meth:`at`. ``message`` is a ``str.format`` template over the
    parameter names, shown when the rule is violated.
    """

    id: str
    kind: RuleKind
    statement: str
    formula: Expr
    citations: tuple[Citation, ...]
    message: str
    params: tuple[Var, ...] = ()

    def at(self, *args: Expr) -> Use:
        """This rule bound to an operation's arguments."""
        return Use(self, tuple(args))

    @cached_property
    def reads(self) -> frozenset[StateSym]:
        """The state symbols the rule's formula reads (its frame)."""
        return symbols_of(self.formula)

    def format_message(self, env: Mapping[str, Any]) -> str:
        """The violation message with the parameters' concrete values filled in."""
        return self.message.format(**{p.name: env.get(p.name, "?") for p in self.params})


@dataclass(frozen=True, eq=False)
class Use:
    """A rule bound to expressions over an operation's parameters."""

    rule: Rule
    args: tuple[Expr, ...]

    @cached_property
    def formula(self) -> Expr:
        """The rule's formula with its parameters replaced by the arguments."""
        return substitute(self.rule.formula, {p.name: a for p, a in zip(self.rule.params,
                                                                          self.args, strict=True)})

    def holds(self, pre: Any, post: Any = None, env: Mapping[str, Any] | None = None) -> bool:
        """Evaluate the bound rule concretely."""
        return bool(evaluate(self.formula, pre, post, env))

    def env_for(self, pre: Any, post: Any, env: Mapping[str, Any]) -> dict[str, Any]:
        """The concrete values of the rule's parameters (for its message)."""
        return {p.name: evaluate(a, pre, post, env)
                for p, a in zip(self.rule.params, self.args, strict=True)}


@dataclass(frozen=True)
class Frame:
    """What a case may change: a whole symbol, or the symbol at the given arguments."""

    sym: StateSym
    at: tuple[Expr, ...] | None = None

    def __str__(self) -> str:
        if self.at is None:
            return self.sym.name
        return f"{self.sym.name}({', '.join(render(a) for a in self.at)})"


@dataclass(frozen=True, eq=False)
class Case:
    """One branch of an operation (one errno, one outcome).

    ``guard`` says when the kernel takes this branch; ``obligations`` are extra
    caller obligations that apply only to this branch (e.g. the contract a
    callback's return value implies); ``guarantees`` are what the kernel ensures;
    ``modifies`` is the frame: nothing else changes. ``violates`` lists the
    obligations that taking this branch breaks by definition (2.0.1 lets the call
    through; the monitor reports the rule; the proofs check that the kernel's
    behaviour on this branch still preserves every invariant).
    """

    id: str
    statement: str
    guard: Expr
    guarantees: tuple[Use, ...]
    modifies: tuple[Frame, ...]
    obligations: tuple[Use, ...] = ()
    violates: tuple[Use, ...] = ()
    ret: str = ""

    @cached_property
    def writes(self) -> frozenset[StateSym]:
        """The symbols this case may change."""
        return frozenset(f.sym for f in self.modifies)

    def assumed(self, op: Operation) -> tuple[Use, ...]:
        """The caller obligations that hold when this branch is taken correctly."""
        broken = {v.rule.id for v in self.violates}
        return tuple(u for u in (*op.obligations, *self.obligations) if u.rule.id not in broken)


@dataclass(frozen=True, eq=False)
class Operation:
    """A kernel API function (or a callback's return into the kernel) and its cases."""

    name: str
    statement: str
    params: tuple[Var, ...]
    obligations: tuple[Use, ...]
    cases: tuple[Case, ...]
    citations: tuple[Citation, ...]
    signature: str = ""

    def without_obligation(self, rule_id: str) -> Operation:
        """This operation with a caller obligation dropped everywhere (for broken variants)."""

        def keep(us: tuple[Use, ...]) -> tuple[Use, ...]:
            return tuple(u for u in us if u.rule.id != rule_id)

        cases = tuple(dataclasses.replace(c, obligations=keep(c.obligations),
                                          violates=keep(c.violates)) for c in self.cases)
        return dataclasses.replace(self, obligations=keep(self.obligations), cases=cases)

    def with_case(self, case: Case) -> Operation:
        """This operation with the case of the same ID replaced."""
        self.case(case.id)
        return dataclasses.replace(
            self, cases=tuple(case if c.id == case.id else c for c in self.cases))

    def case(self, case_id: str) -> Case:
        """The case with this ID."""
        for c in self.cases:
            if c.id == case_id:
                return c
        raise SpecError(
            f"{self.name} has no case {case_id!r}",
            f"its cases are {', '.join(c.id for c in self.cases)}",
            "use one of those IDs",
        )


@dataclass(frozen=True)
class Decision:
    """A choice the spec makes where the sources disagree (api-facts section 13)."""

    id: str
    question: str
    choice: str
    reason: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True, eq=False)
class Scenario:
    """A rich state the invariants must admit (checked by the non-vacuity proofs)."""

    id: str
    statement: str
    formula: Expr


@dataclass(frozen=True)
class Coverage:
    """How the spec treats one api-facts item: the rules that rest on it, or why none."""

    item: str
    rules: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, eq=False)
class Spec:
    """The whole specification. Built once; validated on construction."""

    vocabulary: tuple[StateSym, ...]
    constants: tuple[Expr, ...]
    initial: tuple[Expr, ...]
    invariants: tuple[Rule, ...]
    operations: tuple[Operation, ...]
    decisions: tuple[Decision, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    left_out: Mapping[str, str] = field(default_factory=dict)
    known_facts: frozenset[str] = frozenset()
    universe_scale: Mapping[str, int] = field(default_factory=dict)
    witnesses: Mapping[str, Callable[[], tuple[Any, Any, dict[str, Any]]]] = field(
        default_factory=dict)
    transitions: tuple[Rule, ...] = ()
    """Two-state invariants: every step of every case relates its pre- and post-state so.
    A transition's parameters are bound by name to each operation's parameters (``c``,
    the caller)."""

    def __post_init__(self) -> None:
        from netdevspec.spec.validate import validate  # it reads the classes defined here

        validate(self)

    # -- look-ups --------------------------------------------------------------------
    @cached_property
    def rules(self) -> dict[str, Rule]:
        """Every rule by ID (invariants, obligations, guarantees, duties)."""
        out: dict[str, Rule] = {}
        for r in self._all_rules():
            out.setdefault(r.id, r)
        return out

    def _all_rules(self) -> Iterable[Rule]:
        yield from self.invariants
        yield from self.transitions
        for op in self.operations:
            for u in op.obligations:
                yield u.rule
            for c in op.cases:
                for u in (*c.obligations, *c.guarantees):
                    yield u.rule

    @cached_property
    def cases(self) -> dict[str, tuple[Operation, Case]]:
        """Every case by ID, with its operation."""
        return {c.id: (op, c) for op in self.operations for c in op.cases}

    def with_operation(self, op: Operation) -> Spec:
        """This spec with the operation of the same name replaced (validated again)."""
        self.operation(op.name)
        return dataclasses.replace(
            self, operations=tuple(op if o.name == op.name else o for o in self.operations))

    def operation(self, name: str) -> Operation:
        """The operation with this name."""
        for op in self.operations:
            if op.name == name:
                return op
        raise SpecError(
            f"no operation named {name!r}",
            "operations carry the kernel's function names",
            "run `netdevspec rules` to list them",
        )

    @cached_property
    def sorts(self) -> tuple[Sort, ...]:
        """Every sort the vocabulary uses, entity sorts first, in declaration order."""
        seen: dict[str, Sort] = {}
        for s in self.vocabulary:
            for x in (*s.args, s.result):
                seen.setdefault(x.name, x)
        for c in self.constants:
            seen.setdefault(c.sort.name, c.sort)
        ent = [s for s in seen.values() if s.kind is SortKind.ENTITY]
        return (*ent, *(s for s in seen.values() if s.kind is not SortKind.ENTITY))

    def rules_citing(self, item: str) -> list[str]:
        """IDs of the rules and cases whose citations name the api-facts item."""
        out = [r.id for r in self.rules.values() if any(c.item == item for c in r.citations)]
        out += [op.name for op in self.operations if any(c.item == item for c in op.citations)]
        return out


def post_reads(e: Expr, bound: frozenset[str] = frozenset()) -> list[tuple[Read, frozenset[str]]]:
    """Every post-state read in ``e``, with the names bound around it."""
    out: list[tuple[Read, frozenset[str]]] = []
    if isinstance(e, Read) and e.post:
        out.append((e, bound))
    inner = bound
    if isinstance(e, Forall | Exists):
        inner = bound | {b.var.name for b in e.binders}
    for a in e.args:
        out += post_reads(a, inner)
    return out


def frame_claims(c: Case) -> tuple[Expr, ...]:
    """For each post-state read of a location-framed symbol in ``c``'s guarantees: the
    claim that it reads one of the framed locations (so the effect stays in the frame)."""
    locs: dict[StateSym, list[tuple[Expr, ...]]] = {}
    whole: set[StateSym] = set()
    for f in c.modifies:
        if f.at is None or not f.at:
            whole.add(f.sym)
        else:
            locs.setdefault(f.sym, []).append(f.at)
    out: list[Expr] = []
    for u in c.guarantees:
        for node, _ in post_reads(u.formula):
            sym = node.sym
            if sym in whole or not node.args:
                continue
            options = [And(*(x == y for x, y in zip(node.args, loc, strict=True)))
                       for loc in locs.get(sym, [])]
            out.append(Or(*options))
    return tuple(out)
