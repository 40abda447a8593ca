"""Rule objects: invariants, obligations, guarantees, duties, operations and the spec.

Everything here is a frozen value. :class:`Spec` validates the whole catalogue
when it is built, so a malformed rule (unknown symbol, duplicate ID, missing
citation, an effect outside its frame, ...) fails at load time with a message
naming the rule and the fix.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

from netdevspec.spec.logic import (
    BOOL,
    And,
    Expr,
    Or,
    Sort,
    SortKind,
    StateSym,
    Var,
    evaluate,
    free_vars,
    render,
    substitute,
    symbols_of,
    walk,
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

_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_FACT_ID = re.compile(r"^(REG|FLD|RES|SKB|Q|CB|FLG|RX|MOD|ART|HAZ)-\d+$")


class RuleKind(Enum):
    """What a rule constrains, and whom."""

    INVARIANT = "invariant"
    OBLIGATION = "caller obligation"
    GUARANTEE = "kernel guarantee"
    DUTY = "end-of-life duty"


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

    def __post_init__(self) -> None:
        _validate(self)

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


def post_reads(e: Expr, bound: frozenset[str] = frozenset()) -> list[tuple[Expr, frozenset[str]]]:
    """Every post-state read in ``e``, with the names bound around it."""
    out: list[tuple[Expr, frozenset[str]]] = []
    if e.op == "sym" and e.payload[1]:
        out.append((e, bound))
    inner = bound
    if e.op in ("forall", "exists"):
        inner = bound | {b.var.name for b in e.payload}
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
            sym = node.payload[0]
            if sym in whole or not node.args:
                continue
            options = [And(*(x == y for x, y in zip(node.args, loc, strict=True)))
                       for loc in locs.get(sym, [])]
            out.append(Or(*options))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


def _fail(where: str, what: str, why: str, fix: str) -> SpecError:
    return SpecError(f"{where}: {what}", why, fix)


def _check_formula(
    where: str,
    e: Expr,
    vocab: frozenset[StateSym],
    allowed_vars: Mapping[str, Sort],
    post_ok: frozenset[StateSym] | None,
) -> None:
    if e.sort != BOOL:
        raise _fail(where, f"the formula has sort {e.sort}, not Bool", "rules state facts",
                    "compare the value with something")
    for node in walk(e):
        if node.op == "sym":
            sym, is_post = node.payload
            if sym not in vocab:
                raise _fail(
                    where, f"unknown state symbol {sym.name!r}",
                    "every symbol a rule reads must be declared in the spec's vocabulary",
                    f"declare {sym.name} in spec/vocabulary.py or use a declared symbol",
                )
            if is_post and post_ok is None:
                raise _fail(
                    where, f"reads the post-state ({sym.name}′)",
                    "only kernel guarantees relate the states before and after a call",
                    "read the pre-state, or make the rule a guarantee of a case",
                )
            if is_post and post_ok is not None and sym not in post_ok:
                raise _fail(
                    where, f"an effect outside its frame: it constrains {sym.name}′ but the "
                    "case does not list it in modifies",
                    "a case may change only what its frame declares",
                    f"add Frame({sym.name}) to the case's modifies, or drop the effect",
                )
        if node.op in ("forall", "exists"):
            for b in node.payload:
                if b.var.name in allowed_vars:
                    raise _fail(
                        where, f"the bound variable {b.var.name} shadows a parameter",
                        "a quantifier must not capture an operation's argument",
                        f"rename the bound variable {b.var.name}",
                    )
    bound = {b.var.name for n in walk(e) if n.op in ("forall", "exists") for b in n.payload}
    for name in free_vars(e):
        if name not in allowed_vars:
            raise _fail(
                where, f"uses the variable {name!r}, which is not a parameter",
                "a rule may use only its parameters and the variables it binds",
                f"add {name} to the parameters or bind it with Forall/Exists",
            )
    del bound


def _check_rule(r: Rule, vocab: frozenset[StateSym], known: frozenset[str]) -> None:
    where = f"rule {r.id!r}"
    if not _RULE_ID.match(r.id):
        raise _fail(where, "its ID is not a dotted lower-case path",
                    "IDs are stable, readable and hierarchical", "use an ID like skb.put.bounds")
    if not r.statement.strip():
        raise _fail(where, "has no statement", "every rule is documented in one line",
                    "add a one-line statement")
    if not r.citations:
        raise _fail(where, "has no citation",
                    "every rule must trace back to an api-facts item and its source",
                    "add Citation('SKB-4', '[K] include/linux/skbuff.h skb_put')")
    for c in r.citations:
        if not _FACT_ID.match(c.item) or (known and c.item not in known):
            raise _fail(where, f"cites {c.item!r}, which is not an api-facts item",
                        "citations name items of shared/api-facts.md",
                        "cite an item such as REG-7 or SKB-4 (HAZ-n for section 13)")
        if not c.source.strip():
            raise _fail(where, f"the citation {c.item} names no source",
                        "a citation gives the article or source file it rests on",
                        "add the source, e.g. '[K] net/core/dev.c'")
    names = {p.name for p in r.params}
    fields = {f for _, f, _, _ in string.Formatter().parse(r.message) if f}
    if not r.message.strip() or fields - names:
        raise _fail(where, f"its message uses {sorted(fields - names)} or is empty",
                    "a violation message may mention only the rule's parameters",
                    "write a message over the parameters " + ", ".join(sorted(names)))


def _validate(spec: Spec) -> None:
    vocab = frozenset(spec.vocabulary)
    names = [s.name for s in spec.vocabulary]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SpecError(f"state symbols declared twice: {sorted(dup)}",
                        "each symbol has one meaning", "rename or merge them")
    for i, e in enumerate(spec.initial):
        _check_formula(f"initial condition #{i}", e, vocab, {}, None)
    for sc in spec.scenarios:
        _check_formula(f"scenario {sc.id!r}", sc.formula, vocab, {}, None)

    seen: dict[str, Rule] = {}

    def register(r: Rule) -> bool:
        prior = seen.get(r.id)
        if prior is None:
            seen[r.id] = r
            return True
        if prior is not r:
            raise _fail(f"rule {r.id!r}", "the ID is used twice",
                        "rule IDs are stable names; two rules cannot share one",
                        "rename one of them")
        return False

    for r in spec.invariants:
        if r.kind is not RuleKind.INVARIANT or r.params:
            raise _fail(f"rule {r.id!r}", "is listed as an invariant but is not a closed "
                        "invariant", "invariants hold of every state and take no parameters",
                        "give it kind INVARIANT and quantify its variables")
        if not register(r):
            raise _fail(f"rule {r.id!r}", "the ID is used twice", "IDs are unique",
                        "list each invariant once")
        _check_rule(r, vocab, spec.known_facts)
        _check_formula(f"invariant {r.id!r}", r.formula, vocab, {}, None)

    case_ids: set[str] = set()
    op_names: set[str] = set()
    for op in spec.operations:
        if op.name in op_names:
            raise _fail(f"operation {op.name!r}", "is declared twice", "names are unique",
                        "merge the declarations")
        op_names.add(op.name)
        if not op.citations:
            raise _fail(f"operation {op.name!r}", "has no citation",
                        "every operation traces back to api-facts", "add citations")
        if not op.cases:
            raise _fail(f"operation {op.name!r}", "has no cases",
                        "an operation needs at least one outcome", "add a Case")
        params = {p.name: p.sort for p in op.params}
        for u in op.obligations:
            _check_use(f"operation {op.name!r}", u, params, vocab, None, spec, register,
                       (RuleKind.OBLIGATION, RuleKind.DUTY))
        for c in op.cases:
            where = f"case {c.id!r} of {op.name}"
            if c.id in case_ids or c.id in seen:
                raise _fail(where, "the ID is used twice", "case IDs are unique",
                            "rename the case")
            if not c.id.startswith(op.name + "."):
                raise _fail(where, f"its ID does not start with {op.name}.",
                            "a case ID names its operation first", f"use {op.name}.<outcome>")
            case_ids.add(c.id)
            _check_formula(where + " (guard)", c.guard, vocab, params, None)
            for f in c.modifies:
                if f.sym not in vocab:
                    raise _fail(where, f"modifies the unknown symbol {f.sym.name!r}",
                                "frames name declared symbols", "declare it first")
                if f.at is not None and tuple(a.sort for a in f.at) != f.sym.args:
                    raise _fail(where, f"frames {f} with arguments of the wrong sorts",
                                f"{f.sym.signature()}", "pass arguments of the declared sorts")
            for u in c.obligations:
                _check_use(where, u, params, vocab, None, spec, register,
                           (RuleKind.OBLIGATION, RuleKind.DUTY))
            whole_syms = {f.sym for f in c.modifies if f.at is None or not f.at}
            for u in c.guarantees:
                _check_use(where, u, params, vocab, c.writes, spec, register,
                           (RuleKind.GUARANTEE,))
                for node, bound in post_reads(u.formula):
                    sym = node.payload[0]
                    used = frozenset().union(*(free_vars(x) for x in node.args))
                    if sym not in whole_syms and used & bound:
                        raise _fail(where, f"{u.rule.id} reads {sym.name}′ at a quantified "
                                    "position, but the frame names single locations",
                                    "a quantified effect can only be checked against a "
                                    "whole-symbol frame", f"use whole({sym.name}) in modifies")
            mine = {u.rule.id for u in (*op.obligations, *c.obligations)}
            for u in c.violates:
                if u.rule.id not in mine:
                    raise _fail(where, f"says it violates {u.rule.id}, which is not one of "
                                "its obligations", "a branch can only break an obligation "
                                "of its own operation", f"add {u.rule.id} to the obligations")


def _check_use(
    where: str,
    u: Use,
    params: Mapping[str, Sort],
    vocab: frozenset[StateSym],
    post_ok: frozenset[StateSym] | None,
    spec: Spec,
    register: Any,
    kinds: tuple[RuleKind, ...],
) -> None:
    r = u.rule
    if r.kind not in kinds:
        raise _fail(f"rule {r.id!r}", f"is a {r.kind.value} but is used as "
                    + " or ".join(k.value for k in kinds) + f" in {where}",
                    "each rule has one kind", "use a rule of the right kind")
    if register(r):
        _check_rule(r, vocab, spec.known_facts)
        own = {p.name: p.sort for p in r.params}
        _check_formula(f"rule {r.id!r}", r.formula, vocab, own,
                       frozenset(vocab) if post_ok is not None else None)
    if len(u.args) != len(r.params) or any(
        a.sort != p.sort for a, p in zip(u.args, r.params, strict=False)
    ):
        raise _fail(where, f"binds {r.id} to ({', '.join(str(a.sort) for a in u.args)}) but "
                    f"it takes ({', '.join(str(p.sort) for p in r.params)})",
                    "a rule's parameters are typed", "pass one argument per parameter")
    _check_formula(f"{where}, rule {r.id!r}", u.formula, vocab, params, post_ok)
