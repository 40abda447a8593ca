"""Honest verdicts on the edges: timeouts, signals and bad options never pass for proofs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import z3
from netdevspec.model import Kind, Obligation, Prover, Verdict
from netdevspec.model.interrupt import Interrupted, interruptible, register
from netdevspec.model.prover import INITIAL_STATE
from netdevspec.spec import SPEC

from netdevspec.cli import main
from netdevspec.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent


# -- options -----------------------------------------------------------------------------
@pytest.mark.parametrize("argv, needle", [
    (["--seed", "-1"], "argument --seed: '-1' is not a whole number from 0 to 4294967295 "
                       "(z3 takes its seeds as 32-bit unsigned numbers); pass one in that range"),
    (["--seed", "4294967296"], "argument --seed: '4294967296' is not a whole number"),
    (["--seed", "1.5"], "argument --seed: '1.5' is not a whole number"),
    (["--timeout", "0"], "argument --timeout: '0' is not a whole number from 1 to 4294967295 "
                         "(a zero budget proves nothing"),
    (["--jobs", "0"], "argument --jobs: '0' is not a whole number from 1 to 256"),
])
def test_out_of_range_numbers_are_usage_errors(argv: list[str], needle: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", *argv]) == 2
    assert needle in capsys.readouterr().err


def test_the_library_refuses_what_z3_would_ignore() -> None:
    with pytest.raises(UsageError, match=r"seed must be a whole number from 0 to 4294967295 "
                       r"\(got -1\).*32-bit unsigned"):
        Prover(SPEC, seed=-1)
    with pytest.raises(UsageError, match=r"timeout_ms must be a whole number from 1"):
        Prover(SPEC, timeout_ms=0)


# -- timeouts ----------------------------------------------------------------------------
@pytest.mark.slow
def test_a_timeout_while_looking_for_the_initial_state_is_unknown_not_vacuous(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(z3.Solver, "check", lambda self, *a: z3.unknown)
    monkeypatch.setattr(z3.Solver, "reason_unknown", lambda self: "timeout")
    p = Prover(SPEC)
    rep = p.run([Obligation(Kind.NONVACUITY, rule=INITIAL_STATE)])
    (r,) = rep.results
    assert r.verdict is Verdict.UNKNOWN
    assert ("z3 answered unknown (the time limit (--timeout) ran out) about the initial "
            "conditions") in r.detail
    assert rep.exit_code == 3


@pytest.mark.slow
def test_initiation_is_not_vacuous_when_the_initial_state_was_only_not_found(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The bounded search gives up (as on a timeout) but z3 cannot show the initial
    # conditions contradictory: initiation proofs are UNKNOWN, never VACUOUS.
    monkeypatch.setattr(Prover, "_search_state", lambda self, *a, **k: None)
    p = Prover(SPEC)
    rep = p.run(p.plan(rules=["skb.geometry"])[:1])
    (r,) = rep.results
    assert r.obligation.id == "initiation:skb.geometry"
    assert r.verdict is Verdict.UNKNOWN
    assert "it is not known that any state satisfies the initial conditions" in r.detail


# -- signals -----------------------------------------------------------------------------
def _pigeons(ctx: Any, n: int = 12) -> Any:
    """A query z3 needs far more than a second for (the pigeonhole principle)."""
    s = z3.Solver(ctx=ctx)
    p = [[z3.Bool(f"p{i}_{j}", ctx) for j in range(n - 1)] for i in range(n)]
    for i in range(n):
        s.add(z3.Or(*p[i]))
    for j in range(n - 1):
        for i in range(n):
            for k in range(i + 1, n):
                s.add(z3.Or(z3.Not(p[i][j]), z3.Not(p[k][j])))
    return s


@pytest.mark.slow
def test_a_signal_interrupts_the_running_query_and_is_not_swallowed() -> None:
    ctx = z3.Context()
    register(ctx)
    s = _pigeons(ctx)
    s.set("timeout", 600_000)
    s.set("ctrl_c", False)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt), interruptible():
        timer.start()
        s.check()
    timer.join()
    # The query ended because it was interrupted, not because its time ran out.
    assert s.reason_unknown() in ("interrupted", "canceled")


def test_a_signal_whose_exception_was_lost_still_ends_the_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Python ignores exceptions raised in finalisers (z3 releases its handles in
    # __del__), so a KeyboardInterrupt can vanish; a handler that raises nothing stands
    # in for that here. The block must still end with Interrupted, not carry on.
    old = signal.signal(signal.SIGINT, lambda *a: None)
    try:
        with pytest.raises(Interrupted) as info, interruptible():
            os.kill(os.getpid(), signal.SIGINT)
            assert _wait_until(lambda: received_now() is not None, 30)
    finally:
        signal.signal(signal.SIGINT, old)
    assert info.value.signum == signal.SIGINT
    # The record belongs to that block: a later run in another thread is not stopped.
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(
        Prover(SPEC).run([Obligation(Kind.INITIATION, rule="skb.geometry")]).exit_code))
    t.start()
    t.join()
    assert out == [0]


def received_now() -> int | None:
    from netdevspec.model.interrupt import received

    return received()


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(d))
    return out


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_until(cond: Any, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return bool(cond())


def _maps_z3(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
            return "libz3" in f.read()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig, code, word, jobs", [
    (signal.SIGINT, 130, "interrupted", "2"),
    (signal.SIGINT, 130, "interrupted", "1"),
    (signal.SIGTERM, 143, "terminated", "2"),
])
def test_a_signal_ends_prove_without_a_report_and_without_workers(
        sig: int, code: int, word: str, jobs: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "netdevspec", "prove", "--no-progress",
                             "--jobs", jobs], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        # Wait until the run is under way (the worker started, or the spec was imported
        # and the first queries run), then signal only the main process.
        want = 2 if jobs == "2" else 0
        assert _wait_until(lambda: len(_children(proc.pid)) >= want, 120)
        # z3 is loaded once the command is running (not while Python starts up).
        assert _wait_until(lambda: _maps_z3(proc.pid), 120)
        time.sleep(1.0)
        kids = _children(proc.pid)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, (out, err)
    assert f"netdevspec: {word} after " in err
    assert "were not decided, so no report was written and nothing is proved" in err
    assert out == ""  # no summary, no "471 PROVED"
    assert _wait_until(lambda: not any(_running(k) for k in kids), 60), kids
