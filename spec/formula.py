"""The formula tree every rule is written against: sorts, node types and constructors.

A rule's formula is a tree of :class:`Expr` nodes built with ordinary Python operators
over *state symbols* (functions of the kernel state, such as ``skb.tail(b)``), bound
variables and a few background functions. Each operator is its own node type, and
:data:`Node` is the closed union of them: an interpreter ``match``\\ es on
``e.as_node()`` and ends with ``assert_never``, so ``mypy --strict`` proves it handles
every node (adding a node type makes every interpreter that misses it a type error).

The interpretations live beside this module: :mod:`~netdevspec.spec.printer` (text),
:mod:`~netdevspec.spec.concrete` (plain Python values) and
:mod:`netdevspec.model.encode` (z3 terms). :mod:`~netdevspec.spec.logic` re-exports all
of it for the rule files.

Quantifiers range over an *entity* sort (devices, buffers, ...) or over a half-open
integer range ``[lo, hi)``; integer quantifiers must be bounded so the concrete
interpreter can enumerate them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Union, assert_never

from netdevspec.errors import SpecError

__all__ = [
    "BOOL",
    "BV16",
    "INT",
    "Add",
    "And",
    "Apply",
    "Binder",
    "BitAnd",
    "BitNot",
    "BitOr",
    "Const",
    "Eq",
    "Exists",
    "Expr",
    "ExprLike",
    "Fn",
    "Forall",
    "Implies",
    "Ite",
    "Le",
    "Lit",
    "Lt",
    "Mul",
    "Node",
    "Not",
    "Null",
    "Or",
    "Read",
    "Sort",
    "SortKind",
    "StateSym",
    "Sub",
    "Var",
    "entity_const",
    "free_vars",
    "lit",
    "null",
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


def _render(e: Expr) -> str:
    # The printer imports this module; import it when a message needs it.
    from netdevspec.spec.printer import render

    return render(e)


def _coerce(value: ExprLike, sort: Sort | None = None) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool):
        return Lit(value, BOOL)
    if isinstance(value, int):
        if sort is not None and sort.kind is SortKind.BV:
            return Lit(value & ((1 << sort.width) - 1), sort)
        return Lit(value, INT)
    raise SpecError(
        f"cannot use {value!r} ({type(value).__name__}) in a formula",
        "formulas are built from state symbols, variables, bools and ints",
        "wrap the value with lit() or use a state symbol",
    )


def _bool(e: ExprLike) -> Expr:
    x = _coerce(e)
    if x.sort != BOOL:
        raise SpecError(
            f"expected a Bool formula, got {x.sort}: {_render(x)}",
            "connectives combine truth values",
            "compare the value with something to get a Bool",
        )
    return x


class Expr(ABC):
    """A node of a formula. Build them with operators and constructors; never mutate one.

    ``args`` are the node's operands in order (a quantifier's body; the expansion of a
    background function; the arguments of a state-symbol read); quantifier bounds are
    not among them (:func:`walk` visits them too). ``op`` is a short tag for messages.

    ``==`` builds an equation instead of comparing trees (as in z3), so ``Expr``
    objects hash by identity. Using one as a Python ``bool`` is an error.
    """

    __slots__ = ("args", "sort")
    op: ClassVar[str]
    args: tuple[Expr, ...]
    sort: Sort

    def __init__(self, args: tuple[Expr, ...], sort: Sort):
        self.args = args
        self.sort = sort

    @abstractmethod
    def as_node(self) -> Node:
        """This node as a member of the closed union :data:`Node` (for ``match``)."""

    # -- arithmetic and comparison -------------------------------------------------
    def _operands(self, other: ExprLike, op: str) -> tuple[Expr, Expr]:
        o = _coerce(other, self.sort)
        if self.sort != o.sort or self.sort.kind not in (SortKind.INT, SortKind.BV):
            raise SpecError(
                f"'{op}' needs two integers or two bit-vectors of one width, got {self.sort} "
                f"and {o.sort}",
                "arithmetic is defined only on Int and BV16",
                "compare entities with == and convert flags with state symbols of sort BV16",
            )
        return self, o

    def __add__(self, other: ExprLike) -> Expr:
        return Add(*self._operands(other, "add"))

    def __radd__(self, other: ExprLike) -> Expr:
        return Add(*_coerce(other, self.sort)._operands(self, "add"))

    def __sub__(self, other: ExprLike) -> Expr:
        return Sub(*self._operands(other, "sub"))

    def __rsub__(self, other: ExprLike) -> Expr:
        return Sub(*_coerce(other, self.sort)._operands(self, "sub"))

    def __mul__(self, other: ExprLike) -> Expr:
        o = _coerce(other, self.sort)
        if not isinstance(o, Lit) and not isinstance(self, Lit):
            raise SpecError(
                f"{_render(self)} * {_render(o)} multiplies two non-constants",
                "the logic is linear so that z3 can decide it",
                "multiply by a literal only",
            )
        return Mul(*self._operands(o, "mul"))

    def __rmul__(self, other: ExprLike) -> Expr:
        return _coerce(other, self.sort).__mul__(self)

    def __lt__(self, other: ExprLike) -> Expr:
        return Lt(*self._operands(other, "lt"))

    def __le__(self, other: ExprLike) -> Expr:
        return Le(*self._operands(other, "le"))

    def __gt__(self, other: ExprLike) -> Expr:
        return Lt(*_coerce(other, self.sort)._operands(self, "lt"))

    def __ge__(self, other: ExprLike) -> Expr:
        return Le(*_coerce(other, self.sort)._operands(self, "le"))

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        if isinstance(other, Var) and not isinstance(self, Var):
            # Python tries a subclass's reflected == first; when every other node was a
            # plain Expr, ``size(x) == n`` therefore built ``n = size(x)``. Keep that
            # orientation, so rendered rules and z3 terms stay as they were.
            return other.__eq__(self)
        o = _coerce(other, self.sort)  # type: ignore[arg-type]
        if o.sort != self.sort:
            raise SpecError(
                f"cannot compare {self.sort} with {o.sort} in {_render(self)} == {_render(o)}",
                "an equation needs two sides of one sort",
                "compare like with like (use null(Sort) for a NULL pointer)",
            )
        return Eq(self, o)

    def __ne__(self, other: object) -> Expr:  # type: ignore[override]
        return Not(self.__eq__(other))

    __hash__ = object.__hash__

    # -- boolean and bit operations -------------------------------------------------
    def __and__(self, other: ExprLike) -> Expr:
        if self.sort.kind is SortKind.BV:
            return BitAnd(*self._operands(other, "band"))
        return And(self, other)

    def __or__(self, other: ExprLike) -> Expr:
        if self.sort.kind is SortKind.BV:
            return BitOr(*self._operands(other, "bor"))
        return Or(self, other)

    def __invert__(self) -> Expr:
        if self.sort.kind is SortKind.BV:
            return BitNot(self)
        return Not(self)

    def __bool__(self) -> bool:
        raise SpecError(
            f"a formula ({_render(self)}) was used as a Python truth value",
            "formulas are data, not booleans; 'and'/'or'/'if' would silently drop a part",
            "use And(), Or(), Implies() or Ite() instead of Python's and/or/if",
        )

    def __repr__(self) -> str:
        return f"<Expr {_render(self)}>"

    def __str__(self) -> str:
        return _render(self)


# ---------------------------------------------------------------------------------------
# Leaves
# ---------------------------------------------------------------------------------------


class Lit(Expr):
    """A literal: a bool, an integer or a bit-vector value (build with :func:`lit`)."""

    __slots__ = ("value",)
    op = "lit"

    def __init__(self, value: bool | int, sort: Sort):
        super().__init__((), sort)
        self.value = value

    def as_node(self) -> Node:
        return self


class Null(Expr):
    """The NULL element of an entity sort (build with :func:`null`)."""

    __slots__ = ()
    op = "null"

    def __init__(self, sort: Sort):
        super().__init__((), sort)

    def as_node(self) -> Node:
        return self


class Const(Expr):
    """A named entity distinct from NULL and the others (build with :func:`entity_const`)."""

    __slots__ = ("name",)
    op = "const"

    def __init__(self, sort: Sort, name: str):
        super().__init__((), sort)
        self.name = name

    def as_node(self) -> Node:
        return self


class Var(Expr):
    """A variable: a rule parameter, an operation argument or a bound variable."""

    __slots__ = ("name",)
    op = "var"

    def __init__(self, name: str, sort: Sort):
        super().__init__((), sort)
        self.name = name

    def as_node(self) -> Node:
        return self


class Read(Expr):
    """A state symbol read at some arguments, in the pre-state or (``post``) the post-state.

    Built by calling a :class:`StateSym`: ``skb.tail(b)`` or ``skb.tail.post(b)``.
    """

    __slots__ = ("post", "sym")
    op = "sym"

    def __init__(self, sym: StateSym, post: bool, args: tuple[Expr, ...]):
        super().__init__(args, sym.result)
        self.sym = sym
        self.post = post

    def as_node(self) -> Node:
        return self


class Apply(Expr):
    """A background function applied to arguments; ``args`` is ``(expansion,)``."""

    __slots__ = ("fargs", "fn")
    op = "fn"

    def __init__(self, fn: Fn, fargs: tuple[Expr, ...], expansion: Expr):
        super().__init__((expansion,), fn.result)
        self.fn = fn
        self.fargs = fargs

    @property
    def expansion(self) -> Expr:
        """The macro's expansion, which both interpretations read."""
        return self.args[0]

    def as_node(self) -> Node:
        return self


