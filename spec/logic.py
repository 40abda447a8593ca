"""The logic layer every rule is written against, and its concrete interpretation.

A rule's formula is an :class:`Expr` tree built with ordinary Python operators over
*state symbols* (functions of the kernel state, such as ``skb.tail(b)``), bound
variables and a few background functions. The tree has two interpretations:

* symbolic, as z3 terms, in :mod:`netdevspec.model.encode` (for proofs);
* concrete, as plain Python values, here in :func:`evaluate` (for checking a
  running system and for validating every witness z3 produces).

Both read the same tree, so a rule is never written twice.

Quantifiers range over an *entity* sort (devices, buffers, ...) or over a
half-open integer range ``[lo, hi)``; integer quantifiers must be bounded so the
concrete interpreter can enumerate them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol, Union

from netdevspec.errors import SpecError

__all__ = [
    "BOOL",
    "BV16",
    "INT",
    "And",
    "ConcreteState",
    "Exists",
    "Expr",
    "Fn",
    "Forall",
    "Implies",
    "Ite",
    "Not",
    "Or",
    "Sort",
    "SortKind",
    "StateSym",
    "StateView",
    "Var",
    "compile_expr",
    "entity_const",
    "evaluate",
    "evaluate_interpreted",
    "free_vars",
    "lit",
    "null",
    "render",
    "substitute",
    "symbols_of",
    "walk",
]


class SortKind(Enum):
    """What kind of values a sort holds."""

    BOOL = "bool"
    INT = "int"
    BV = "bitvector"
    ENTITY = "entity"


@dataclass(frozen=True)
class Sort:
    """A sort of the logic: Bool, Int, a 16-bit vector, or an entity sort.

    Entity sorts (``Dev``, ``Skb``, ...) are unbounded sets of identities; each has a
    distinguished ``null`` element (concretely ``None``), the C NULL pointer.
    """

    name: str
    kind: SortKind
    width: int = 0
    prefix: str = ""

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def entity(name: str, prefix: str) -> Sort:
        """Declare an entity sort; ``prefix`` names its members in counterexamples (``b0``)."""
        return Sort(name, SortKind.ENTITY, 0, prefix)


BOOL = Sort("Bool", SortKind.BOOL)
INT = Sort("Int", SortKind.INT)
BV16 = Sort("BV16", SortKind.BV, 16)

ExprLike = Union["Expr", bool, int]


def _coerce(value: ExprLike, sort: Sort | None = None) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool):
        return Expr("lit", (), BOOL, value)
    if isinstance(value, int):
        if sort is not None and sort.kind is SortKind.BV:
            return Expr("lit", (), sort, value & ((1 << sort.width) - 1))
        return Expr("lit", (), INT, value)
    raise SpecError(
        f"cannot use {value!r} ({type(value).__name__}) in a formula",
        "formulas are built from state symbols, variables, bools and ints",
        "wrap the value with lit() or use a state symbol",
    )


class Expr:
    """A node of a formula. Build them with operators; never mutate one.

    ``==`` builds an equation instead of comparing trees (as in z3), so ``Expr``
    objects hash by identity. Using one as a Python ``bool`` is an error.
    """

    __slots__ = ("args", "op", "payload", "sort")

    def __init__(self, op: str, args: tuple[Expr, ...], sort: Sort, payload: Any = None):
        self.op = op
        self.args = args
        self.sort = sort
        self.payload = payload

    # -- arithmetic and comparison -------------------------------------------------
    def _int(self, other: ExprLike, op: str) -> Expr:
        o = _coerce(other, self.sort)
        if self.sort != o.sort or self.sort.kind not in (SortKind.INT, SortKind.BV):
            raise SpecError(
                f"'{op}' needs two integers or two bit-vectors of one width, got {self.sort} "
                f"and {o.sort}",
                "arithmetic is defined only on Int and BV16",
                "compare entities with == and convert flags with state symbols of sort BV16",
            )
        return Expr(op, (self, o), self.sort)

    def _cmp(self, other: ExprLike, op: str) -> Expr:
        o = self._int(other, op)
        return Expr(op, o.args, BOOL)

    def __add__(self, other: ExprLike) -> Expr:
        return self._int(other, "add")

    def __radd__(self, other: ExprLike) -> Expr:
        return _coerce(other, self.sort)._int(self, "add")

    def __sub__(self, other: ExprLike) -> Expr:
        return self._int(other, "sub")

    def __mul__(self, other: ExprLike) -> Expr:
        o = _coerce(other, self.sort)
        if o.op != "lit" and self.op != "lit":
            raise SpecError(
                f"{render(self)} * {render(o)} multiplies two non-constants",
                "the logic is linear so that z3 can decide it",
                "multiply by a literal only",
            )
        return self._int(o, "mul")

    def __rmul__(self, other: ExprLike) -> Expr:
        return _coerce(other, self.sort).__mul__(self)

    def __rsub__(self, other: ExprLike) -> Expr:
        return _coerce(other, self.sort)._int(self, "sub")

    def __lt__(self, other: ExprLike) -> Expr:
        return self._cmp(other, "lt")

    def __le__(self, other: ExprLike) -> Expr:
        return self._cmp(other, "le")

    def __gt__(self, other: ExprLike) -> Expr:
        return _coerce(other, self.sort)._cmp(self, "lt")

    def __ge__(self, other: ExprLike) -> Expr:
        return _coerce(other, self.sort)._cmp(self, "le")

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        o = _coerce(other, self.sort)  # type: ignore[arg-type]
        if o.sort != self.sort:
            raise SpecError(
                f"cannot compare {self.sort} with {o.sort} in {render(self)} == {render(o)}",
                "an equation needs two sides of one sort",
                "compare like with like (use null(Sort) for a NULL pointer)",
            )
        return Expr("eq", (self, o), BOOL)

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return Not(self.__eq__(other))

    __hash__ = object.__hash__

    # -- boolean and bit operations -------------------------------------------------
    def __and__(self, other: ExprLike) -> Expr:
        if self.sort.kind is SortKind.BV:
            return self._int(other, "band")
        return And(self, other)

    def __or__(self, other: ExprLike) -> Expr:
        if self.sort.kind is SortKind.BV:
            return self._int(other, "bor")
        return Or(self, other)

    def __invert__(self) -> Expr:
        if self.sort.kind is SortKind.BV:
            return Expr("bnot", (self,), self.sort)
        return Not(self)

    def __bool__(self) -> bool:
        raise SpecError(
            f"a formula ({render(self)}) was used as a Python truth value",
            "formulas are data, not booleans; 'and'/'or'/'if' would silently drop a part",
            "use And(), Or(), Implies() or Ite() instead of Python's and/or/if",
        )

    def __repr__(self) -> str:
        return f"<Expr {render(self)}>"

    def __str__(self) -> str:
        return render(self)


class Var(Expr):
    """A variable: a rule parameter, an operation argument or a bound variable."""

    __slots__ = ()

    def __init__(self, name: str, sort: Sort):
        super().__init__("var", (), sort, name)

    @property
    def name(self) -> str:
        """The variable's name, as it appears in rules and counterexamples."""
        return str(self.payload)


