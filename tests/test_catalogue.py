"""The catalogue covers api-facts.md and makes the section-13 decisions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from netdevspec.spec import SPEC, RuleKind, evaluate
from netdevspec.spec.witnesses import WITNESSES, initial_state

from netdevspec.docgen import fact_items

ROOT = Path(__file__).resolve().parents[1]
API_FACTS = ROOT.parent / "shared" / "api-facts.md"


def test_every_api_facts_item_is_cited_or_left_out_with_a_reason() -> None:
    missing = [i for i in fact_items(SPEC) if not SPEC.rules_citing(i)
               and i not in SPEC.left_out
               and not any(c.item == i for d in SPEC.decisions for c in d.citations)]
    assert missing == []
    assert all(reason.strip() for reason in SPEC.left_out.values())
    assert set(SPEC.left_out) <= SPEC.known_facts


@pytest.mark.skipif(not API_FACTS.exists(), reason="shared/api-facts.md is not beside the repo")
def test_known_items_are_exactly_those_of_api_facts() -> None:
    text = API_FACTS.read_text(encoding="utf-8")
    items = set(re.findall(r"^\*\*((?:REG|FLD|RES|SKB|Q|CB|FLG|RX|MOD|ART)-\d+)\b", text, re.M))
    hazards = re.search(r"## 13\..*?(?=\n## )", text, re.S)
    assert hazards is not None
    n_haz = len(re.findall(r"^\d+\. ", hazards.group(0), re.M))
    assert items | {f"HAZ-{n}" for n in range(1, n_haz + 1)} == SPEC.known_facts


def test_every_family_has_rules() -> None:
    for fam in ("REG", "FLD", "RES", "SKB", "Q", "CB", "FLG", "RX", "MOD"):
        assert any(c.item.startswith(fam + "-") for r in SPEC.rules.values()
                   for c in r.citations), fam


def test_each_section_13_hazard_has_a_decision() -> None:
    decided = {c.item for d in SPEC.decisions for c in d.citations if c.item.startswith("HAZ-")}
    assert decided == {f"HAZ-{n}" for n in range(1, 11)}
    for d in SPEC.decisions:
        assert d.question and d.choice and d.reason


def test_the_issue_invariants_are_all_stated() -> None:
    inv = {r.id for r in SPEC.invariants}
    assert {"reg.name.unique", "res.irq.exclusive", "res.region.exclusive",
            "res.dma.exclusive", "skb.geometry", "queue.member", "queue.slots",
            "skb.clone.refs"} <= inv
    kinds = {r.kind for r in SPEC.rules.values()}
    assert kinds == set(RuleKind)
    ids = {r.id for r in SPEC.rules.values()}
    assert {"reg.unregister.owner", "res.irq.free.owner", "res.dma.free.owner",
            "res.region.release.owner", "skb.use.alive", "skb.use.owner", "skb.free.unqueued",
            "mod.exit.devices", "mod.exit.irqs", "mod.exit.regions", "mod.exit.dma",
            "mod.exit.buffers"} <= ids


def test_the_boot_state_satisfies_the_initial_condition_and_the_invariants() -> None:
    st = initial_state()
    assert all(evaluate(e, st) for e in SPEC.initial)
    bad = [i.id for i in SPEC.invariants if not evaluate(i.formula, st)]
    assert bad == []


def test_witness_builders_build_legal_states() -> None:
    for case_id, build in WITNESSES.items():
        pre, _post, env = build()
        op, c = SPEC.cases[case_id]
        bad = [i.id for i in SPEC.invariants if not evaluate(i.formula, pre)]
        assert bad == [], case_id
        assert evaluate(c.guard, pre, None, env), case_id
        assert all(evaluate(u.formula, pre, None, env) for u in c.assumed(op)), case_id
