"""The typed formula tree: one node type per operator, and the type checker holds every
interpreter to all of them (issue 14, item 8)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest
from netdevspec.spec import formula
from netdevspec.spec.formula import Expr, Node

ROOT = Path(__file__).resolve().parents[1]


def _leaf_classes(cls: type) -> set[type]:
    subs = cls.__subclasses__()
    if not subs:
        return {cls}
    return set().union(*(_leaf_classes(s) for s in subs))


def test_node_is_exactly_the_set_of_node_types() -> None:
    # A node class outside the union would slip past every exhaustive match.
    assert set(typing.get_args(Node)) == _leaf_classes(Expr)
    assert len(typing.get_args(Node)) == 22


def test_each_node_type_names_itself_for_match() -> None:
    x = formula.Var("x", formula.INT)
    samples: list[Expr] = [formula.lit(1), x, x + 1, x - 1, x * 2, x < 1, x <= 1, x == 1,
                           formula.And(x < 1), formula.Or(), formula.Not(x < 1),
                           formula.Implies(x < 1, x < 2), formula.Ite(x < 1, x, 0),
                           formula.Forall(x, x < 1, within=(0, 3))]
    for e in samples:
        assert e.as_node() is e


_INTERPRETER = '''
from typing import assert_never

from netdevspec.spec.formula import (
    Add, And, Apply, BitAnd, BitNot, BitOr, Const, Eq, Exists, Expr, Forall, Implies, Ite,
    Le, Lit, Lt, Mul, Not, Null, Or, Read, Sub, Var,
)


def name(e: Expr) -> str:
    n = e.as_node()
    match n:
        case Lit() | Null() | Const() | Var() | Read() | Apply():
            return "leaf"
        case And() | Or() | Not() | Implies() | {ite}:
            return "connective"
        case Eq() | Lt() | Le() | Add() | Sub() | Mul() | BitAnd() | BitOr() | BitNot():
            return "arithmetic"
        case Forall() | Exists():
            return "quantifier"
        case _:
            assert_never(n)
'''


def _mypy(tmp_path: Path, ite: str) -> subprocess.CompletedProcess[str]:
    pkg = tmp_path / "netdevspec"
    (pkg / "spec").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "py.typed").write_text("")
    (pkg / "spec" / "__init__.py").write_text("")
    shutil.copy(ROOT / "src" / "netdevspec" / "errors.py", pkg / "errors.py")
    for mod in ("formula", "printer"):
        shutil.copy(ROOT / "spec" / f"{mod}.py", pkg / "spec" / f"{mod}.py")
    (tmp_path / "interp.py").write_text(textwrap.dedent(_INTERPRETER.format(ite=ite)))
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--cache-dir", str(tmp_path / ".mypy"), "interp.py"],
                          capture_output=True, text=True, check=False, cwd=tmp_path)


@pytest.mark.parametrize("complete", [True, False])
def test_mypy_rejects_an_interpreter_that_misses_a_node_type(tmp_path: Path,
                                                              complete: bool) -> None:
    p = _mypy(tmp_path, "Ite()" if complete else "Not()")
    if complete:
        assert p.returncode == 0, p.stdout + p.stderr
    else:
        assert p.returncode == 1, p.stdout + p.stderr
        assert 'Argument 1 to "assert_never" has incompatible type "Ite"' in p.stdout
