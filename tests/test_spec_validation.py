"""A malformed rule is rejected when the spec is loaded, with a message naming it and the fix."""

from __future__ import annotations

import dataclasses

import pytest
from netdevspec.spec import SPEC, Citation, Rule, RuleKind, Spec
from netdevspec.spec._build import at, case, cite, guarantee, invariant, operation
from netdevspec.spec.common import b, c, n
from netdevspec.spec.logic import INT, Forall, Implies, StateSym
from netdevspec.spec.vocabulary import skb_alive, skb_len, skb_tail

from netdevspec.errors import SpecError

X = SPEC.invariants[0]  # skb.geometry


def rebuild(**changes: object) -> Spec:
    return dataclasses.replace(SPEC, **changes)  # type: ignore[arg-type]


def test_the_bundled_spec_loads() -> None:
    assert len(SPEC.rules) > 100
    assert {op.name for op in SPEC.operations} >= {
        "register_netdev", "unregister_netdev", "dev_get", "dev_alloc_name", "ether_setup",
        "request_irq", "free_irq", "check_region", "request_region", "release_region",
        "request_dma", "free_dma", "alloc_skb", "dev_alloc_skb", "skb_reserve", "skb_put",
        "skb_push", "skb_pull", "skb_trim", "skb_headroom", "skb_tailroom", "kfree_skb",
        "dev_kfree_skb", "skb_clone", "skb_copy", "skb_queue_head", "skb_queue_tail",
        "skb_dequeue", "skb_insert", "skb_append", "skb_unlink", "skb_peek", "netif_rx",
        "dev_queue_xmit", "hard_start_xmit", "hard_start_xmit_return", "dev_tint",
        "dev_open", "dev_close", "open_return", "stop_return", "sys_init_module",
        "init_module_return", "delete_module", "cleanup_module_return",
        "mod_inc_use_count", "mod_dec_use_count"}


def test_unknown_state_symbol() -> None:
    ghost = StateSym("skb.ghost", skb_len.args, INT, "not declared", 0)
    x = Forall(b, Implies(skb_alive(b), ghost(b) >= 0))
    bad = invariant("skb.ghost.pos", "ghosts are positive", x, X.citations)
    with pytest.raises(SpecError) as e:
        rebuild(invariants=(*SPEC.invariants, bad))
    assert "invariant 'skb.ghost.pos': unknown state symbol 'skb.ghost'" in str(e.value)
    assert "declare skb.ghost in spec/vocabulary.py" in str(e.value)


def test_duplicate_rule_id() -> None:
    twin = dataclasses.replace(X)
    with pytest.raises(SpecError, match="rule 'skb.geometry': the ID is used twice.*rename"):
        rebuild(invariants=(*SPEC.invariants, twin))


def test_missing_citation() -> None:
    bare = dataclasses.replace(X, id="skb.geometry.again", citations=())
    with pytest.raises(SpecError) as e:
        rebuild(invariants=(*SPEC.invariants, bare))
    assert "rule 'skb.geometry.again': has no citation" in str(e.value)
    assert "Citation('SKB-4'" in str(e.value)


def test_citation_must_name_an_api_facts_item() -> None:
    wrong = dataclasses.replace(X, id="skb.geometry.again",
                                citations=(Citation("SKB-99", "[K] nowhere"),))
    with pytest.raises(SpecError, match="cites 'SKB-99', which is not an api-facts item"):
        rebuild(invariants=(*SPEC.invariants, wrong))


def test_effect_outside_its_frame() -> None:
    op = SPEC.operation("skb_put")
    ok = op.case("skb_put.ok")
    sneaky = guarantee("skb.put.sneaky", "also bumps len twice", (b, n),
                       skb_len.post(b) == skb_len(b) + n, cite(("SKB-4", "[K] skbuff.h")))
    bad_case = dataclasses.replace(ok, guarantees=(*ok.guarantees, sneaky),
                                   modifies=(at(skb_tail, b),))
    with pytest.raises(SpecError) as e:
        SPEC.with_operation(op.with_case(bad_case))
    msg = str(e.value)
    assert "case 'skb_put.ok' of skb_put, rule 'skb.put.effect': an effect outside its frame" in msg
    assert "skb.len′" in msg and "add Frame(skb.len)" in msg


