"""Traces: every event of a checked scenario as JSON lines, replayed identically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from netdevspec.conformance.harness import step
from netdevspec.conformance.trace import read_trace, record, replay, write_scenario
from netdevspec.reference.drivers import dummy

from netdevspec.cli import main
from netdevspec.errors import UsageError

DUMMY = "netdevspec.reference.drivers.dummy:FACTORY"
STEPS = [step("insmod", i=0), step("up", i=0), step("xmit", i=0, count=2),
         step("rmmod", i=0)]

LEAKY = ("from netdevspec.reference.drivers import dummy\n"
         "def FACTORY(handle, instance=0, **params):\n"
         "    model = dummy.FACTORY(handle, instance=instance, **params)\n"
         "    model.dummy_xmit = lambda skb, dev: 0\n"
         "    return model\n")


def test_a_trace_records_calls_callbacks_and_the_state_a_finding_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "leaky.py").write_text(LEAKY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    from leaky import FACTORY  # type: ignore[import-not-found]

    _, t = record(FACTORY, "leaky:FACTORY", STEPS, name="s")
    kinds = [e["type"] for e in t.events]
    assert kinds[0] == "step" and kinds[-1] == "end"
    calls = [e["fn"] for e in t.events if e["type"] == "call"]
    assert "register_netdev" in calls and "MOD_INC_USE_COUNT" in calls
    assert any(e["type"] == "callback" and e["what"].startswith("hard_start_xmit")
               for e in t.events)
    detail = [e for e in t.events if e["type"] == "finding_detail"]
    # The duty, then the invariant the leak breaks once the module is gone.
    assert [d["rule"] for d in detail] == ["mod.exit.buffers", "skb.lifecycle"]
    # The state the duty read: the leaked buffers and their owner.
    assert detail[0]["state"]["skb.alive(#1)"] == "True"
    assert detail[0]["state"]["skb.owner(#1)"] == "dummy"
    path = tmp_path / "t.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_scenario(out, t)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["type"] == "scenario"
    assert all(json.loads(x)["type"] for x in lines)
    again = read_trace(path)
    assert [r.identical for r in replay(again)] == [True]


def test_replay_shows_the_first_difference_when_the_driver_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "leaky.py").write_text(LEAKY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    trace = tmp_path / "t.jsonl"
    assert main(["check", "leaky:FACTORY", "--examples", "5", "--trace", str(trace),
                 "--output", str(tmp_path / "report.txt")]) == 1
    assert main(["replay", str(trace)]) == 0
    assert "scenarios replayed identically" in capsys.readouterr().out
    # The fixed driver frees its frames: the events part where the leak was.
    assert main(["replay", str(trace), "--driver", DUMMY]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS" in out and "recorded:" in out and "replayed:" in out


def test_replay_is_identical_for_the_reference_driver(tmp_path: Path) -> None:
    _, t = record(dummy.FACTORY, DUMMY, STEPS, name="s")
    path = tmp_path / "t.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_scenario(out, t)
        write_scenario(out, t)
    assert [r.identical for r in replay(read_trace(path))] == [True, True]


@pytest.mark.parametrize(("text", "message"), [
    ("", "holds no scenario"),
    ("not json\n", "is not JSON"),
    ('{"a": 1}\n', "is not a trace event"),
    ('{"type": "call"}\n', "an event before any scenario header"),
    ('{"type": "scenario", "version": 99}\n', "trace version 99"),
])
def test_bad_traces_are_refused_with_the_line(tmp_path: Path, text: str,
                                              message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_trace(path)
    assert main(["replay", str(path)]) == 2
