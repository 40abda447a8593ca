"""Load-time validation of a spec: every malformed rule fails with a message naming it.

:class:`~netdevspec.spec.rules.Spec` calls :func:`validate` when it is built, so an unknown
symbol, a duplicate ID, a missing citation, an effect outside its frame, an unbound
variable, ... is reported at import time with what is wrong, why, and the fix.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping

from netdevspec.spec.formula import (
    BOOL,
    Exists,
    Expr,
    Forall,
    Read,
    Sort,
    StateSym,
    free_vars,
    symbols_of,
    walk,
)
from netdevspec.spec.rules import Rule, RuleKind, Spec, Use, post_reads

from netdevspec.errors import SpecError

__all__ = ["validate"]

_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_FACT_ID = re.compile(r"^(REG|FLD|RES|SKB|Q|CB|FLG|RX|MOD|ART|HAZ)-\d+$")


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
        if isinstance(node, Read):
            sym, is_post = node.sym, node.post
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
        if isinstance(node, Forall | Exists):
            for b in node.binders:
                if b.var.name in allowed_vars:
                    raise _fail(
                        where, f"the bound variable {b.var.name} shadows a parameter",
                        "a quantifier must not capture an operation's argument",
                        f"rename the bound variable {b.var.name}",
                    )
    for name in free_vars(e):
        if name not in allowed_vars:
            raise _fail(
                where, f"uses the variable {name!r}, which is not a parameter",
                "a rule may use only its parameters and the variables it binds",
                f"add {name} to the parameters or bind it with Forall/Exists",
            )


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


def validate(spec: Spec) -> None:
    """Check the whole catalogue; raise :class:`SpecError` naming the first malformed piece."""
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

    for r in spec.transitions:
        where = f"rule {r.id!r}"
        if r.kind is not RuleKind.TRANSITION:
            raise _fail(where, f"is listed as a transition, but its kind is {r.kind.value}",
                        "transitions relate the states before and after every step",
                        "build it with transition() in spec/_build.py")
        if not register(r):
            raise _fail(where, "the ID is used twice", "IDs are unique",
                        "list each transition once")
        _check_rule(r, vocab, spec.known_facts)
        own = {p.name: p.sort for p in r.params}
        _check_formula(f"transition {r.id!r}", r.formula, vocab, own, vocab)
        reads = symbols_of(r.formula, post=True)
        for op in spec.operations:
            if not any(c.writes & reads for c in op.cases):
                continue
            theirs = {p.name: p.sort for p in op.params}
            for p in r.params:
                if theirs.get(p.name) != p.sort:
                    raise _fail(where, f"binds {p.name} : {p.sort}, but {op.name}, whose cases "
                                f"change what it reads, has no such parameter",
                                "a transition's parameters are the operation's own (by name)",
                                f"give {op.name} a parameter {p.name} or quantify {p.name}")

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
                    sym = node.sym
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
    register: Callable[[Rule], bool],
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
