"""The text of a check report: one renderer for ``netdevspec check`` and the pytest plugin.

Failures are shown cause first. Each failing rule's first finding comes with the scenario
that shows it; rules whose scenarios are the same program are shown together, ordered by
the event at which each was found, and the later ones say that they came after the
earlier (a leak found at rmmod after a frame was lost at transmit is one story, not two).
At one event, a rule about what the driver did comes before an invariant the act left
broken. The replay program is printed once per scenario, not once per rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from netdevspec.spec.rules import RuleKind

if TYPE_CHECKING:
    from netdevspec.conformance.check import CheckReport, RuleResult
    from netdevspec.conformance.monitor import Finding

__all__ = ["Paint", "failure_blocks", "render_text", "summary_counts"]

#: Colours a word of the report (a verdict, a source location); the identity by default.
Paint = Callable[..., str]

#: Longest ``at:`` text shown (a call's arguments can include a whole frame's bytes).
MAX_WHERE = 200


def _plain(text: str, key: str | None = None) -> str:
    return text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def summary_counts(report: CheckReport, paint: Paint = _plain) -> str:
    """``103 rules: 60 PASS, 2 FAIL, ...`` (WAIVED only when there is one)."""
    c = report.counts()
    waived = f", {c['WAIVED']} {paint('WAIVED')}" if c["WAIVED"] else ""
    return (f"{len(report.rules)} rules: {c['PASS']} {paint('PASS')}, {c['FAIL']} "
            f"{paint('FAIL')}{waived}, {c['NOT_APPLICABLE']} NOT_APPLICABLE, "
            f"{c['UNRESOLVED']} {paint('UNRESOLVED')}")


def _groups(failed: list[RuleResult]) -> list[list[RuleResult]]:
    """The failing rules grouped by the scenario program that shows them, each group in
    event order, the groups in the order of their first rule."""
    groups: dict[str, list[RuleResult]] = {}
    for r in failed:
        groups.setdefault(r.program or f"\0{r.rule.id}", []).append(r)
    # At one event, a rule about what the driver did comes before an invariant: the
    # broken state is the consequence of the bad act.
    return [sorted(g, key=lambda r: (r.finding.event if r.finding is not None else 0,
                                     r.rule.kind is RuleKind.INVARIANT, r.rule.id))
            for g in groups.values()]


def _what_is_there(f: Finding) -> str:
    """What a finding's source line is: the call that broke the rule, the line that
    raised, or the function whose return broke it."""
    if f.where.startswith("write to the fields of"):
        return "the driver's write"
    if f.where.startswith("return from"):
        return "where it raised" if f.rule == "drv.callback.raised" else \
            "the driver's function"
    return "the driver's call"


def failure_blocks(report: CheckReport, paint: Paint = _plain,
                   location: Callable[[str], str] = str) -> list[str]:
    """The lines that show every FAIL rule, cause first (see the module docstring)."""
    lines: list[str] = []
    for group in _groups(report.failed):
        first = group[0]
        for n, r in enumerate(group):
            f = r.finding
            lines.append("")
            lines.append(f"{paint('FAIL')} {r.rule.id} ({r.failures} finding(s))")
            if n and f is not None and first.finding is not None:
                lines.append(f"  after:     {first.rule.id} at event {first.finding.event} "
                             "of the same scenario (it may be a consequence)")
            lines.append(f"  rule:      {r.rule.statement}")
            lines.append(f"  cites:     {'; '.join(str(x) for x in r.rule.citations)}")
            if f is None:  # interrupted before its finding was kept
                continue
            lines.append(f"  found:     {f.message}")
            lines.append(f"  at:        {_clip(f.where, MAX_WHERE)} (event {f.event}, "
                         f"module {f.module})")
            if f.location:  # as mypy and ruff print it, so editors and terminals link it
                lines.append(f"  source:    {paint(location(f.location), 'source')}: "
                             f"{_what_is_there(f)}")
            if f.state:
                lines.append("  state:     " + ", ".join(f"{k}={v}" for k, v in f.state))
            if f.picture:
                lines.append(f"  buffer:    {f.picture}")
        if first.program:
            rules = ", ".join(r.rule.id for r in group)
            lines.append(f"  scenario:  {first.scenario} (shows {rules}); replay it with "
                         "this program:")
            lines += [f"    {line}".rstrip() for line in first.program.splitlines()]
    return lines


def render_text(report: CheckReport, *, verbosity: int = 0, paint: Paint = _plain,
                location: Callable[[str], str] = str) -> str:
    """The text report of one driver: a summary line; unless quiet (``verbosity`` < 0),
    the WAIVED and UNRESOLVED rules (verbose: the PASS ones too), every failure, cause
    first, and each NOT_APPLICABLE rule with why the driver never reached it.
    ``location`` rewrites each finding's ``file:line`` (the docs show it relative to the
    checkout)."""
    lines = [f"{report.driver}: {summary_counts(report, paint)} ({report.scenarios_run} "
             f"scenarios, seed {report.seed})"]
    if report.incomplete:
        lines.append(f"{paint('INCOMPLETE')}: the check was interrupted; the verdicts cover "
                     "the scenarios run so far")
    if verbosity >= 0:
        for r in report.rules:
            if r.verdict == "WAIVED":
                lines.append(f"{paint('WAIVED')} {r.rule.id} ({r.failures} finding(s)): "
                             f"{r.waiver}")
            elif r.verdict == "UNRESOLVED" or (verbosity > 0 and r.verdict == "PASS"):
                lines.append(f"{paint(r.verdict)} {r.rule.id} ({r.evaluations} "
                             "evaluation(s))")
        lines += failure_blocks(report, paint, location)
        skipped = [r for r in report.rules if r.verdict == "NOT_APPLICABLE"]
        if skipped:
            lines += ["", f"{paint('NOT_APPLICABLE')}: the driver never reached these rules"]
            lines += [f"  {r.rule.id}: {r.reason.removeprefix('never reached: ')}"
                      for r in skipped]
    return "\n".join(lines) + "\n\n"
