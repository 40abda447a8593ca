"""The tiny driver under test: run ``python3 -m pytest test_tiny.py`` beside tiny.py."""

from netdevspec.conformance.pytest_plugin import assert_conforms


def test_tiny_conforms(netdevspec_check):
    report = netdevspec_check("tiny:FACTORY")
    assert_conforms(report)


def test_tiny_exercises_its_receive_path(netdevspec_check):
    report = netdevspec_check("tiny:FACTORY")  # the same report: checked once per run
    verdicts = {r.rule.id: r.verdict for r in report.rules}
    assert verdicts["skb.put.bounds"] == "PASS"
    assert verdicts["rx.protocol.set"] == "PASS"
