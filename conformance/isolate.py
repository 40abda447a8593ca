"""``netdevspec check --isolate``: check a driver in a child process, with limits.

Every check runs each driver instance in a process of its own already
(:mod:`.boundary`), with a time limit per callback and a memory limit per process. With
``--isolate`` the whole check also runs in a child, ``python -m netdevspec check DRIVER
--format json``, with an address-space limit (``RLIMIT_AS``, on POSIX systems) and a
wall-clock limit on the check as a whole. The parent reads the child's JSON report (the
driver's processes write nothing to it: their output goes to files of their own).

If the child dies or runs past the limit, the parent reports rule ``drv.resources`` as
FAIL, with what happened (the exit status and the tail of the child's error output).
Every other rule is UNRESOLVED: the check did not finish, so it cannot say.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from netdevspec.conformance.check import (
    CheckReport,
    RuleResult,
    judged_rules,
    report_from_json,
    rule_by_id,
)
from netdevspec.conformance.monitor import Finding

from netdevspec.errors import UsageError

__all__ = ["check_isolated"]


def _limit_memory(megabytes: int) -> Any:
    def apply() -> None:
        import resource

        from netdevspec.conformance.driverside import die_with_parent

        die_with_parent()  # a killed parent leaves no isolated check running
        limit = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def check_isolated(ref: str, *, examples: int, seed: int, time_limit: float,
                   memory_mb: int = 2048, wall_seconds: float = 600.0) -> CheckReport:
    """Check ``ref`` in a child process limited to ``memory_mb`` of address space and
    ``wall_seconds`` of wall-clock time."""
    cmd = [sys.executable, "-m", "netdevspec", "check", ref, "--format", "json",
           "--examples", str(examples), "--seed", str(seed), "--time-limit", str(time_limit)]
    posix = sys.platform != "win32"
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=wall_seconds,
                              preexec_fn=_limit_memory(memory_mb) if posix else None,
                              check=False)
    except subprocess.TimeoutExpired:
        return _died(ref, seed, examples, f"the isolated check ran past its wall-clock limit "
                     f"of {wall_seconds:g} s and was killed (a hang the in-process time "
                     "limit could not interrupt, e.g. inside a long C call)")
    if proc.returncode == 2:
        last = proc.stderr.strip().splitlines()[-1:] or ["(no message)"]
        raise UsageError(f"the isolated check of {ref} failed: {last[0]}",
                         "the child process could not start the check",
                         "run it without --isolate to see the error in full")
    try:
        data = json.loads(proc.stdout)
        rep = report_from_json(data["reports"][0])
    except (json.JSONDecodeError, KeyError, IndexError, TypeError):
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:]) or "no error output"
        how = (f"was killed by signal {-proc.returncode}" if proc.returncode < 0
               else f"exited with status {proc.returncode}")
        return _died(ref, seed, examples, f"the isolated check {how} without a report "
                     f"(memory limit {memory_mb} MB): {tail}")
    for r in rep.rules:  # it finished within the limits
        if r.rule.id == "drv.resources" and r.verdict == "NOT_APPLICABLE":
            r.verdict, r.evaluations = "PASS", 1
    return rep


def _died(ref: str, seed: int, examples: int, message: str) -> CheckReport:
    rep = CheckReport(ref, seed, examples)
    res = rule_by_id("drv.resources")
    for rule in judged_rules():
        if rule.id == "drv.resources":
            finding = Finding(res.id, res.statement, tuple(str(c) for c in res.citations),
                              message, 0, "the isolated check", None)
            rep.rules.append(RuleResult(rule, "FAIL", 1, 1, finding, "the whole check", ""))
        else:
            rep.rules.append(RuleResult(rule, "UNRESOLVED", 0, 0))
    return rep
