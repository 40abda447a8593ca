"""What the documentation shows from real runs: proof verdicts and conformance verdicts.

The documentation build (:mod:`netdevspec.sphinxext`) runs the prover over every
obligation and checks the reference drivers, then shows each obligation's verdict and
time and each rule's verdict on each driver in the rule entries. Both are read from the
versioned JSON reports the commands write (``netdevspec prove --format json``,
``netdevspec check --format json``), so what the pages say is what a user running those
commands sees. Nothing here decides a verdict: it only runs the prover and the checker
and reads their reports.

Everything but the times is deterministic: the prover's seed and resource limits and
the checker's seed are fixed, so two builds write the same pages apart from the times
(each written by :func:`seconds`, so a reader and a test can tell them apart).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BUNDLED_DRIVERS", "CHECK_SEED", "BugReport", "ConformanceRun", "ProofResult",
           "ProofRun", "check_bugs", "check_reference_drivers", "conformance_run",
           "proof_run", "prove_everything", "repo_relative", "seconds"]

#: The reference drivers whose verdicts the rule entries show: short name -> factory.
BUNDLED_DRIVERS: dict[str, str] = {
    "dummy": "netdevspec.reference.drivers.dummy:FACTORY",
    "loopback": "netdevspec.reference.drivers.loopback:FACTORY",
    "skeleton": "netdevspec.reference.drivers.skeleton:FACTORY",
}

#: The seed of the documentation's check runs (``netdevspec check``'s default).
CHECK_SEED = 0


def seconds(t: float) -> str:
    """A time as the pages write it (``0.012 s``): the one part of a page that varies."""
    return f"{t:.3f} s"


@dataclass(frozen=True)
class ProofResult:
    """One obligation's verdict, how it was reached and how long it took."""

    id: str
    kind: str
    case: str | None
    verdict: str
    method: str | None
    seconds: float
    detail: str | None = None


@dataclass(frozen=True)
class ProofRun:
    """A prover run, read from its JSON report (``netdevspec prove --format json``)."""

    z3_version: str
    seed: int
    timeout_ms: int
    wall_seconds: float
    results: Mapping[str, ProofResult] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """How many obligations got each verdict (every verdict present, in order)."""
        out = {v: 0 for v in ("PROVED", "REFUTED", "UNKNOWN", "VACUOUS")}
        for r in self.results.values():
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out

    @property
    def not_proved(self) -> list[ProofResult]:
        """The obligations that are not PROVED (z3 unknown or a timeout included)."""
        return [r for r in self.results.values() if r.verdict != "PROVED"]


def proof_run(report: Mapping[str, Any]) -> ProofRun:
    """A :class:`ProofRun` from a prover JSON report, checked against the report's schema.

    Raises :class:`~netdevspec.errors.UsageError` when ``report`` is not such a report.
    """
    _validate(report, "prove")
    results = {r["id"]: ProofResult(r["id"], r["kind"], r["case"], r["verdict"], r["method"],
                                    float(r["seconds"]), r["detail"])
               for r in report["results"]}
    return ProofRun(report["z3_version"], report["seed"], report["timeout_ms"],
                    float(report["wall_seconds"]), results)


def prove_everything(jobs: int = 2) -> dict[str, Any]:
    """Prove every obligation of the bundled spec (as ``netdevspec prove`` does, fixed seed
    0 and its default limits); returns the JSON report."""
    from netdevspec.model import Prover
    from netdevspec.spec import SPEC, SPEC_REF

    prover = Prover(SPEC)
    report: dict[str, Any] = prover.run(prover.plan(), jobs=jobs, spec_ref=SPEC_REF).to_json()
    return report


@dataclass(frozen=True)
class ConformanceRun:
    """Per reference driver, each judged rule's verdict (from ``netdevspec check``)."""

    seed: int
    examples: int
    #: driver short name -> rule ID -> verdict
    verdicts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def of(self, rule_id: str) -> dict[str, str]:
        """The verdict each driver got for one rule (drivers the rule is not judged on are
        left out)."""
        return {d: v[rule_id] for d, v in self.verdicts.items() if rule_id in v}


