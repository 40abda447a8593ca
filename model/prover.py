"""The checks: initiation, consecution, non-vacuity, frames and scenarios.

Proofs (UNSAT answers) come from the unbounded encoding, so they hold for any
number of devices, lines and buffers. States (witnesses and counterexamples)
come from the bounded encoding and are re-checked by the concrete interpreter
before they are reported, so a witness is a real state and a counterexample a
real violation. z3 ``unknown`` or a timeout is never reported as PROVED.
"""

from __future__ import annotations

import ctypes
import difflib
import importlib
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import z3
from netdevspec.model.encode import BoundedEncoder, Encoder, State
from netdevspec.model.interrupt import check as check_signals
from netdevspec.model.interrupt import interruptible, register
from netdevspec.model.results import (
    Counterexample,
    Dependencies,
    Kind,
    Method,
    Obligation,
    Report,
    Result,
    Verdict,
)
from netdevspec.model.smtlib import to_smtlib
from netdevspec.spec.logic import (
    And,
    ConcreteState,
    Expr,
    SortKind,
    StateSym,
    evaluate,
    symbols_of,
)
from netdevspec.spec.rules import Case, Operation, Rule, RuleKind, Spec, frame_claims
from z3 import z3core

from netdevspec.errors import UsageError

__all__ = ["EMATCH_RLIMIT", "INITIAL_STATE", "MAX_UNSIGNED", "RETRY_RLIMIT", "Prover", "SmtQuery",
           "Witness"]

MAX_UNSIGNED = 2**32 - 1
"""The largest seed or time limit z3 accepts (its parameters are 32-bit unsigned)."""

INITIAL_STATE = "initial-state"
"""The rule name of the obligation that some state satisfies the initial conditions."""

# Universe sizes tried for states, and integer windows (small non-negative first).
_SIZES = (1, 2, 3)
EMATCH_RLIMIT = 5_000_000
"""Budget of each E-matching query, in z3 resource units (``rlimit``). Counted in units
rather than seconds, a verdict does not depend on the machine or its load; proofs of the
bundled spec use well under a tenth of it (docs/benchmarks.md)."""

RETRY_RLIMIT = 5_000_000
"""Budget of the model-based retry when E-matching gave up, in z3 resource units."""
_LEVELS: tuple[tuple[int, int] | None, ...] = ((0, 4), (0, 16), (-4, 70), None)
# Witnesses are not shown to people, so they skip the tightest windows (bounds still
# help z3: without any, some queries take minutes).
_WITNESS_LEVELS: tuple[tuple[int, int] | None, ...] = ((-4, 70), None)


@dataclass(frozen=True)
class SmtQuery:
    """An obligation, z3's result, and the SMT-LIB script of the query that proved it."""

    obligation: str
    result: Result
    smtlib: str | None


@dataclass(frozen=True)
class Witness:
    """Concrete states found by the bounded search and re-checked concretely."""

    pre: ConcreteState
    post: ConcreteState | None
    env: dict[str, Any]


