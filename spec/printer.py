"""The formula printer: a readable, mathematical rendering used in docs and reports."""

from __future__ import annotations

from typing import assert_never

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
    SortKind,
    Sub,
    Var,
)

__all__ = ["render"]

# Binding strength: a sub-formula whose operator binds no tighter than its context's is
# parenthesised. Atoms (reads, variables, literals) bind tightest.
_IMPLIES, _OR, _AND, _NOT, _CMP, _BOR, _BAND, _SUM, _MUL, _ATOM = range(1, 11)


def _prec(e: Expr) -> int:
    n = e.as_node()
    match n:
        case Implies():
            return _IMPLIES
        case Or():
            return _OR
        case And():
            return _AND
        case Not():
            return _NOT
        case Eq() | Lt() | Le():
            return _CMP
        case BitOr():
            return _BOR
        case BitAnd():
            return _BAND
        case Add() | Sub():
            return _SUM
        case Mul():
            return _MUL
        case (Lit() | Null() | Const() | Var() | Read() | Apply() | Ite() | BitNot() | Forall()
              | Exists()):
            return _ATOM
        case _:
            assert_never(n)


def render(e: Expr, parent: int = 0) -> str:
    """A readable, mathematical rendering of a formula (used in docs and reports)."""
    prec = _prec(e)

    def wrap(s: str) -> str:
        return f"({s})" if prec <= parent else s

    def infix(sign: str) -> str:
        return wrap(f"{render(e.args[0], prec - 1)} {sign} {render(e.args[1], prec)}")

    n = e.as_node()
    match n:
        case Lit():
            v = n.value
            if n.sort.kind is SortKind.BV:
                return hex(v)
            return "true" if v is True else "false" if v is False else str(v)
        case Null():
            return "NULL"
        case Var():
            return n.name
        case Read():
            name = n.sym.name + ("′" if n.post else "")
            return f"{name}({', '.join(render(a) for a in n.args)})"
        case Apply():
            return f"{n.fn.name}({', '.join(render(a) for a in n.fargs)})"
        case Const():
            return n.name.upper()
        case Not():
            inner = n.args[0]
            if isinstance(inner, Eq):
                return wrap(f"{render(inner.left, _CMP)} ≠ {render(inner.right, _CMP)}")
            # ¬ binds tighter than any infix operator, so a negated comparison or
            # connective needs its parentheses: ¬(1 < x), never ¬1 < x.
            return wrap("¬" + render(inner, _MUL))
        case And() | Or():
            if not n.args:
                return "true" if isinstance(n, And) else "false"
            if len(n.args) == 1:
                return render(n.args[0], parent)
            sep = " ∧ " if isinstance(n, And) else " ∨ "
            return wrap(sep.join(render(a, prec) for a in n.args))
        case Implies():
            return wrap(f"{render(n.args[0], prec)} ⇒ {render(n.args[1], prec - 1)}")
        case Eq():
            return infix("=")
        case Lt():
            return infix("<")
        case Le():
            return infix("≤")
        case Add():
            return infix("+")
        case Sub():
            return infix("-")
        case Mul():
            return infix("*")
        case BitAnd():
            return infix("&")
        case BitOr():
            return infix("|")
        case BitNot():
            return "~" + render(n.args[0], _ATOM)
        case Ite():
            c, a, b = (render(x) for x in n.args)
            return f"(if {c} then {a} else {b})"
        case Forall() | Exists():
            q = "∀" if isinstance(n, Forall) else "∃"
            parts = []
            for bd in n.binders:
                if bd.lo is None or bd.hi is None:
                    parts.append(f"{bd.var.name}:{bd.var.sort}")
                else:
                    parts.append(f"{bd.var.name}∈[{render(bd.lo)}, {render(bd.hi)})")
            return wrap(f"{q}{', '.join(parts)}. {render(n.body, 0)}")
        case _:
            assert_never(n)
