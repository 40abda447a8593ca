"""The unbounded encoder, the one PROVED rests on, agrees with the concrete interpreter.

Hypothesis draws states with several objects per sort (NULL, the named constants and two
anonymous objects), an operation case, its arguments and the values the case writes.
The state is pinned into the *unbounded* encoding (uninterpreted sorts, quantifiers kept
as quantifiers, the post-state built by ``Encoder.post_state`` with its ``Store``\\ s),
each sort closed over those objects by an axiom, and every invariant, guard, obligation
and guarantee must take the same truth value in z3 as in ``evaluate``: z3 must prove
(answer unsat to) the formula's negation when Python says true, and the formula itself
when Python says false. Deliberate mutations of the encoder are shown to be caught.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import z3
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from netdevspec.model.encode import Encoder, State
from netdevspec.spec import SPEC, ConcreteState, evaluate
from netdevspec.spec.formula import Exists, Forall, Lt
from netdevspec.spec.logic import BOOL, Expr, SortKind, StateSym, render
from netdevspec.spec.rules import Case

pytestmark = pytest.mark.slow

ANON = 2  # anonymous objects per entity sort, besides NULL and the named constants
WINDOW = 6
# Integer arguments a formula can compute from drawn values (n - 1, count - 1, ...) reach
# this far outside the drawn window; z3's arrays are pinned there to the defaults too.
SLACK = 2
INTS = st.integers(-2, 3)
BVS = st.sampled_from([0, 1, 0x40, 0x41, 0x1002, 0x1043])


class _World:
    """The objects of one example, in Python and in one fresh unbounded encoder."""

    def __init__(self) -> None:
        self.enc = Encoder(SPEC)
        self.objs: dict[str, list[tuple[Any, Any]]] = {}  # sort -> [(python, z3)]
        for sort in SPEC.sorts:
            if sort.kind is not SortKind.ENTITY:
                continue
            z = self.enc.zsort(sort)
            pairs: list[tuple[Any, Any]] = [(None, self.enc.nulls[sort.name])]
            pairs += [(n, v) for (s, n), v in self.enc.consts.items() if s == sort.name]
            pairs += [(f"{sort.prefix}{i}", z3.Const(f"{sort.name}#{i}", z))
                      for i in range(ANON)]
            self.objs[sort.name] = pairs
        self.z_of = {s: dict(p) for s, p in self.objs.items()}

    def closure(self) -> list[Any]:
        """Each sort has exactly these objects, all distinct."""
        out = []
        for sname, pairs in self.objs.items():
            zs = [z for _, z in pairs]
            x = z3.Const(f"closure!{sname}", zs[0].sort())
            out.append(z3.Distinct(*zs))
            out.append(z3.ForAll([x], z3.Or(*(x == z for z in zs))))
        return out

    def args(self, sym: StateSym, wide: bool = False) -> list[tuple[Any, ...]]:
        """The argument tuples drawn (``wide``: also those pinned to the default, every
        integer a formula can compute from the drawn values, outside the domain too)."""
        out: list[tuple[Any, ...]] = [()]
        for i, s in enumerate(sym.args):
            if s.kind is SortKind.ENTITY:
                out = [(*t, v) for t in out for v, _ in self.objs[s.name]]
            elif sym.domain is not None:
                lo, hi = sym.domain
                if wide:
                    lo, hi = min(lo, -2 - SLACK), max(hi, 2 + WINDOW + SLACK)
                out = [(*t, v) for t in out for v in range(lo, hi)]
            else:
                assert sym.index is not None and i == len(sym.args) - 1
                lo, hi = (-2 - SLACK, 2 + WINDOW + SLACK) if wide else (-2, 2 + WINDOW)
                out = [(*t, v) for t in out for v in range(lo, hi)]
        return out

    def value(self, sort: Any) -> st.SearchStrategy[Any]:
        if sort.kind is SortKind.BOOL:
            return st.booleans()
        if sort.kind is SortKind.INT:
            return INTS
        if sort.kind is SortKind.BV:
            return BVS
        return st.sampled_from([v for v, _ in self.objs[sort.name]])

    def to_z3(self, sort: Any, v: Any) -> Any:
        if sort.kind is SortKind.BOOL:
            return z3.BoolVal(v, self.enc.ctx)
        if sort.kind is SortKind.INT:
            return z3.IntVal(v, self.enc.ctx)
        if sort.kind is SortKind.BV:
            return z3.BitVecVal(v, sort.width, self.enc.ctx)
        return self.z_of[sort.name][v]

    def pin(self, st_: State, state: ConcreteState) -> list[Any]:
        """Equalities fixing the z3 state ``st_`` to the concrete ``state``."""
        eqs = []
        for sym in SPEC.vocabulary:
            for args in self.args(sym, wide=True):
                zargs = [self.to_z3(s, a) for s, a in zip(sym.args, args, strict=True)]
                term = z3.Select(st_[sym], *zargs) if zargs else st_[sym]
                eqs.append(term == self.to_z3(sym.result, state.get(sym, args)))
        return eqs


def _post_concrete(w: _World, c: Case, pre: ConcreteState, env: dict[str, Any],
                   data: st.DataObject) -> ConcreteState:
    """The state after ``c``: what its frame names gets drawn values, the rest is kept."""
    post = pre.copy()
    for f in c.modifies:
        if f.at is None or not f.sym.args:
            for args in w.args(f.sym):
                post.set(f.sym, args, data.draw(w.value(f.sym.result),
                                                label=f"{f.sym.name}'{args}"))
        else:
            loc = tuple(evaluate(a, pre, None, env) for a in f.at)
            post.set(f.sym, loc, data.draw(w.value(f.sym.result), label=f"{f}'"))
    return post


def _agree(s: Any, checks: list[tuple[str, Any, bool]]) -> None:
    """z3 must prove that every term has the concrete interpreter's truth value: one
    query for all of them; if that fails, one per term, in order, to name the first
    culprit. Budgets are in z3 resource units, so the outcome does not depend on the
    machine: a correct encoder is proved well within them."""
    def proved(items: list[tuple[str, Any, bool]], budget: int) -> Any:
        s.push()
        try:
            s.set("rlimit", budget)
            s.add(z3.Not(z3.And(*(t if v else z3.Not(t) for _, t, v in items))))
            return s.check()
        finally:
            s.pop()

    if proved(checks, 10_000_000) == z3.unsat:
        return
    for name, term, expected in checks:
        answer = proved([(name, term, expected)], 1_000_000)
        assert answer == z3.unsat, (
            f"{name}: the concrete interpreter says {expected}, but z3 answered {answer} "
            "to the opposite on the same state")
    raise AssertionError("z3 could not prove the interpreter's values together, though it "
                         "proved each one")


def _check(data: st.DataObject) -> None:
    w = _World()
    enc = w.enc
    pre = ConcreteState(universe={s: [v for v, _ in p[1:]] for s, p in w.objs.items()})
    for sym in SPEC.vocabulary:
        for args in w.args(sym):
            pre.set(sym, args, data.draw(w.value(sym.result), label=f"{sym.name}{args}"))
    op = data.draw(st.sampled_from(SPEC.operations), label="operation")
    c = data.draw(st.sampled_from(op.cases), label="case")
    env = {p.name: data.draw(w.value(p.sort), label=p.name) for p in op.params}
    post_c = _post_concrete(w, c, pre, env, data)
    post_z, _ = enc.post_state(c, "#t")

    s = z3.Solver(ctx=enc.ctx)
    s.add(*enc.background(), *w.pin(enc.pre, pre), *w.pin(post_z, post_c))
    s.add(*(enc.var(p.name, p.sort) == w.to_z3(p.sort, env[p.name]) for p in op.params))
    # Without the closure axioms the pins are ground, so z3 decides their consistency.
    assert s.check() == z3.sat, (
        f"the unbounded encoding of {c.id} cannot represent this concrete step: "
        "post_state and the frame disagree with the concrete interpreter")
    s.add(*w.closure())

    def parts(name: str, f: Expr, a: State, b: State | None, ca: ConcreteState,
              cb: ConcreteState | None) -> list[tuple[str, Any, bool]]:
        # The formula and every Boolean part of it, under every binding of the variables
        # quantifiers bind around it (to the state's objects, or to integers in the pinned
        # window), so a wrong translation deep inside a formula is seen even where the
        # formula as a whole is false anyway.
        out: list[tuple[str, Any, bool]] = []

        def visit(node: Expr, zenv: dict[str, Any], penv: dict[str, Any]) -> None:
            if node.sort == BOOL:
                out.append((f"{name}: {render(node)} with {penv}",
                            enc.term(node, a, b, zenv) if zenv else enc.term(node, a, b),
                            bool(evaluate(node, ca, cb, {**env, **penv}))))
            if isinstance(node, Forall | Exists):
                binds: list[tuple[dict[str, Any], dict[str, Any]]] = [(zenv, penv)]
                for bd in node.binders:
                    sort = bd.var.sort
                    values = ([v for v, _ in w.objs[sort.name]] if bd.lo is None
                              else list(range(-2, 2 + WINDOW)))
                    binds = [({**z, bd.var.name: w.to_z3(sort, v)}, {**p, bd.var.name: v})
                             for z, p in binds for v in values]
                for z, p in binds:
                    visit(node.args[0], z, p)
                return
            for x in node.args:
                visit(x, zenv, penv)

        visit(f, {}, {})
        return out

    checks = []
    for i in SPEC.invariants:
        checks += parts(f"invariant {i.id}", i.formula, enc.pre, None, pre, None)
    checks += parts(f"guard of {c.id}", c.guard, enc.pre, None, pre, None)
    for u in c.assumed(op):
        checks += parts(f"obligation {u.rule.id}", u.formula, enc.pre, None, pre, None)
    # Invariants over the post-state, and the guarantees relating the two states.
    for i in SPEC.invariants:
        if i.reads & c.writes:
            checks += parts(f"invariant {i.id} after {c.id}", i.formula, post_z, None,
                            post_c, None)
    for u in c.guarantees:
        checks += parts(f"guarantee {u.rule.id}", u.formula, enc.pre, post_z, pre, post_c)
    _agree(s, checks)


_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck),
                     database=None, phases=[Phase.explicit, Phase.generate])


@_SETTINGS
@given(st.data())
def test_the_unbounded_encoder_agrees_with_the_concrete_interpreter(
        data: st.DataObject) -> None:
    _check(data)


@contextmanager
def _mutated(monkeypatch: pytest.MonkeyPatch, name: str) -> Iterator[None]:
    if name == "lt-as-le":
        original = Encoder._tr

        def tr(self: Encoder, e: Expr, pre: State, post: State | None,
               env: dict[str, Any]) -> Any:
            if isinstance(e, Lt) and e.left.sort.kind is SortKind.INT:
                return (original(self, e.args[0], pre, post, env)
                        <= original(self, e.args[1], pre, post, env))
            return original(self, e, pre, post, env)

        monkeypatch.setattr(Encoder, "_tr", tr)
    else:  # "frame-dropped": location frames no longer write the post-state
        original_post = Encoder.post_state

        def post_state(self: Encoder, case: Case, tag: str) -> tuple[State, list[Any]]:
            post, fresh = original_post(self, case, tag)
            for f in case.modifies:
                if f.at is not None and f.sym.args:
                    post[f.sym] = self.pre[f.sym]
            return post, fresh

        monkeypatch.setattr(Encoder, "post_state", post_state)
    yield


@pytest.mark.parametrize("mutation", ["lt-as-le", "frame-dropped"])
def test_a_mutated_encoder_is_caught(mutation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with _mutated(monkeypatch, mutation), pytest.raises(AssertionError):
        test_the_unbounded_encoder_agrees_with_the_concrete_interpreter()
