"""The logic layer every rule is written against, in one import.

This module gathers what the rule files use; the pieces live in their own modules:

* :mod:`~netdevspec.spec.formula`: sorts, state symbols, the typed formula tree (one node
  type per operator) and the constructors (``And``, ``Forall``, ``lit``, ``null``, ...);
* :mod:`~netdevspec.spec.printer`: :func:`render`, the mathematical text of a formula;
* :mod:`~netdevspec.spec.concrete`: the concrete interpretation (:func:`evaluate` on
  plain Python states), for checking a running system and validating z3's witnesses;
* :mod:`netdevspec.model.encode`: the symbolic interpretation (z3 terms), for proofs.

Every interpretation reads the same tree, so a rule is never written twice.
"""

from __future__ import annotations

from netdevspec.spec.concrete import (
    ConcreteState,
    StateView,
    compile_expr,
    evaluate,
    evaluate_interpreted,
)
from netdevspec.spec.formula import (
    BOOL,
    BV16,
    INT,
    And,
    Exists,
    Expr,
    Fn,
    Forall,
    Implies,
    Ite,
    Not,
    Or,
    Sort,
    SortKind,
    StateSym,
    Var,
    entity_const,
    free_vars,
    lit,
    null,
    substitute,
    symbols_of,
    walk,
)
from netdevspec.spec.printer import render

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
