"""spec/facts.toml: every citation resolves to a fact, and every 2.0.1 source has a line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from netdevspec.conformance.model_rules import MODEL_RULES
from netdevspec.spec import SPEC, Citation
from netdevspec.spec.facts import FACTS, SourceRef, load_facts

from netdevspec.errors import SpecError

_K = re.compile(r"^\[K\] (?:liexusong/linux-2\.0\.0@d8873c8 )?")


def _citations() -> list[tuple[str, Citation]]:
    owners = [*SPEC.rules.values(), *MODEL_RULES, *SPEC.operations, *SPEC.decisions]
    return [(getattr(o, "id", getattr(o, "name", "")), c) for o in owners for c in o.citations]


def test_every_citation_of_every_rule_resolves_to_a_fact() -> None:
    missing = sorted({f"{owner}: {c.item}" for owner, c in _citations()
                      if c.item not in FACTS.facts})
    assert missing == [], "cited items without an entry in spec/facts.toml"


def test_the_facts_are_exactly_the_api_facts_items() -> None:
    assert set(FACTS.facts) == SPEC.known_facts


def test_every_2_0_1_function_cited_has_its_line() -> None:
    wheres = {c.source[m.end():] for _, c in _citations()
              if (m := _K.match(c.source)) and "(2.2)" not in c.source}
    wheres |= {r.where for f in FACTS.facts.values() for r in f.sources if r.key == "K"}
    missing = sorted(w for w in wheres if re.fullmatch(r"\S+ \w+", w) and w not in FACTS.lines)
    assert missing == [], "add these to [lines] of spec/facts.toml"


def test_quotations_come_from_the_article() -> None:
    for f in FACTS.facts.values():
        if f.quote:
            assert {"A1", "A2"} & {r.key for r in f.sources}, f.id


def test_a_link_to_2_0_1_points_at_the_line() -> None:
    url = FACTS.url(SourceRef.parse("K net/core/dev.c dev_close"))
    assert url.endswith("/d8873c8ca36b1994a60ef52190cc8f7e418a31d2/net/core/dev.c#L270")


def test_an_unknown_section_is_reported_with_the_fix() -> None:
    text = ('[source.K]\ntitle = "t"\nurl = "u"\n[[section]]\nid = "a"\ntitle = "A"\n'
            'source = "K"\n[[fact]]\nid = "REG-1"\ntitle = "t"\nsection = "b"\ntext = "x"\n'
            'sources = ["K f.c"]\n')
    with pytest.raises(SpecError, match=r"REG-1 names the unknown article section 'b'.*use one "
                                        r"of a"):
        load_facts(text)


def test_no_new_traceability_gap() -> None:
    from netdevspec import docgen, sphinxext, traceability

    ctx = sphinxext.context(Path(__file__).resolve().parent)
    rows = docgen.trace_rows(ctx)
    assert [r.fact.id for r in rows].count("SKB-4") == 1 and len(rows) == len(FACTS.facts)
    uncited = set(traceability.item_gaps(rows))
    assert uncited <= set(SPEC.left_out), (
        "api-facts items nothing cites: cite them from a rule or list them in LEFT_OUT "
        "(spec/catalogue.py) with the reason")
    gaps = set(traceability.rule_gaps(list(ctx.all_rules), ctx.obligations, ctx.tests))
    assert gaps <= set(traceability.ACCEPTED_GAPS), (
        "rules that no test names and no proof obligation is about: name them in a test, "
        "or list them in traceability.ACCEPTED_GAPS with the reason")
    assert set(traceability.ACCEPTED_GAPS) <= gaps, "ACCEPTED_GAPS lists rules that are covered"


def test_the_whole_spec_proof_test_exists() -> None:
    from netdevspec import traceability

    path, _, name = traceability.PROVED_BY.partition("::")
    text = (Path(__file__).resolve().parents[1] / path).read_text(encoding="utf-8")
    assert f"def {name}(" in text
