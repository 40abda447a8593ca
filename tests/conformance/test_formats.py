"""The JUnit XML and SARIF forms of ``netdevspec check`` reports.

The reports are real: the reference dummy driver (which passes) and two broken variants
of it, one that leaks every frame it accepts (mod.exit.buffers at rmmod) and one that frees
each frame twice (skb.use.alive, with a buffer picture). The SARIF logs are validated
against the official SARIF 2.1.0 schema, vendored beside this file (see
sarif-schema-2.1.0.README.md).
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from broken import double_free, leak, patched
from netdevspec.conformance.check import CheckReport, RuleResult, check_driver
from netdevspec.conformance.formats import driver_source, scenario_steps, to_junit, to_sarif
from netdevspec.reference.drivers import dummy

import netdevspec

DUMMY = "netdevspec.reference.drivers.dummy:FACTORY"
LEAKY = "leaky:FACTORY"
DOUBLE_FREE = "double_free:FACTORY"
SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")



def _check_all() -> list[CheckReport]:
    return [check_driver(dummy.FACTORY, DUMMY, examples=5),
            check_driver(patched(dummy_xmit=leak), LEAKY, examples=5),
            check_driver(patched(dummy_xmit=double_free), DOUBLE_FREE, examples=5)]


@pytest.fixture(scope="module")
def reports() -> list[CheckReport]:
    return _check_all()


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def by_driver(reports: list[CheckReport]) -> dict[str, CheckReport]:
    return {r.driver: r for r in reports}


def rule_of(report: CheckReport, rid: str) -> RuleResult:
    return next(r for r in report.rules if r.rule.id == rid)


def with_verdict(report: CheckReport, rid: str, verdict: str) -> CheckReport:
    """A copy of ``report`` in which rule ``rid`` got ``verdict``."""
    return dataclasses.replace(report, rules=[
        dataclasses.replace(r, verdict=verdict) if r.rule.id == rid else r
        for r in report.rules])


def test_the_broken_variants_fail_with_their_rules(reports: list[CheckReport]) -> None:
    got = {r.driver: [x.rule.id for x in r.failed] for r in reports}
    assert got[DUMMY] == []
    assert "mod.exit.buffers" in got[LEAKY]
    assert "skb.use.alive" in got[DOUBLE_FREE]


# -- JUnit XML ---------------------------------------------------------------------------------

def test_junit_has_a_suite_per_driver_with_the_report_counts(
        reports: list[CheckReport]) -> None:
    text = to_junit(reports)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [r.driver for r in reports]
    for suite, report in zip(suites, reports, strict=True):
        c = report.counts()
        assert suite.get("tests") == str(len(report.rules))
        assert suite.get("failures") == str(c["FAIL"])
        assert suite.get("skipped") == str(c["NOT_APPLICABLE"])
        assert suite.get("errors") == str(c["UNRESOLVED"])
        assert suite.get("timestamp") is None and suite.get("hostname") is None
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props == {"netdevspec.version": netdevspec.__version__,
                         "seed": str(report.seed), "examples": str(report.examples),
                         "scenarios_run": str(report.scenarios_run)}
        cases = suite.findall("testcase")
        assert [(t.get("classname"), t.get("name")) for t in cases] == [
            (report.driver, r.rule.id) for r in report.rules]
    for key in ("tests", "failures", "errors", "skipped"):
        assert root.get(key) == str(sum(int(s.get(key, "")) for s in suites))
    assert "timestamp" not in text


def test_junit_testcases_follow_the_verdicts(reports: list[CheckReport]) -> None:
    root = ET.fromstring(to_junit(reports))
    for suite, report in zip(root.findall("testsuite"), reports, strict=True):
        for case, r in zip(suite.findall("testcase"), report.rules, strict=True):
            tags = [child.tag for child in case]
            expected = {"PASS": [], "FAIL": ["failure"], "NOT_APPLICABLE": ["skipped"],
                        "UNRESOLVED": ["error"]}[r.verdict]
            assert tags == [*expected, "system-out"], (r.rule.id, tags)
            out = case.findtext("system-out") or ""
            assert f"verdict: {r.verdict}; evaluated {r.evaluations} time(s)" in out
            if r.verdict == "NOT_APPLICABLE":
                skipped = case.find("skipped")
                assert skipped is not None
                assert skipped.get("message") == "never exercised by the scenarios"


def test_junit_failure_carries_the_finding_and_the_program(
        reports: list[CheckReport]) -> None:
    suites = {s.get("name"): s for s in ET.fromstring(to_junit(reports)).iter("testsuite")}
    for driver, rid in ((LEAKY, "mod.exit.buffers"), (DOUBLE_FREE, "skb.use.alive")):
        r = rule_of(by_driver(reports)[driver], rid)
        f = r.finding
        assert f is not None and r.program
        case = next(t for t in suites[driver].iter("testcase") if t.get("name") == rid)
        failure = case.find("failure")
        assert failure is not None
        assert failure.get("message") == f.message
        assert failure.get("type") == r.rule.kind.value
        text = failure.text or ""
        assert f.message in text and f.where in text
        assert r.program in text  # verbatim, so it can be copied out and run
        for k, v in f.state:
            assert f"  {k} = {v}" in text
        for c in r.rule.citations:
            assert str(c) in text
        if f.picture:
            assert f"buffer:   {f.picture}" in text
    double_free = rule_of(by_driver(reports)[DOUBLE_FREE], "skb.use.alive")
    assert double_free.finding is not None and "alive=False" in double_free.finding.picture


def test_junit_unresolved_rule_is_an_error(reports: list[CheckReport]) -> None:
    rid = reports[0].rules[0].rule.id
    report = with_verdict(reports[0], rid, "UNRESOLVED")
    suite = ET.fromstring(to_junit([report])).find("testsuite")
    assert suite is not None and suite.get("errors") == "1"
    case = next(t for t in suite.iter("testcase") if t.get("name") == rid)
    error = case.find("error")
    assert error is not None and error.get("message") == "could not be evaluated"


def test_junit_escapes_what_xml_cannot_hold(reports: list[CheckReport]) -> None:
    report = by_driver(reports)[LEAKY]
    r = rule_of(report, "mod.exit.buffers")
    assert r.finding is not None
    odd = dataclasses.replace(r, finding=dataclasses.replace(
        r.finding, message='a <bad> & "odd"\x00\x1b message'))
    report = dataclasses.replace(report, driver="odd&mod:<F>", rules=[
        odd if x is r else x for x in report.rules])
    suite = ET.fromstring(to_junit([report])).find("testsuite")
    assert suite is not None and suite.get("name") == "odd&mod:<F>"
    failure = next(t for t in suite.iter("testcase")
                   if t.get("name") == "mod.exit.buffers").find("failure")
    assert failure is not None
    assert failure.get("message") == 'a <bad> & "odd"\\x00\\x1b message'


def test_no_reports_make_empty_documents(
        sarif_validator: jsonschema.protocols.Validator) -> None:
    root = ET.fromstring(to_junit([]))
    assert root.get("tests") == "0" and root.findall("testsuite") == []
    log = to_sarif([])
    sarif_validator.validate(log)
    assert log["runs"] == []


def test_both_formats_are_reproducible(reports: list[CheckReport]) -> None:
    again = _check_all()
    assert to_junit(again) == to_junit(reports)
    assert json.dumps(to_sarif(again)) == json.dumps(to_sarif(reports))


# -- SARIF 2.1.0 -------------------------------------------------------------------------------

def test_sarif_validates_against_the_sarif_2_1_0_schema(
        reports: list[CheckReport], sarif_validator: jsonschema.protocols.Validator) -> None:
    unresolved = with_verdict(reports[0], reports[0].rules[0].rule.id, "UNRESOLVED")
    for log in (to_sarif(reports), to_sarif([unresolved])):
        sarif_validator.validate(json.loads(json.dumps(log)))  # and it is plain JSON


def test_the_schema_is_not_vacuous(reports: list[CheckReport],
                                   sarif_validator: jsonschema.protocols.Validator) -> None:
    log = to_sarif(reports)
    log["runs"][1]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(log)
    log = to_sarif(reports)
    del log["runs"][1]["results"][0]["message"]
    assert not sarif_validator.is_valid(log)


def test_sarif_has_a_run_per_driver_describing_every_judged_rule(
        reports: list[CheckReport]) -> None:
    log = to_sarif(reports)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert len(log["runs"]) == len(reports)
    for run, report in zip(log["runs"], reports, strict=True):
        driver = run["tool"]["driver"]
        assert driver["name"] == "netdevspec"
        assert driver["version"] == netdevspec.__version__
        assert "informationUri" not in driver
        assert [d["id"] for d in driver["rules"]] == [r.rule.id for r in report.rules]
        for d, r in zip(driver["rules"], report.rules, strict=True):
            assert d["shortDescription"]["text"] == r.rule.statement
            assert all(str(c) in d["fullDescription"]["text"] for c in r.rule.citations)
            assert d["properties"]["kind"] == r.rule.kind.value
            assert d["properties"]["verdict"] == r.verdict
        assert run["properties"]["driver"] == report.driver
        assert run["properties"]["seed"] == report.seed
        assert run["properties"]["counts"] == dict(report.counts())
        assert run["invocations"] == [{"executionSuccessful": True}]


def test_sarif_results_are_the_failed_rules_with_their_findings(
        reports: list[CheckReport]) -> None:
    log = to_sarif(reports)
    for run, report in zip(log["runs"], reports, strict=True):
        rules = run["tool"]["driver"]["rules"]
        assert [res["ruleId"] for res in run["results"]] == [r.rule.id for r in report.failed]
        for res, r in zip(run["results"], report.failed, strict=True):
            f = r.finding
            assert f is not None
            assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
            assert res["level"] == "error" and res["kind"] == "fail"
            assert res["message"]["text"] == f.message
            (loc,) = res["locations"]
            assert loc["message"]["text"] == f.where
            (logical,) = loc["logicalLocations"]
            cached = run["logicalLocations"][logical["index"]]
            assert {k: v for k, v in logical.items() if k != "index"} == cached
            props = res["properties"]
            assert props["scenario"] == r.scenario and props["seed"] == report.seed
            assert props["state"] == dict(f.state) and props["picture"] == f.picture
            assert props["program"] == r.program
    runs = {run["properties"]["driver"]: run for run in log["runs"]}
    # The driver is the root of every logical location; the construct a finding names is
    # the callback that returned or the kernel function the driver called.
    for driver, rid, name, role in (
            (LEAKY, "mod.exit.buffers", "cleanup_module", "driver callback"),
            (DOUBLE_FREE, "skb.use.alive", "dev_kfree_skb",
             "kernel function called by the driver")):
        run = runs[driver]
        assert run["logicalLocations"][0] == {"name": driver, "fullyQualifiedName": driver,
                                              "kind": "module"}
        res = next(x for x in run["results"] if x["ruleId"] == rid)
        (logical,) = res["locations"][0]["logicalLocations"]
        assert logical["name"] == name and logical["kind"] == "function"
        assert logical["fullyQualifiedName"] == f"{driver}::{name}"
        assert logical["parentIndex"] == 0 and logical["properties"]["role"] == role
    picture = next(x for x in runs[DOUBLE_FREE]["results"]
                   if x["ruleId"] == "skb.use.alive")["properties"]["picture"]
    assert "headroom" in picture and "alive=False" in picture


def test_sarif_code_flow_is_the_replay_program(reports: list[CheckReport]) -> None:
    log = to_sarif(reports)
    flows = 0
    for run, report in zip(log["runs"], reports, strict=True):
        for res, r in zip(run["results"], report.failed, strict=True):
            (flow,) = res["codeFlows"]
            assert r.scenario in flow["message"]["text"]
            (thread,) = flow["threadFlows"]
            steps = [loc["location"]["message"]["text"] for loc in thread["locations"]]
            assert steps == [line.strip() for line in r.program.splitlines()
                             if line.strip().startswith("h.") and line.strip() != "h.close()"]
            assert steps == scenario_steps(r.program)
            assert [loc["executionOrder"] for loc in thread["locations"]] == list(
                range(1, len(steps) + 1))
            flows += 1
    assert flows >= 2
    leak = next(res for res in log["runs"][1]["results"]
                if res["ruleId"] == "mod.exit.buffers")
    assert [loc["location"]["message"]["text"]
            for loc in leak["codeFlows"][0]["threadFlows"][0]["locations"]] == [
        "h.insmod(i=0)", "h.up(i=0)", "h.xmit(count=3, i=0, pri=0)", "h.finish()"]


def test_sarif_unresolved_rules_are_notifications(reports: list[CheckReport]) -> None:
    rid = reports[0].rules[0].rule.id
    report = with_verdict(reports[0], rid, "UNRESOLVED")
    (run,) = to_sarif([report])["runs"]
    (invocation,) = run["invocations"]
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"] == f"{rid} could not be evaluated where it applied"
    rules = run["tool"]["driver"]["rules"]
    assert rules[note["associatedRule"]["index"]]["id"] == note["associatedRule"]["id"] == rid
    assert run["results"] == []


def test_a_result_points_at_the_drivers_source_when_it_can_be_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        sarif_validator: jsonschema.protocols.Validator) -> None:
    """GitHub code scanning wants a file per result: the driver module and its factory's
    line, relative to the current directory under %SRCROOT%."""
    (tmp_path / "sarif_located_driver.py").write_text(
        "from netdevspec.reference.drivers import dummy\n\n\n"
        "def FACTORY(handle, instance=0, **params):\n"
        "    model = dummy.FACTORY(handle, instance=instance, **params)\n"
        "    model.dummy_xmit = lambda skb, dev: 0\n"
        "    return model\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    report = check_driver(patched(dummy_xmit=leak), "sarif_located_driver:FACTORY",
                          examples=3)
    log = to_sarif([report])
    sarif_validator.validate(log)
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "sarif_located_driver.py",
                                         "uriBaseId": "%SRCROOT%"},
                   "region": {"startLine": 4}}
    # A module outside the current directory is named by its file URI; an unknown one
    # gets no physical location.
    src = driver_source("netdevspec.reference.drivers.dummy:FACTORY")
    assert src is not None and src["artifactLocation"]["uri"].startswith("file://")
    assert src["artifactLocation"]["uri"].endswith("/dummy.py")
    assert driver_source("no_such_module_xyz:FACTORY") is None
