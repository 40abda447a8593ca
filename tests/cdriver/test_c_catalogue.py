"""Every bug of the C catalogue (reference/buggy/c/manifest.json) is caught by `netdevspec
check` with the rule its manifest names, and with no rule outside the acceptable ones.

The catalogue's C-only bugs (a write through a stale pointer into a freed buffer, moving
skb->tail by hand, a write after netif_rx, a NULL dereference) are caught from the
fields copied at each crossing and from the crash handler's C line.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdrivertools import ROOT
from netdevspec.conformance.cdriver import load_c_driver
from netdevspec.conformance.check import check_driver

CATALOGUE_DIR = ROOT / "reference" / "buggy" / "c"
BUGS: list[dict[str, Any]] = json.loads((CATALOGUE_DIR / "manifest.json").read_text())["bugs"]

pytestmark = pytest.mark.slow


def test_the_manifest_names_every_bug_file_once() -> None:
    files = sorted(p.name for p in CATALOGUE_DIR.glob("*.c"))
    assert sorted(b["source"] for b in BUGS) == files
    assert len({b["id"] for b in BUGS}) == len(BUGS)


@pytest.mark.parametrize("bug", BUGS, ids=[b["id"] for b in BUGS])
def test_the_c_bug_is_caught_with_its_rule(bug: dict[str, Any]) -> None:
    src = str(CATALOGUE_DIR / bug["source"])
    report = check_driver(load_c_driver(src), src, examples=30,
                          time_limit=bug.get("time_limit", 30.0))
    failed = {r.rule.id for r in report.failed}
    assert bug["expected_rule"] in failed, (bug["id"], sorted(failed))
    assert failed <= {bug["expected_rule"], *bug["also_acceptable"]}, (bug["id"],
                                                                       sorted(failed))
    assert report.exit_code() == 1
    if bug["expected_rule"] == "drv.process":  # a crash names its C line
        result = next(r for r in report.failed if r.rule.id == "drv.process")
        assert result.finding is not None
        assert f"{bug['source']}:" in result.finding.message
        assert result.finding.location.endswith(f"{bug['source']}:{bug['crash_line']}")
