"""The concrete interpretation of formulas: plain Python values on concrete states.

Used for checking a running system (the conformance monitor) and for validating every
witness z3 produces. :func:`evaluate` compiles a formula to a Python function once and
caches it; :func:`evaluate_interpreted` walks the tree and is the reference the compiled
form is tested against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, assert_never

from netdevspec.spec.formula import (
    Add,
    And,
    Apply,
    Binder,
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
    StateSym,
    Sub,
    Var,
    free_vars,
)

from netdevspec.errors import SpecError

__all__ = [
    "ConcreteState",
    "StateView",
    "compile_expr",
    "evaluate",
    "evaluate_interpreted",
]


class StateView(Protocol):
    """What :func:`evaluate` reads from a state: symbol values and entity lists."""

    def get(self, sym: StateSym, args: tuple[Any, ...]) -> Any:
        """The value of ``sym(*args)``."""

    def entities(self, sort: Sort) -> list[Any]:
        """The entities of ``sort``, NULL first."""


@dataclass
class ConcreteState:
    """A kernel state as plain Python values.

    ``values[name]`` maps an argument tuple to the symbol's value; a missing entry
    means the symbol's default. ``universe[sort]`` lists the entities quantifiers
    range over (``None``, the NULL element, is always included).
    """

    values: dict[str, dict[tuple[Any, ...], Any]] = field(default_factory=dict)
    universe: dict[str, list[Any]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)

    def get(self, sym: StateSym, args: tuple[Any, ...]) -> Any:
        """The value of ``sym(*args)``."""
        table = self.values.get(sym.name)
        if table is not None and args in table:
            return table[args]
        return self.defaults.get(sym.name, sym.default)

    def set(self, sym: StateSym, args: tuple[Any, ...], value: Any) -> None:
        """Record ``sym(*args) = value``."""
        self.values.setdefault(sym.name, {})[args] = value

    def entities(self, sort: Sort) -> list[Any]:
        """The entities of ``sort`` known to this state, NULL first."""
        return [None, *self.universe.get(sort.name, ())]

    def copy(self) -> ConcreteState:
        """An independent copy (tables copied one level deep)."""
        return ConcreteState(
            {k: dict(v) for k, v in self.values.items()},
            {k: list(v) for k, v in self.universe.items()},
            dict(self.defaults),
        )


def _bv(v: int, width: int) -> int:
    return v & ((1 << width) - 1)


def evaluate(
    e: Expr,
    pre: StateView,
    post: StateView | None = None,
    env: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate ``e`` on concrete states; ``env`` binds its free variables.

    The formula is compiled to Python once (see :func:`compile_expr`) and the compiled
    function is cached. Raises :class:`SpecError` for a post-state read without a
    post-state or an unbound variable, naming the offending piece.
    """
    fn = _COMPILED.get(id(e))
    if fn is None or fn[0] is not e:
        fn = _COMPILED[id(e)] = (e, compile_expr(e))
    try:
        return fn[1](pre, post, env if env is not None else _NO_ENV)
    except KeyError as exc:
        name = exc.args[0] if exc.args else "?"
        if isinstance(name, str) and name in free_vars(e):
            raise _unbound(name) from None
        raise


def evaluate_interpreted(
    e: Expr,
    pre: StateView,
    post: StateView | None = None,
    env: Mapping[str, Any] | None = None,
) -> Any:
    """:func:`evaluate` by walking the tree (the reference the compiled form is tested
    against)."""
    return _eval(e, pre, post, dict(env or {}))


_NO_ENV: Mapping[str, Any] = {}
_COMPILED: dict[int, tuple[Expr, Callable[..., Any]]] = {}


def _unbound(name: str) -> SpecError:
    return SpecError(
        f"the variable {name} has no value",
        "a formula was evaluated without binding all of its parameters",
        f"pass {name}=... in the environment",
    )


def _need_post(post: StateView | None, name: str) -> StateView:
    if post is None:
        raise SpecError(
            f"{name}′ reads the post-state, but none was given",
            "guarantees relate the states before and after a call",
            "evaluate guarantees with both states",
        )
    return post


def _ents(pre: StateView, post: StateView | None, sort: Sort) -> list[Any]:
    # Entities are the same objects in both states; take the union so that a buffer
    # allocated by the call is quantified over too.
    values = pre.entities(sort)
    if post is None:
        return values
    seen = set(values)
    return values + [x for x in post.entities(sort) if x not in seen]


_SIGN = {Add: "+", Sub: "-", Mul: "*", Lt: "<", Le: "<=", BitAnd: "&", BitOr: "|"}