def lit(value: bool | int, sort: Sort | None = None) -> Expr:
    """A literal constant (``sort`` only needed for bit-vector literals)."""
    return _coerce(value, sort)


def null(sort: Sort) -> Expr:
    """The NULL element of an entity sort."""
    if sort.kind is not SortKind.ENTITY:
        raise SpecError(
            f"null({sort}) asked for a NULL of a non-entity sort",
            "only entity sorts (pointers to kernel objects) have a NULL",
            "use lit(0) for integers",
        )
    return Expr("null", (), sort)


def _bool(e: ExprLike) -> Expr:
    x = _coerce(e)
    if x.sort != BOOL:
        raise SpecError(
            f"expected a Bool formula, got {x.sort}: {render(x)}",
            "connectives combine truth values",
            "compare the value with something to get a Bool",
        )
    return x


def And(*items: ExprLike) -> Expr:
    """Conjunction (``And()`` is true)."""
    return Expr("and", tuple(_bool(i) for i in items), BOOL)


def Or(*items: ExprLike) -> Expr:
    """Disjunction (``Or()`` is false)."""
    return Expr("or", tuple(_bool(i) for i in items), BOOL)


def Not(item: ExprLike) -> Expr:
    """Negation."""
    return Expr("not", (_bool(item),), BOOL)


def Implies(a: ExprLike, b: ExprLike) -> Expr:
    """Implication ``a ⇒ b``."""
    return Expr("implies", (_bool(a), _bool(b)), BOOL)


