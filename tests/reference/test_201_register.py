"""The register of differential tests against 2.0.1 is consistent, and its page is current.

Every divergence is settled: fixed, or a decision the spec records that names the test
showing the difference; every test the register names exists; docs/linux201.md and the
figures in docs/benchmarks.md are what ``python tests/reference/linux201.py --write``
writes.
"""

from __future__ import annotations

import importlib

import linux201
from netdevspec.spec import SPEC


def test_every_divergence_is_fixed_or_decided() -> None:
    decisions = {d.id: d for d in SPEC.decisions}
    tests_of: dict[str, list[str]] = {}
    for d in linux201.DIVERGENCES:
        assert d.settled == "fixed" or d.settled in decisions, d
        if d.settled != "fixed":
            tests_of.setdefault(d.settled, []).append(d.test.split("::")[1])
    for decision, tests in tests_of.items():
        assert any(t in decisions[decision].choice for t in tests), (
            f"decision {decision} should name the test that shows it (one of {tests})")


def test_every_named_test_exists() -> None:
    linux201.load_all()
    for name in [d.test for d in linux201.DIVERGENCES] + [b.test for b in linux201.BRANCHES]:
        module, fn = name.split("::")
        assert callable(getattr(importlib.import_module(module), fn, None)), name


def test_every_branch_cites_a_line_of_2_0_1() -> None:
    linux201.load_all()
    assert linux201.BRANCHES
    for b in linux201.BRANCHES:
        path, line = b.source.split(":")
        assert path.endswith((".c", ".h", ".S")) and int(line) > 0, b


def test_the_linux201_page_is_current() -> None:
    committed = linux201.DOC.read_text(encoding="utf-8")
    assert committed == linux201.markdown() + "\n", (
        "docs/linux201.md is out of date: run `python tests/reference/linux201.py --write`")
    assert linux201.summary() in linux201.BENCH_DOC.read_text(encoding="utf-8"), (
        "docs/benchmarks.md has old figures: run `python tests/reference/linux201.py --write`")


def test_every_kernel_function_is_checked_against_2_0_1_or_explained() -> None:
    assert linux201.uncovered() == [], (
        "these reference kernel functions have no differential test against 2.0.1: add one "
        "(tests/reference/test_201_*.py), map them in COUNTERPARTS or explain them in "
        "NOT_IN_201 (tests/reference/linux201.py)")


def test_the_coverage_map_names_what_exists() -> None:
    linux201.load_all()
    tested = {b.function for b in linux201.BRANCHES}
    names = set(linux201.kernel_functions())
    for name, targets in linux201.COUNTERPARTS.items():
        assert name in names and set(targets) <= tested, (name, set(targets) - tested)
        assert name not in tested, f"{name} is tested under its own name: drop its mapping"
    for name in linux201.NOT_IN_201:
        assert name in names and name not in tested, name