def conformance_run(document: Mapping[str, Any]) -> ConformanceRun:
    """A :class:`ConformanceRun` from what ``netdevspec check --format json`` writes (one
    report per driver), checked against the check report's schema. A bundled reference
    driver is named by its short name (``dummy``), any other by its ``MODULE:FACTORY``.

    Raises :class:`~netdevspec.errors.UsageError` when ``document`` is not such a report,
    or when its drivers were checked with different seeds or numbers of examples.
    """
    from netdevspec.errors import UsageError

    _validate(document, "check")
    reports = document["reports"]
    settings = sorted({(rep["seed"], rep["examples"]) for rep in reports})
    if len(settings) > 1:
        raise UsageError(f"the drivers were checked with different (seed, examples): {settings}",
                         "the documentation shows one run's verdicts side by side",
                         "check every driver with the same --seed and --examples")
    seed, examples = settings[0] if settings else (CHECK_SEED, 0)
    short = {ref: name for name, ref in BUNDLED_DRIVERS.items()}
    verdicts = {short.get(rep["driver"], rep["driver"]): {r["id"]: r["verdict"]
                                                          for r in rep["rules"]}
                for rep in reports}
    return ConformanceRun(seed, examples, verdicts)


def check_reference_drivers(drivers: Sequence[str] = tuple(BUNDLED_DRIVERS)) -> dict[str, Any]:
    """Check each named reference driver as ``netdevspec check`` does by default (seed
    :data:`CHECK_SEED`); returns the JSON document ``netdevspec check --format json``
    would write."""
    from netdevspec.conformance.check import REPORT_VERSION, check_driver

    reports = [check_driver(None, BUNDLED_DRIVERS[name], seed_=CHECK_SEED).to_json()
               for name in drivers]
    return {"version": REPORT_VERSION, "reports": reports}


@dataclass(frozen=True)
class BugReport:
    """What ``netdevspec check --examples 0`` reports on one catalogue bug."""

    bug: str
    #: The rules that FAILed.
    failed: tuple[str, ...]
    #: The text report, as the command prints it (paths relative to the checkout).
    text: str


#: The catalogue bugs are checked with the fixed scenarios only (``--examples 0``): each
#: is caught there, and a check of all of them with generated scenarios would take
#: minutes of every build.
BUG_EXAMPLES = 0


def repo_relative(location: str) -> str:
    """A finding's ``file:line`` relative to the checkout (or the installed package), so
    a page does not depend on where netdevspec is."""
    import netdevspec.reference

    root = Path(netdevspec.reference.__file__).resolve().parents[1]
    path, sep, line = location.rpartition(":")
    try:
        rel = Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return location
    return f"{rel}{sep}{line}"


def _check_bug(bug_id: str) -> BugReport:
    from netdevspec.conformance.check import check_driver
    from netdevspec.conformance.formats import to_text
    from netdevspec.reference.buggy import by_id

    bug = by_id(bug_id)
    # The bug that never returns needs a time limit to be caught; any limit does.
    limit = 0.5 if "time_limit" in bug.needs else 60.0
    report = check_driver(None, bug.factory, examples=BUG_EXAMPLES, seed_=CHECK_SEED,
                          time_limit=limit)
    return BugReport(bug.id, tuple(r.rule.id for r in report.failed),
                     to_text(report, repo_relative))


def check_bugs(bug_ids: Sequence[str], jobs: int = 2) -> dict[str, BugReport]:
    """Check each catalogue bug as ``netdevspec check --examples 0`` does, ``jobs`` at a
    time (each check waits on its driver's processes more than it computes)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if jobs <= 1:
        return {b: _check_bug(b) for b in bug_ids}
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        return dict(zip(bug_ids, pool.map(_check_bug, bug_ids), strict=True))


def _validate(report: Mapping[str, Any], which: str) -> None:
    import jsonschema

    from netdevspec.errors import UsageError

    if which == "prove":
        from netdevspec.model.results import report_schema
    else:
        from netdevspec.conformance.check import report_schema
    try:
        jsonschema.validate(dict(report), report_schema())
    except jsonschema.ValidationError as e:
        where = "/".join(map(str, e.absolute_path)) or "the top level"
        raise UsageError(f"not a {which} report: at {where}: {e.message}",
                         f"the documentation reads verdicts only from `netdevspec {which} "
                         "--format json` reports of this version",
                         f"run `netdevspec {which} --format json` again with this version"
                         ) from e