def Ite(c: ExprLike, a: ExprLike, b: ExprLike) -> Expr:
    """If-then-else on values of one sort."""
    x, y = _coerce(a), _coerce(b)
    if isinstance(a, int) and not isinstance(a, Expr):
        x = _coerce(a, y.sort)
    if isinstance(b, int) and not isinstance(b, Expr):
        y = _coerce(b, x.sort)
    if x.sort != y.sort:
        raise SpecError(
            f"Ite branches differ in sort: {x.sort} and {y.sort}",
            "both branches of an if-then-else must have one sort",
            "make both branches the same sort",
        )
    return Expr("ite", (_bool(c), x, y), x.sort)


@dataclass(frozen=True)
class _Binder:
    var: Var
    lo: Expr | None
    hi: Expr | None


def _quant(op: str, vars_: Var | Iterable[Var], body: ExprLike, within: Any) -> Expr:
    vs = (vars_,) if isinstance(vars_, Var) else tuple(vars_)
    binders: list[_Binder] = []
    for v in vs:
        if v.sort.kind is SortKind.ENTITY:
            binders.append(_Binder(v, None, None))
        elif v.sort.kind is SortKind.INT:
            if within is None:
                raise SpecError(
                    f"the integer variable {v.name} is quantified without bounds",
                    "the concrete interpreter must be able to enumerate every quantifier",
                    "pass within=(lo, hi) for the half-open range the variable ranges over",
                )
            lo, hi = within
            binders.append(_Binder(v, _coerce(lo), _coerce(hi)))
        else:
            raise SpecError(
                f"cannot quantify over {v.sort} ({v.name})",
                "only entity sorts and bounded integer ranges can be enumerated",
                "quantify over an entity sort or a bounded integer range",
            )
    return Expr(op, (_bool(body),), BOOL, tuple(binders))


def Forall(vars_: Var | Iterable[Var], body: ExprLike, within: Any = None) -> Expr:
    """Universal quantifier over entity variables or one bounded integer range."""
    return _quant("forall", vars_, body, within)


def Exists(vars_: Var | Iterable[Var], body: ExprLike, within: Any = None) -> Expr:
    """Existential quantifier over entity variables or one bounded integer range."""
    return _quant("exists", vars_, body, within)


@dataclass(frozen=True, eq=False)
class StateSym:
    """A function of the kernel state, e.g. ``skb.tail : Skb → Int``.

    ``sym(x)`` reads it in the state before an operation, ``sym.post(x)`` in the
    state after. ``default`` is its value in the initial state, for every argument.
    For a symbol with an integer argument, ``domain`` gives its fixed finite range
    (IRQ lines ``(0, 16)``), or ``index = (lo, hi)`` says that for the leading
    arguments ``xs`` only ``[lo(xs), hi(xs))`` is meaningful (``lo`` None means 0).
    """

    name: str
    args: tuple[Sort, ...]
    result: Sort
    doc: str
    default: Any = None
    domain: tuple[int, int] | None = None
    index: tuple[StateSym | None, StateSym] | None = None

    def __call__(self, *args: ExprLike) -> Expr:
        return self._app(args, post=False)

    def post(self, *args: ExprLike) -> Expr:
        """This symbol read in the state after the operation."""
        return self._app(args, post=True)

    def _app(self, args: tuple[ExprLike, ...], post: bool) -> Expr:
        if len(args) != len(self.args):
            raise SpecError(
                f"{self.name} takes {len(self.args)} argument(s), got {len(args)}",
                f"it is declared as {self.signature()}",
                "pass one argument per declared sort",
            )
        cargs = tuple(_coerce(a) for a in args)
        for a, s in zip(cargs, self.args, strict=True):
            if a.sort != s:
                raise SpecError(
                    f"{self.name} expects {s} but got {a.sort} ({render(a)})",
                    f"it is declared as {self.signature()}",
                    "pass an argument of the declared sort",
                )
        return Expr("sym", cargs, self.result, (self, post))

    def signature(self) -> str:
        """``name : A × B → R``."""
        dom = " × ".join(s.name for s in self.args) if self.args else "()"
        return f"{self.name} : {dom} → {self.result.name}"


@dataclass(frozen=True, eq=False)
class Fn:
    """A named background function, defined by a macro over other formulas.

    ``ethname(i)`` is shown by name in docs and counterexamples, but both
    interpretations read its expansion, so it needs no axioms that could drift.
    """

    name: str
    args: tuple[Sort, ...]
    result: Sort
    doc: str
    macro: Callable[..., Expr]

    def __call__(self, *args: ExprLike) -> Expr:
        cargs = tuple(_coerce(a) for a in args)
        if tuple(a.sort for a in cargs) != self.args:
            raise SpecError(
                f"{self.name} expects ({', '.join(map(str, self.args))}), got "
                f"({', '.join(str(a.sort) for a in cargs)})",
                "background functions are typed",
                "pass arguments of the declared sorts",
            )
        expansion = _coerce(self.macro(*cargs))
        if expansion.sort != self.result:
            raise SpecError(
                f"the macro of {self.name} yields {expansion.sort}, not {self.result}",
                "a background function's expansion must have its declared sort",
                "fix the macro",
            )
        return Expr("fn", (expansion,), self.result, (self, cargs))


