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
    "Dependencies",
    "Kind",
    "Method",
    "Obligation",
    "Report",
    "Result",
    "Verdict",
    "report_schema",
]

REPORT_VERSION = 2
"""Version 2 added each result's ``method`` and ``rests_on``, and the report's
``rlimit``, ``summary.methods`` and ``dependencies`` (with ``--deps``)."""


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
    TRANSITION = "transition"


class Method(Enum):
    """How a PROVED verdict was reached."""

    E_MATCHING = "e-matching"
    """z3 answered unsat with quantifiers instantiated by E-matching only."""
    MODEL_BASED = "model-based"
    """z3 answered unsat in the retry with model-based quantifier instantiation."""
    WITNESS = "witness"
    """A concrete state, re-checked by the concrete interpreter (non-vacuity, scenarios)."""
    SYNTACTIC = "syntactic"
    """No query was needed (a frame obligation whose reads are all of whole symbols)."""


@dataclass(frozen=True)
class Dependencies:
    """What one proof used: the invariants it assumed, the caller obligations and kernel
    guarantees of the case (by rule ID), the case's guard, the initial conditions (by
    index). ``minimal``: an irreducible unsat core (dropping any one element breaks the
    proof); otherwise everything the proof assumed."""

    invariants: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    guarantees: tuple[str, ...] = ()
    guard: bool = False
    initial: tuple[int, ...] = ()
    minimal: bool = True

    @staticmethod
    def of(labels: list[str], minimal: bool) -> Dependencies:
        """From the prover's labels (``invariant ID``, ``obligation ID``, ``guarantee ID``,
        ``guard``, ``initial condition #N``)."""
        groups: dict[str, set[str]] = {"invariant": set(), "obligation": set(),
                                       "guarantee": set(), "initial": set()}
        guard = False
        for label in labels:
            if label == "guard":
                guard = True
                continue
            kind, _, rest = label.partition(" ")
            if kind == "initial":
                rest = rest.rpartition("#")[2]
            groups[kind].add(rest)
        return Dependencies(
            invariants=tuple(sorted(groups["invariant"])),
            obligations=tuple(sorted(groups["obligation"])),
            guarantees=tuple(sorted(groups["guarantee"])),
            guard=guard,
            initial=tuple(sorted(int(x) for x in groups["initial"])),
            minimal=minimal,
        )

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule ID the proof used (invariants, obligations, guarantees)."""
        return (*self.invariants, *self.obligations, *self.guarantees)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"invariants": list(self.invariants), "obligations": list(self.obligations),
                "guarantees": list(self.guarantees), "guard": self.guard,
                "initial_conditions": list(self.initial), "minimal": self.minimal}


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
        if self.kind is Kind.TRANSITION:
            if not self.case:
                return f"a step that changes nothing {self.rule} reads satisfies it"
            return f"every step of {self.case} satisfies {self.rule}"
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
    method: Method | None = None
    rests_on: Dependencies | None = None

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
            "method": self.method.value if self.method else None,
            "rests_on": self.rests_on.to_json() if self.rests_on else None,
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
    rules: tuple[str, ...] = ()
    """Every rule ID of the spec (for the rules no proof rests on)."""
    rlimits: dict[str, int] = field(default_factory=dict)
    """The z3 resource budget of each proof stage, by method (``e-matching``, ...)."""

    def count(self, verdict: Verdict) -> int:
        """How many results have this verdict."""
        return sum(1 for r in self.results if r.verdict is verdict)

    def count_method(self, method: Method) -> int:
        """How many PROVED results were reached this way."""
        return sum(1 for r in self.results if r.method is method)

    @property
    def has_dependencies(self) -> bool:
        """Whether the run recorded what the proofs used (``--deps``)."""
        return any(r.rests_on is not None for r in self.results)

    def rests_on(self) -> dict[str, list[str]]:
        """For each rule ID, the PROVED obligations whose proofs used it (in run order);
        every rule of the spec is a key, so a rule no proof used maps to ``[]``."""
        out: dict[str, list[str]] = {rid: [] for rid in self.rules}
        for r in self.results:
            if r.rests_on is not None:
                for rid in r.rests_on.rules:
                    out.setdefault(rid, []).append(r.obligation.id)
        return out

    def unused_rules(self) -> list[str]:
        """The rules no proof of this run rests on (in spec order)."""
        return [rid for rid, obs in self.rests_on().items() if not obs]

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
            "rlimit": dict(self.rlimits),
            "wall_seconds": round(self.wall_seconds, 6),
            "summary": {
                "obligations": len(self.results),
                **{v.value: self.count(v) for v in Verdict},
                "median_seconds": round(self.median_seconds, 6),
                "preserved_by_frame": self.frame_preserved,
                "methods": {m.value: self.count_method(m) for m in Method},
            },
            "results": [r.to_json() for r in self.results],
            "dependencies": {
                "rests_on": self.rests_on(),
                "unused_rules": self.unused_rules(),
            } if self.has_dependencies else None,
        }
