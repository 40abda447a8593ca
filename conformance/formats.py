"""``netdevspec check`` reports as JUnit XML and as SARIF 2.1.0, for CI systems.

Both take the :class:`~netdevspec.conformance.check.CheckReport` objects of one check
(one per driver) and depend on nothing outside the standard library. Their output is a
function of the reports alone (no clock, host name or path), so the same reports always
give the same text.

JUnit XML (:func:`to_junit`): a ``<testsuites>`` root with one ``<testsuite>`` per driver
and one ``<testcase classname="DRIVER" name="RULE-ID">`` per judged rule. A FAIL is a
``<failure>`` whose text holds the finding (where, state, buffer picture, citations) and
the program that replays it; NOT_APPLICABLE is ``<skipped>``; UNRESOLVED is ``<error>``.
The element order follows the usual (Jenkins/Ant) schema; ``time`` is 0 because the
check does not time rules, and ``timestamp``/``hostname`` are left out.

SARIF (:func:`to_sarif`): one run per driver. Every judged rule is a reporting
descriptor; every FAIL is a result at a logical location (the driver, and the callback
or kernel function the finding names), with the shrunk scenario as a code flow whose
steps are the harness calls of the replay program. UNRESOLVED rules are tool execution
notifications. Results carry no physical location: a finding is about the driver
model's behaviour, not a line of its source.
"""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from netdevspec.conformance.check import CheckReport, RuleResult

from netdevspec import __version__

__all__ = ["SARIF_SCHEMA_URI", "SARIF_VERSION", "TOOL_NAME", "driver_source", "scenario_steps",
           "to_junit", "to_sarif", "to_text"]

#: The ``$schema`` of the SARIF logs :func:`to_sarif` writes.
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: The SARIF version written.
SARIF_VERSION = "2.1.0"
#: The tool's name in both formats.
TOOL_NAME = "netdevspec"

_SKIPPED = "never exercised by the scenarios"
_UNRESOLVED = "could not be evaluated"

# Characters XML 1.0 cannot hold (not even as character references).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Where a finding was made (Finding.where): the return from a driver callback, or a
# kernel function the driver called.
_CALLBACK = re.compile(r"return from (?P<name>[A-Za-z_][\w ]*?)(?= of |\s*'|\s*\(|$)")
_CALL = re.compile(r"(?P<name>[A-Za-z_]\w*)\(")


def to_text(report: CheckReport, location: Callable[[str], str] = str) -> str:
    """The text report of ``netdevspec check`` (its default format) for one driver, as
    :func:`~netdevspec.conformance.render.render_text` writes it.

    ``location`` rewrites each finding's ``file:line`` (the documentation shows paths
    relative to the checkout, so its pages do not depend on where it is)."""
    from netdevspec.conformance.render import render_text

    return render_text(report, location=location)


def scenario_steps(program: str) -> list[str]:
    """The harness calls of a replay program (``RuleResult.program``), in order: its
    ``h.`` lines, e.g. ``h.xmit(count=3, i=0, pri=0)``, ending with ``h.finish()``."""
    steps = [line.strip() for line in program.splitlines() if line.strip().startswith("h.")]
    return [s for s in steps if s != "h.close()"]


