"""The two interpretations of every rule agree: z3 and the concrete evaluator give the same
truth value on the same state.

Hypothesis draws arbitrary (mostly invalid) small states; each is asserted into the
bounded z3 encoding value by value, and every invariant, guard and guarantee formula is
evaluated both ways.
"""

from __future__ import annotations

from typing import Any

import pytest
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netdevspec.model.encode import BoundedEncoder
from netdevspec.spec import SPEC, ConcreteState, evaluate
from netdevspec.spec.logic import SortKind, StateSym, evaluate_interpreted

from netdevspec.errors import SpecError

pytestmark = pytest.mark.slow

WINDOW = 6
INTS = st.integers(-2, 3)


class _Harness:
    """One bounded encoder and solver, reused for every example."""

    def __init__(self) -> None:
        self.b = BoundedEncoder(SPEC, size=1, window=WINDOW)
        self.names: dict[str, list[tuple[Any, Any]]] = {}  # sort -> [(python, z3)]
        for sname, els in self.b.universe.elements.items():
            sort = next(s for s in SPEC.sorts if s.name == sname)
            named = {v.get_id(): n for (s, n), v in self.b.consts.items() if s == sname}
            pairs: list[tuple[Any, Any]] = [(None, els[0])]
            for idx, u in enumerate(els[1:]):
                pairs.append((named.get(u.get_id(), f"{sort.prefix}{idx - len(named)}"), u))
            self.names[sname] = pairs
        self.z_of = {s: dict(p) for s, p in self.names.items()}
        self.formulas = [i.formula for i in SPEC.invariants]
        self.terms = [self.b.term(f, self.b.pre, None) for f in self.formulas]
        self.solver = z3.Solver(ctx=self.b.ctx)
        self.solver.add(*self.b.background(), *self.b.side)

    def args(self, sym: StateSym) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = [()]
        for i, s in enumerate(sym.args):
            if s.kind is SortKind.ENTITY:
                out = [(*t, v) for t in out for v, _ in self.names[s.name]]
            elif sym.domain is not None:
                out = [(*t, v) for t in out for v in range(*sym.domain)]
            else:
                assert sym.index is not None and i == len(sym.args) - 1
                out = [(*t, v) for t in out for v in range(-2, 2 + WINDOW)]
        return out

    def value(self, sort: Any) -> st.SearchStrategy[Any]:
        if sort.kind is SortKind.BOOL:
            return st.booleans()
        if sort.kind is SortKind.INT:
            return INTS
        if sort.kind is SortKind.BV:
            return st.sampled_from([0, 1, 0x40, 0x41, 0x1002, 0x1043])
        return st.sampled_from([v for v, _ in self.names[sort.name]])

    def to_z3(self, sort: Any, v: Any) -> Any:
        if sort.kind is SortKind.BOOL:
            return z3.BoolVal(v, self.b.ctx)
        if sort.kind is SortKind.INT:
            return z3.IntVal(v, self.b.ctx)
        if sort.kind is SortKind.BV:
            return z3.BitVecVal(v, sort.width, self.b.ctx)
        return self.z_of[sort.name][v]


H: _Harness | None = None


def harness() -> _Harness:
    global H
    if H is None:
        H = _Harness()
    return H


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_invariants_evaluate_the_same_in_z3_and_in_python(data: st.DataObject) -> None:
    h = harness()
    state = ConcreteState(universe={s: [v for v, _ in p[1:]] for s, p in h.names.items()})
    eqs = []
    for sym in SPEC.vocabulary:
        for args in h.args(sym):
            v = data.draw(h.value(sym.result), label=f"{sym.name}{args}")
            state.set(sym, args, v)
            zargs = [h.to_z3(s, a) for s, a in zip(sym.args, args, strict=True)]
            arr = h.b.pre[sym]
            term = z3.Select(arr, *zargs) if zargs else arr
            eqs.append(term == h.to_z3(sym.result, v))
    s = h.solver
    s.push()
    try:
        s.add(*eqs)
        assert s.check() == z3.sat
        m = s.model()
        for f, t in zip(h.formulas, h.terms, strict=True):
            concrete = bool(evaluate(f, state))
            symbolic = z3.is_true(m.eval(t, model_completion=True))
            assert concrete == symbolic, f"interpretations disagree on {f}"
    finally:
        s.pop()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_compiled_formulas_agree_with_the_tree_walker(data: st.DataObject) -> None:
    """evaluate() runs formulas compiled to Python; the tree-walking interpreter is the
    reference. Every invariant and every operation's obligations and guards, on random
    states and arguments, give the same value both ways."""
    h = harness()
    state = ConcreteState(universe={s: [v for v, _ in p[1:]] for s, p in h.names.items()})
    for sym in SPEC.vocabulary:
        for args in h.args(sym):
            state.set(sym, args, data.draw(h.value(sym.result), label=f"{sym.name}{args}"))
    for inv in SPEC.invariants:
        assert evaluate(inv.formula, state) == evaluate_interpreted(inv.formula, state), inv.id
    op = data.draw(st.sampled_from(SPEC.operations), label="operation")
    env = {p.name: data.draw(h.value(p.sort), label=p.name) for p in op.params}
    for f in [*(u.formula for u in op.obligations), *(c.guard for c in op.cases)]:
        assert bool(evaluate(f, state, None, env)) == bool(
            evaluate_interpreted(f, state, None, env)), (op.name, f)


def test_a_compiled_formula_reports_an_unbound_variable() -> None:
    op = SPEC.operation("skb_put")
    with pytest.raises(SpecError, match="the variable b has no value"):
        evaluate(op.obligations[1].formula, ConcreteState(), None, {"c": "m"})
