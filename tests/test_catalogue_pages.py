"""The generated catalogue pages: an entry per rule, operation, case and bug; readers found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from netdevspec.conformance.model_rules import MODEL_RULES
from netdevspec.spec import SPEC

from netdevspec import docgen, sphinxext

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return docgen.pages(sphinxext.context(ROOT / "tests"))


def test_every_rule_has_one_entry_on_its_family_page(pages: dict[str, str]) -> None:
    for rid in [*SPEC.rules, *(r.id for r in MODEL_RULES)]:
        page = pages[docgen.family_of(rid)]
        assert page.count(f"\n.. rule:: {rid}\n") == 1, rid
    for page in pages.values():
        assert "- operations: \n" not in page and "operations:    - " not in page
    assert "drv" in pages  # the driver-model rules are in the catalogue too


def test_every_operation_and_case_has_an_entry(pages: dict[str, str]) -> None:
    text = pages["operations"]
    for op in SPEC.operations:
        assert f"\n.. operation:: {op.name}\n" in text
        for c in op.cases:
            assert f"\n   .. case:: {c.id}\n" in text


def test_an_entry_shows_formula_citation_readers_and_bugs(pages: dict[str, str]) -> None:
    entry = pages["skb"].split(".. rule:: skb.put.bounds\n", 1)[1].split("\n.. rule::", 1)[0]
    assert "skb.tail(b) + n ≤ skb.end(b)" in entry  # the formula, rendered
    assert "include/linux/skbuff.h" in entry and docgen.LINUX_201 in entry
    assert ":case:`skb_put." in entry or ":operation:`skb_put`" in entry
    assert "tests/" in entry  # some test names the rule
    use_alive = pages["skb"].split(".. rule:: skb.use.alive\n", 1)[1].split("\n.. rule::")[0]
    assert ":bug:`double-free`" in use_alive  # the manifest's expected rule


def test_tests_naming_matches_whole_ids_and_names_the_function(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "test_x.py").write_text(
        'IDS = ["a.b.c"]\n\n\ndef test_one() -> None:\n    assert "a.b" != "a.b.cd"\n',
        encoding="utf-8")
    got = docgen.tests_naming(["a.b", "a.b.c"], tmp_path)
    assert got == {"a.b.c": ["tests/sub/test_x.py"], "a.b": ["tests/sub/test_x.py::test_one"]}


def test_source_links_point_at_the_2_0_1_commit() -> None:
    link = docgen.source_link("[K] net/core/dev.c dev_close", {"net/core/dev.c dev_close": 270})
    url = f"{docgen.LINUX_201}/net/core/dev.c#L270"
    assert link == f"`net/core/dev.c:270 dev_close <{url}>`__ (2.0.1)"
    drv = docgen.source_link("[K] liexusong/linux-2.0.0@d8873c8 drivers/net/skeleton.c", {})
    assert f"<{docgen.LINUX_201}/drivers/net/skeleton.c>" in drv
    assert docgen.source_link("[K] net/core/dev.c (2.2) dev_alloc_name", {}).startswith("[K]")


@pytest.mark.slow
def test_a_reference_to_an_unknown_rule_fails_the_build(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["netdevspec.sphinxext"]\n'
        "netdevspec_runs = False\n"  # about references only: no prove or check run
        f'netdevspec_tests_dir = {str(ROOT / "tests")!r}\n', encoding="utf-8")
    (src / "index.rst").write_text(
        "Home\n====\n\n.. toctree::\n\n   rules/index\n\nSee :rule:`skb.put.bounds` and "
        ":rule:`skb.put.nowhere`.\n", encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src),
                        str(tmp_path / "html")], capture_output=True, text=True, check=False)
    assert p.returncode != 0
    assert "rule 'skb.put.nowhere' has no entry in the documentation" in p.stderr
    assert "skb.put.bounds'" not in p.stderr