# ---------------------------------------------------------------------------------------
# Connectives (these classes are the public constructors the rule files call)
# ---------------------------------------------------------------------------------------


class And(Expr):
    """Conjunction (``And()`` is true)."""

    __slots__ = ()
    op = "and"

    def __init__(self, *items: ExprLike):
        super().__init__(tuple(_bool(i) for i in items), BOOL)

    def as_node(self) -> Node:
        return self


class Or(Expr):
    """Disjunction (``Or()`` is false)."""

    __slots__ = ()
    op = "or"

    def __init__(self, *items: ExprLike):
        super().__init__(tuple(_bool(i) for i in items), BOOL)

    def as_node(self) -> Node:
        return self


class Not(Expr):
    """Negation."""

    __slots__ = ()
    op = "not"

    def __init__(self, item: ExprLike):
        super().__init__((_bool(item),), BOOL)

    def as_node(self) -> Node:
        return self


class Implies(Expr):
    """Implication ``a ⇒ b``."""

    __slots__ = ()
    op = "implies"

    def __init__(self, a: ExprLike, b: ExprLike):
        super().__init__((_bool(a), _bool(b)), BOOL)

    def as_node(self) -> Node:
        return self


class Ite(Expr):
    """If-then-else on values of one sort."""

    __slots__ = ()
    op = "ite"

    def __init__(self, c: ExprLike, a: ExprLike, b: ExprLike):
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
        super().__init__((_bool(c), x, y), x.sort)

    def as_node(self) -> Node:
        return self