def entity_const(sort: Sort, name: str) -> Expr:
    """A named entity distinct from NULL and from every other named entity.

    Concretely its value is the string ``name`` (e.g. the kernel, ``"kernel"``).
    """
    if sort.kind is not SortKind.ENTITY:
        raise SpecError(
            f"entity_const({sort}, {name!r}) on a non-entity sort",
            "only entity sorts have named members",
            "use lit() for numbers",
        )
    return Expr("const", (), sort, name)


# ---------------------------------------------------------------------------------------
# Traversal and rendering
# ---------------------------------------------------------------------------------------


def walk(e: Expr) -> Iterator[Expr]:
    """Every node of ``e`` (pre-order), including quantifier bounds."""
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(x.args)
        if x.op in ("forall", "exists"):
            for b in x.payload:
                if b.lo is not None:
                    stack.append(b.lo)
                if b.hi is not None:
                    stack.append(b.hi)


def symbols_of(e: Expr, post: bool | None = None) -> frozenset[StateSym]:
    """The state symbols ``e`` reads (only pre or post reads if ``post`` is given)."""
    out = set()
    for x in walk(e):
        if x.op == "sym" and (post is None or x.payload[1] == post):
            out.add(x.payload[0])
    return frozenset(out)


def free_vars(e: Expr) -> frozenset[str]:
    """Names of the variables ``e`` uses that no quantifier inside it binds."""
    if e.op == "var":
        return frozenset({e.payload})
    inner: frozenset[str] = frozenset().union(*(free_vars(a) for a in e.args))
    if e.op in ("forall", "exists"):
        bound = {b.var.name for b in e.payload}
        bounds: frozenset[str] = frozenset().union(
            *(free_vars(x) for b in e.payload for x in (b.lo, b.hi) if x is not None)
        )
        return (inner - bound) | bounds
    return inner


_INFIX = {"add": "+", "sub": "-", "mul": "*", "lt": "<", "le": "≤", "eq": "=", "band": "&",
          "bor": "|"}
_PREC = {"implies": 1, "or": 2, "and": 3, "not": 4, "eq": 5, "lt": 5, "le": 5, "bor": 6,
         "band": 7, "add": 8, "sub": 8, "mul": 9}


def render(e: Expr, parent: int = 0) -> str:
    """A readable, mathematical rendering of a formula (used in docs and reports)."""
    op = e.op
    prec = _PREC.get(op, 10)

    def wrap(s: str) -> str:
        return f"({s})" if prec <= parent else s

    if op == "lit":
        v = e.payload
        if e.sort.kind is SortKind.BV:
            return hex(v)
        return "true" if v is True else "false" if v is False else str(v)
    if op == "null":
        return "NULL"
    if op == "var":
        return str(e.payload)
    if op == "sym":
        sym, post = e.payload
        name = sym.name + ("′" if post else "")
        return f"{name}({', '.join(render(a) for a in e.args)})"
    if op == "fn":
        return f"{e.payload[0].name}({', '.join(render(a) for a in e.payload[1])})"
    if op == "const":
        return str(e.payload).upper()
    if op == "not":
        inner = e.args[0]
        if inner.op == "eq":
            return wrap(f"{render(inner.args[0], 5)} ≠ {render(inner.args[1], 5)}")
        # ¬ binds tighter than any infix operator, so a negated comparison or
        # connective needs its parentheses: ¬(1 < x), never ¬1 < x.
        return wrap("¬" + render(inner, _PREC["mul"]))
    if op in ("and", "or"):
        if not e.args:
            return "true" if op == "and" else "false"
        if len(e.args) == 1:
            return render(e.args[0], parent)
        sep = " ∧ " if op == "and" else " ∨ "
        return wrap(sep.join(render(a, prec) for a in e.args))
    if op == "implies":
        return wrap(f"{render(e.args[0], prec)} ⇒ {render(e.args[1], prec - 1)}")
    if op in _INFIX:
        return wrap(f"{render(e.args[0], prec - 1)} {_INFIX[op]} {render(e.args[1], prec)}")
    if op == "bnot":
        return "~" + render(e.args[0], 10)
    if op == "ite":
        c, a, b = (render(x) for x in e.args)
        return f"(if {c} then {a} else {b})"
    if op in ("forall", "exists"):
        q = "∀" if op == "forall" else "∃"
        parts = []
        for b in e.payload:
            if b.lo is None:
                parts.append(f"{b.var.name}:{b.var.sort}")
            else:
                parts.append(f"{b.var.name}∈[{render(b.lo)}, {render(b.hi)})")
        return wrap(f"{q}{', '.join(parts)}. {render(e.args[0], 0)}")
    raise AssertionError(f"unknown node {op}")  # pragma: no cover - exhaustive