def test_obligation_must_not_read_the_post_state() -> None:
    r = Rule("skb.peeks.ahead", RuleKind.OBLIGATION, "looks at the future",
             skb_len.post(b) >= 0, X.citations, "peeked", (b,))
    op = SPEC.operation("skb_put")
    with pytest.raises(SpecError, match="reads the post-state.*only kernel guarantees"):
        SPEC.with_operation(dataclasses.replace(op, obligations=(*op.obligations, r.at(b))))


def test_operation_without_cases_or_citations() -> None:
    op = operation("skb_nothing", "does nothing", (c,), (), (), ())
    with pytest.raises(SpecError, match="operation 'skb_nothing': has no citation"):
        rebuild(operations=(*SPEC.operations, op))
    op2 = dataclasses.replace(op, citations=X.citations)
    with pytest.raises(SpecError, match="operation 'skb_nothing': has no cases"):
        rebuild(operations=(*SPEC.operations, op2))


def test_case_id_names_its_operation() -> None:
    op = SPEC.operation("skb_trim")
    wrong = dataclasses.replace(op.cases[0], id="trim.noop")
    with pytest.raises(SpecError, match="does not start with skb_trim"):
        SPEC.with_operation(dataclasses.replace(op, cases=(wrong, *op.cases[1:])))


def test_violated_rule_must_be_an_obligation_of_the_operation() -> None:
    op = SPEC.operation("skb_trim")
    foreign = SPEC.operation("skb_put").obligations[-1]
    wrong = dataclasses.replace(op.cases[0], violates=(foreign,))
    with pytest.raises(SpecError, match="violates skb.clone.readonly, which is not one of its"):
        SPEC.with_operation(op.with_case(wrong))


def test_unknown_case_and_operation_lookups() -> None:
    with pytest.raises(SpecError, match="skb_put has no case 'skb_put.nope'.*skb_put.ok"):
        SPEC.operation("skb_put").case("skb_put.nope")
    with pytest.raises(SpecError, match="no operation named 'skb_putt'"):
        SPEC.operation("skb_putt")


def test_variable_capture_is_rejected() -> None:
    op = SPEC.operation("skb_trim")
    shadow = case("skb_trim.shadow", "binds n again", Forall(n, n >= 0, within=(0, 3)))
    with pytest.raises(SpecError, match="the bound variable n shadows a parameter"):
        SPEC.with_operation(dataclasses.replace(op, cases=(*op.cases, shadow)))


def test_a_transition_binds_only_parameters_every_writer_has() -> None:
    from netdevspec.spec._build import transition
    from netdevspec.spec.formula import substitute
    from netdevspec.spec.logic import Var
    from netdevspec.spec.vocabulary import PARTY

    # The bundled transition with its caller renamed: no operation has a parameter 'who'.
    who = Var("who", PARTY)
    t = SPEC.rules["res.irq.release.owner"]
    bad = transition("res.irq.release.who", "who releases", (who,),
                     substitute(t.formula, {"c": who}), t.citations)
    with pytest.raises(SpecError) as e:
        rebuild(transitions=(*SPEC.transitions, bad))
    msg = str(e.value)
    assert ("rule 'res.irq.release.who': binds who : Party, but request_irq, whose cases "
            "change what it reads, has no such parameter") in msg
    assert "give request_irq a parameter who or quantify who" in msg


def test_an_invariant_listed_as_a_transition_is_rejected() -> None:
    with pytest.raises(SpecError, match="is listed as a transition, but its kind is invariant"):
        rebuild(transitions=(X,))