def _xml(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold written as ``\\xNN`` escapes."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _construct(where: str) -> tuple[str, str] | None:
    """The callback or kernel function a finding's ``where`` names, and which it is."""
    m = _CALLBACK.match(where)
    if m is not None:
        return m.group("name"), "driver callback"
    m = _CALL.match(where)
    if m is not None:
        return m.group("name"), "kernel function called by the driver"
    return None


_OUTCOMES = {"PASS": "passed", "FAIL": "failure", "NOT_APPLICABLE": "skipped",
             "UNRESOLVED": "error", "WAIVED": "skipped"}


def _outcome(verdict: str) -> str:
    """The JUnit outcome of a verdict: passed, failure, skipped or error (an unknown
    verdict is an error too)."""
    return _OUTCOMES.get(verdict, "error")


# -- JUnit XML ---------------------------------------------------------------------------------

def to_junit(reports: Sequence[CheckReport]) -> str:
    """The reports as a JUnit XML document (a ``<testsuites>`` root, one ``<testsuite>``
    per report, one ``<testcase>`` per judged rule), with its XML declaration and a final
    newline. Encode it as UTF-8 when writing it out."""
    suites = [_junit_suite(report) for report in reports]
    total: Counter[str] = Counter()
    for suite in suites:
        for key in ("tests", "failures", "errors", "skipped"):
            total[key] += int(suite.get(key, "0"))
    root = ET.Element("testsuites", {"name": f"{TOOL_NAME} check", "tests": str(total["tests"]),
                                     "failures": str(total["failures"]),
                                     "errors": str(total["errors"]),
                                     "skipped": str(total["skipped"]), "time": "0"})
    root.extend(suites)
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")


def _junit_suite(report: CheckReport) -> ET.Element:
    outcomes = Counter(_outcome(r.verdict) for r in report.rules)
    suite = ET.Element("testsuite", {"name": _xml(report.driver),
                                     "tests": str(len(report.rules)),
                                     "failures": str(outcomes["failure"]),
                                     "errors": str(outcomes["error"]),
                                     "skipped": str(outcomes["skipped"]), "time": "0"})
    props = ET.SubElement(suite, "properties")
    for name, value in ((f"{TOOL_NAME}.version", __version__), ("seed", report.seed),
                        ("examples", report.examples),
                        ("scenarios_run", report.scenarios_run)):
        ET.SubElement(props, "property", {"name": name, "value": str(value)})
    for r in report.rules:
        case = ET.SubElement(suite, "testcase", {"classname": _xml(report.driver),
                                                 "name": _xml(r.rule.id), "time": "0"})
        outcome = _outcome(r.verdict)
        if outcome == "failure":
            message = r.finding.message if r.finding is not None else r.rule.statement
            ET.SubElement(case, "failure", {"message": _xml(message),
                                            "type": _xml(r.rule.kind.value)}
                          ).text = _xml(_failure_text(report, r))
        elif outcome == "skipped":
            ET.SubElement(case, "skipped", {"message": _xml(f"waived: {r.waiver}")
                                            if r.verdict == "WAIVED" else _SKIPPED})
        elif outcome == "error":
            message = _UNRESOLVED if r.verdict == "UNRESOLVED" else (
                f"unknown verdict {r.verdict!r}")
            ET.SubElement(case, "error", {"message": _xml(message), "type": _xml(r.verdict)})
        ET.SubElement(case, "system-out").text = _xml(_summary(r))
    return suite


def _summary(r: RuleResult) -> str:
    """What every testcase says in its system-out: the rule, the verdict and the counts."""
    return (f"{r.rule.id} ({r.rule.kind.value}): {r.rule.statement}\n"
            f"verdict: {r.verdict}; evaluated {r.evaluations} time(s), "
            f"{r.failures} finding(s)\n"
            f"cites: {'; '.join(str(c) for c in r.rule.citations)}\n")


def _failure_text(report: CheckReport, r: RuleResult) -> str:
    """A failure's text: the finding, the rule it breaks and the program that replays it."""
    lines = [f"{r.rule.id} ({r.rule.kind.value}): {r.rule.statement}"]
    f = r.finding
    if f is None:
        lines.append(f"found:    {r.failures} finding(s), none recorded in detail")
    else:
        lines.append(f"found:    {f.message}")
        lines.append(f"at:       {f.where} (event {f.event}, module {f.module})")
        if f.state:
            lines.append("state:")
            lines += [f"  {k} = {v}" for k, v in f.state]
        if f.picture:
            lines.append(f"buffer:   {f.picture}")
    lines.append("cites:")
    lines += [f"  {c}" for c in r.rule.citations]
    lines.append(f"findings: {r.failures} in {r.evaluations} evaluation(s)")
    if r.program:
        lines.append(f"scenario: {r.scenario} (seed {report.seed}); "
                     "replay it with this program:")
        lines += ["", r.program.rstrip("\n")]
    return "\n".join(lines) + "\n"


# -- SARIF 2.1.0 -------------------------------------------------------------------------------

def to_sarif(reports: Sequence[CheckReport]) -> dict[str, Any]:
    """The reports as a SARIF 2.1.0 log (a JSON-ready dict): one run per report. Write it
    with ``json.dump``."""
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION,
            "runs": [_sarif_run(report) for report in reports]}


class _LogicalLocations:
    """A run's ``logicalLocations``: the driver first, then each construct once."""

    def __init__(self, driver: str) -> None:
        self.driver = driver
        self.items: list[dict[str, Any]] = [
            {"name": driver, "fullyQualifiedName": driver, "kind": "module"}]
        self._index: dict[str, int] = {driver: 0}

    def of(self, where: str) -> dict[str, Any]:
        """The logical location of a finding made at ``where`` (a reference into the run's
        array that repeats the cached object's properties)."""
        found = _construct(where)
        if found is None:
            return {"index": 0, **self.items[0]}
        name, role = found
        fqn = f"{self.driver}::{name}"
        if fqn not in self._index:
            self._index[fqn] = len(self.items)
            self.items.append({"name": name, "fullyQualifiedName": fqn, "kind": "function",
                               "parentIndex": 0, "properties": {"role": role}})
        i = self._index[fqn]
        return {"index": i, **self.items[i]}


def driver_source(ref: str) -> dict[str, Any] | None:
    """A SARIF physical location for the driver ``MODULE:FACTORY``: the module's file
    (relative to the current directory, under ``%SRCROOT%``, when it lies below it) and
    the line that defines the factory (for a C driver's ``.c`` file, its init_module).
    None when the module cannot be found. The module
    is located, not imported (``--isolate`` keeps driver code out of this process)."""
    mod, _, attr = ref.partition(":")
    if ref.endswith(".c") and Path(ref).is_file():  # a C driver: its init_module
        path = Path(ref).resolve()
        pattern = re.compile(r"^\s*int\s+init_module\s*\(")
    else:
        try:
            spec = importlib.util.find_spec(mod)
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            return None
        path = Path(spec.origin).resolve()
        pattern = re.compile(rf"^\s*(def\s+{re.escape(attr)}\b|{re.escape(attr)}\s*[:=])")
    line = 1
    try:
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.match(text):
                line = n
                break
    except OSError:
        return None
    try:
        artifact = {"uri": path.relative_to(Path.cwd().resolve()).as_posix(),
                    "uriBaseId": "%SRCROOT%"}
    except ValueError:
        artifact = {"uri": path.as_uri()}
    return {"artifactLocation": artifact, "region": {"startLine": line}}


