"""The prover: the bundled spec is proved; broken variants are refuted with the right rule."""

from __future__ import annotations

import dataclasses
from typing import Any

import jsonschema
import pytest
import z3
from netdevspec.model import Kind, Method, Prover, Report, Verdict
from netdevspec.model.results import report_schema
from netdevspec.spec import SPEC, Spec
from netdevspec.spec._build import cite, guarantee, invariant
from netdevspec.spec.common import b, n
from netdevspec.spec.logic import And, Not, lit
from netdevspec.spec.vocabulary import skb_len, skb_tail

pytestmark = pytest.mark.slow


def run(spec: Spec, **sel: Any) -> Report:
    p = Prover(spec)
    return p.run(p.plan(**sel))


def result(report: Report, ob_id: str) -> Any:
    hits = [r for r in report.results if r.obligation.id == ob_id]
    assert hits, f"no obligation {ob_id}; have {[r.obligation.id for r in report.results]}"
    return hits[0]


def test_everything_is_proved(full_report: Report) -> None:
    bad = [(r.obligation.id, r.verdict.value, r.detail) for r in full_report.results
           if r.verdict is not Verdict.PROVED]
    assert bad == []
    assert len(full_report.results) >= 300
    assert full_report.exit_code == 0
    kinds = {r.obligation.kind for r in full_report.results}
    assert kinds == set(Kind)
    cases = {r.obligation.case for r in full_report.results if r.obligation.kind is Kind.NONVACUITY}
    assert cases == {*SPEC.cases, ""}  # "" is the initial state's own non-vacuity
    inits = {r.obligation.rule for r in full_report.results if r.obligation.kind is Kind.INITIATION}
    assert inits == {i.id for i in SPEC.invariants}


def test_report_json_matches_its_schema(full_report: Report) -> None:
    doc = full_report.to_json()
    jsonschema.validate(doc, report_schema())
    assert doc["summary"]["PROVED"] == len(full_report.results)
    from netdevspec.model.prover import EMATCH_RLIMIT, RETRY_RLIMIT

    assert doc["rlimit"] == {"e-matching": EMATCH_RLIMIT, "model-based": RETRY_RLIMIT}


def test_skb_put_without_its_bound_is_refuted_with_a_readable_counterexample() -> None:
    spec = SPEC.with_operation(SPEC.operation("skb_put").without_obligation("skb.put.bounds"))
    rep = run(spec, operations=["skb_put"])
    r = result(rep, "consecution:skb_put.ok:skb.geometry")
    assert r.verdict is Verdict.REFUTED
    cex = r.counterexample
    assert cex is not None and cex.broken == "skb.geometry"
    (obj,) = [k for k in cex.after if k.startswith("skb ")]
    before, after = cex.before[obj], cex.after[obj]
    assert after["tail"] > before["end"]  # the buffer overran its end
    ints = [v for st_ in (cex.before, cex.after) for f in st_.values() for v in f.values()
            if isinstance(v, int) and not isinstance(v, bool)]
    assert all(0 <= v <= 16 for v in ints), ints  # small and non-negative
    text = cex.render()
    assert text.startswith("state 0:")
    assert "call skb_put(" in text and "[case skb_put.ok]" in text
    assert "broken: skb.geometry: every live buffer has head ≤ data ≤ tail ≤ end" in text
    assert rep.exit_code == 1


def test_register_without_the_name_check_is_refuted() -> None:
    op = SPEC.operation("register_netdev").without_obligation("reg.register.unique")
    ok = op.case("register_netdev.ok_named")
    rc_zero, not_blank, _untaken = ok.guard.args  # drop the kernel's "name not taken" test
    spec = SPEC.with_operation(op.with_case(dataclasses.replace(ok, guard=And(rc_zero,
                                                                             not_blank))))
    rep = run(spec, operations=["register_netdev"], rules=["reg.name.unique"])
    r = result(rep, "consecution:register_netdev.ok_named:reg.name.unique")
    assert r.verdict is Verdict.REFUTED
    assert r.counterexample is not None
    assert r.counterexample.broken == "reg.name.unique"
    assert "register_netdev(" in r.counterexample.call


