"""Proof queries as standard SMT-LIB 2.6 text, for a second solver.

z3's own ``to_smt2`` output is not standard SMT-LIB: it writes n-ary arrays
(``(Array Dev Int Bool)``, ``(select a d i)``) and leaves symbols such as ``skb.tail'ok@0``
unquoted, though ``'`` may not appear in a simple symbol. This printer walks the z3 terms
of a query and writes:

* every user symbol and declared sort quoted (``|skb.tail'ok@0|``);
* an array over several indices curried, ``(Array Dev (Array Int Bool))``, its reads and
  writes nested (``(select (select a d) i)``; a write rebuilds the inner array);
* numerals in standard form (``(- 3)``, ``(_ bv5 16)``), connectives of no or one
  argument as their value, bound variables renamed apart.

A term it does not know is an error naming it, never a silent guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import z3

from netdevspec.errors import NetdevspecError

__all__ = ["ExportError", "to_smtlib"]


class ExportError(NetdevspecError):
    """A z3 term that has no SMT-LIB counterpart in this printer."""


_OPS: dict[int, str] = {
    z3.Z3_OP_EQ: "=", z3.Z3_OP_DISTINCT: "distinct", z3.Z3_OP_ITE: "ite",
    z3.Z3_OP_NOT: "not", z3.Z3_OP_IMPLIES: "=>", z3.Z3_OP_XOR: "xor",
    z3.Z3_OP_ADD: "+", z3.Z3_OP_SUB: "-", z3.Z3_OP_MUL: "*", z3.Z3_OP_UMINUS: "-",
    z3.Z3_OP_LE: "<=", z3.Z3_OP_LT: "<", z3.Z3_OP_GE: ">=", z3.Z3_OP_GT: ">",
    z3.Z3_OP_IDIV: "div", z3.Z3_OP_MOD: "mod",
    z3.Z3_OP_BADD: "bvadd", z3.Z3_OP_BSUB: "bvsub", z3.Z3_OP_BMUL: "bvmul",
    z3.Z3_OP_BAND: "bvand", z3.Z3_OP_BOR: "bvor", z3.Z3_OP_BNOT: "bvnot",
    z3.Z3_OP_BXOR: "bvxor", z3.Z3_OP_BNEG: "bvneg",
    z3.Z3_OP_ULEQ: "bvule", z3.Z3_OP_ULT: "bvult", z3.Z3_OP_UGEQ: "bvuge",
    z3.Z3_OP_UGT: "bvugt", z3.Z3_OP_SLEQ: "bvsle", z3.Z3_OP_SLT: "bvslt",
    z3.Z3_OP_SGEQ: "bvsge", z3.Z3_OP_SGT: "bvsgt",
}


def _quote(name: str) -> str:
    if "|" in name or "\\" in name:
        raise ExportError(f"the symbol {name!r} contains '|' or '\\'",
                          "SMT-LIB cannot quote such a symbol",
                          "rename the state symbol or variable")
    return f"|{name}|"


class _Printer:
    def __init__(self) -> None:
        self.sorts: dict[str, str] = {}  # declared sort name -> declaration
        self.consts: dict[str, str] = {}  # constant name -> declaration
        self._memo: dict[tuple[int, tuple[str, ...]], str] = {}
        self._fresh = 0

    def sort(self, s: Any) -> str:
        k = s.kind()
        if k == z3.Z3_BOOL_SORT:
            return "Bool"
        if k == z3.Z3_INT_SORT:
            return "Int"
        if k == z3.Z3_BV_SORT:
            return f"(_ BitVec {s.size()})"
        if k == z3.Z3_UNINTERPRETED_SORT:
            name = _quote(s.name())
            self.sorts.setdefault(name, f"(declare-sort {name} 0)")
            return name
        if k == z3.Z3_ARRAY_SORT:
            n = z3.Z3_get_array_arity(s.ctx_ref(), s.ast)
            doms = [self.sort(s.domain_n(i)) for i in range(n)]
            out = self.sort(s.range())
            for d in reversed(doms):  # curried: no n-ary arrays in SMT-LIB
                out = f"(Array {d} {out})"
            return out
        raise ExportError(f"the sort {s} has no SMT-LIB counterpart here",
                          "the exporter knows Bool, Int, bit-vectors, declared sorts and "
                          "arrays", "extend model/smtlib.py")

    def term(self, t: Any, bound: tuple[str, ...]) -> str:
        key = (t.get_id(), bound)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._term(t, bound)
        return hit

    def _term(self, t: Any, bound: tuple[str, ...]) -> str:
        if z3.is_var(t):
            index: int = z3.get_var_index(t)
            return bound[len(bound) - 1 - index]
        if z3.is_quantifier(t):
            if t.is_lambda():
                raise ExportError("a lambda term", "SMT-LIB 2.6 has no lambda",
                                  "encode the array by its reads")
            names = []
            decls = []
            for i in range(t.num_vars()):
                # Renamed apart: the same name bound twice could otherwise capture.
                self._fresh += 1
                name = _quote(f"{t.var_name(i)}#{self._fresh}")
                names.append(name)
                decls.append(f"({name} {self.sort(t.var_sort(i))})")
            body = self.term(t.body(), bound + tuple(names))
            q = "forall" if t.is_forall() else "exists"
            return f"({q} ({' '.join(decls)}) {body})"
        if z3.is_int_value(t):
            v = t.as_long()
            return str(v) if v >= 0 else f"(- {-v})"
        if z3.is_bv_value(t):
            return f"(_ bv{t.as_long()} {t.size()})"
        if z3.is_true(t):
            return "true"
        if z3.is_false(t):
            return "false"
        if not z3.is_app(t):
            raise ExportError(f"the term {t} is not an application",
                              "only applications, variables and quantifiers are expected",
                              "extend model/smtlib.py")
        k = t.decl().kind()
        args = [self.term(c, bound) for c in t.children()]
        if k == z3.Z3_OP_UNINTERPRETED:
            name = _quote(t.decl().name())
            if args:
                dom = " ".join(self.sort(t.decl().domain(i)) for i in range(len(args)))
                self.consts.setdefault(name, f"(declare-fun {name} ({dom}) "
                                             f"{self.sort(t.sort())})")
                return f"({name} {' '.join(args)})"
            self.consts.setdefault(name, f"(declare-const {name} {self.sort(t.sort())})")
            return name
        if k in (z3.Z3_OP_AND, z3.Z3_OP_OR):
            if not args:
                return "true" if k == z3.Z3_OP_AND else "false"
            if len(args) == 1:
                return args[0]
            return f"({'and' if k == z3.Z3_OP_AND else 'or'} {' '.join(args)})"
        if k == z3.Z3_OP_SELECT:
            read = args[0]
            for ix in args[1:]:
                read = f"(select {read} {ix})"
            return read
        if k == z3.Z3_OP_STORE:
            return _store(args[0], args[1:-1], args[-1])
        op = _OPS.get(k)
        if op is None:
            raise ExportError(f"the operator {t.decl()} (z3 kind {k}) in {t}",
                              "the exporter writes only operators it maps to SMT-LIB",
                              "add it to model/smtlib.py")
        return f"({op} {' '.join(args)})"


def _store(arr: str, idx: Sequence[str], value: str) -> str:
    """A write at several indices into a curried array: rebuild each inner array."""
    if len(idx) == 1:
        return f"(store {arr} {idx[0]} {value})"
    inner = f"(select {arr} {idx[0]})"
    return f"(store {arr} {idx[0]} {_store(inner, idx[1:], value)})"


def to_smtlib(assertions: Iterable[Any], name: str = "", expect: str = "unsat") -> str:
    """A complete SMT-LIB 2.6 script: declarations, ``assertions``, ``(check-sat)``.

    ``name`` and ``expect`` (the status z3 reached) go into ``set-info``, so a file says
    what it is and what answer agrees with z3.
    """
    p = _Printer()
    body = [f"(assert {p.term(a, ())})" for a in assertions]
    head = ["(set-info :smt-lib-version 2.6)", "(set-logic ALL)"]
    if name:
        head.append(f"(set-info :source {_quote(name)})")
    head.append(f"(set-info :status {expect})")
    return "\n".join([*head, *p.sorts.values(), *p.consts.values(), *body,
                      "(check-sat)", ""])
