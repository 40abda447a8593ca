"""``netdevspec check``: run a driver model through the harness and judge it rule by rule.

:func:`check_driver` runs the fixed scenarios of
:func:`~netdevspec.conformance.harness.fixed_scenarios`, then scenarios that Hypothesis
generates from a fixed seed. Each failure Hypothesis finds is shrunk to a minimal
scenario. The result is a :class:`CheckReport`: a verdict per rule, and for each broken
rule its first finding with the scenario that shows it, as a runnable program.

Verdicts:
- PASS: the rule was evaluated and always held.
- FAIL: a finding.
- NOT_APPLICABLE: the scenarios never exercised the rule.
- UNRESOLVED: the rule could not be evaluated where it applied.
- WAIVED: a FAIL the user accepts, with the reason they gave (``netdevspec check``'s
  waivers; see :mod:`netdevspec.config`).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings, target
from hypothesis import strategies as st
from netdevspec.conformance import explore
from netdevspec.conformance.boundary import DEFAULT_MEMORY_MB, DriverHost, DriverStartFailed
from netdevspec.conformance.harness import (
    Factory,
    Harness,
    Step,
    fixed_scenarios,
    run_scenario,
    scenario_program,
)
from netdevspec.conformance.model_rules import MODEL_RULES
from netdevspec.conformance.monitor import CALLS, Finding
from netdevspec.spec import SPEC
from netdevspec.spec.rules import Rule, RuleKind

from netdevspec.config import Selection, Waiver
from netdevspec.errors import UsageError

__all__ = [
    "CheckReport",
    "RuleResult",
    "check_driver",
    "declared_params",
    "load_factory",
    "parse_ref",
    "report_from_json",
    "report_schema",
    "rule_by_id",
    "scenarios",
    "select_and_waive",
    "shrink",
]

REPORT_VERSION = 1


def parse_ref(ref: str) -> tuple[str, str]:
    """``module:attr`` split in two; a usage error if ``ref`` is not of that form."""
    mod, sep, attr = ref.partition(":")
    if not sep or not mod or not attr:
        raise UsageError(f"the driver {ref!r} is not of the form MODULE:FACTORY",
                         "check needs the module to import and the factory in it",
                         "write e.g. netdevspec.reference.drivers.dummy:FACTORY")
    return mod, attr


def load_factory(ref: str) -> Factory:
    """The driver factory named ``module:attr`` (e.g. ``mydriver:FACTORY``), imported into
    this process (``netdevspec check`` never does this: the driver's process imports it)."""
    mod, attr = parse_ref(ref)
    try:
        module = importlib.import_module(mod)
    except ImportError as exc:
        raise UsageError(f"cannot import the driver module {mod!r}: {exc}",
                         "the module must be importable from the current directory or "
                         "sys.path", "run from the directory that holds it, or install it"
                         ) from exc
    try:
        factory = getattr(module, attr)
    except AttributeError:
        raise UsageError(f"the module {mod!r} has no attribute {attr!r}",
                         "FACTORY names the callable that builds the driver model",
                         f"check the name; the module defines: "
                         f"{', '.join(n for n in dir(module) if not n.startswith('_'))[:200]}"
                         ) from None
    if not callable(factory):
        raise UsageError(f"{ref} is not callable", "a driver factory is called as "
                         "FACTORY(handle, instance=n)", "point at the factory function")
    return factory  # type: ignore[no-any-return]


#: The most driver instances a check loads at once (insmod's declared bound).
MAX_INSTANCES = 4


def scenarios(max_steps: int = 20, instances: int = 2,
              params: Mapping[str, int] | None = None) -> st.SearchStrategy[list[Step]]:
    """Random scenarios: the stateful generator of :mod:`.explore` (the machine, up to
    ``instances`` driver instances loaded with parameters drawn from ``params``' names
    and the wiring, then actions enabled in the state reached, faults among them)."""
    return explore.scenarios(max_steps=max_steps, instances=instances, params=params)


def declared_params(factory: Factory | None, ref: str,
                    given: Mapping[str, int] | None = None) -> dict[str, int]:
    """The insmod parameters a driver takes, as far as the checker may know them without
    running untrusted code: those given (``--param``), and those the factory declares as
    ``FACTORY.PARAMS`` when the factory is in this process already or is one of the
    reference drivers netdevspec ships (which this process may import)."""
    from netdevspec.conformance.trace import TRUSTED_DRIVERS

    if factory is None and ref in TRUSTED_DRIVERS:
        factory = load_factory(ref)
    declared = getattr(factory, "PARAMS", None) if factory is not None else None
    out = dict(declared) if isinstance(declared, Mapping) else {}
    out.update(given or {})
    return {k: v for k, v in out.items() if isinstance(k, str) and isinstance(v, int)}


@dataclass
class RuleResult:
    """One rule's verdict, with its counts and first finding."""

    rule: Rule
    verdict: str
    evaluations: int
    failures: int
    finding: Finding | None = None
    scenario: str = ""
    program: str = ""
    #: The steps of the scenario shown (what ``program`` replays).
    steps: list[Step] = field(default_factory=list)
    #: Why the user accepts this rule's finding (verdict WAIVED); empty otherwise.
    waiver: str = ""
    #: For a NOT_APPLICABLE rule: that the driver never reached it, and what would.
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the report schema's ``rule``)."""
        return {"id": self.rule.id, "kind": self.rule.kind.value,
                "statement": self.rule.statement, "verdict": self.verdict,
                "evaluations": self.evaluations, "failures": self.failures,
                "citations": [str(c) for c in self.rule.citations],
                "finding": None if self.finding is None else self.finding.to_json(),
                "scenario": self.scenario, "program": self.program,
                **({"waiver": self.waiver} if self.waiver else {}),
                **({"reason": self.reason} if self.reason else {})}


@dataclass
class CheckReport:
    """The result of checking one driver."""

    driver: str
    seed: int
    examples: int
    rules: list[RuleResult] = field(default_factory=list)
    scenarios_run: int = 0
    #: True when the check was interrupted (Ctrl-C, SIGTERM): the verdicts cover only the
    #: scenarios run so far.
    incomplete: bool = False
    #: The driver's insmod parameters the check gave every instance.
    params: dict[str, int] = field(default_factory=dict)

    def counts(self) -> Counter[str]:
        """How many rules got each verdict."""
        return Counter(r.verdict for r in self.rules)

    def result(self, rule_id: str) -> RuleResult:
        """The result of rule ``rule_id`` (``report.result("skb.put.bounds").verdict``); a
        usage error with a suggestion for an ID the report does not hold."""
        for r in self.rules:
            if r.rule.id == rule_id:
                return r
        import difflib

        ids = [r.rule.id for r in self.rules]
        close = difflib.get_close_matches(rule_id, ids, 3)
        raise UsageError(f"the report of {self.driver} has no rule {rule_id!r}",
                         "it holds the rules the driver is judged by (and selected)",
                         f"did you mean {' or '.join(close)}?" if close else
                         "run `netdevspec rules` to list the IDs")

    @property
    def failed(self) -> list[RuleResult]:
        """The rules with findings."""
        return [r for r in self.rules if r.verdict == "FAIL"]

    def exit_code(self) -> int:
        """0 when nothing failed, 1 on a finding, 3 when only UNRESOLVED rules remain (a
        WAIVED finding does not count)."""
        c = self.counts()
        if c["FAIL"]:
            return 1
        return 3 if c["UNRESOLVED"] else 0

    def to_json(self) -> dict[str, Any]:
        """The versioned JSON report (schema: check-report.schema.json)."""
        return {"version": REPORT_VERSION, "driver": self.driver, "seed": self.seed,
                "examples": self.examples, "scenarios_run": self.scenarios_run,
                "counts": dict(sorted(self.counts().items())),
                "rules": [r.to_json() for r in self.rules],
                **({"params": dict(sorted(self.params.items()))} if self.params else {}),
                **({"incomplete": True} if self.incomplete else {})}


def shrink(steps: Sequence[Step], still_fails: Callable[[list[Step]], bool]) -> list[Step]:
    """A shortest-found sub-scenario of ``steps`` for which ``still_fails`` holds: steps
    are dropped one at a time, from the end, for as long as it does."""
    cur = list(steps)
    changed = True
    while changed:
        changed = False
        for i in range(len(cur) - 1, -1, -1):
            trial = cur[:i] + cur[i + 1:]
            if trial and still_fails(trial):
                cur = trial
                changed = True
    return cur


def report_schema() -> dict[str, Any]:
    """The JSON schema of ``netdevspec check --format json`` (shipped with the package)."""
    text = resources.files("netdevspec.conformance").joinpath(
        "check-report.schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def rule_by_id(rid: str) -> Rule:
    """A judged rule by its ID (spec rules and driver-model rules)."""
    hit = SPEC.rules.get(rid) or next((r for r in MODEL_RULES if r.id == rid), None)
    if hit is None:
        raise UsageError(f"unknown rule {rid!r} in a check report",
                         "the report was written by another version of netdevspec",
                         "check the driver again with this version")
    return hit


def report_from_json(d: dict[str, Any]) -> CheckReport:
    """A :class:`CheckReport` from its JSON form (what ``--isolate`` reads from the child
    process)."""
    rep = CheckReport(d["driver"], d["seed"], d["examples"], scenarios_run=d["scenarios_run"],
                      incomplete=bool(d.get("incomplete", False)),
                      params=dict(d.get("params", {})))
    for r in d["rules"]:
        f = r["finding"]
        finding = None if f is None else Finding(
            f["rule"], f["statement"], tuple(f["citations"]), f["message"], f["event"],
            f["where"], f["module"], tuple(f["state"].items()), f["picture"],
            f.get("location", ""))
        rep.rules.append(RuleResult(rule_by_id(r["id"]), r["verdict"], r["evaluations"],
                                    r["failures"], finding, r["scenario"], r["program"],
                                    waiver=r.get("waiver", ""),
                                    reason=r.get("reason", "")))
    return rep


def select_and_waive(report: CheckReport, chosen: Selection | None,
                     waivers: Sequence[Waiver]) -> tuple[CheckReport, list[Waiver]]:
    """``report`` with only the rules ``chosen`` selects, and each FAIL a waiver covers
    reported WAIVED with the waiver's reason (never PASS); and the waivers that waived
    nothing (their rule did not fail), for a note to the user."""
    used: set[Waiver] = set()
    rules = []
    for r in report.rules:
        if chosen is not None and not chosen.wants(r.rule.id):
            continue
        w = next((w for w in waivers if w.covers(report.driver, r.rule.id)), None)
        if w is not None and r.verdict == "FAIL":
            used.add(w)
            r = dataclasses.replace(r, verdict="WAIVED", waiver=w.reason)
        rules.append(r)
    out = dataclasses.replace(report, rules=rules)
    return out, [w for w in waivers if w not in used
                 and (w.driver is None or w.driver == report.driver)]


def judged_rules() -> list[Rule]:
    """The rules a driver is judged by: invariants, caller obligations, end-of-life duties
    and the driver-model rules (kernel guarantees are the kernel's business)."""
    spec = [r for r in SPEC.rules.values()
            if r.kind in (RuleKind.INVARIANT, RuleKind.OBLIGATION, RuleKind.DUTY)]
    return [*spec, *MODEL_RULES]


#: After this many scenarios ended by a hang or a dead driver process, no more random
#: scenarios run: the driver has failed its drv.* rule, and each further scenario would
#: cost a time limit. (Counting, not timing, keeps the report the same run to run.)
_HANGS = 3
#: Rules whose fixed scenario is shown as it is, not shrunk.
_NOT_SHRUNK = frozenset({"drv.callback.time", "drv.resources"})


class _Stop(Exception):
    """No more random scenarios (see :data:`_HANGS`)."""


class _Found(Exception):
    def __init__(self, rules: set[str]) -> None:
        super().__init__(sorted(rules))
        self.rules = rules


def check_driver(factory: Factory | None, ref: str, *, examples: int = 200, seed_: int = 0,
                 time_limit: float = 2.0, memory_mb: int = DEFAULT_MEMORY_MB,
                 params: dict[str, int] | None = None, instances: int = 2,
                 progress: Callable[[str], None] | None = None) -> CheckReport:
    """Check the driver built by ``factory`` (named ``ref``; with ``factory`` None, the
    driver's own process imports ``ref``) and report per rule.

    Every driver instance runs in a process of its own (:mod:`.boundary`): ``time_limit``
    bounds each callback, ``memory_mb`` each process's address space. ``params`` are the
    driver's insmod parameters (ints, as ``insmod drv io=0x300``), given to every instance;
    generated scenarios load up to ``instances`` instances at once.
    """
    params = dict(params or {})
    for name, value in params.items():
        if not (isinstance(name, str) and name.isidentifier()) or isinstance(value, bool) \
                or not isinstance(value, int) or not -(2**63) <= value < 2**63:
            raise UsageError(f"the insmod parameter {name!r}={value!r} is not a name and a "
                             "64-bit int", "a 2.0 module parameter is an int symbol",
                             "pass e.g. --param io=0x300")
    if isinstance(instances, bool) or not isinstance(instances, int) or \
            not 1 <= instances <= MAX_INSTANCES:
        raise UsageError(f"the number of instances must be 1 to {MAX_INSTANCES}, got "
                         f"{instances!r}", "a scenario loads at most that many copies",
                         f"pass --instances between 1 and {MAX_INSTANCES}")
    host = DriverHost(factory, ref, time_limit=time_limit, memory_mb=memory_mb)
    with tempfile.TemporaryDirectory(prefix="netdevspec-") as scratch, _hypothesis_home(scratch):
        try:
            try:
                host.start()
            except DriverStartFailed as exc:
                return _start_failed(ref, seed_, examples, exc)
            return _check(factory, ref, host, examples, seed_, time_limit, progress, params,
                          instances, declared_params(factory, ref, params))
        finally:
            host.close()


@contextmanager
def _hypothesis_home(path: str) -> Iterator[None]:
    """Hypothesis keeps notes in ``.hypothesis/`` of the working directory even with no
    example database; a check must leave nothing in the user's directory, so they go to
    ``path`` for the duration."""
    from hypothesis import configuration

    old = getattr(configuration, "__hypothesis_home_directory", None)
    configuration.set_hypothesis_home_dir(path)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(old)


def _start_failed(ref: str, seed_: int, examples: int, exc: DriverStartFailed) -> CheckReport:
    """The report of a driver whose module could not even be loaded."""
    report = CheckReport(ref, seed_, examples)
    for rule in judged_rules():
        if rule.id == exc.rule:
            f = Finding(rule.id, rule.statement, tuple(str(c) for c in rule.citations),
                        exc.message, 0, f"import of {ref.partition(':')[0]}", None)
            report.rules.append(RuleResult(rule, "FAIL", 1, 1, f, "loading the driver"))
        else:
            report.rules.append(RuleResult(rule, "NOT_APPLICABLE", 0, 0))
    return report


def _check(factory: Factory | None, ref: str, host: DriverHost, examples: int, seed_: int,
           time_limit: float, progress: Callable[[str], None] | None,
           params: dict[str, int], instances: int, declared: dict[str, int]) -> CheckReport:
    report = CheckReport(ref, seed_, examples, params=params)
    evaluations: Counter[str] = Counter()
    unresolved: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    first: dict[str, tuple[Finding, str, Sequence[Step]]] = {}

    hangs = [0]
    probes = [0]
    stopped = [False]

    def run(steps: Sequence[Step]) -> Harness:
        h = run_scenario(factory, steps, spec_ref=ref, time_limit=time_limit, host=host,
                         params=params)
        if h.aborted is not None:
            hangs[0] += 1
        return h

    def finding(steps: Sequence[Step], rid: str) -> Finding | None:
        return next((f for f in run(steps).monitor.findings if f.rule == rid), None)

    def absorb(name: str, steps: Sequence[Step]) -> set[str]:
        h = run(steps)
        report.scenarios_run += 1
        evaluations.update(h.monitor.exercised)
        unresolved.update(h.monitor.unresolved)
        seen = set()
        for f in h.monitor.findings:
            failures[f.rule] += 1
            seen.add(f.rule)
            first.setdefault(f.rule, (f, name, list(steps)))
        return seen

    judged = len(judged_rules())

    def tell(what: str) -> None:
        if progress is not None:
            progress(f"{what}; {report.scenarios_run + probes[0]} scenarios run, "
                     f"{len(evaluations)} of {judged} rules reached")

    try:
        for name, steps in fixed_scenarios().items():
            tell(f"fixed scenario {name}")
            for rid in absorb(name, steps):
                # Show the shortest part of the fixed scenario that still breaks the rule
                # (not for a time or memory limit: each trial would cost the whole limit).
                if first[rid][1] == name and rid not in _NOT_SHRUNK:
                    def fails(t: list[Step], rid: str = rid) -> bool:
                        return finding(t, rid) is not None

                    short = shrink(steps, fails)
                    if len(short) < len(steps):
                        first[rid] = (finding(short, rid) or first[rid][0], f"{name} (shrunk)",
                                      short)

        # Random scenarios: each failure with a rule not seen yet is shrunk by Hypothesis.
        known = set(first)
        # Generation is steered towards the rules the fixed scenarios left unexercised:
        # a run scores one per such rule it evaluates (hypothesis.target).
        unreached = {r.id for r in judged_rules()} - set(evaluations)

        def one_round(r: int) -> tuple[set[str], list[Step]] | None:
            found: list[tuple[set[str], list[Step]]] = []

            @seed(seed_ + r)
            @settings(max_examples=examples, deadline=None, database=None,
                      phases=(Phase.generate, Phase.target, Phase.shrink),
                      report_multiple_bugs=False,
                      suppress_health_check=list(HealthCheck))
            @given(scenarios(instances=instances, params=declared))
            def probe(steps: list[Step]) -> None:
                if hangs[0] >= _HANGS:
                    raise _Stop
                probes[0] += 1
                if probes[0] % 10 == 0:
                    tell(f"random scenarios, round {r + 1} ({examples} per round)")
                h = run(steps)
                evaluations.update(h.monitor.exercised)
                target(float(len(unreached & set(h.monitor.exercised))),
                       label="rules the fixed scenarios left unexercised")
                failures.update(f.rule for f in h.monitor.findings if f.rule in known)
                new = {f.rule for f in h.monitor.findings} - known
                if new:
                    found.append((new, steps))
                    raise _Found(new)

            try:
                probe()
            except _Found:
                return found[-1]  # Hypothesis replays the shrunk example last
            except _Stop:
                stopped[0] = True
                return None
            return None

        for r in range(8 if examples > 0 else 0):
            if hangs[0] >= _HANGS:
                break
            tell(f"random scenarios, round {r + 1} ({examples} per round)")
            got = one_round(r)
            if got is None:
                break
            new, steps = got
            for rid in new:
                first.pop(rid, None)
            known |= absorb("generated (shrunk by Hypothesis)", steps)
            # Hypothesis shrinks what it drew, but a stateful run keeps steps that only
            # set the state up: drop each step that the finding does not need.
            for rid in sorted(new):
                hit = first.get(rid)
                if hit is None or hit[1] != "generated (shrunk by Hypothesis)" \
                        or rid in _NOT_SHRUNK:
                    continue

                def needs(t: list[Step], rid: str = rid) -> bool:
                    return finding(t, rid) is not None

                short = shrink(hit[2], needs)
                if len(short) < len(hit[2]):
                    first[rid] = (finding(short, rid) or hit[0], "generated (shrunk)", short)
        # The planned random scenarios, or those that ran before a hanging driver stopped
        # them.
        report.scenarios_run += probes[0] if stopped[0] or hangs[0] >= _HANGS else examples
    except KeyboardInterrupt:
        report.scenarios_run += probes[0]
        # Ctrl-C or SIGTERM: the verdicts below cover what ran; the report says so.
        report.incomplete = True

    checked = explore.where_checked()
    driver_calls = frozenset(op for op, _ in CALLS.values())
    for rule in judged_rules():
        n, bad = evaluations[rule.id], failures[rule.id]
        verdict = ("FAIL" if bad else "PASS" if n else
                   "UNRESOLVED" if unresolved[rule.id] else "NOT_APPLICABLE")
        hit = first.get(rule.id)
        result = RuleResult(rule, verdict, n, bad, reason=explore.never_reached(
            rule, driver_calls, checked) if verdict == "NOT_APPLICABLE" else "")
        if hit is not None:
            f, name, shown = hit
            result.finding, result.scenario = f, name
            result.program = scenario_program(ref, shown, seed_, params)
            result.steps = list(shown)
        report.rules.append(result)
    return report
