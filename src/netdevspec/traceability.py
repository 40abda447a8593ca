"""Traceability: article section → api-facts item → rules → proof obligations → tests → bugs.

Everything is computed from the rule objects, ``spec/facts.toml``, the prover's plan
(which obligations are about which rule; nothing is solved here), the test sources and
the bug manifest. Two kinds of gap are found: an api-facts item nothing cites, and a rule
that no test names and no proof obligation is about. A gap is acceptable only when it is
listed with its reason: in ``SPEC.left_out`` for an item, in :data:`ACCEPTED_GAPS` for a
rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from netdevspec.spec import Spec
from netdevspec.spec.facts import Fact, Facts, Section

__all__ = ["ACCEPTED_GAPS", "PROVED_BY", "Row", "item_gaps", "matrix", "obligations_by_rule",
           "rule_gaps"]

#: Rules that no test names and no proof obligation is about, each with the reason that
#: is acceptable. Empty: every rule is named by a test or proved.
ACCEPTED_GAPS: dict[str, str] = {}

#: The test that proves every obligation of the spec (tests/test_prover.py).
PROVED_BY = "tests/test_prover.py::test_everything_is_proved"


def obligations_by_rule(spec: Spec) -> dict[str, list[str]]:
    """The IDs of the proof obligations about each rule (from the prover's plan).

    An invariant's obligations are its initiation and its consecution by each case that
    writes what it reads; a caller obligation's or guarantee's are the non-vacuity and
    frame obligations of the cases that use it.
    """
    from netdevspec.model.prover import Prover

    uses: dict[str, set[str]] = {}
    for op in spec.operations:
        for c in op.cases:
            uses[c.id] = {u.rule.id for u in (*op.obligations, *c.obligations, *c.guarantees,
                                               *c.violates)}
    out: dict[str, list[str]] = defaultdict(list)
    for ob in Prover(spec).plan():
        if ob.rule in spec.rules:
            out[ob.rule].append(ob.id)
        elif ob.case:
            for rid in sorted(uses.get(ob.case, ())):
                out[rid].append(ob.id)
    return dict(out)


@dataclass(frozen=True)
class Row:
    """One api-facts item and everything that traces from it."""

    section: Section
    fact: Fact
    rules: tuple[str, ...]
    operations: tuple[str, ...]
    decisions: tuple[str, ...]
    obligations: int
    tests: tuple[str, ...]
    bugs: tuple[str, ...]
    left_out: str


def matrix(spec: Spec, rules: Mapping[str, object], facts: Facts,
           citing: Mapping[str, Mapping[str, list[str]]],
           obligations: Mapping[str, list[str]], tests: Mapping[str, list[str]],
           bugs_by_rule: Mapping[str, list[str]]) -> list[Row]:
    """The matrix rows, in the article's section order, then api-facts order.

    ``citing`` maps an item to what cites it (``rules``, ``operations``, ``decisions``).
    """
    del rules
    order = {s.id: i for i, s in enumerate(facts.sections)}
    sections = {s.id: s for s in facts.sections}
    fact_order = {fid: i for i, fid in enumerate(facts.facts)}
    rows = []
    for f in sorted(facts.facts.values(),
                    key=lambda f: (order[f.section], fact_order[f.id])):
        who = citing[f.id]
        rids = tuple(who["rules"])
        ts = sorted({t for r in rids for t in tests.get(r, [])})
        bs = sorted({b for r in rids for b in bugs_by_rule.get(r, [])})
        n = len({o for r in rids for o in obligations.get(r, [])})
        rows.append(Row(sections[f.section], f, rids, tuple(who["operations"]),
                        tuple(who["decisions"]), n, tuple(ts), tuple(bs),
                        spec.left_out.get(f.id, "")))
    return rows


def item_gaps(rows: list[Row]) -> list[str]:
    """Items no rule, operation or decision cites."""
    return [r.fact.id for r in rows if not (r.rules or r.operations or r.decisions)]


def rule_gaps(rule_ids: list[str], obligations: Mapping[str, list[str]],
              tests: Mapping[str, list[str]]) -> list[str]:
    """Rules that no test names and no proof obligation is about."""
    return [r for r in rule_ids if not tests.get(r) and not obligations.get(r)]
