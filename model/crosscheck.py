"""A second solver: every query z3 proved, exported to SMT-LIB 2.6 and decided by cvc5.

Each obligation z3 proves by a query is written as a standard SMT-LIB script
(:mod:`.smtlib`) and given to two solvers, each in a fresh instance: z3 reading the text
(so the export itself is checked: it must still be ``unsat``) and cvc5 (the optional
extra ``netdevspec[cvc5]``). Both answers are kept, so a disagreement shows what each
solver said.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import z3

from netdevspec.errors import UsageError

__all__ = ["Answer", "CrossCheck", "cross_check", "cvc5_available", "run_cvc5", "run_z3"]


@dataclass(frozen=True)
class Answer:
    """One solver's answer to one script: ``sat``, ``unsat`` or ``unknown`` (with why)."""

    solver: str
    status: str
    seconds: float
    why: str = ""

    def __str__(self) -> str:
        return f"{self.solver}: {self.status}" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class CrossCheck:
    """Both solvers' answers for one obligation's query (z3 proved it: ``unsat`` agrees)."""

    obligation: str
    z3: Answer
    cvc5: Answer

    @property
    def agrees(self) -> bool:
        """Both say ``unsat``: the claim holds for both solvers."""
        return self.z3.status == "unsat" and self.cvc5.status == "unsat"

    @property
    def disagrees(self) -> bool:
        """One solver refutes what the other proves (``sat`` against ``unsat``)."""
        return {self.z3.status, self.cvc5.status} == {"sat", "unsat"}


def cvc5_available() -> bool:
    """Whether the cvc5 Python package is installed (``pip install netdevspec[cvc5]``)."""
    return importlib.util.find_spec("cvc5") is not None


def run_z3(text: str, timeout_ms: int) -> Answer:
    """z3, in a context of its own, on an SMT-LIB script."""
    ctx = z3.Context()
    s = z3.SimpleSolver(ctx=ctx)
    s.set("timeout", timeout_ms)
    s.set("ctrl_c", False)
    t = time.perf_counter()
    s.from_string(text)
    r = s.check()
    spent = time.perf_counter() - t
    return Answer("z3", str(r), spent, s.reason_unknown() if r == z3.unknown else "")


def run_cvc5(text: str, timeout_ms: int) -> Answer:
    """cvc5, a fresh solver, on an SMT-LIB script.

    Raises :class:`UsageError` if cvc5 is not installed."""
    try:
        import cvc5
    except ImportError:
        raise UsageError("cvc5 is not installed", "the second solver is an optional extra",
                         "pip install 'netdevspec[cvc5]' (or pip install cvc5)") from None
    tm: Any = cvc5.TermManager()
    solver: Any = cvc5.Solver(tm)
    solver.setOption("tlimit-per", str(timeout_ms))
    sm: Any = cvc5.SymbolManager(tm)
    parser: Any = cvc5.InputParser(solver, sm)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "query")
    status, why = "unknown", ""
    t = time.perf_counter()
    try:
        while True:
            cmd = parser.nextCommand()
            if cmd.isNull():
                break
            out = str(cmd.invoke(solver, sm)).strip()
            if out in ("sat", "unsat", "unknown"):
                status = out
    except RuntimeError as e:  # cvc5 reports a malformed script this way
        return Answer("cvc5", "error", time.perf_counter() - t, str(e))
    spent = time.perf_counter() - t
    if status == "unknown":
        info = solver.getInfo("reason-unknown")
        why = info.decode() if isinstance(info, bytes) else str(info)
    return Answer("cvc5", status, spent, why)


def cross_check(queries: Iterable[tuple[str, str]], timeout_ms: int = 10_000) -> list[CrossCheck]:
    """Both solvers on each ``(obligation ID, SMT-LIB script)``, in the given order."""
    return [CrossCheck(ob, run_z3(text, timeout_ms), run_cvc5(text, timeout_ms))
            for ob, text in queries]