def compile_expr(e: Expr) -> Callable[[StateView, StateView | None, Mapping[str, Any]], Any]:
    """``e`` as a Python function ``f(pre, post, env)`` with :func:`evaluate`'s meaning.

    Free variables are read from ``env`` (a missing one raises KeyError, which
    :func:`evaluate` turns into a SpecError); quantified variables become local names of
    comprehensions; state symbols are read with ``pre.get``/``post.get``. Compiling once
    makes evaluation several times faster than walking the tree, which matters for the
    conformance monitor (it evaluates obligations at every driver call).
    """
    consts: list[Any] = []

    def const(v: Any) -> str:
        consts.append(v)
        return f"_c[{len(consts) - 1}]"

    def go(x: Expr, bound: dict[str, str]) -> str:
        n = x.as_node()
        match n:
            case Lit():
                return repr(n.value)
            case Const():
                return repr(n.name)
            case Null():
                return "None"
            case Var():
                return bound.get(n.name, f"env[{n.name!r}]")
            case Read():
                st = f"_need_post(post, {n.sym.name!r})" if n.post else "pre"
                args = "".join(go(a, bound) + ", " for a in n.args)
                return f"{st}.get({const(n.sym)}, ({args}))"
            case Apply():
                return go(n.expansion, bound)
            case And():
                return ("(" + " and ".join(f"bool({go(a, bound)})" for a in n.args) + ")"
                        if n.args else "True")
            case Or():
                return ("(" + " or ".join(f"bool({go(a, bound)})" for a in n.args) + ")"
                        if n.args else "False")
            case Not():
                return f"(not {go(n.args[0], bound)})"
            case Implies():
                return f"((not {go(n.args[0], bound)}) or bool({go(n.args[1], bound)}))"
            case Ite():
                return (f"({go(n.args[1], bound)} if {go(n.args[0], bound)} "
                        f"else {go(n.args[2], bound)})")
            case Eq():
                return f"({go(n.left, bound)} == {go(n.right, bound)})"
            case Add() | Sub() | Mul():
                a, b = go(n.left, bound), go(n.right, bound)
                w = n.left.sort.width
                if w:
                    return f"_bv({a} {_SIGN[type(n)]} {b}, {w})"
                return f"({a} {_SIGN[type(n)]} {b})"
            case Lt() | Le() | BitAnd() | BitOr():
                return f"({go(n.left, bound)} {_SIGN[type(n)]} {go(n.right, bound)})"
            case BitNot():
                return f"_bv(~{go(n.args[0], bound)}, {n.sort.width})"
            case Forall() | Exists():
                inner = dict(bound)
                loops: list[str] = []
                for bd in n.binders:
                    local = f"_q{len(inner)}_{len(loops)}"
                    if bd.lo is None or bd.hi is None:
                        src = f"_ents(pre, post, {const(bd.var.sort)})"
                    else:
                        src = f"range({go(bd.lo, inner)}, {go(bd.hi, inner)})"
                    inner[bd.var.name] = local
                    loops.append(f"for {local} in {src}")
                body = go(n.body, inner)
                fn = "all" if isinstance(n, Forall) else "any"
                return f"{fn}(bool({body}) {' '.join(loops)})"
            case _:
                assert_never(n)

    src = go(e, {})
    scope: dict[str, Any] = {"_c": consts, "_need_post": _need_post, "_ents": _ents,
                             "_bv": _bv}
    code = f"def _f(pre, post, env):\n    return {src}\n"
    exec(compile(code, "<netdevspec formula>", "exec"), scope)
    fn: Callable[[StateView, StateView | None, Mapping[str, Any]], Any] = scope["_f"]
    return fn


def _eval(e: Expr, pre: StateView, post: StateView | None, env: dict[str, Any]) -> Any:
    def ev(x: Expr) -> Any:
        return _eval(x, pre, post, env)

    n = e.as_node()
    match n:
        case Lit():
            return n.value
        case Null():
            return None
        case Const():
            return n.name
        case Var():
            try:
                return env[n.name]
            except KeyError:
                raise _unbound(n.name) from None
        case Read():
            st = _need_post(post, n.sym.name) if n.post else pre
            return st.get(n.sym, tuple(ev(a) for a in n.args))
        case Apply():
            return ev(n.expansion)
        case And():
            return all(ev(a) for a in n.args)
        case Or():
            return any(ev(a) for a in n.args)
        case Not():
            return not ev(n.args[0])
        case Implies():
            return (not ev(n.args[0])) or bool(ev(n.args[1]))
        case Ite():
            return ev(n.args[1] if ev(n.args[0]) else n.args[2])
        case Eq():
            return ev(n.left) == ev(n.right)
        case Lt():
            return ev(n.left) < ev(n.right)
        case Le():
            return ev(n.left) <= ev(n.right)
        case BitAnd():
            return ev(n.left) & ev(n.right)
        case BitOr():
            return ev(n.left) | ev(n.right)
        case Add() | Sub() | Mul():
            a, b = ev(n.left), ev(n.right)
            v = a + b if isinstance(n, Add) else a - b if isinstance(n, Sub) else a * b
            w = n.left.sort.width
            return _bv(v, w) if w else v
        case BitNot():
            return _bv(~ev(n.args[0]), n.sort.width)
        case Forall() | Exists():
            want = isinstance(n, Forall)
            for binding in _bindings(n.binders, 0, pre, post, env):
                if bool(_eval(n.body, pre, post, binding)) != want:
                    return not want
            return want
        case _:
            assert_never(n)


def _bindings(
    binders: tuple[Binder, ...],
    i: int,
    pre: StateView,
    post: StateView | None,
    env: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    if i == len(binders):
        yield env
        return
    b = binders[i]
    if b.lo is None or b.hi is None:
        values = _ents(pre, post, b.var.sort)
    else:
        lo, hi = _eval(b.lo, pre, post, env), _eval(b.hi, pre, post, env)
        values = list(range(lo, hi))
    for v in values:
        inner = dict(env)
        inner[b.var.name] = v
        yield from _bindings(binders, i + 1, pre, post, inner)