# ---------------------------------------------------------------------------------------
# Comparisons and arithmetic (built by Python operators on Expr; operands checked there)
# ---------------------------------------------------------------------------------------


class _Binary(Expr):
    __slots__ = ()

    def __init__(self, a: Expr, b: Expr, sort: Sort | None = None):
        super().__init__((a, b), a.sort if sort is None else sort)

    @property
    def left(self) -> Expr:
        """The left operand."""
        return self.args[0]

    @property
    def right(self) -> Expr:
        """The right operand."""
        return self.args[1]


class Eq(_Binary):
    """An equation ``a = b`` (``a == b``)."""

    __slots__ = ()
    op = "eq"

    def __init__(self, a: Expr, b: Expr):
        super().__init__(a, b, BOOL)

    def as_node(self) -> Node:
        return self


class Lt(_Binary):
    """``a < b`` on integers, or unsigned on bit-vectors."""

    __slots__ = ()
    op = "lt"

    def __init__(self, a: Expr, b: Expr):
        super().__init__(a, b, BOOL)

    def as_node(self) -> Node:
        return self


class Le(_Binary):
    """``a ≤ b`` on integers, or unsigned on bit-vectors."""

    __slots__ = ()
    op = "le"

    def __init__(self, a: Expr, b: Expr):
        super().__init__(a, b, BOOL)

    def as_node(self) -> Node:
        return self


