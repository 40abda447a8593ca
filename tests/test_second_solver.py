"""A second solver (issue 14, item 6): proof queries as standard SMT-LIB 2.6, decided by
z3 and cvc5, with disagreements reported with both answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import z3
from netdevspec.model import crosscheck
from netdevspec.model.crosscheck import Answer, cross_check, cvc5_available
from netdevspec.model.prover import Prover
from netdevspec.model.smtlib import ExportError, to_smtlib
from netdevspec.spec import SPEC

from netdevspec.cli import main

needs_cvc5 = pytest.mark.skipif(not cvc5_available(),
                                reason="cvc5 is not installed (pip install 'netdevspec[cvc5]')")


def _parse(text: str) -> list[object]:
    """S-expressions of an SMT-LIB script (|quoted| symbols kept whole)."""
    tokens = re.findall(r"\|[^|]*\||[()]|[^\s()|]+", text)
    stack: list[list[object]] = [[]]
    for t in tokens:
        if t == "(":
            stack.append([])
        elif t == ")":
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(t)
    assert len(stack) == 1, "unbalanced parentheses"
    return stack[0]


def _lists(tree: object) -> list[list[object]]:
    if not isinstance(tree, list):
        return []
    return [tree, *(x for sub in tree for x in _lists(sub))]


def _decide(text: str) -> z3.CheckSatResult:
    s = z3.SimpleSolver(ctx=z3.Context())
    s.from_string(text)
    return s.check()


def test_arrays_are_curried_and_symbols_quoted() -> None:
    dev = z3.DeclareSort("Dev")
    a = z3.Array("act.live'ok@0", dev, z3.IntSort(), z3.BoolSort())
    d, i = z3.Const("d", dev), z3.Int("i")
    post = z3.Store(a, d, i, z3.BoolVal(False))
    text = to_smtlib([a[d, i], z3.Not(post[d, i - 3] == a[d, i - 3]), i == 3],
                     name="consecution:x.ok:y")
    assert "(declare-const |act.live'ok@0| (Array |Dev| (Array Int Bool)))" in text
    assert "(store |act.live'ok@0| |d| (store (select |act.live'ok@0| |d|) |i| false))" in text
    assert "(select (select |act.live'ok@0| |d|) (- |i| 3))" in text
    # No n-ary array sort, select or store anywhere.
    arity = {"Array": 2, "select": 2, "store": 3}
    for node in _lists(_parse(text)):
        if node and isinstance(node[0], str) and node[0] in arity:
            assert len(node) - 1 == arity[node[0]], node
    assert "(set-info :status unsat)" in text
    assert _decide(text) == z3.unsat  # the same claim z3 proves from its own terms


def test_numerals_quantifiers_and_empty_connectives() -> None:
    dev = z3.DeclareSort("Dev")
    x = z3.Const("x", dev)
    n = z3.Int("n")
    flags = z3.BitVec("f", 16)
    body = z3.ForAll([x], z3.Exists([x], z3.Or(x == x, n < -2)))
    text = to_smtlib([body, z3.And(), flags & 5 == 5, z3.ULT(flags, 7), n == -4])
    assert "(- 4)" in text and "(_ bv5 16)" in text and "(bvult |f| (_ bv7 16))" in text
    # The two binders of x get different names, so the inner one cannot capture.
    names = re.findall(r"\(\((\|x#\d+\|) \|Dev\|\)\)", text)
    assert len(names) == 2 and names[0] != names[1]
    assert "(assert true)" in text
    assert _decide(text) == z3.sat  # f = 5, n = -4
    assert _decide(to_smtlib([body, flags & 5 == 5, n == -4, z3.Not(n < -3)])) == z3.unsat


def test_a_term_without_a_counterpart_is_an_error_naming_it() -> None:
    x = z3.Int("x")
    with pytest.raises(ExportError, match="SMT-LIB 2.6 has no lambda"):
        to_smtlib([z3.Lambda([x], x + 1)[3] == 4])
    with pytest.raises(ExportError, match=r"the operator .* \(z3 kind"):
        to_smtlib([z3.Int("y") ** 2 == 4])


@pytest.mark.slow
def test_every_exported_query_is_still_proved_by_z3_reading_the_text() -> None:
    p = Prover(SPEC)
    queries = p.export_smtlib(p.plan(operations=["skb_put", "free_irq", "register_netdev"]))
    scripts = [q for q in queries if q.smtlib is not None]
    assert len(scripts) >= 20
    # Proved by a query exactly when the report says e-matching or model-based.
    assert {q.obligation for q in scripts} == {
        q.obligation for q in queries if q.result.method is not None
        and q.result.method.value in ("e-matching", "model-based")}
    for q in scripts:
        assert q.smtlib is not None
        assert _decide(q.smtlib) == z3.unsat, q.obligation


@pytest.mark.slow
@needs_cvc5
def test_cvc5_agrees_with_z3_on_a_selection() -> None:
    p = Prover(SPEC)
    queries = p.export_smtlib(p.plan(operations=["skb_put", "free_irq", "kfree_skb"]))
    checks = cross_check([(q.obligation, q.smtlib) for q in queries if q.smtlib], 10_000)
    assert len(checks) >= 10
    assert [c for c in checks if not c.agrees] == []


def test_a_disagreement_is_reported_with_both_answers(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    monkeypatch.setattr(crosscheck, "cvc5_available", lambda: True)
    monkeypatch.setattr(crosscheck, "run_cvc5",
                        lambda text, ms: Answer("cvc5", "sat", 0.01))
    code = main(["crosscheck", "--operation", "skb_put", "--rule", "skb.geometry",
                 "--smtlib", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "DISAGREE consecution:skb_put.ok:skb.geometry: z3: unsat; cvc5: sat" in out
    assert re.search(r"\d+ queries z3 proved .*: 0 agree, \d+ disagree, 0 undecided", out)
    assert (tmp_path / "consecution__skb_put.ok__skb.geometry.smt2").read_text().startswith(
        "(set-info :smt-lib-version 2.6)")


def test_an_undecided_query_is_inconclusive(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(crosscheck, "cvc5_available", lambda: True)
    monkeypatch.setattr(crosscheck, "run_cvc5",
                        lambda text, ms: Answer("cvc5", "unknown", 0.01, "timeout"))
    code = main(["crosscheck", "--operation", "skb_put", "--rule", "skb.geometry"])
    out = capsys.readouterr().out
    assert code == 3, out
    assert "UNDECIDED consecution:skb_put.ok:skb.geometry: z3: unsat; cvc5: unknown " \
           "(timeout)" in out


def test_crosscheck_without_cvc5_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(crosscheck, "cvc5_available", lambda: False)
    assert main(["crosscheck"]) == 2
    err = capsys.readouterr().err
    assert "cvc5 is not installed" in err and "pip install 'netdevspec[cvc5]'" in err
