"""The rule entries show the verdicts of real prove and check runs, read from their reports.

The runs themselves are slow (the docs build in tests/test_static.py makes them); these
tests feed the page generator reports of the right shape, so they check what is shown,
that only the times vary, and that a report of the wrong shape is refused.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from netdevspec.conformance.check import CheckReport, RuleResult, rule_by_id
from netdevspec.model import Kind, Method, Prover, Report, Result, Verdict
from netdevspec.spec import SPEC

from netdevspec import docgen, evidence, sphinxext
from netdevspec.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
DUMMY = evidence.BUNDLED_DRIVERS["dummy"]


def _prove_report(seconds: float, unknown: str = "") -> dict[str, Any]:
    """A prover report over the whole plan: every obligation PROVED in ``seconds``, except
    ``unknown`` (an obligation ID), which z3 could not decide."""
    results = []
    for ob in Prover(SPEC).plan():
        if ob.id == unknown:
            results.append(Result(ob, Verdict.UNKNOWN, seconds, detail="z3 gave up"))
        else:
            method = Method.WITNESS if ob.kind is Kind.NONVACUITY else Method.E_MATCHING
            results.append(Result(ob, Verdict.PROVED, seconds, method=method))
    return Report(tuple(results), 3.5, "4.12.0", 0, 10_000, rules=tuple(SPEC.rules),
                  rlimits={"e-matching": 1, "model-based": 1}).to_json()


def _check_doc(verdict: str = "PASS", seed: int = 0) -> dict[str, Any]:
    """What ``netdevspec check --format json`` writes for dummy judged on two rules."""
    rules = [RuleResult(rule_by_id(rid), verdict, 1, int(verdict == "FAIL"))
             for rid in ("skb.put.bounds", "drv.callback.raised")]
    report = CheckReport(DUMMY, seed, 200, rules=rules, scenarios_run=210)
    return {"version": 1, "reports": [report.to_json()]}


@pytest.fixture(scope="module")
def base() -> docgen.Context:
    return sphinxext.context(ROOT / "tests")


def _pages(base: docgen.Context, prove: dict[str, Any], check: dict[str, Any] | None = None
           ) -> dict[str, str]:
    ctx = dataclasses.replace(base, proofs=evidence.proof_run(prove),
                              conformance=evidence.conformance_run(check or _check_doc()))
    return docgen.pages(ctx)


def _entry(page: str, rid: str) -> str:
    return page.split(f".. rule:: {rid}\n", 1)[1].split("\n.. rule::", 1)[0]


def test_an_entry_lists_each_obligation_with_its_verdict_method_and_time(
        base: docgen.Context) -> None:
    pages = _pages(base, _prove_report(0.25))
    entry = _entry(pages["skb"], "skb.put.bounds")
    assert "proof obligations: 2 (1 non-vacuity, 1 frame): 2 PROVED in this build's run " \
        "(0.500 s in all)" in entry
    assert "Proof obligations (this build's ``netdevspec prove`` run)" in entry
    assert "* - non-vacuity of :case:`skb_put.ok`\n        - PROVED\n        - witness\n" \
        "        - 0.250 s" in entry
    inv = _entry(pages["skb"], "skb.geometry")  # an invariant: initiation and consecution
    assert "* - initiation (``skb.geometry``)" in inv and "consecution by :case:`skb_put.ok`" in inv
    case = pages["operations"].split(".. case:: skb_put.ok\n", 1)[1].split(".. case::", 1)[0]
    assert "proofs (this build's run): non-vacuity PROVED (witness, 0.250 s); frame PROVED " \
        "(e-matching, 0.250 s); consecution of" in case
    n = len(Prover(SPEC).plan())
    assert f"(z3 4.12.0, seed 0, 10000 ms per query): {n} obligations, {n} PROVED, 0 REFUTED" \
        in pages["index"]


def test_an_obligation_that_is_not_proved_stands_out(base: docgen.Context) -> None:
    pages = _pages(base, _prove_report(0.1, unknown="non-vacuity:skb_put.ok"))
    entry = _entry(pages["skb"], "skb.put.bounds")
    assert "1 PROVED, **1 UNKNOWN** in this build's run" in entry
    assert "- **UNKNOWN**: z3 gave up" in entry
    assert "**1 UNKNOWN**" in pages["index"]


def test_two_runs_give_the_same_pages_apart_from_the_times(base: docgen.Context) -> None:
    times = re.compile(r"\d+\.\d{3} s\b")
    a = _pages(base, _prove_report(0.001))
    b = _pages(base, _prove_report(7.5))
    assert a != b  # the times are shown ...
    assert {k: times.sub("T", v) for k, v in a.items()} == \
        {k: times.sub("T", v) for k, v in b.items()}  # ... and nothing else differs


def test_an_entry_shows_the_reference_drivers_verdicts(base: docgen.Context) -> None:
    pages = _pages(base, _prove_report(0.1), _check_doc("PASS"))
    line = ("**On the reference drivers** (this build's ``netdevspec check``, seed 0, 200 "
            "generated scenarios): dummy PASS.")
    assert line in _entry(pages["skb"], "skb.put.bounds")
    assert "dummy PASS." in _entry(pages["drv"], "drv.callback.raised")
    guarantee = _entry(pages["skb"], "skb.put.effect")
    assert "a kernel guarantee is the kernel's duty, so no driver is judged by it" in guarantee
    failing = _pages(base, _prove_report(0.1), _check_doc("FAIL"))
    assert "dummy **FAIL**." in _entry(failing["skb"], "skb.put.bounds")


def test_without_runs_the_pages_say_no_verdict_is_shown(base: docgen.Context) -> None:
    pages = docgen.pages(base)
    assert "this build ran no prover, so no verdict is shown" in _entry(pages["skb"],
                                                                      "skb.put.bounds")
    assert "this build ran no prover (``netdevspec_runs = False``" in pages["index"]
    assert "On the reference drivers" not in pages["skb"]


def test_a_report_of_the_wrong_shape_is_refused_with_the_reason() -> None:
    bad = _prove_report(0.1)
    del bad["results"][0]["verdict"]
    with pytest.raises(UsageError, match=r"not a prove report: at results/0: 'verdict' is a "
                       r"required property.*run `netdevspec prove --format json` again"):
        evidence.proof_run(bad)
    with pytest.raises(UsageError, match=r"not a check report: at the top level: 'reports' is "
                       r"a required property"):
        evidence.conformance_run({"version": 1})


def test_check_reports_made_with_different_seeds_are_not_shown_side_by_side() -> None:
    a, b = _check_doc(seed=0), _check_doc(seed=1)
    with pytest.raises(UsageError, match=r"different \(seed, examples\): \[\(0, 200\), "
                       r"\(1, 200\)\].*check every driver with the same --seed"):
        evidence.conformance_run({"version": 1, "reports": a["reports"] + b["reports"]})
    run = evidence.conformance_run(a)
    assert run.of("skb.put.bounds") == {"dummy": "PASS"} and run.of("skb.geometry") == {}


def test_each_bug_has_one_entry_on_its_familys_page_with_its_code(
        base: docgen.Context) -> None:
    pages = docgen.pages(base)
    families = {b.family for b in base.bugs}
    assert {f"bugs-{f}" for f in families} <= set(pages)
    for b in base.bugs:
        entries = sum(p.count(f"\n.. bug:: {b.id}\n") for p in pages.values())
        assert entries == 1, b.id
        assert f"\n.. bug:: {b.id}\n" in pages[f"bugs-{b.family}"]
        assert f":bug:`{b.id}`" in pages["bugs"]
    entry = pages["bugs-buffers"].split(".. bug:: double-free\n", 1)[1].split(".. bug::")[0]
    assert "class DoubleFree(Dummy):" in entry and "# BUG: already freed" in entry
    assert "- breaks: :rule:`skb.use.alive`: a buffer is used only while" in entry
    assert "``netdevspec check netdevspec.reference.buggy.buffers:double_free``" in entry
    assert "This build checked no bug (``netdevspec_runs = False``)" in pages["bugs-buffers"]
    # Each entry says the override is marked BUG: every bug's class must carry the mark.
    for b in base.bugs:
        entry = pages[f"bugs-{b.family}"].split(f".. bug:: {b.id}\n", 1)[1].split(".. bug::")[0]
        assert "# BUG" in entry or "BUG:" in entry, b.id


def test_a_bug_entry_shows_the_report_and_says_when_it_misses_its_rule(
        base: docgen.Context) -> None:
    text = "dummy: 103 rules: 1 FAIL\n\nFAIL skb.use.alive (2 finding(s))\n  found: x\n"
    reports = {b.id: evidence.BugReport(b.id, (b.expected_rule,), text) for b in base.bugs}
    reports["double-free"] = evidence.BugReport("double-free", ("skb.use.owner",), text)
    pages = docgen.pages(dataclasses.replace(base, bug_reports=reports))
    entry = pages["bugs-buffers"].split(".. bug:: double-free\n", 1)[1].split(".. bug::")[0]
    assert "``netdevspec check netdevspec.reference.buggy.buffers:double_free --examples 0``" \
        " gives (this build's run, seed 0); **it does not fail** :rule:`skb.use.alive`." in entry
    assert "      FAIL skb.use.alive (2 finding(s))\n" in entry
    leak = pages["bugs-buffers"].split(".. bug:: leak-at-rmmod\n", 1)[1].split(".. bug::")[0]
    assert "; it fails the rule the catalogue names." in leak


def test_a_findings_location_is_shown_relative_to_the_checkout() -> None:
    import netdevspec.reference.buggy.buffers as buffers

    assert evidence.repo_relative(f"{buffers.__file__}:61") == "reference/buggy/buffers.py:61"
    assert evidence.repo_relative("/elsewhere/driver.py:3") == "/elsewhere/driver.py:3"