# ---------------------------------------------------------------------------------------
# Concrete interpretation
# ---------------------------------------------------------------------------------------


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
            raise SpecError(
                f"the variable {name} has no value",
                "a formula was evaluated without binding all of its parameters",
                f"pass {name}=... in the environment",
            ) from None
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


def _need_post(post: StateView | None, name: str) -> StateView:
    if post is None:
        raise SpecError(
            f"{name}′ reads the post-state, but none was given",
            "guarantees relate the states before and after a call",
            "evaluate guarantees with both states",
        )
    return post


def _ents(pre: StateView, post: StateView | None, sort: Sort) -> list[Any]:
    values = pre.entities(sort)
    if post is None:
        return values
    seen = set(values)
    return values + [x for x in post.entities(sort) if x not in seen]


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
        op = x.op
        if op == "lit" or op == "const":
            v = x.payload
            return repr(v) if isinstance(v, (int, str, bool)) or v is None else const(v)
        if op == "null":
            return "None"
        if op == "var":
            name = x.payload
            return bound.get(name, f"env[{name!r}]")
        if op == "sym":
            sym, is_post = x.payload
            st = f"_need_post(post, {sym.name!r})" if is_post else "pre"
            args = "".join(go(a, bound) + ", " for a in x.args)
            return f"{st}.get({const(sym)}, ({args}))"
        if op == "fn":
            return go(x.args[0], bound)
        if op == "and":
            return ("(" + " and ".join(f"bool({go(a, bound)})" for a in x.args) + ")"
                    if x.args else "True")
        if op == "or":
            return ("(" + " or ".join(f"bool({go(a, bound)})" for a in x.args) + ")"
                    if x.args else "False")
        if op == "not":
            return f"(not {go(x.args[0], bound)})"
        if op == "implies":
            return f"((not {go(x.args[0], bound)}) or bool({go(x.args[1], bound)}))"
        if op == "ite":
            return (f"({go(x.args[1], bound)} if {go(x.args[0], bound)} "
                    f"else {go(x.args[2], bound)})")
        if op == "eq":
            return f"({go(x.args[0], bound)} == {go(x.args[1], bound)})"
        if op in ("add", "sub", "mul", "lt", "le", "band", "bor"):
            a, b = go(x.args[0], bound), go(x.args[1], bound)
            sign = {"add": "+", "sub": "-", "mul": "*", "lt": "<", "le": "<=", "band": "&",
                    "bor": "|"}[op]
            w = x.args[0].sort.width
            if op in ("add", "sub", "mul") and w:
                return f"_bv({a} {sign} {b}, {w})"
            return f"({a} {sign} {b})"
        if op == "bnot":
            return f"_bv(~{go(x.args[0], bound)}, {x.sort.width})"
        if op in ("forall", "exists"):
            inner = dict(bound)
            loops: list[str] = []
            for bd in x.payload:
                local = f"_q{len(inner)}_{len(loops)}"
                if bd.lo is None:
                    src = f"_ents(pre, post, {const(bd.var.sort)})"
                else:
                    assert bd.hi is not None
                    src = f"range({go(bd.lo, inner)}, {go(bd.hi, inner)})"
                inner[bd.var.name] = local
                loops.append(f"for {local} in {src}")
            body = go(x.args[0], inner)
            fn = "all" if op == "forall" else "any"
            return f"{fn}(bool({body}) {' '.join(loops)})"
        raise AssertionError(f"unknown node {op}")  # pragma: no cover - exhaustive

    src = go(e, {})
    scope: dict[str, Any] = {"_c": consts, "_need_post": _need_post, "_ents": _ents,
                             "_bv": _bv}
    code = f"def _f(pre, post, env):\n    return {src}\n"
    exec(compile(code, "<netdevspec formula>", "exec"), scope)
    fn: Callable[[StateView, StateView | None, Mapping[str, Any]], Any] = scope["_f"]
    return fn