def _finding_source(location: str) -> dict[str, Any] | None:
    """A SARIF physical location for a finding's ``file:line``; None if it has none."""
    path, sep, line = location.rpartition(":")
    if not sep or not path or not line.isdigit():
        return None
    p = Path(path)
    if not p.is_absolute():
        return {"artifactLocation": {"uri": p.as_posix(), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": int(line)}}
    try:
        artifact = {"uri": p.resolve().relative_to(Path.cwd().resolve()).as_posix(),
                    "uriBaseId": "%SRCROOT%"}
    except ValueError:
        artifact = {"uri": p.as_uri()}
    return {"artifactLocation": artifact, "region": {"startLine": int(line)}}


def _sarif_run(report: CheckReport) -> dict[str, Any]:
    index = {r.rule.id: i for i, r in enumerate(report.rules)}
    logical = _LogicalLocations(report.driver)
    source = driver_source(report.driver)
    # A waived finding stays a result, suppressed with the user's reason (SARIF 3.35).
    failed = [r for r in report.rules if r.verdict in ("FAIL", "WAIVED")]
    results = [_sarif_result(report, r, index[r.rule.id], logical) for r in failed]
    for res, r in zip(results, failed, strict=True):
        # GitHub code scanning needs a file for each result: the driver's line that made
        # the offending call, else the factory's.
        here = _finding_source(r.finding.location if r.finding is not None else "")
        for loc in res["locations"]:
            if here is not None or source is not None:
                loc["physicalLocation"] = here if here is not None else source
    notes = [{"level": "warning",
              "message": {"text": f"{r.rule.id} {_UNRESOLVED} where it applied"
                          if r.verdict == "UNRESOLVED" else
                          f"{r.rule.id} has an unknown verdict {r.verdict!r}"},
              "associatedRule": {"id": r.rule.id, "index": index[r.rule.id]}}
             for r in report.rules if _outcome(r.verdict) == "error"]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return {
        "tool": {"driver": {"name": TOOL_NAME, "version": __version__,
                            "rules": [_descriptor(r) for r in report.rules]}},
        "automationDetails": {"id": f"{TOOL_NAME} check/{report.driver}/"},
        "invocations": [invocation],
        "logicalLocations": logical.items,
        "results": results,
        "properties": {"driver": report.driver, "seed": report.seed,
                       "examples": report.examples, "scenariosRun": report.scenarios_run,
                       "counts": dict(sorted(report.counts().items()))},
    }


def _descriptor(r: RuleResult) -> dict[str, Any]:
    """A judged rule as a SARIF reporting descriptor."""
    cites = [str(c) for c in r.rule.citations]
    return {"id": r.rule.id,
            "shortDescription": {"text": r.rule.statement},
            "fullDescription": {"text": f"{r.rule.statement} (cites: {'; '.join(cites)})"},
            "defaultConfiguration": {"level": "error"},
            "properties": {"kind": r.rule.kind.value, "citations": cites,
                           "verdict": r.verdict, "evaluations": r.evaluations,
                           "failures": r.failures,
                           "tags": [TOOL_NAME, r.rule.kind.value]}}


def _sarif_result(report: CheckReport, r: RuleResult, rule_index: int,
                  logical: _LogicalLocations) -> dict[str, Any]:
    """A FAIL rule as a SARIF result, with the scenario that shows it as a code flow."""
    f = r.finding
    props: dict[str, Any] = {"scenario": r.scenario, "seed": report.seed,
                             "findings": r.failures, "evaluations": r.evaluations}
    if f is None:
        text = f"{r.rule.id} was broken {r.failures} time(s): {r.rule.statement}"
        location: dict[str, Any] = {"logicalLocations": [logical.of("")]}
    else:
        text = f.message
        location = {"message": {"text": f.where}, "logicalLocations": [logical.of(f.where)]}
        props.update({"where": f.where, "module": f.module, "event": f.event,
                      "state": dict(f.state), "picture": f.picture})
    props["program"] = r.program
    result: dict[str, Any] = {"ruleId": r.rule.id, "ruleIndex": rule_index, "kind": "fail",
                              "level": "error", "message": {"text": text},
                              "locations": [location]}
    steps = scenario_steps(r.program)
    if steps:
        result["codeFlows"] = [{
            "message": {"text": f"scenario: {r.scenario} (seed {report.seed})"},
            "threadFlows": [{"locations": [
                {"location": {"message": {"text": s}}, "executionOrder": n}
                for n, s in enumerate(steps, start=1)]}]}]
    if r.verdict == "WAIVED":
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": r.waiver}]
    result["properties"] = props
    return result