class Add(_Binary):
    """``a + b`` (modulo 2**width on bit-vectors)."""

    __slots__ = ()
    op = "add"

    def as_node(self) -> Node:
        return self


class Sub(_Binary):
    """``a - b`` (modulo 2**width on bit-vectors)."""

    __slots__ = ()
    op = "sub"

    def as_node(self) -> Node:
        return self


class Mul(_Binary):
    """``a * b``, one side a literal (modulo 2**width on bit-vectors)."""

    __slots__ = ()
    op = "mul"

    def as_node(self) -> Node:
        return self


class BitAnd(_Binary):
    """Bitwise ``a & b`` on bit-vectors."""

    __slots__ = ()
    op = "band"

    def as_node(self) -> Node:
        return self


class BitOr(_Binary):
    """Bitwise ``a | b`` on bit-vectors."""

    __slots__ = ()
    op = "bor"

    def as_node(self) -> Node:
        return self


class BitNot(Expr):
    """Bitwise complement ``~a`` on bit-vectors."""

    __slots__ = ()
    op = "bnot"

    def __init__(self, a: Expr):
        super().__init__((a,), a.sort)

    def as_node(self) -> Node:
        return self


# ---------------------------------------------------------------------------------------
# Quantifiers
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Binder:
    """A quantified variable: over its entity sort, or over ``[lo, hi)`` for an integer."""

    var: Var
    lo: Expr | None
    hi: Expr | None


def _binders(vars_: Var | Iterable[Var], within: Any) -> tuple[Binder, ...]:
    vs = (vars_,) if isinstance(vars_, Var) else tuple(vars_)
    binders: list[Binder] = []
    for v in vs:
        if v.sort.kind is SortKind.ENTITY:
            binders.append(Binder(v, None, None))
        elif v.sort.kind is SortKind.INT:
            if within is None:
                raise SpecError(
                    f"the integer variable {v.name} is quantified without bounds",
                    "the concrete interpreter must be able to enumerate every quantifier",
                    "pass within=(lo, hi) for the half-open range the variable ranges over",
                )
            lo, hi = within
            binders.append(Binder(v, _coerce(lo), _coerce(hi)))
        else:
            raise SpecError(
                f"cannot quantify over {v.sort} ({v.name})",
                "only entity sorts and bounded integer ranges can be enumerated",
                "quantify over an entity sort or a bounded integer range",
            )
    return tuple(binders)


class _Quantifier(Expr):
    __slots__ = ("binders",)
    binders: tuple[Binder, ...]

    def __init__(self, vars_: Var | Iterable[Var], body: ExprLike, within: Any = None):
        super().__init__((_bool(body),), BOOL)
        self.binders = _binders(vars_, within)

    @property
    def body(self) -> Expr:
        """The quantified formula."""
        return self.args[0]

    def rebuilt(self, binders: tuple[Binder, ...], body: Expr) -> _Quantifier:
        """A quantifier of this kind over ``binders`` (already checked) and ``body``."""
        q = object.__new__(type(self))
        Expr.__init__(q, (body,), BOOL)
        q.binders = binders
        return q


class Forall(_Quantifier):
    """Universal quantifier over entity variables or one bounded integer range."""

    __slots__ = ()
    op = "forall"

    def as_node(self) -> Node:
        return self