def test_free_irq_without_the_owner_check_is_refuted() -> None:
    spec = SPEC.with_operation(SPEC.operation("free_irq").without_obligation("res.irq.free.owner"))
    rep = run(spec, operations=["free_irq"])
    r = result(rep, "consecution:free_irq.ok:res.irq.wellformed")
    assert r.verdict is Verdict.REFUTED  # a module can now free the kernel's timer line
    assert r.counterexample is not None and "free_irq(" in r.counterexample.call
    assert [x.obligation.id for x in rep.results if x.verdict is Verdict.REFUTED] == [
        "consecution:free_irq.ok:res.irq.wellformed",
        "transition:free_irq.ok:res.irq.release.owner"]


def test_a_transition_makes_the_owner_check_load_bearing_between_modules() -> None:
    # The state invariants only see the kernel's own actions (res.irq.wellformed); the
    # transition also catches a module freeing another module's action.
    spec = SPEC.with_operation(SPEC.operation("free_irq").without_obligation("res.irq.free.owner"))
    rep = run(spec, operations=["free_irq"], rules=["res.irq.release.owner"])
    r = result(rep, "transition:free_irq.ok:res.irq.release.owner")
    assert r.verdict is Verdict.REFUTED
    assert r.detail == "an IRQ action disappears only in a call by the module that requested it"
    cex = r.counterexample
    assert cex is not None and cex.call.startswith("free_irq(") and cex.after is not None
    caller = cex.call.split("c=", 1)[1].split(",", 1)[0]
    gone = [k for k, v in cex.before.items()
            if k.startswith("act ") and v["live"] and not cex.after[k]["live"]]
    assert gone and all(cex.before[k]["owner"] != caller for k in gone), cex
    # With the obligation, every step of every case satisfies it.
    whole = run(SPEC, rules=["res.irq.release.owner"])
    assert {x.obligation.id: x.verdict for x in whole.results} == {
        "transition:request_irq.ok:res.irq.release.owner": Verdict.PROVED,
        "transition:free_irq.ok:res.irq.release.owner": Verdict.PROVED,
        "transition:res.irq.release.owner": Verdict.PROVED}


def test_request_irq_without_the_sharing_check_is_refuted() -> None:
    op = SPEC.operation("request_irq")
    ok = op.case("request_irq.ok")
    parts = ok.guard.args
    weaker = And(*parts[:3], *parts[5:])  # drop "no conflicting action", "same SA_INTERRUPT"
    spec = SPEC.with_operation(op.with_case(dataclasses.replace(ok, guard=weaker)))
    rep = run(spec, operations=["request_irq"], rules=["res.irq.exclusive"])
    assert result(rep, "consecution:request_irq.ok:res.irq.exclusive").verdict is Verdict.REFUTED


def test_invariants_that_admit_no_state_are_vacuous() -> None:
    never = invariant("skb.never", "no state at all", lit(False),
                      cite(("SKB-1", "[K] include/linux/skbuff.h")))
    spec = dataclasses.replace(SPEC, invariants=(*SPEC.invariants, never))
    rep = run(spec, operations=["skb_put", "skb_pull"])
    nv = [r for r in rep.results if r.obligation.kind is Kind.NONVACUITY]
    assert nv and all(r.verdict is Verdict.VACUOUS for r in nv)
    cons = [r for r in rep.results if r.obligation.kind is Kind.CONSECUTION]
    assert cons and all(r.verdict is Verdict.VACUOUS for r in cons)
    assert rep.exit_code == 1
    init = run(spec, rules=["skb.never"])
    assert result(init, "initiation:skb.never").verdict is Verdict.REFUTED