def _eval(e: Expr, pre: StateView, post: StateView | None, env: dict[str, Any]) -> Any:
    op = e.op
    if op == "lit":
        return e.payload
    if op == "null":
        return None
    if op == "var":
        try:
            return env[e.payload]
        except KeyError:
            raise SpecError(
                f"the variable {e.payload} has no value",
                "a formula was evaluated without binding all of its parameters",
                f"pass {e.payload}=... in the environment",
            ) from None
    if op == "sym":
        sym, is_post = e.payload
        st = post if is_post else pre
        if st is None:
            raise SpecError(
                f"{sym.name}′ reads the post-state, but none was given",
                "guarantees relate the states before and after a call",
                "evaluate guarantees with both states",
            )
        return st.get(sym, tuple(_eval(a, pre, post, env) for a in e.args))
    if op == "fn":
        return _eval(e.args[0], pre, post, env)
    if op == "const":
        return e.payload
    if op == "and":
        return all(_eval(a, pre, post, env) for a in e.args)
    if op == "or":
        return any(_eval(a, pre, post, env) for a in e.args)
    if op == "not":
        return not _eval(e.args[0], pre, post, env)
    if op == "implies":
        return (not _eval(e.args[0], pre, post, env)) or bool(_eval(e.args[1], pre, post, env))
    if op == "ite":
        c = _eval(e.args[0], pre, post, env)
        return _eval(e.args[1] if c else e.args[2], pre, post, env)
    if op == "eq":
        return _eval(e.args[0], pre, post, env) == _eval(e.args[1], pre, post, env)
    if op in ("add", "sub", "mul", "lt", "le", "band", "bor"):
        a = _eval(e.args[0], pre, post, env)
        b = _eval(e.args[1], pre, post, env)
        w = e.args[0].sort.width
        if op == "add":
            return _bv(a + b, w) if w else a + b
        if op == "sub":
            return _bv(a - b, w) if w else a - b
        if op == "mul":
            return _bv(a * b, w) if w else a * b
        if op == "lt":
            return a < b
        if op == "le":
            return a <= b
        if op == "band":
            return a & b
        return a | b
    if op == "bnot":
        return _bv(~_eval(e.args[0], pre, post, env), e.sort.width)
    if op in ("forall", "exists"):
        want = op == "forall"
        for binding in _bindings(e.payload, 0, pre, post, env):
            if bool(_eval(e.args[0], pre, post, binding)) != want:
                return not want
        return want
    raise AssertionError(f"unknown node {op}")  # pragma: no cover - exhaustive


def _bindings(
    binders: tuple[_Binder, ...],
    i: int,
    pre: StateView,
    post: StateView | None,
    env: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    if i == len(binders):
        yield env
        return
    b = binders[i]
    if b.lo is None:
        # Entities are the same objects in both states; take the union so that a
        # buffer allocated by the call is quantified over too.
        values = pre.entities(b.var.sort)
        if post is not None:
            seen = set(values)
            values = values + [x for x in post.entities(b.var.sort) if x not in seen]
    else:
        assert b.hi is not None
        lo, hi = _eval(b.lo, pre, post, env), _eval(b.hi, pre, post, env)
        values = list(range(lo, hi))
    for v in values:
        inner = dict(env)
        inner[b.var.name] = v
        yield from _bindings(binders, i + 1, pre, post, inner)


def substitute(e: Expr, mapping: Mapping[str, Expr]) -> Expr:
    """``e`` with free variables replaced (used to bind a rule to an operation's arguments)."""
    if not mapping:
        return e
    if e.op == "var":
        return mapping.get(e.payload, e)
    if e.op in ("forall", "exists"):
        bound = {b.var.name for b in e.payload}
        inner = {k: v for k, v in mapping.items() if k not in bound}
        binders = tuple(
            _Binder(
                b.var,
                None if b.lo is None else substitute(b.lo, mapping),
                None if b.hi is None else substitute(b.hi, mapping),
            )
            for b in e.payload
        )
        return Expr(e.op, (substitute(e.args[0], inner),), e.sort, binders)
    if e.op == "fn":
        fn: Fn = e.payload[0]
        new_args = tuple(substitute(a, mapping) for a in e.payload[1])
        return fn(*new_args)
    if not e.args:
        return e
    return Expr(e.op, tuple(substitute(a, mapping) for a in e.args), e.sort, e.payload)