class Exists(_Quantifier):
    """Existential quantifier over entity variables or one bounded integer range."""

    __slots__ = ()
    op = "exists"

    def as_node(self) -> Node:
        return self


Node = (Lit | Null | Const | Var | Read | Apply | And | Or | Not | Implies | Ite | Eq | Lt
        | Le | Add | Sub | Mul | BitAnd | BitOr | BitNot | Forall | Exists)
"""Every node type. An interpreter matches on ``e.as_node()`` and ends with
``case _: assert_never(n)``, so mypy reports any node type it does not handle."""


# ---------------------------------------------------------------------------------------
# Smart constructors
# ---------------------------------------------------------------------------------------


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
    return Null(sort)


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
    return Const(sort, name)


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
                    f"{self.name} expects {s} but got {a.sort} ({_render(a)})",
                    f"it is declared as {self.signature()}",
                    "pass an argument of the declared sort",
                )
        return Read(self, post, cargs)

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
        return Apply(self, cargs, expansion)


# ---------------------------------------------------------------------------------------
# Traversal and substitution
# ---------------------------------------------------------------------------------------


def walk(e: Expr) -> Iterator[Expr]:
    """Every node of ``e`` (pre-order), including quantifier bounds."""
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(x.args)
        if isinstance(x, _Quantifier):
            for b in x.binders:
                if b.lo is not None:
                    stack.append(b.lo)
                if b.hi is not None:
                    stack.append(b.hi)


def symbols_of(e: Expr, post: bool | None = None) -> frozenset[StateSym]:
    """The state symbols ``e`` reads (only pre or post reads if ``post`` is given)."""
    return frozenset(x.sym for x in walk(e)
                     if isinstance(x, Read) and (post is None or x.post == post))


def free_vars(e: Expr) -> frozenset[str]:
    """Names of the variables ``e`` uses that no quantifier inside it binds."""
    if isinstance(e, Var):
        return frozenset({e.name})
    inner: frozenset[str] = frozenset().union(*(free_vars(a) for a in e.args))
    if isinstance(e, _Quantifier):
        bound = {b.var.name for b in e.binders}
        bounds: frozenset[str] = frozenset().union(
            *(free_vars(x) for b in e.binders for x in (b.lo, b.hi) if x is not None)
        )
        return (inner - bound) | bounds
    return inner


def substitute(e: Expr, mapping: Mapping[str, Expr]) -> Expr:
    """``e`` with free variables replaced (used to bind a rule to an operation's arguments)."""
    if not mapping:
        return e

    def sub(x: Expr) -> Expr:
        return substitute(x, mapping)

    n = e.as_node()
    match n:
        case Var():
            return mapping.get(n.name, n)
        case Lit() | Null() | Const():
            return n
        case Forall() | Exists():
            bound = {b.var.name for b in n.binders}
            inner = {k: v for k, v in mapping.items() if k not in bound}
            binders = tuple(
                Binder(b.var, None if b.lo is None else sub(b.lo),
                       None if b.hi is None else sub(b.hi))
                for b in n.binders
            )
            return n.rebuilt(binders, substitute(n.body, inner))
        case Apply():
            # Expand the macro again on the new arguments (it may inspect them).
            return n.fn(*(sub(a) for a in n.fargs))
        case Read():
            return Read(n.sym, n.post, tuple(sub(a) for a in n.args))
        case And():
            return And(*(sub(a) for a in n.args))
        case Or():
            return Or(*(sub(a) for a in n.args))
        case Not():
            return Not(sub(n.args[0]))
        case Implies():
            return Implies(sub(n.args[0]), sub(n.args[1]))
        case Ite():
            return Ite(*(sub(a) for a in n.args))
        case Eq() | Lt() | Le():
            return type(n)(sub(n.left), sub(n.right))
        case Add() | Sub() | Mul() | BitAnd() | BitOr():
            return type(n)(sub(n.left), sub(n.right))
        case BitNot():
            return BitNot(sub(n.args[0]))
        case _:
            assert_never(n)