def test_contradictory_guarantees_make_the_case_vacuous() -> None:
    op = SPEC.operation("skb_put")
    ok = op.case("skb_put.ok")
    twice = guarantee("skb.put.twice", "tail also grows by n + 1", (b, n),
                      skb_tail.post(b) == skb_tail(b) + n + 1, cite(("SKB-4", "[K] skbuff.h")))
    spec = SPEC.with_operation(op.with_case(dataclasses.replace(
        ok, guarantees=(*ok.guarantees, twice))))
    rep = run(spec, operations=["skb_put"])
    assert result(rep, "non-vacuity:skb_put.ok").verdict is Verdict.VACUOUS


def test_an_effect_at_an_unframed_location_fails_the_frame_obligation() -> None:
    op = SPEC.operation("skb_clone")
    ok = op.case("skb_clone.ok")
    # skb.len is framed at the clone b2 only; this guarantee constrains it at b.
    stray = guarantee("skb.clone.stray", "the original's len is rewritten", (b,),
                      skb_len.post(b) == skb_len(b), cite(("SKB-15", "[K] skbuff.c")))
    spec = SPEC.with_operation(op.with_case(dataclasses.replace(
        ok, guarantees=(*ok.guarantees, stray))))
    rep = run(spec, operations=["skb_clone"])
    r = result(rep, "frame:skb_clone.ok")
    assert r.verdict is Verdict.REFUTED
    assert r.counterexample is not None and r.counterexample.broken == "skb_clone.ok.frame"


def test_z3_unknown_is_never_reported_as_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(z3.Solver, "check", lambda self, *a: z3.unknown)
    monkeypatch.setattr(z3.Solver, "reason_unknown", lambda self: "timeout")
    rep = run(SPEC, operations=["skb_put", "skb_pull"])
    # Frame obligations of cases whose effects are all whole-symbol need no query at all.
    asked = [r for r in rep.results if "every post-state read" not in r.detail]
    assert len(asked) >= 5
    assert all(r.verdict is Verdict.UNKNOWN for r in asked)
    assert rep.exit_code == 3
    assert "timeout" in rep.results[-1].detail


def test_runs_are_reproducible() -> None:
    spec = SPEC.with_operation(SPEC.operation("skb_push").without_obligation("skb.push.bounds"))
    a = run(spec, operations=["skb_push"])
    b_ = run(spec, operations=["skb_push"])
    assert [(r.obligation.id, r.verdict) for r in a.results] == [
        (r.obligation.id, r.verdict) for r in b_.results]
    ca = [r.counterexample.to_json() for r in a.results if r.counterexample]
    cb = [r.counterexample.to_json() for r in b_.results if r.counterexample]
    assert ca == cb and ca


def test_selection_errors_name_the_fix() -> None:
    p = Prover(SPEC)
    from netdevspec.errors import UsageError

    with pytest.raises(UsageError, match=r"unknown rule 'skb.geometri'.*did you mean skb.geometry"):
        p.plan(rules=["skb.geometri"])
    with pytest.raises(UsageError, match=r"unknown operation 'skb_pt'.*did you mean skb_put"):
        p.plan(operations=["skb_pt"])
    assert Not(lit(True)) is not None


def test_witness_reaches_an_edge_of_a_case() -> None:
    from netdevspec.spec import evaluate
    from netdevspec.spec.vocabulary import skb_end

    from netdevspec.errors import UsageError

    p = Prover(SPEC)
    edge = [skb_tail(b) + n == skb_end(b), n > 0]
    w = p.witness("skb_put.ok", edge)
    assert all(evaluate(x, w.pre, w.post, w.env) for x in edge)
    assert w.post is not None and evaluate(skb_tail.post(b) == skb_end(b), w.pre, w.post, w.env)
    with pytest.raises(UsageError, match="no state with up to 3 objects per sort takes skb_put.ok"):
        p.witness("skb_put.ok", [n < 0])  # the obligation skb.length.nonneg forbids it
    with pytest.raises(UsageError, match="unknown case 'skb_put.okay'.*did you mean skb_put.ok"):
        p.witness("skb_put.okay")