class Prover:
    """Proves a spec's obligations with z3. Library code: never prints or exits."""

    def __init__(self, spec: Spec, *, timeout_ms: int = 10_000, seed: int = 0,
                 dependencies: bool = False):
        """``dependencies``: also record, for each PROVED obligation, what its proof used
        (minimised unsat cores; several extra queries per proof, so off by default).

        Raises :class:`UsageError` for a seed or time limit z3 cannot take."""
        for name, value, lo in (("seed", seed, 0), ("timeout_ms", timeout_ms, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or not (
                    lo <= value <= MAX_UNSIGNED):
                raise UsageError(f"{name} must be a whole number from {lo} to {MAX_UNSIGNED} "
                                 f"(got {value!r})", "z3 takes it as a 32-bit unsigned "
                                 "number; anything else would be ignored or wrapped around",
                                 f"pass a {name} in that range")
        self.spec = spec
        self.timeout_ms = timeout_ms
        self.seed = seed
        z3.set_param("smt.random_seed", seed)
        z3.set_param("sat.random_seed", seed)
        self.enc = Encoder(spec)
        self._inv_pre: list[Any] | None = None
        self._bounded_cache: dict[int, tuple[BoundedEncoder, Any]] = {}
        self._initial: tuple[Witness | None, str] | None = None
        self.dependencies = dependencies
        self._inv_index = {inv.id: i for i, inv in enumerate(spec.invariants)}
        self._every = tuple(inv.id for inv in spec.invariants)
        self._cases: dict[str, _CaseTerms] = {}
        self._init_goals: dict[str, Any] = {}
        self._tracks: list[Any] = []
        self._built = False
        self._exports: dict[str, str] | None = None

    # -- planning --------------------------------------------------------------------
    def plan(self, rules: Iterable[str] = (), operations: Iterable[str] = ()) -> list[Obligation]:
        """The obligations to check, optionally only those about some rules/operations.

        Raises :class:`UsageError` for an unknown rule ID or operation name.
        """
        rsel = set(rules)
        osel = set(operations)
        known_rules = set(self.spec.rules)
        known_ops = {op.name for op in self.spec.operations}
        for r in rsel - known_rules:
            raise UsageError(f"unknown rule {r!r}", "--rule takes a rule ID",
                             _suggest(r, known_rules, "`netdevspec rules` lists them"))
        for o in osel - known_ops:
            raise UsageError(f"unknown operation {o!r}", "--operation takes a kernel function "
                             "name", _suggest(o, known_ops, "`netdevspec rules` lists them"))
        out: list[Obligation] = []
        if not osel and not rsel:
            out.append(Obligation(Kind.NONVACUITY, rule=INITIAL_STATE))
        if not osel:
            for inv in self.spec.invariants:
                if not rsel or inv.id in rsel:
                    out.append(Obligation(Kind.INITIATION, rule=inv.id))
        for op in self.spec.operations:
            if osel and op.name not in osel:
                continue
            for c in op.cases:
                uses = {u.rule.id for u in (*op.obligations, *c.obligations, *c.guarantees)}
                if not rsel or uses & rsel:
                    out.append(Obligation(Kind.NONVACUITY, case=c.id, operation=op.name))
                    out.append(Obligation(Kind.FRAME, case=c.id, operation=op.name))
                for inv in self.spec.invariants:
                    if rsel and inv.id not in rsel:
                        continue
                    if inv.reads & c.writes:
                        out.append(Obligation(Kind.CONSECUTION, rule=inv.id, case=c.id,
                                              operation=op.name))
                for tr in self.spec.transitions:
                    if (not rsel or tr.id in rsel) and symbols_of(tr.formula, True) & c.writes:
                        out.append(Obligation(Kind.TRANSITION, rule=tr.id, case=c.id,
                                              operation=op.name))
        if not osel:
            # Every other step leaves what the transition reads unchanged.
            out += [Obligation(Kind.TRANSITION, rule=tr.id) for tr in self.spec.transitions
                    if not rsel or tr.id in rsel]
        if not osel and not rsel:
            for sc in self.spec.scenarios:
                out.append(Obligation(Kind.SCENARIO, rule=sc.id))
        return out

    def preserved_by_frame(self, obligations: Sequence[Obligation]) -> int:
        """How many (case, invariant) pairs need no solver: the case cannot touch the rule."""
        cases = {o.case for o in obligations if o.kind is Kind.NONVACUITY and o.case}
        n = 0
        for cid in cases:
            _, c = self.spec.cases[cid]
            n += sum(1 for inv in self.spec.invariants if not inv.reads & c.writes)
        return n

    def export_smtlib(self, obligations: Sequence[Obligation]) -> list[SmtQuery]:
        """Prove ``obligations`` in this process and give, for each one z3 proved by a
        query, that query as a standard SMT-LIB 2.6 script (see :mod:`.smtlib`), for a
        second solver: the proving stage's background, invariants, facts and negated claim,
        expected ``unsat``. Obligations proved otherwise (a witness, the frame alone) or
        not proved have no script."""
        self._exports = {}
        results: list[Result] = []
        try:
            with interruptible():
                self._run_local(obligations, results.append)
            return [SmtQuery(r.obligation.id, r, self._exports.get(r.obligation.id))
                    for r in results]
        finally:
            self._exports = None

    # -- running ---------------------------------------------------------------------
    def run(
        self,
        obligations: Sequence[Obligation],
        on_result: Callable[[Result], None] | None = None,
        jobs: int = 1,
        spec_ref: str | None = None,
    ) -> Report:
        """Check every obligation; ``on_result`` is called as each one finishes.

        With ``jobs > 1`` and ``spec_ref`` (``"module:attribute"`` naming this spec, so a
        worker process can import it), cases are shared out among ``jobs`` processes.
        Verdicts do not depend on the split; witness values may.

        A signal (Ctrl-C, or SIGTERM with a handler that raises) interrupts the running
        z3 query at once (see :mod:`netdevspec.model.interrupt`); its exception
        propagates, the worker processes are terminated, and no report is made.
        """
        t0 = time.perf_counter()
        results: list[Result] = []

        def emit(r: Result) -> None:
            results.append(r)
            if on_result is not None:
                on_result(r)

        with interruptible():
            if jobs > 1 and spec_ref is not None:
                self._run_parallel(obligations, emit, jobs, spec_ref)
            else:
                self._run_local(obligations, emit)
        order = {ob.id: i for i, ob in enumerate(obligations)}
        results.sort(key=lambda r: order[r.obligation.id])
        return Report(
            results=tuple(results),
            wall_seconds=time.perf_counter() - t0,
            z3_version=z3.get_version_string(),
            seed=self.seed,
            timeout_ms=self.timeout_ms,
            frame_preserved=self.preserved_by_frame(obligations),
            rules=tuple(self.spec.rules),
            rlimits={Method.E_MATCHING.value: EMATCH_RLIMIT,
                     Method.MODEL_BASED.value: RETRY_RLIMIT},
        )

    def _run_parallel(self, obligations: Sequence[Obligation], emit: Callable[[Result], None],
                      jobs: int, spec_ref: str) -> None:
        chunks = _split(obligations, jobs)
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(jobs - 1, initializer=_worker_init, initargs=(os.getpid(),))
        try:
            pending = [pool.apply_async(_run_chunk, (spec_ref, self.timeout_ms, self.seed,
                                                     self.dependencies, ch))
                       for ch in chunks[1:] if ch]
            self._run_local(chunks[0], emit)
            for p in pending:
                while True:
                    try:
                        chunk = p.get(0.2)
                        break
                    except multiprocessing.TimeoutError:
                        check_signals()
                check_signals()
                for r in chunk:
                    emit(r)
            pool.close()
        except BaseException:
            # Interrupted, terminated or failed: the workers' chunks are abandoned, not
            # waited for, and no worker outlives the run.
            pool.terminate()
            raise
        finally:
            pool.join()

    def _run_local(self, obligations: Sequence[Obligation],
                   emit: Callable[[Result], None]) -> None:
        self._prebuild()

        def done(r: Result) -> None:
            # A signal whose exception was lost (raised in a finaliser) must still stop
            # the run before another result is counted.
            check_signals()
            emit(r)

        by_case: dict[str, list[Obligation]] = {}
        for ob in obligations:
            if ob.kind is Kind.NONVACUITY and ob.rule == INITIAL_STATE:
                done(self._initial_exists(ob))
            elif ob.kind is Kind.INITIATION:
                done(self._initiation(ob))
            elif ob.kind is Kind.SCENARIO:
                done(self._scenario(ob))
            elif ob.kind is Kind.TRANSITION and not ob.case:
                done(self._unchanged(ob))
            else:
                by_case.setdefault(ob.case, []).append(ob)
        for cid, obs in by_case.items():
            op, c = self.spec.cases[cid]
            for r in self._case(op, c, obs):
                done(r)

    # -- solver plumbing -------------------------------------------------------------
    def _solver(self, ctx: Any) -> Any:
        """A long-lived solver for the bounded search (finding states, not proofs)."""
        s = z3.Solver(ctx=ctx)
        s.set("random_seed", self.seed)
        s.set("timeout", self.timeout_ms)
        # z3's own Ctrl-C handler would turn SIGINT into an `unknown` answer and swallow
        # it; see model/interrupt.py for how signals reach us instead.
        s.set("ctrl_c", False)
        return s

    def _proof_solver(self, method: Method, ctx: Any) -> Any:
        """A solver for one stage of one proof, in the proof's own context. Its budget is
        counted in z3 resource units, which do not depend on the machine or its load; the
        time limit is only a safety net."""
        s = z3.SimpleSolver(ctx=ctx)
        s.set("random_seed", self.seed)
        s.set("timeout", self.timeout_ms)
        s.set("ctrl_c", False)
        if method is Method.E_MATCHING:
            # E-matching only: model-based instantiation would chase models of the
            # quantified invariants. States come from the bounded search instead.
            s.set("smt.mbqi", False)
            s.set("rlimit", EMATCH_RLIMIT)
        else:
            s.set("rlimit", RETRY_RLIMIT)
        return s

    def _fresh(self, q: _Query, hyps: tuple[str, ...], extra: Sequence[Any] = ()) -> Any:
        """A new z3 context holding the query's terms, copied in a fixed order.

        z3's heuristics see term identifiers and reuse internal state, so a query
        decided in the encoder's long-lived context could depend on what was asked
        before it there. In a context of its own, a proof sees only its own terms, in the
        same order whatever was proved before, in whichever process."""
        ctx = z3.Context()
        register(ctx)
        v = z3.AstVector(ctx=self.enc.ctx)
        for t in (*self.enc.background(), *(self._inv_term(h) for h in hyps),
                  *(t for _, t in q.facts), *extra):
            v.push(t)
        if q.goal is not None:
            v.push(q.goal)
        return v.translate(ctx)

    def _stages(self, q: _Query) -> list[tuple[Method, tuple[str, ...]]]:
        stages: list[tuple[Method, tuple[str, ...]]] = []
        if q.own != q.near:
            stages.append((Method.E_MATCHING, q.own))
        stages.append((Method.E_MATCHING, q.near))
        stages.append((Method.MODEL_BASED, q.every))
        return stages

    def _decide(self, q: _Query) -> _Answer:
        """Decide a query in stages, each in a z3 context of its own: E-matching with the
        claim's own invariant, then with the invariants that read what the claim reads, then
        model-based instantiation with every invariant allowed. Only ``unsat`` counts as
        a proof; the last stage's answer is returned otherwise."""
        spent = 0.0
        r: Any = z3.unknown
        why = ""
        for method, hyps in self._stages(q):
            terms = self._fresh(q, hyps)
            s = self._proof_solver(method, terms.ctx)
            s.add(*terms)
            t = time.perf_counter()
            r = s.check()
            spent += time.perf_counter() - t
            if r == z3.unsat:
                return _Answer(r, method, "", spent, hyps)
            why = s.reason_unknown() if r == z3.unknown else ""
        return _Answer(r, Method.MODEL_BASED, _why(why) if r == z3.unknown else "", spent, ())

    def _rests_on(self, q: _Query, a: _Answer) -> Dependencies:
        """What the proof of ``q`` used: an unsat core over the named hypotheses and
        facts of the stage that proved it, made irreducible by dropping one element at a
        time (each check on a fresh solver, in a fixed order). If naming the assumptions
        makes z3 fail, the minimisation starts from everything the proof assumed; the
        result is marked not minimal only if even that could not be checked again."""
        named = [*((f"invariant {h}", self._inv_term(h)) for h in a.invariants), *q.facts]
        # One context of its own for the whole extraction (see _fresh): the named terms,
        # then the goal and the background, then the literals that name them.
        n = len(named)
        copied = self._fresh(_Query((), (), (), (), q.goal), (),
                             [t for _, t in named] + self._tracks[:n])
        ctx = copied.ctx
        terms = [copied[i] for i in range(len(copied))]
        bg = len(self.enc.background())
        base = terms[:bg] + terms[bg + 2 * n:]  # background and goal
        items = list(zip([label for label, _ in named], terms[bg:bg + n], strict=True))
        lits = terms[bg + n:bg + 2 * n]

        def unsat(chosen: list[tuple[str, Any]], core: bool) -> tuple[bool, list[str]]:
            s = self._proof_solver(a.method, ctx)
            s.add(*base)
            if core:
                for (_, term), lit in zip(chosen, lits, strict=False):
                    s.assert_and_track(term, lit)
            else:
                s.add(*(t for _, t in chosen))
            if s.check() != z3.unsat:
                return False, []
            if not core:
                return True, []
            ids = {lit.get_id(): label for (label, _), lit in zip(chosen, lits, strict=False)}
            return True, [ids[x.get_id()] for x in s.unsat_core()]

        named = items
        ok, core = unsat(named, core=True)
        # Naming the assumptions can change z3's search; if the named query fails, start
        # the minimisation from everything the proof assumed.
        keep = [x for x in named if x[0] in core] if ok else list(named)
        for item in list(keep):
            trial = [x for x in keep if x is not item]
            if unsat(trial, core=False)[0]:
                keep = trial
        minimal = ok or unsat(keep, core=False)[0]
        return Dependencies.of([label for label, _ in keep], minimal=minimal)

    def _proved(self, ob: Obligation, q: _Query, a: _Answer, detail: str = "") -> Result:
        deps = self._rests_on(q, a) if self.dependencies else None
        if self._exports is not None:
            # The very query of the stage that proved it, in _fresh's order.
            terms = [*self.enc.background(), *(self._inv_term(h) for h in a.invariants),
                     *(t for _, t in q.facts), *([q.goal] if q.goal is not None else [])]
            self._exports[ob.id] = to_smtlib(terms, name=ob.id, expect="unsat")
        return Result(ob, Verdict.PROVED, a.seconds, detail=detail, method=a.method,
                      rests_on=deps)

    def _inv_term(self, rule_id: str) -> Any:
        return self.invariants_pre()[self._inv_index[rule_id]]

    def _near(self, syms: frozenset[StateSym]) -> tuple[str, ...]:
        """The invariants that read a symbol in ``syms``, in spec order."""
        return tuple(i.id for i in self.spec.invariants if i.reads & syms)

    def invariants_pre(self) -> list[Any]:
        """Every invariant over the pre-state (built once)."""
        if self._inv_pre is None:
            self._inv_pre = [self.enc.term(i.formula, self.enc.pre, None)
                             for i in self.spec.invariants]
        return self._inv_pre

    def _case_terms(self, enc: Encoder, op: Operation, c: Case, post: State) -> list[Any]:
        out = [enc.term(c.guard, enc.pre, None)]
        out += [enc.term(u.formula, enc.pre, None) for u in c.assumed(op)]
        out += [enc.term(u.formula, enc.pre, post) for u in c.guarantees]
        return out

    def _encode_case(self, op: Operation, c: Case) -> _CaseTerms:
        """The unbounded terms of a case, built once per case."""
        hit = self._cases.get(c.id)
        if hit is None:
            enc = self.enc
            post, _ = enc.post_state(c, "")
            facts = [("guard", enc.term(c.guard, enc.pre, None))]
            facts += [(f"obligation {u.rule.id}", enc.term(u.formula, enc.pre, None))
                      for u in c.assumed(op)]
            facts += [(f"guarantee {u.rule.id}", enc.term(u.formula, enc.pre, post))
                      for u in c.guarantees]
            syms = symbols_of(c.guard)
            for u in (*c.assumed(op), *c.guarantees):
                syms |= symbols_of(u.formula)
            goals = {i.id: z3.Not(enc.term(i.formula, post, None))
                     for i in self.spec.invariants if i.reads & c.writes}
            claims = [enc.term(cl, enc.pre, post) for cl in frame_claims(c)]
            frame_goal = z3.Not(z3.And(*claims)) if claims else None
            hit = _CaseTerms(post, tuple(facts), frozenset(syms), goals, frame_goal)
            self._cases[c.id] = hit
        return hit

    def _prebuild(self) -> None:
        """Make what every query shares: the background facts and the literals that name
        assumptions in unsat cores.

        The terms of a proof are built when the proof needs them, in the encoder's
        long-lived context, whose term identifiers therefore depend on what was built
        before. That does not reach the proof: each query is copied into a context of its
        own (see :meth:`_fresh`), and the copy is made node by node in a fixed order, so
        its identifiers depend only on the query (tests/test_prover.py checks that each
        proof spends the same resources whatever ran before it). A process thus builds
        only the cases it proves, not the whole spec."""
        if self._built:
            return
        self._built = True
        self.enc.background()
        most = len(self.spec.initial)
        for op in self.spec.operations:
            for c in op.cases:
                most = max(most, 1 + len(c.assumed(op)) + len(c.guarantees))
        self._tracks = [z3.Bool(f"track!{i}", self.enc.ctx)
                        for i in range(most + len(self.spec.invariants))]

    # -- initiation ------------------------------------------------------------------
    def _initial_query(self, goal: Any | None) -> _Query:
        facts = tuple((f"initial condition #{i}", self.enc.term(e, self.enc.pre, None))
                      for i, e in enumerate(self.spec.initial))
        # Initiation assumes no invariant: the initial conditions alone must imply it.
        return _Query(facts, (), (), (), goal)

    def _initiation_goal(self, inv: Rule) -> Any:
        hit = self._init_goals.get(inv.id)
        if hit is None:
            hit = z3.Not(self.enc.term(inv.formula, self.enc.pre, None))
            self._init_goals[inv.id] = hit
        return hit

    def _initial_witness(self) -> tuple[Witness | None, str]:
        """A state satisfying the initial conditions, or None and why there is none:
        ``"empty"`` when z3 proved that no state satisfies them, otherwise what went wrong
        (a timeout is not evidence that the conditions are contradictory)."""
        if self._initial is None:
            w = self._search_state(extra=[], initial=True, minimise=False)
            if isinstance(w, Witness):
                self._initial = (w, "")
            else:
                a = self._decide(self._initial_query(None))
                if a.result == z3.unsat:
                    self._initial = (None, "empty")
                else:
                    self._initial = (None, (
                        f"z3 answered {a.result} ({a.why or 'it found a model'}) about the "
                        "initial conditions "
                        "and the bounded search found no state satisfying them"
                        + (f"; {w}" if w else "")))
        return self._initial

    def _initial_exists(self, ob: Obligation) -> Result:
        t = time.perf_counter()
        w, why = self._initial_witness()
        spent = time.perf_counter() - t
        if w is not None:
            return Result(ob, Verdict.PROVED, spent, detail=f"witness with {_sizes(w.pre)}",
                          method=Method.WITNESS)
        if why == "empty":
            return Result(ob, Verdict.VACUOUS, spent, detail=(
                "no state satisfies the initial conditions, so initiation would hold "
                "vacuously"))
        return Result(ob, Verdict.UNKNOWN, spent, detail=why)

    def _initiation(self, ob: Obligation) -> Result:
        inv = self.spec.rules[ob.rule]
        q = self._initial_query(self._initiation_goal(inv))
        a = self._decide(q)
        if a.result == z3.unsat:
            w, empty = self._initial_witness()
            if w is not None:
                return self._proved(ob, q, a)
            if empty == "empty":
                return Result(ob, Verdict.VACUOUS, a.seconds, detail="holds only because no "
                              "state satisfies the initial conditions")
            return Result(ob, Verdict.UNKNOWN, a.seconds, detail="z3 proved it, but it is not "
                          f"known that any state satisfies the initial conditions ({empty})")
        return self._refute_or_unknown(ob, a.seconds, a.why, lambda: self._search_state(
            extra=[_T(inv.formula)], initial=True), inv)

    # -- per case --------------------------------------------------------------------
    def _case(self, op: Operation, c: Case, obs: list[Obligation]) -> list[Result]:
        out: list[Result] = []
        ct = self._encode_case(op, c)
        vacuous = False
        nv = [o for o in obs if o.kind is Kind.NONVACUITY]
        if nv or any(o.kind in (Kind.CONSECUTION, Kind.TRANSITION) for o in obs):
            res = self._nonvacuity(nv[0] if nv else Obligation(Kind.NONVACUITY, case=c.id,
                                                               operation=op.name), op, c, ct)
            vacuous = res.verdict is Verdict.VACUOUS
            if nv:
                out.append(res)
        for ob in obs:
            if ob.kind is Kind.CONSECUTION:
                out.append(self._consecution(ob, op, c, ct, vacuous))
            elif ob.kind is Kind.FRAME:
                out.append(self._frame(ob, op, c, ct))
            elif ob.kind is Kind.TRANSITION:
                out.append(self._transition(ob, op, c, ct, vacuous))
        return out

    def _nonvacuity(self, ob: Obligation, op: Operation, c: Case, ct: _CaseTerms) -> Result:
        t = time.perf_counter()
        build = self.spec.witnesses.get(c.id)
        if build is not None:
            # A branch that needs a large state (16 eth slots, 64 regions, ...) comes with a
            # builder; its state is checked by the concrete interpreter like any witness.
            pre, post, env = build()
            w0 = Witness(pre, post, env)
            why = _validate(self.spec, w0, op, c, None)
            if not why:
                return Result(ob, Verdict.PROVED, time.perf_counter() - t, detail=(
                    "concrete witness from spec/witnesses.py, checked by the concrete "
                    f"interpreter ({_sizes(pre)})"), method=Method.WITNESS)
            return Result(ob, Verdict.UNKNOWN, time.perf_counter() - t, detail=(
                f"the witness built for this case does not enable it: {why}"))
        # Witnesses are evidence, not something a person reads: no minimising.
        w = self._search_case(op, c, target=None, minimise=False)
        if isinstance(w, Witness):
            return Result(ob, Verdict.PROVED, time.perf_counter() - t,
                          detail="witness: " + _env_str(w.env), method=Method.WITNESS)
        near = self._near(ct.syms)
        a = self._decide(_Query(ct.facts, near, near, self._every, None))
        spent = time.perf_counter() - t
        if a.result == z3.unsat:
            return Result(ob, Verdict.VACUOUS, spent,
                          detail="no state satisfying the invariants enables this case: its "
                          "guard, obligations and guarantees contradict them")
        return Result(ob, Verdict.UNKNOWN, spent, detail=(
            f"z3 answered {a.result} ({a.why or 'it found a model'}) and the bounded search "
            "found no state"
            + (f"; {w}" if isinstance(w, str) else "")))

    def _consecution(self, ob: Obligation, op: Operation, c: Case, ct: _CaseTerms,
                     vacuous: bool) -> Result:
        inv = self.spec.rules[ob.rule]
        q = _Query(ct.facts, (inv.id,), self._near(ct.syms | inv.reads), self._every,
                   ct.goals[inv.id])
        a = self._decide(q)
        if a.result == z3.unsat:
            if vacuous:
                return Result(ob, Verdict.VACUOUS, a.seconds, detail="holds only because the "
                              "case is never enabled under the invariants")
            return self._proved(ob, q, a)
        return self._refute_or_unknown(
            ob, a.seconds, a.why, lambda: self._search_case(op, c, target=inv), inv, op, c)

    def _transition(self, ob: Obligation, op: Operation, c: Case, ct: _CaseTerms,
                    vacuous: bool) -> Result:
        """Every step of the case relates its states as the transition says: the case's
        facts and the invariants it reads, against the transition's negation. Its
        parameters are the operation's (same names, so the same z3 constants)."""
        tr = self.spec.rules[ob.rule]
        goal = z3.Not(self.enc.term(tr.formula, self.enc.pre, ct.post))
        q = _Query(ct.facts, (), self._near(ct.syms | tr.reads), self._every, goal)
        a = self._decide(q)
        if a.result == z3.unsat:
            if vacuous:
                return Result(ob, Verdict.VACUOUS, a.seconds, detail="holds only because the "
                              "case is never enabled under the invariants")
            return self._proved(ob, q, a)
        return self._refute_or_unknown(
            ob, a.seconds, a.why, lambda: self._search_case(op, c, target=tr, two_state=True),
            tr, op, c)

    def _unchanged(self, ob: Obligation) -> Result:
        """A step that changes nothing the transition reads satisfies it: the transition
        with every post-state read replaced by the pre-state, under the invariants."""
        tr = self.spec.rules[ob.rule]
        goal = z3.Not(self.enc.term(tr.formula, self.enc.pre, self.enc.pre))
        q = _Query((), (), self._near(tr.reads), self._every, goal)
        a = self._decide(q)
        if a.result == z3.unsat:
            return self._proved(ob, q, a)
        return Result(ob, Verdict.UNKNOWN if a.result == z3.unknown else Verdict.REFUTED,
                      a.seconds, detail=tr.statement + (f" ({a.why})" if a.why else
                      ": it fails for a step that changes nothing it reads"))

    def _frame(self, ob: Obligation, op: Operation, c: Case, ct: _CaseTerms) -> Result:
        if ct.frame_goal is None:
            return Result(ob, Verdict.PROVED, 0.0, detail="every post-state read is of a "
                          "whole-symbol frame", method=Method.SYNTACTIC,
                          rests_on=Dependencies.of([], minimal=True)
                          if self.dependencies else None)
        q = _Query(ct.facts, (), self._near(ct.syms), self._every, ct.frame_goal)
        a = self._decide(q)
        if a.result == z3.unsat:
            return self._proved(ob, q, a)
        return self._refute_or_unknown(
            ob, a.seconds, a.why, lambda: self._search_case(op, c, target=frame_rule(op, c),
                                                            two_state=True),
            frame_rule(op, c), op, c)

    def _scenario(self, ob: Obligation) -> Result:
        sc = next(x for x in self.spec.scenarios if x.id == ob.rule)
        t = time.perf_counter()
        w = self._search_state(extra=[sc.formula], initial=False, minimise=False)
        spent = time.perf_counter() - t
        if isinstance(w, Witness):
            return Result(ob, Verdict.PROVED, spent, detail=f"witness with {_sizes(w.pre)}",
                          method=Method.WITNESS)
        return Result(ob, Verdict.UNKNOWN, spent, detail=(
            "the bounded search found no state with up to 3 entities per sort; the invariants "
            "may be too strong" + (f" ({w})" if w else "")))

    def _refute_or_unknown(self, ob: Obligation, dt: float, why: str,
                           search: Callable[[], Witness | str | None], rule: Rule,
                           op: Operation | None = None, c: Case | None = None) -> Result:
        t = time.perf_counter()
        w = search()
        spent = dt + time.perf_counter() - t
        if isinstance(w, Witness):
            cex = _counterexample(self.spec, w, rule, op, c)
            return Result(ob, Verdict.REFUTED, spent, detail=rule.statement, counterexample=cex)
        return Result(ob, Verdict.UNKNOWN, spent, detail=(
            f"z3 could not prove it ({why or 'it found a model'}) and the bounded search found "
            "no counterexample with up to 3 entities per sort" + (f"; {w}" if w else "")))

    # -- bounded search ----------------------------------------------------------------
    def _bounded(self, size: int) -> tuple[BoundedEncoder, Any]:
        """A long-lived bounded encoder and solver with the invariants asserted."""
        hit = self._bounded_cache.get(size)
        if hit is None:
            b = BoundedEncoder(self.spec, size, window=size + 1)
            terms = [b.term(i.formula, b.pre, None) for i in self.spec.invariants]
            s = self._solver(b.ctx)
            s.add(*b.background(), *b.side, *terms)
            _make_windows(b, s)
            hit = (b, s)
            self._bounded_cache[size] = hit
        return hit

    def witness(self, case_id: str, extra: Sequence[Expr] = ()) -> Witness:
        """A small concrete state and arguments that take the case ``case_id``, also
        satisfying the ``extra`` formulas (over the operation's parameters, the state
        before and the state after), re-checked by the concrete interpreter.

        Raises :class:`UsageError` if the case is unknown or no such state exists within
        the bounded search (the message says which).
        """
        if case_id not in self.spec.cases:
            raise UsageError(f"unknown case {case_id!r}", "witnesses are found per case",
                             _suggest(case_id, self.spec.cases, "`netdevspec rules` lists them"))
        op, c = self.spec.cases[case_id]
        w = self._search_case(op, c, target=None, extra=extra)
        if not isinstance(w, Witness):
            raise UsageError(f"no state with up to {_SIZES[-1]} objects per sort takes "
                             f"{case_id} with the extra conditions",
                             w or "the bounded search found none",
                             "loosen the conditions or check that they are satisfiable")
        return w

    def _search_case(self, op: Operation, c: Case, target: Rule | None,
                     two_state: bool = False, minimise: bool = True,
                     extra: Sequence[Expr] = ()) -> Witness | str | None:
        problem: str | None = None
        for size in _SIZES:
            b, s = self._bounded(size)
            mark = b.mark()
            post, _ = b.post_state(c, f"#{c.id}")
            b.params_in_universe(op.params)
            terms = self._case_terms(b, op, c, post)
            if target is not None:
                t = (b.term(target.formula, b.pre, post) if two_state
                     else b.term(target.formula, post, None))
                terms.append(z3.Not(t))
            terms += [b.term(x, b.pre, post) for x in extra]
            s.push()
            try:
                s.add(*b.side[mark[0]:], *terms)
                w = self._solve_small(s, b, op.params, post, minimise)
            finally:
                s.pop()
                # The case's own side conditions live only in this scope.
                b.reset(mark)
            if w is None:
                continue
            why = _validate(self.spec, w, op, c, target, two_state)
            if not why and not all(evaluate(x, w.pre, w.post, w.env) for x in extra):
                why = "the extra conditions are false"
            if not why:
                return w
            problem = ("the concrete interpreter rejects z3's state (" + why
                       + "): the two interpretations disagree; please report this")
        return problem

    def _solve_small(self, s: Any, b: BoundedEncoder, params: Sequence[Any],
                     post: State | None, minimise: bool = True) -> Witness | None:
        """Find a model, with integers as small (and non-negative) as possible if asked."""
        ints = _int_terms(b, params, post, with_pre=False)
        for level in _LEVELS if minimise else _WITNESS_LEVELS:
            s.push()
            try:
                assume = []
                if level is not None:
                    lo, hi = level
                    assume.append(b.__dict__["_window_cache"][level])
                    s.add(*(z3.And(lo <= t, t <= hi) for t in ints))
                if s.check(*assume) == z3.sat:
                    return _extract(self.spec, b, s.model(), params, post)
            finally:
                s.pop()
        return None

    def _search_state(self, extra: list[Any], initial: bool,
                      minimise: bool = True) -> Witness | str | None:
        problem: str | None = None
        for size in _SIZES:
            if initial:
                b = BoundedEncoder(self.spec, size, window=size + 1)
                s = self._solver(b.ctx)
                s.add(*b.background(), *(b.term(e, b.pre, None) for e in self.spec.initial))
                s.add(*b.side)
                _make_windows(b, s)
            else:
                b, s = self._bounded(size)
            mark = b.mark()
            terms = []
            for e in extra:
                if isinstance(e, _T):
                    terms.append(z3.Not(b.term(e.expr, b.pre, None)))
                else:
                    terms.append(b.term(e, b.pre, None))
            s.push()
            try:
                s.add(*b.side[mark[0]:], *terms)
                w = self._solve_small(s, b, (), None, minimise)
            finally:
                s.pop()
                b.reset(mark)
            if w is None:
                continue
            bad = [i.id for i in self.spec.invariants if not evaluate(i.formula, w.pre)]
            goal_ok = all(bool(evaluate(e.expr if isinstance(e, _T) else e, w.pre))
                          != isinstance(e, _T) for e in extra)
            init_ok = all(evaluate(e, w.pre) for e in self.spec.initial)
            if goal_ok and (init_ok if initial else not bad):
                return w
            problem = ("the concrete interpreter rejects z3's state: the two "
                       "interpretations disagree; please report this")
        return problem


def _split(obligations: Sequence[Obligation], jobs: int) -> list[list[Obligation]]:
    """Share obligations out among ``jobs`` chunks, a case's obligations kept together,
    balancing an estimated cost (witness searches dominate)."""
    groups: dict[str, list[Obligation]] = {}
    for ob in obligations:
        key = ob.case or f"{ob.kind.value}:{ob.rule}"
        groups.setdefault(key, []).append(ob)

    def cost(obs: list[Obligation]) -> float:
        return sum(1.0 if o.kind in (Kind.NONVACUITY, Kind.SCENARIO) else 0.05 for o in obs)

    chunks: list[list[Obligation]] = [[] for _ in range(jobs)]
    load = [0.0] * jobs
    for obs in sorted(groups.values(), key=cost, reverse=True):
        i = load.index(min(load))
        chunks[i].extend(obs)
        load[i] += cost(obs)
    return chunks


def _worker_init(parent: int) -> None:
    """Worker-process set-up: the parent decides what a Ctrl-C means (it ends the run and
    terminates the workers), and on Linux a worker dies with its parent, however the
    parent ends (even SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _run_chunk(spec_ref: str, timeout_ms: int, seed: int, dependencies: bool,
               obligations: list[Obligation]) -> list[Result]:
    """Worker-process entry: import the spec by reference and check a chunk."""
    module, _, attr = spec_ref.partition(":")
    spec = getattr(importlib.import_module(module), attr)
    out: list[Result] = []
    Prover(spec, timeout_ms=timeout_ms, seed=seed,
           dependencies=dependencies)._run_local(obligations, out.append)
    return out


@dataclass(frozen=True)
class _Query:
    """One claim for the unbounded solver.

    ``facts`` are labelled terms always assumed (the case's guard, obligations and
    guarantees, or the initial conditions); ``own``, ``near`` and ``every`` are the
    invariants (by ID) assumed in the successive stages; ``goal`` is the negated claim
    (``None``: is the rest satisfiable at all?).
    """

    facts: tuple[tuple[str, Any], ...]
    own: tuple[str, ...]
    near: tuple[str, ...]
    every: tuple[str, ...]
    goal: Any | None


@dataclass(frozen=True)
class _Answer:
    """z3's answer to a query, the stage that gave it, and what that stage assumed."""

    result: Any
    method: Method
    why: str
    seconds: float
    invariants: tuple[str, ...]


@dataclass(frozen=True)
class _CaseTerms:
    """The unbounded terms of one case, built once."""

    post: State
    facts: tuple[tuple[str, Any], ...]
    syms: frozenset[StateSym]
    goals: dict[str, Any]  # invariant ID -> its negation over the post-state
    frame_goal: Any | None  # the negated frame claims (None: nothing to check)


def _why(reason: str) -> str:
    """z3's reason for ``unknown``, in words (a spent rlimit is reported as 'canceled')."""
    if reason == "canceled":
        return "its resource budget (rlimit) ran out"
    if reason == "timeout":
        return "the time limit (--timeout) ran out"
    return reason or "no reason given"


class _T:
    """Marks a formula that the bounded search must make false."""

    def __init__(self, expr: Expr):
        self.expr = expr


def _suggest(name: str, known: Iterable[str], fallback: str) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=3)
    return f"did you mean {', '.join(close)}?" if close else fallback


def _make_windows(b: BoundedEncoder, s: Any) -> None:
    """For each integer window, a literal that, assumed, keeps every pre-state integer in it.

    The constraints go into the solver once, outside any scope, so they are built and
    internalised once per encoder rather than once per case.
    """
    cache: dict[tuple[int, int], Any] = b.__dict__.setdefault("_window_cache", {})
    pre_ints = _int_terms(b, (), None, with_pre=True)
    for level in {*_LEVELS, *_WITNESS_LEVELS}:
        if level is None or level in cache:
            continue
        lo, hi = level
        lit = z3.Bool(f"window[{lo},{hi}]", b.ctx)
        s.add(z3.Implies(lit, z3.And(*(z3.And(lo <= t, t <= hi) for t in pre_ints))))
        cache[level] = lit


def _int_terms(b: BoundedEncoder, params: Sequence[Any], post: State | None,
               with_pre: bool = True) -> list[Any]:
    """Integer terms to keep small: parameters and symbol values over the universe."""
    out = [b.var(p.name, p.sort) for p in params if p.sort.kind is SortKind.INT]
    states = ([b.pre] if with_pre else []) + ([post] if post is not None else [])
    for st in states:
        for sym, arr in st.items():
            if sym.result.kind is not SortKind.INT or (st is post and arr is b.pre[sym]):
                continue
            out += [t for _, t in _selects(b, sym, st)]
    return out


def _selects(b: BoundedEncoder, sym: StateSym, st: State) -> list[tuple[tuple[Any, ...], Any]]:
    """(args, Select term) for a symbol whose meaningful arguments do not depend on the
    model; cached per encoder for the pre-state."""
    cache: dict[StateSym, list[tuple[tuple[Any, ...], Any]]] = b.__dict__.setdefault(
        "_select_cache", {})
    if st is b.pre and sym in cache:
        return cache[sym]
    out = [(args, b.select(sym, st, args)) for args in _arg_tuples(b, sym)]
    if st is b.pre:
        cache[sym] = out
    return out


def _arg_tuples(b: BoundedEncoder, sym: StateSym) -> list[tuple[Any, ...]]:
    """The argument tuples at which a symbol's value is meaningful whatever the model
    (none for a position-indexed symbol, whose range the model decides)."""
    tuples: list[tuple[Any, ...]] = [()]
    for s in sym.args:
        if s.kind is SortKind.ENTITY:
            tuples = [(*t, u) for t in tuples for u in b.universe.elements[s.name]]
        elif sym.domain is not None:
            lo, hi = sym.domain
            tuples = [(*t, b.int_val(v)) for t in tuples for v in range(lo, hi)]
        else:
            return []
    return tuples


class _Reader:
    """Reads values out of a z3 model through the C API (the Python layer dominates the
    cost of witness extraction otherwise: a witness reads thousands of array cells)."""

    def __init__(self, model: Any):
        self.model = model
        self.ctx = model.ctx.ref()
        self._out = z3core.Ast(0)

    def _eval(self, a: Any) -> Any:
        z3core.Z3_model_eval(self.ctx, self.model.model, a, True, ctypes.byref(self._out))
        return self._out

    def boolean(self, a: Any) -> bool:
        return bool(z3core.Z3_get_bool_value(self.ctx, self._eval(a)) == 1)

    def integer(self, a: Any) -> int:
        return int(z3core.Z3_get_numeral_string(self.ctx, self._eval(a)))

    def ident(self, a: Any) -> int:
        return int(z3core.Z3_get_ast_id(self.ctx, self._eval(a)))

    def cell(self, arr: Any, idx: tuple[Any, ...], read: Callable[[Any], Any]) -> Any:
        """``read`` of the model's value of ``arr[idx]`` (``arr`` itself for no index)."""
        if not idx:
            return read(arr)
        if len(idx) == 1:
            sel = z3core.Z3_mk_select(self.ctx, arr, idx[0])
        else:
            sel = z3core.Z3_mk_select_n(self.ctx, arr, len(idx),
                                        (z3core.Ast * len(idx))(*idx))
        # Held while it is evaluated and the value read; released at once after.
        z3core.Z3_inc_ref(self.ctx, sel)
        try:
            return read(sel)
        finally:
            z3core.Z3_dec_ref(self.ctx, sel)


def _extract(spec: Spec, b: BoundedEncoder, model: Any, params: Sequence[Any],
             post: State | None) -> Witness:
    """Read a bounded model back as concrete states (entities named b0, d1, ...)."""
    rd = _Reader(model)
    names: dict[int, Any] = {}
    universe: dict[str, list[Any]] = {}
    # Each universe element as (its C handle, its concrete name), for array indices.
    points: dict[str, list[tuple[Any, Any]]] = {}
    sorts = {s.name: s for s in spec.sorts}
    for sname, els in b.universe.elements.items():
        named = {v.get_id(): n for (s, n), v in b.consts.items() if s == sname}
        members = []
        pts = []
        for idx, u in enumerate(els):
            key = rd.ident(u.as_ast())
            val = None if idx == 0 else named.get(
                u.get_id(), f"{sorts[sname].prefix}{idx - 1 - len(named)}")
            names[key] = val
            if idx:
                members.append(val)
            pts.append((u.as_ast(), val))
        universe[sname] = members
        points[sname] = pts

    def reader(sort: Any) -> Callable[[Any], Any]:
        if sort.kind is SortKind.BOOL:
            return rd.boolean
        if sort.kind in (SortKind.INT, SortKind.BV):
            return rd.integer
        return lambda a: names.get(rd.ident(a))

    def cells(sym: StateSym, st: State) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        """(concrete arguments, C handles) of every meaningful cell of ``sym`` in ``st``
        (for a position-indexed symbol: the union of its ranges in both states)."""
        out: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = [((), ())]
        for i, s in enumerate(sym.args):
            if s.kind is SortKind.ENTITY:
                out = [((*v, val), (*a, h)) for v, a in out for h, val in points[s.name]]
            elif sym.domain is not None:
                lo, hi = sym.domain
                out = [((*v, k), (*a, b.int_val(k).as_ast()))
                       for v, a in out for k in range(lo, hi)]
            elif sym.index is not None and i == len(sym.args) - 1:
                lo_sym, hi_sym = sym.index
                other = other_of(st)
                states = [st] if other is None else [st, other]
                nxt = []
                for v, a in out:
                    los = [0 if lo_sym is None else rd.cell(x[lo_sym].as_ast(), a, rd.integer)
                           for x in states]
                    his = [rd.cell(x[hi_sym].as_ast(), a, rd.integer) for x in states]
                    nxt += [((*v, k), (*a, b.int_val(k).as_ast()))
                            for k in range(min(los), max(his))]
                out = nxt
            else:
                return []
        return out

    def other_of(st: State) -> State | None:
        return post if st is b.pre else b.pre

    def state(st: State, base: ConcreteState | None) -> ConcreteState:
        cs = ConcreteState(universe={k: list(v) for k, v in universe.items()})
        for sym in spec.vocabulary:
            arr = st[sym]
            if base is not None and arr is b.pre[sym] and sym.index is None:
                # Outside the frame the post-state is the pre-state.
                cs.values[sym.name] = dict(base.values.get(sym.name, {}))
                continue
            read = reader(sym.result)
            handle = arr.as_ast()
            table = cs.values.setdefault(sym.name, {})
            for vals, idx in cells(sym, st):
                table[vals] = rd.cell(handle, idx, read)
        return cs

    env = {p.name: reader(p.sort)(b.var(p.name, p.sort).as_ast()) for p in params}
    pre = state(b.pre, None)
    return Witness(pre, state(post, pre) if post is not None else None, env)


def _validate(spec: Spec, w: Witness, op: Operation, c: Case, target: Rule | None,
              two_state: bool = False) -> str:
    bad = [i.id for i in spec.invariants if not evaluate(i.formula, w.pre)]
    if bad:
        return f"invariants {bad} are false in the state before"
    if not evaluate(c.guard, w.pre, None, w.env):
        return "the guard is false"
    for u in c.assumed(op):
        if not evaluate(u.formula, w.pre, None, w.env):
            return f"obligation {u.rule.id} is false"
    assert w.post is not None
    for u in c.guarantees:
        if not evaluate(u.formula, w.pre, w.post, w.env):
            return f"guarantee {u.rule.id} is false"
    if target is not None:
        holds = (evaluate(target.formula, w.pre, w.post, w.env) if two_state
                 else evaluate(target.formula, w.post, None, w.env))
        if holds:
            return f"{target.id} holds after the call"
    return ""


def _sizes(st: ConcreteState) -> str:
    return ", ".join(f"{len(v)} {k}" for k, v in st.universe.items() if v)


def _env_str(env: dict[str, Any]) -> str:
    return ", ".join(f"{k}={'NULL' if v is None else v}" for k, v in env.items())


def _objects(spec: Spec, st: ConcreteState, syms: Iterable[StateSym]) -> dict[str, dict[str, Any]]:
    """Group the state's values by object (``skb b0``) for display, defaults hidden."""
    out: dict[str, dict[str, Any]] = {}
    wanted = set(syms)
    for sym in spec.vocabulary:
        if sym not in wanted:
            continue
        group, _, fld = sym.name.partition(".")
        for args, v in sorted(st.values.get(sym.name, {}).items(), key=lambda kv: repr(kv[0])):
            if args and args[0] is None:
                continue
            if not args:
                key = group
            else:
                head = "NULL" if args[0] is None else str(args[0])
                key = f"{group} {head}"
                if len(args) > 1:
                    fld_name = f"{fld}[{', '.join(map(str, args[1:]))}]"
                    out.setdefault(key, {})[fld_name] = v
                    continue
            out.setdefault(key, {})[fld] = v
    return out


def _counterexample(spec: Spec, w: Witness, rule: Rule, op: Operation | None,
                    c: Case | None) -> Counterexample:
    syms: set[StateSym] = set(rule.reads)
    if c is not None and op is not None:
        syms |= set(c.writes)
        syms |= symbols_of(c.guard)
        for u in (*c.assumed(op), *c.guarantees):
            syms |= symbols_of(u.formula)
    call = ""
    if op is not None and c is not None:
        call = f"{op.name}({_env_str(w.env)})  [case {c.id}]"
    before = _objects(spec, w.pre, syms)
    after = _objects(spec, w.post, syms) if w.post is not None else None
    return Counterexample(before, call, after, rule.id, rule.statement)


def frame_rule(op: Operation, c: Case) -> Rule:
    """The frame obligation of a case, as a rule object (for reports)."""
    return Rule(f"{c.id}.frame", RuleKind.GUARANTEE,
                f"{c.id} constrains the post-state only inside its frame ("
                + ", ".join(str(f) for f in c.modifies) + ")",
                And(*frame_claims(c)), op.citations, "effect outside the frame", op.params)
