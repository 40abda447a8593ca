"""Proof obligations, verdicts and reports (frozen values, versioned JSON)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = [
    "REPORT_VERSION",
    "Counterexample",
    "Kind",
    "Obligation",
    "Report",
    "Result",
    "Verdict",
    "report_schema",
]

REPORT_VERSION = 1


def report_schema() -> dict[str, Any]:
    """The JSON schema of :meth:`Report.to_json` (shipped as prove-report.schema.json)."""
    from importlib.resources import files

    text = files("netdevspec.model").joinpath("prove-report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class Verdict(Enum):
    """The outcome of one obligation. Only PROVED is a pass."""

    PROVED = "PROVED"
    REFUTED = "REFUTED"
    UNKNOWN = "UNKNOWN"
    VACUOUS = "VACUOUS"


class Kind(Enum):
    """What an obligation establishes."""

    INITIATION = "initiation"
    CONSECUTION = "consecution"
    NONVACUITY = "non-vacuity"
    FRAME = "frame"
    SCENARIO = "scenario"


@dataclass(frozen=True)
class Obligation:
    """One thing to prove: its kind, and the rule and/or case it is about."""

    kind: Kind
    rule: str = ""
    case: str = ""
    operation: str = ""

    @property
    def id(self) -> str:
        """A stable, readable identifier, e.g. ``consecution:skb_put.ok:skb.geometry``."""
        parts = [self.kind.value]
        if self.case:
            parts.append(self.case)
        if self.rule:
            parts.append(self.rule)
        return ":".join(parts)

    def describe(self) -> str:
        """One line saying what the obligation claims."""
        if self.kind is Kind.INITIATION:
            return f"the initial state satisfies {self.rule}"
        if self.kind is Kind.CONSECUTION:
            return f"{self.case} preserves {self.rule}"
        if self.kind is Kind.NONVACUITY:
            if not self.case:
                return "some state satisfies the initial conditions"
            return f"{self.case} is enabled in some state satisfying every invariant"
        if self.kind is Kind.FRAME:
            return (f"{self.case}'s guarantees constrain the post-state only at the "
                    "locations its frame names")
        return f"the invariants admit the scenario {self.rule}"


@dataclass(frozen=True)
class Counterexample:
    """Small concrete states showing a REFUTED obligation (or a witness)."""

    before: dict[str, dict[str, Any]]
    call: str
    after: dict[str, dict[str, Any]] | None
    broken: str
    statement: str

    def render(self) -> str:
        """The counterexample as text a person can read."""
        lines = ["state 0:"]
        lines += _render_state(self.before)
        if self.call:
            lines.append(f"call {self.call}")
        if self.after is not None:
            lines.append("state 1 (only what changed):")
            changed = _diff(self.before, self.after)
            lines += _render_state(changed) if changed else ["  (nothing changed)"]
        lines.append(f"broken: {self.broken}: {self.statement}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"before": self.before, "call": self.call, "after": self.after,
                "broken": self.broken, "statement": self.statement}


def _render_state(st: dict[str, dict[str, Any]]) -> list[str]:
    out = []
    for obj, fields in st.items():
        vals = " ".join(f"{k}={_fmt(v)}" for k, v in fields.items())
        out.append(f"  {obj}: {vals}")
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "NULL"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def _diff(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for obj, fields in b.items():
        old = a.get(obj, {})
        ch = {k: v for k, v in fields.items() if old.get(k, object()) != v}
        if ch:
            out[obj] = ch
    return out


@dataclass(frozen=True)
class Result:
    """The verdict on one obligation, its time, and what supports it."""

    obligation: Obligation
    verdict: Verdict
    seconds: float
    detail: str = ""
    counterexample: Counterexample | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.obligation.id,
            "kind": self.obligation.kind.value,
            "rule": self.obligation.rule or None,
            "case": self.obligation.case or None,
            "operation": self.obligation.operation or None,
            "claim": self.obligation.describe(),
            "verdict": self.verdict.value,
            "seconds": round(self.seconds, 6),
            "detail": self.detail or None,
            "counterexample": self.counterexample.to_json() if self.counterexample else None,
        }


@dataclass(frozen=True)
class Report:
    """Every result of one prover run, with summary figures."""

    results: tuple[Result, ...]
    wall_seconds: float
    z3_version: str
    seed: int
    timeout_ms: int
    frame_preserved: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, verdict: Verdict) -> int:
        """How many results have this verdict."""
        return sum(1 for r in self.results if r.verdict is verdict)

    @property
    def median_seconds(self) -> float:
        """The median time per obligation."""
        return statistics.median(r.seconds for r in self.results) if self.results else 0.0

    @property
    def exit_code(self) -> int:
        """0 all proved, 1 something refuted or vacuous, 3 inconclusive."""
        if self.count(Verdict.REFUTED) or self.count(Verdict.VACUOUS):
            return 1
        if self.count(Verdict.UNKNOWN):
            return 3
        return 0

    def to_json(self) -> dict[str, Any]:
        """The versioned JSON report."""
        return {
            "netdevspec_report": "prove",
            "version": REPORT_VERSION,
            "z3_version": self.z3_version,
            "seed": self.seed,
            "timeout_ms": self.timeout_ms,
            "wall_seconds": round(self.wall_seconds, 6),
            "summary": {
                "obligations": len(self.results),
                **{v.value: self.count(v) for v in Verdict},
                "median_seconds": round(self.median_seconds, 6),
                "preserved_by_frame": self.frame_preserved,
            },
            "results": [r.to_json() for r in self.results],
        }