def test_contradictory_initial_conditions_make_initiation_vacuous() -> None:
    spec = dataclasses.replace(SPEC, initial=(*SPEC.initial, lit(False)))
    rep = run(spec)
    assert result(rep, "non-vacuity:initial-state").verdict is Verdict.VACUOUS
    inits = [r for r in rep.results if r.obligation.kind is Kind.INITIATION]
    assert inits and all(r.verdict is Verdict.VACUOUS for r in inits)


def test_every_proof_says_how_it_was_reached(full_report: Report) -> None:
    for r in full_report.results:
        kind = r.obligation.kind
        if kind in (Kind.INITIATION, Kind.CONSECUTION):
            assert r.method in (Method.E_MATCHING, Method.MODEL_BASED), r.obligation.id
        elif kind is Kind.SCENARIO or r.obligation.kind is Kind.NONVACUITY:
            assert r.method is Method.WITNESS, r.obligation.id
        else:
            assert r.method in (Method.E_MATCHING, Method.MODEL_BASED, Method.SYNTACTIC)
    methods = full_report.to_json()["summary"]["methods"]
    assert sum(methods.values()) == len(full_report.results)


ORDER_OPS = ["free_irq", "request_irq", "kfree_skb", "skb_queue_tail", "register_netdev"]


def test_verdicts_do_not_depend_on_order_or_jobs(full_report: Report) -> None:
    from netdevspec.spec import SPEC_REF

    def verdicts(rep: Report) -> dict[str, tuple[Verdict, Any]]:
        return {r.obligation.id: (r.verdict, r.method) for r in rep.results}

    p = Prover(SPEC)
    plan = p.plan(operations=ORDER_OPS)
    forward = verdicts(p.run(plan))
    backward = verdicts(Prover(SPEC).run(plan[::-1]))
    split = verdicts(Prover(SPEC).run(plan, jobs=2, spec_ref=SPEC_REF))
    whole = verdicts(full_report)  # the whole plan, two processes
    assert forward == backward == split
    assert forward == {k: whole[k] for k in forward}


def _resources_spent(p: Prover, plan: list[Any]) -> dict[str, list[int]]:
    """Run ``plan`` on ``p``; z3's resource count of each proof stage, by obligation."""
    spent: dict[str, list[int]] = {}
    solvers: list[Any] = []
    make = p._proof_solver

    def recording(method: Method, ctx: Any) -> Any:
        s = make(method, ctx)
        solvers.append(s)
        return s

    p._proof_solver = recording  # type: ignore[method-assign]
    for ob in plan:
        solvers.clear()
        p.run([ob])
        spent[ob.id] = [int(s.statistics().get_key_value("rlimit count")) for s in solvers]
    return spent


def test_each_proof_spends_the_same_resources_whatever_ran_before_it() -> None:
    # Stronger than equal verdicts: the solver does the very same work. A process builds
    # proof terms lazily (only for the cases it proves), so the encoder's context differs
    # with the history; the proof's own context must not.
    alone = Prover(SPEC)
    plan = alone.plan(operations=["free_irq", "request_irq", "kfree_skb", "skb_queue_tail"])
    first = _resources_spent(alone, plan)
    busy = Prover(SPEC)
    busy.run(busy.plan(operations=["skb_put", "register_netdev"]))
    again = _resources_spent(busy, plan[::-1])
    assert sum(len(v) for v in first.values()) > 20
    assert first == again


def test_proof_budgets_are_resource_units_not_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    from netdevspec.model import prover

    sel = {"operations": ["skb_put"], "rules": ["skb.geometry"]}
    ob = "consecution:skb_put.ok:skb.geometry"
    # E-matching given no budget at all: the model-based retry proves it.
    monkeypatch.setattr(prover, "EMATCH_RLIMIT", 1)
    r = result(run(SPEC, **sel), ob)
    assert (r.verdict, r.method) == (Verdict.PROVED, Method.MODEL_BASED)
    # Neither given a budget: UNKNOWN, saying why, never PROVED.
    monkeypatch.setattr(prover, "RETRY_RLIMIT", 1)
    r = result(run(SPEC, **sel), ob)
    assert r.verdict is Verdict.UNKNOWN
    assert "z3 could not prove it (its resource budget (rlimit) ran out)" in r.detail


