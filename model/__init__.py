"""The transition system built from the spec, checked with z3."""

from netdevspec.model.prover import Prover, Witness
from netdevspec.model.results import (
    REPORT_VERSION,
    Counterexample,
    Dependencies,
    Kind,
    Method,
    Obligation,
    Report,
    Result,
    Verdict,
)

__all__ = [
    "REPORT_VERSION",
    "Counterexample",
    "Dependencies",
    "Kind",
    "Method",
    "Obligation",
    "Prover",
    "Report",
    "Result",
    "Verdict",
    "Witness",
]
