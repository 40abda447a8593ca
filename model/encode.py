"""Translate the spec's formulas into z3 terms (the symbolic interpretation).

Two modes:

* **unbounded** (:class:`Encoder`): quantifiers stay quantifiers; entity sorts are
  z3 uninterpreted sorts, so a proof holds for any number of devices and buffers;
* **bounded** (:class:`BoundedEncoder`): every entity sort has a small fixed universe
  and quantifiers are expanded. Used only to *find* states (witnesses and
  counterexamples), which are then re-checked by the concrete interpreter.

Each state symbol is a z3 array (or constant); an operation's post-state reuses
the pre-state term for every symbol outside its frame, and ``Store``\\ s fresh
values at the framed locations, so frames hold by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, assert_never

import z3
from netdevspec.model.interrupt import register
from netdevspec.spec.formula import (
    Add,
    And,
    Apply,
    BitAnd,
    BitNot,
    BitOr,
    Const,
    Eq,
    Exists,
    Expr,
    Forall,
    Implies,
    Ite,
    Le,
    Lit,
    Lt,
    Mul,
    Not,
    Null,
    Or,
    Read,
    Sort,
    SortKind,
    StateSym,
    Sub,
    Var,
)
from netdevspec.spec.rules import Case, Frame, Spec
from z3 import z3core

__all__ = ["BoundedEncoder", "Encoder", "State"]

State = dict[StateSym, Any]


class Encoder:
    """The unbounded translation of one spec. Build once; terms are cached."""

    def __init__(self, spec: Spec):
        self.spec = spec
        # A context of its own: terms, ids and model choices do not depend on what else
        # the process did, so a run is reproducible however many provers ran before it.
        self.ctx = z3.Context()
        register(self.ctx)  # a signal interrupts this context's queries at once
        self._sorts: dict[str, Any] = {}
        self.nulls: dict[str, Any] = {}
        self.consts: dict[tuple[str, str], Any] = {}
        for s in spec.sorts:
            self.zsort(s)
        for c in spec.constants:
            if not isinstance(c, Const):
                raise TypeError(f"a spec constant must be built with entity_const(), not {c!r}")
            self.consts[(c.sort.name, c.name)] = z3.Const(c.name.upper(),
                                                             self.zsort(c.sort))
        self.pre: State = {sym: self._fresh_sym(sym, "") for sym in spec.vocabulary}
        self._background: list[Any] | None = None
        self._ints: dict[int, Any] = {}
        # Keyed by object identity; each entry keeps its key objects alive so an id
        # cannot be reused by a later state while the entry exists.
        self._memo: dict[tuple[int, int, int], tuple[Expr, State, State | None, Any]] = {}

    # -- sorts and symbols -----------------------------------------------------------
    def zsort(self, s: Sort) -> Any:
        """The z3 sort of a spec sort."""
        z = self._sorts.get(s.name)
        if z is None:
            if s.kind is SortKind.BOOL:
                z = z3.BoolSort(self.ctx)
            elif s.kind is SortKind.INT:
                z = z3.IntSort(self.ctx)
            elif s.kind is SortKind.BV:
                z = z3.BitVecSort(s.width, self.ctx)
            else:
                z = z3.DeclareSort(s.name, self.ctx)
                self.nulls[s.name] = z3.Const(f"NULL_{s.name}", z)
            self._sorts[s.name] = z
        return z

    def _fresh_sym(self, sym: StateSym, suffix: str) -> Any:
        name = sym.name + suffix
        if not sym.args:
            return z3.Const(name, self.zsort(sym.result))
        return z3.Array(name, *(self.zsort(a) for a in sym.args), self.zsort(sym.result))

    def background(self) -> list[Any]:
        """Facts true in every state: named entities are distinct from NULL and each other
        (built once; every query copies them)."""
        if self._background is None:
            self._background = []
            for sname, null in self.nulls.items():
                members = [v for (s, _), v in self.consts.items() if s == sname]
                if members:
                    self._background.append(z3.Distinct(null, *members))
        return list(self._background)

    # -- transitions -----------------------------------------------------------------
    def post_state(self, case: Case, tag: str) -> tuple[State, list[Any]]:
        """The post-state of ``case``: frame symbols get fresh values, others are shared.

        Returns the state and the z3 terms that are new (for realizability checks).
        """
        post: State = dict(self.pre)
        fresh: list[Any] = []
        by_sym: dict[StateSym, list[Frame]] = {}
        for f in case.modifies:
            by_sym.setdefault(f.sym, []).append(f)
        for sym, frames in by_sym.items():
            if any(f.at is None for f in frames) or not sym.args:
                term = self._fresh_sym(sym, f"'{tag}")
                post[sym] = term
                fresh.append(term)
                continue
            term = self.pre[sym]
            for i, f in enumerate(frames):
                assert f.at is not None
                v = z3.Const(f"{sym.name}'{tag}@{i}", self.zsort(sym.result))
                fresh.append(v)
                idx = [self.term(a, self.pre, None) for a in f.at]
                term = z3.Store(term, *idx, v)
            post[sym] = term
        return post, fresh

    # -- formulas --------------------------------------------------------------------
    def term(self, e: Expr, pre: State, post: State | None,
             env: Mapping[str, Any] | None = None) -> Any:
        """The z3 term of ``e`` (cached when no bound-variable environment is given)."""
        if env:
            return self._tr(e, pre, post, dict(env))
        key = (id(e), id(pre), id(post))
        hit = self._memo.get(key)
        if hit is not None:
            return hit[3]
        t = self._tr(e, pre, post, {})
        self._memo[key] = (e, pre, post, t)
        return t

    def var(self, name: str, sort: Sort) -> Any:
        """The z3 constant standing for a parameter or bound variable."""
        return z3.Const(name, self.zsort(sort))

    def int_val(self, v: int) -> Any:
        """The integer literal ``v`` in this context (cached: witnesses read many)."""
        t = self._ints.get(v)
        if t is None:
            t = self._ints[v] = z3.IntVal(v, self.ctx)
        return t

    def _quant(self, e: Forall | Exists, pre: State, post: State | None,
               env: dict[str, Any]) -> Any:
        vs, guards = [], []
        inner = dict(env)
        for b in e.binders:
            # A bound variable gets a z3 name no parameter can have ("!" is not allowed in
            # parameter names): post-states contain the operation's parameters, and a
            # quantifier over a same-named constant would capture them.
            v = z3.Const(f"{b.var.name}!bound", self.zsort(b.var.sort))
            inner[b.var.name] = v
            vs.append(v)
            if b.lo is not None and b.hi is not None:
                guards.append(self._tr(b.lo, pre, post, env) <= v)
                guards.append(v < self._tr(b.hi, pre, post, env))
        body = self._tr(e.body, pre, post, inner)
        if isinstance(e, Forall):
            return z3.ForAll(vs, z3.Implies(z3.And(*guards), body) if guards else body)
        return z3.Exists(vs, z3.And(*guards, body))

    def _sym(self, sym: StateSym, args: list[Any], pre: State, post: State | None,
             is_post: bool) -> Any:
        st = post if is_post else pre
        assert st is not None, f"{sym.name}' read without a post-state"
        return self.select(sym, st, args)

    def select(self, sym: StateSym, st: State, args: Sequence[Any]) -> Any:
        """The term ``sym(*args)`` in the state ``st`` (a z3 select, or the constant)."""
        arr = st[sym]
        if not args:
            return arr
        # z3.Select checks and casts every index through Python objects; the indices are
        # already of the declared sorts (the spec is validated), so build the same term
        # through the C API and wrap it by its known result sort (a proof reads thousands).
        ref = self.ctx.ref()
        if len(args) == 1:
            a = z3core.Z3_mk_select(ref, arr.as_ast(), args[0].as_ast())
        else:
            a = z3core.Z3_mk_select_n(ref, arr.as_ast(), len(args),
                                      (z3core.Ast * len(args))(*(x.as_ast() for x in args)))
        return _WRAP[sym.result.kind](a, self.ctx)

    def _tr(self, e: Expr, pre: State, post: State | None, env: dict[str, Any]) -> Any:
        def tr(x: Expr) -> Any:
            return self._tr(x, pre, post, env)

        n = e.as_node()
        match n:
            case Lit():
                if n.sort.kind is SortKind.BOOL:
                    return z3.BoolVal(n.value, self.ctx)
                if n.sort.kind is SortKind.BV:
                    return z3.BitVecVal(n.value, n.sort.width, self.ctx)
                return z3.IntVal(n.value, self.ctx)
            case Null():
                return self.nulls[n.sort.name]
            case Const():
                return self.consts[(n.sort.name, n.name)]
            case Var():
                if n.name in env:
                    return env[n.name]
                return self.var(n.name, n.sort)
            case Read():
                return self._sym(n.sym, [tr(a) for a in n.args], pre, post, n.post)
            case Apply():
                return tr(n.expansion)
            case And():
                return z3.And(*map(tr, n.args)) if n.args else z3.BoolVal(True, self.ctx)
            case Or():
                return z3.Or(*map(tr, n.args)) if n.args else z3.BoolVal(False, self.ctx)
            case Not():
                return z3.Not(tr(n.args[0]))
            case Implies():
                return z3.Implies(tr(n.args[0]), tr(n.args[1]))
            case Ite():
                return z3.If(tr(n.args[0]), tr(n.args[1]), tr(n.args[2]))
            case Eq():
                return tr(n.left) == tr(n.right)
            case Add():
                return tr(n.left) + tr(n.right)
            case Sub():
                return tr(n.left) - tr(n.right)
            case Mul():
                return tr(n.left) * tr(n.right)
            case Lt():
                if n.left.sort.kind is SortKind.BV:
                    return z3.ULT(tr(n.left), tr(n.right))
                return tr(n.left) < tr(n.right)
            case Le():
                if n.left.sort.kind is SortKind.BV:
                    return z3.ULE(tr(n.left), tr(n.right))
                return tr(n.left) <= tr(n.right)
            case BitAnd():
                return tr(n.left) & tr(n.right)
            case BitOr():
                return tr(n.left) | tr(n.right)
            case BitNot():
                return ~tr(n.args[0])
            case Forall() | Exists():
                return self._quant(n, pre, post, env)
            case _:
                assert_never(n)


_WRAP: dict[SortKind, Any] = {SortKind.BOOL: z3.BoolRef, SortKind.INT: z3.ArithRef,
                              SortKind.BV: z3.BitVecRef, SortKind.ENTITY: z3.ExprRef}
"""The z3 Python class of a term of each kind of sort (what z3's own wrapper picks for
a non-literal term)."""


@dataclass
class _Universe:
    elements: dict[str, list[Any]]  # sort name -> z3 constants, NULL first
    int_window: int


class BoundedEncoder(Encoder):
    """Translation over a finite universe: quantifiers expanded, entity values closed.

    ``size`` anonymous entities per sort, times the spec's ``universe_scale`` for the sort
    (plus NULL and the named constants); integer
    ranges with symbolic bounds are limited to ``window`` elements. Side conditions
    (closure, windows) accumulate in :attr:`side` and must be asserted with the terms.
    """

    def __init__(self, spec: Spec, size: int, window: int):
        super().__init__(spec)
        self.size = size
        elements: dict[str, list[Any]] = {}
        for sname, z in self._sorts.items():
            if sname not in self.nulls:
                continue
            named = [v for (s, _), v in self.consts.items() if s == sname]
            count = size * spec.universe_scale.get(sname, 1)
            anon = [z3.Const(f"{sname}!{i}", z) for i in range(count)]
            elements[sname] = [self.nulls[sname], *named, *anon]
        self.universe = _Universe(elements, window)
        self.side: list[Any] = []
        self._closed: set[int] = set()
        for sname, els in elements.items():
            self.side.append(z3.Distinct(*els))
            del sname

    def term(self, e: Expr, pre: State, post: State | None,
             env: Mapping[str, Any] | None = None) -> Any:
        return self._tr(e, pre, post, dict(env or {}))

    def mark(self) -> tuple[int, frozenset[int]]:
        """A point to return to with :meth:`reset` (side conditions added since are local)."""
        return len(self.side), frozenset(self._closed)

    def reset(self, mark: tuple[int, frozenset[int]]) -> None:
        """Forget the side conditions added since ``mark``."""
        del self.side[mark[0]:]
        self._closed = set(mark[1])

    def in_universe(self, t: Any, sort: Sort) -> None:
        """Constrain an entity-valued term to the finite universe."""
        tid = t.get_id()
        if tid in self._closed:
            return
        self._closed.add(tid)
        self.side.append(z3.Or(*(t == u for u in self.universe.elements[sort.name])))

    def var(self, name: str, sort: Sort) -> Any:
        v = super().var(name, sort)
        if sort.kind is SortKind.ENTITY:
            self.in_universe(v, sort)
        return v

    def _sym(self, sym: StateSym, args: list[Any], pre: State, post: State | None,
             is_post: bool) -> Any:
        t = super()._sym(sym, args, pre, post, is_post)
        if sym.result.kind is SortKind.ENTITY:
            self.in_universe(t, sym.result)
        return t

    def _quant(self, e: Forall | Exists, pre: State, post: State | None,
               env: dict[str, Any]) -> Any:
        combos: list[tuple[dict[str, Any], list[Any]]] = [(dict(env), [])]
        for b in e.binders:
            nxt: list[tuple[dict[str, Any], list[Any]]] = []
            for cenv, guards in combos:
                if b.lo is None or b.hi is None:
                    for u in self.universe.elements[b.var.sort.name]:
                        nxt.append(({**cenv, b.var.name: u}, guards))
                    continue
                lo = self._tr(b.lo, pre, post, cenv)
                hi = self._tr(b.hi, pre, post, cenv)
                if z3.is_int_value(lo) and z3.is_int_value(hi):
                    for i in range(lo.as_long(), hi.as_long()):
                        nxt.append(({**cenv, b.var.name: z3.IntVal(i, self.ctx)}, guards))
                    continue
                self.side.append(hi - lo <= self.universe.int_window)
                for j in range(self.universe.int_window):
                    nxt.append(({**cenv, b.var.name: lo + j}, [*guards, lo + j < hi]))
            combos = nxt
        parts = []
        for cenv, guards in combos:
            body = self._tr(e.body, pre, post, cenv)
            if isinstance(e, Forall):
                parts.append(z3.Implies(z3.And(*guards), body) if guards else body)
            else:
                parts.append(z3.And(*guards, body))
        return z3.And(*parts) if isinstance(e, Forall) else z3.Or(*parts)

    def params_in_universe(self, params: Sequence[Any]) -> None:
        """Constrain the operation's entity-sorted parameters to the universe."""
        for p in params:
            if p.sort.kind is SortKind.ENTITY:
                self.var(p.name, p.sort)
