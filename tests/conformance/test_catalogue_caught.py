"""Every catalogued bug is caught by `netdevspec check` with the rule its manifest names.

The catalogue (reference/buggy/manifest.json) lists 61 realistic bugs. Each is checked as
a user would check it: the fixed scenarios, then generated ones. The bug that hangs gets
a short time limit (it never returns, so any limit catches it, and every rule it can fail
is drv.callback.time); every other bug gets a limit no step comes near even on a loaded
machine, so a slow step is never mistaken for a hang. The rule the manifest expects must
be FAIL. Any other rule that fails must be one the manifest lists as also acceptable: a
consequence of the same bug, such as an invariant that breaks after a leak. A finding
outside those would mean the monitor blames a driver for something it did not do.
"""

from __future__ import annotations

import pytest
from netdevspec.conformance.check import check_driver
from netdevspec.reference.buggy import CATALOGUE, Bug

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("bug", CATALOGUE, ids=[b.id for b in CATALOGUE])
def test_the_bug_is_caught_with_its_rule(bug: Bug) -> None:
    limit = 0.5 if "time_limit" in bug.needs else 60.0
    report = check_driver(bug.load(), bug.factory, examples=100, time_limit=limit)
    failed = {r.rule.id for r in report.failed}
    assert bug.expected_rule in failed, (bug.id, sorted(failed))
    assert failed <= {bug.expected_rule, *bug.also_acceptable}, (bug.id, sorted(failed))
    result = next(r for r in report.failed if r.rule.id == bug.expected_rule)
    assert result.finding is not None and result.program
    assert report.exit_code() == 1
