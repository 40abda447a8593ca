"""The rules of the 1996 driver API as data: ``SPEC`` and the objects it is made of."""

from netdevspec.spec.catalogue import SPEC
from netdevspec.spec.logic import ConcreteState, Expr, StateSym, Var, evaluate, render
from netdevspec.spec.rules import (
    Case,
    Citation,
    Decision,
    Frame,
    Operation,
    Rule,
    RuleKind,
    Scenario,
    Spec,
    Use,
)

SPEC_REF = "netdevspec.spec.catalogue:SPEC"
"""Where worker processes import the bundled spec from."""

__all__ = [
    "SPEC",
    "SPEC_REF",
    "Case",
    "Citation",
    "ConcreteState",
    "Decision",
    "Expr",
    "Frame",
    "Operation",
    "Rule",
    "RuleKind",
    "Scenario",
    "Spec",
    "StateSym",
    "Use",
    "Var",
    "evaluate",
    "render",
]