def test_a_proof_rests_on_the_invariant_it_needs() -> None:
    ob = "consecution:kfree_skb.ok:skb.clone.refs"
    p = Prover(SPEC, dependencies=True)
    rep = p.run([o for o in p.plan(operations=["kfree_skb"]) if o.id == ob])
    (r,) = rep.results
    assert r.verdict is Verdict.PROVED and r.rests_on is not None and r.rests_on.minimal
    # Freeing a buffer drops its area's count by one; that this count is right needs
    # the invariant tying each live buffer's reference to its area.
    assert {"skb.clone.refs", "skb.clone.area"} <= set(r.rests_on.invariants)
    assert "skb.free.release" in r.rests_on.guarantees
    # And without that invariant the claim is refuted, with a counterexample.
    spec = dataclasses.replace(SPEC, invariants=tuple(
        i for i in SPEC.invariants if i.id != "skb.clone.area"))
    p2 = Prover(spec)
    r2 = p2.run([o for o in p2.plan(operations=["kfree_skb"]) if o.id == ob]).results[0]
    assert r2.verdict is Verdict.REFUTED and r2.counterexample is not None


def test_dependencies_are_published_and_unused_rules_listed() -> None:
    # A guarantee no proof needs: nothing reads it, so it is listed as unused.
    op = SPEC.operation("skb_put")
    ok = op.case("skb_put.ok")
    idle = guarantee("skb.put.idle", "the length stays non-negative", (b,),
                     skb_len.post(b) >= 0, cite(("SKB-4", "[K] skbuff.h")))
    spec = SPEC.with_operation(op.with_case(dataclasses.replace(
        ok, guarantees=(*ok.guarantees, idle))))
    p = Prover(spec, dependencies=True)
    rep = p.run(p.plan(operations=["skb_put"]))
    doc = rep.to_json()
    jsonschema.validate(doc, report_schema())
    geo = result(rep, "consecution:skb_put.ok:skb.geometry").rests_on
    assert geo is not None
    assert "skb.geometry" in geo.invariants and "skb.put.bounds" in geo.obligations
    assert "skb.put.idle" in rep.unused_rules()
    assert doc["dependencies"]["rests_on"]["skb.geometry"]
    assert "consecution:skb_put.ok:skb.geometry" in doc["dependencies"]["rests_on"][
        "skb.put.bounds"]
    assert doc["dependencies"]["unused_rules"] == rep.unused_rules()
    # Without --deps nothing is extracted and the report says so with null.
    plain = run(spec, operations=["skb_put"]).to_json()
    assert plain["dependencies"] is None
    assert all(r["rests_on"] is None for r in plain["results"])


@pytest.mark.parametrize(("op", "obligation", "transition"), [
    ("free_irq", "res.irq.free.owner", "res.irq.release.owner"),
    ("release_region", "res.region.release.owner", "res.region.release.owner_only"),
    ("free_dma", "res.dma.free.owner", "res.dma.free.owner_only"),
    ("unregister_netdev", "reg.unregister.owner", "reg.unregister.owner_only"),
])
def test_each_owner_check_is_load_bearing(op: str, obligation: str, transition: str) -> None:
    # The 'only the owner releases' obligations were needed by no proof before the
    # transitions: dropping one left everything PROVED.
    spec = SPEC.with_operation(SPEC.operation(op).without_obligation(obligation))
    rep = run(spec, operations=[op], rules=[transition])
    refuted = [r for r in rep.results if r.verdict is Verdict.REFUTED]
    assert [r.obligation.id for r in refuted] == [f"transition:{op}.ok:{transition}"]
    assert refuted[0].counterexample is not None
    assert refuted[0].counterexample.call.startswith(f"{op}(")
