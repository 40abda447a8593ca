"""Traces: every event of a checked scenario as JSON lines, replayed identically; a trace
is untrusted input, checked against its published schema before replay acts on it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netdevspec.conformance import trace
from netdevspec.conformance.check import scenarios
from netdevspec.conformance.harness import STEP_ACTIONS, Harness, Step, fixed_scenarios, step
from netdevspec.conformance.trace import (
    parse_trace,
    read_trace,
    record,
    replay,
    schema_text,
    shipped_schema,
    trace_schema,
    write_scenario,
)
from netdevspec.reference.drivers import dummy
from trace_fuzz import Hang, mutated, outcome, watchdog

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
    assert [r.identical for r in replay(again, trust_driver=True)] == [True]


def test_replay_shows_the_first_difference_when_the_driver_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "leaky.py").write_text(LEAKY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    trace = tmp_path / "t.jsonl"
    assert main(["check", "leaky:FACTORY", "--examples", "5", "--trace", str(trace),
                 "--output", str(tmp_path / "report.txt")]) == 1
    assert main(["replay", str(trace), "--trust-driver"]) == 0
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


# -- the published schema -----------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]
LIFE = fixed_scenarios()["life"]


def _hangs(handle: Any, instance: int = 0, **params: Any) -> Any:
    model = dummy.FACTORY(handle, instance=instance, **params)

    def xmit(skb: Any, dev: Any) -> int:
        while True:
            pass

    model.dummy_xmit = xmit
    return model


@pytest.fixture(scope="module")
def real_traces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Real trace lines: the fixed scenarios of each bundled driver, a leaky driver (with
    findings) and one whose transmit hangs (an aborted scenario)."""
    from netdevspec.reference.drivers import DRIVERS

    out: dict[str, list[dict[str, Any]]] = {}
    jobs = [(name, f, f"netdevspec.reference.drivers.{name}:FACTORY", steps, 2.0)
            for name, f in DRIVERS.items() for steps in fixed_scenarios().values()]
    # A hanging driver is detected whatever the limit; the steps before it take
    # microseconds, so half a second is no race with a loaded machine.
    jobs += [("leaky", _leaky, "leaky:FACTORY", LIFE, 2.0),
             ("hangs", _hangs, "hangs:FACTORY", LIFE, 0.5)]
    for name, f, ref, steps, limit in jobs:
        _, t = record(f, ref, steps, name=name, time_limit=limit)
        path = tmp_path_factory.mktemp("traces") / "t.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            write_scenario(fh, t)
        out.setdefault(name, []).extend(
            json.loads(x) for x in path.read_text(encoding="utf-8").splitlines())
    return out


def _leaky(handle: Any, instance: int = 0, **params: Any) -> Any:
    model = dummy.FACTORY(handle, instance=instance, **params)
    model.dummy_xmit = lambda skb, dev: 0
    return model


def test_the_shipped_schema_is_the_one_the_declaration_generates() -> None:
    text = (ROOT / "conformance" / "trace.schema.json").read_text(encoding="utf-8")
    assert text == schema_text(), (
        "conformance/trace.schema.json is out of date: run `python -m "
        "netdevspec.conformance.trace` and commit it")
    assert shipped_schema() == trace_schema()
    jsonschema.Draft202012Validator.check_schema(trace_schema())


def test_real_traces_are_valid_against_the_published_schema(
        real_traces: dict[str, list[dict[str, Any]]]) -> None:
    v = jsonschema.Draft202012Validator(shipped_schema())
    kinds = set()
    for name, lines in real_traces.items():
        for n, line in enumerate(lines, 1):
            errors = [e.message for e in v.iter_errors(line)]
            assert errors == [], f"{name} line {n}: {errors}"
            kinds.add(line["type"])
    # Every kind of line was seen, and an aborted scenario and findings among them.
    assert kinds == {"scenario", "step", *trace.EVENT_FIELDS}
    assert any(x["type"] == "end" and x["aborted"] for x in real_traces["hangs"])


def test_the_schema_refuses_what_replay_must_not_act_on() -> None:
    v = jsonschema.Draft202012Validator(shipped_schema())
    header = {"type": "scenario", "version": 1, "driver": "m:FACTORY", "name": "s",
              "seed": 0, "time_limit": 2.0, "steps": [{"action": "rx", "args": {}}]}
    assert v.is_valid(header)
    bad = [{**header, "time_limit": 0}, {**header, "time_limit": -1},
           {**header, "steps": [{"action": "rx", "args": {"count": 10**9}}]},
           {**header, "steps": [{"action": "xmit", "args": {"size": 10**6}}]},
           {**header, "steps": [{"action": "finish", "args": {}}]},
           {**header, "steps": [{"action": "rx", "args": {"cards": 0}}]},
           {**header, "driver": "not a module"}, {**header, "extra": 1},
           {k: x for k, x in header.items() if k != "seed"}]
    assert [v.is_valid(b) for b in bad] == [False] * len(bad)


# -- the step declaration -----------------------------------------------------------------
def test_each_step_action_is_the_harness_method_of_its_name() -> None:
    assert sorted(STEP_ACTIONS) == ["card_behaves", "down", "fail_alloc", "ifreq", "insmod",
                                    "interrupt", "multicast", "plug", "rival_claims", "rmmod",
                                    "rx", "tick", "tx_done", "up", "xmit"]
    for name, action in STEP_ACTIONS.items():
        assert getattr(Harness, name) is action.method


def test_a_declaration_that_does_not_match_its_method_is_refused() -> None:
    from netdevspec.conformance.harness import _action, _int

    def rx(self: Any, card: int = 0) -> None:
        return None

    with pytest.raises(TypeError, match=r"declares \['count'\] but takes \['card'\]"):
        _action(count=_int(0, 1))(rx)
    assert STEP_ACTIONS["rx"].method is Harness.rx


@pytest.mark.parametrize("action", ["finish", "devices", "__init__", "_guard", "kernel",
                                    "insmod "])
def test_a_step_reaches_no_attribute_but_a_declared_action(
        action: str, monkeypatch: pytest.MonkeyPatch) -> None:
    called = []
    monkeypatch.setattr(Harness, "finish", lambda self: called.append("finish"))
    h = Harness(dummy.FACTORY)
    with pytest.raises(UsageError,
                       match=r"unknown step action .*Fix: use one of card_behaves, down, "):
        Step(action).call(h)
    assert called == []


@pytest.mark.parametrize(("args", "message"), [
    ({"count": 10**9}, r"the step rx: argument count: 1000000000 is outside 0\.\.64\. "
                       r"Why: steps are bounded .* Fix: pass a value in 0\.\.64\."),
    ({"size": -1}, r"argument size: -1 is outside 0\.\.4096"),
    ({"count": True}, r"argument count: True is not an integer"),
    ({"count": "3"}, r"argument count: '3' is not an integer"),
    ({"cards": 1}, r"the step rx has no argument 'cards'. Why: rx takes card, count, size, "
                   r"burst"),
])
def test_a_steps_arguments_are_typed_and_bounded(args: dict[str, Any], message: str) -> None:
    h = Harness(dummy.FACTORY)
    with pytest.raises(UsageError, match=message):
        Step("rx", tuple(args.items())).call(h)
    assert h.cards[0].rx_missed == 0  # nothing reached the card


@settings(max_examples=100)
@given(scenarios())
def test_generated_steps_fit_the_declaration(steps: list[Step]) -> None:
    for s in [*steps, *(x for f in fixed_scenarios().values() for x in f)]:
        STEP_ACTIONS[s.action].bind(dict(s.args))


_JSON = st.one_of(st.integers(-(2**70), 2**70), st.integers(-5, 20_000), st.booleans(),
                  st.none(), st.text(max_size=10), st.floats(allow_nan=False),
                  st.sampled_from(["stats", "irq", "private"]))


@settings(max_examples=300)
@given(st.sampled_from([(a, name) for a in STEP_ACTIONS.values() for name, _ in a.args]),
       _JSON)
def test_an_arguments_python_check_and_its_schema_agree(pick: tuple[Any, str],
                                                        value: Any) -> None:
    action, name = pick
    arg = dict(action.args)[name]
    by_schema = jsonschema.Draft202012Validator(arg.json_schema()).is_valid(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON does not tell 2 from 2.0; replay reads both as 2
    assert by_schema == (arg.problem(value) is None)


# -- malformed traces ----------------------------------------------------------------------
def _header(**change: Any) -> dict[str, Any]:
    h: dict[str, Any] = {"type": "scenario", "version": 1, "driver": DUMMY, "name": "s",
                         "seed": 0, "time_limit": 2.0,
                         "steps": [{"action": "insmod", "args": {"i": 0}}]}
    for k, v in change.items():
        if v is None:
            del h[k]
        else:
            h[k] = v
    return h


def _line(obj: Any) -> str:
    return json.dumps(obj) + "\n"


END = _line({"type": "end", "findings": 0, "aborted": None})


@pytest.mark.parametrize(("text", "message"), [
    (_line(_header(steps=[{"action": "rx", "args": {"count": 10**9}}])),
     r"bad\.jsonl:1: field steps\[0\]\.args\.count: 1000000000 is out of bounds "
     r"\(must be <= 64\)\. Why: a trace is checked against its schema"),
    (_line(_header(steps=[{"action": "xmit", "args": {"size": 100000}}])),
     r":1: field steps\[0\]\.args\.size: 100000 is out of bounds \(must be <= 4096\)"),
    (_line(_header(steps=[{"action": "finish", "args": {}}])),
     r":1: field steps\[0\]\.action: \"finish\" is not a step action \(one of card_behaves, "
     r"down, "),
    (_line(_header(steps=[{"action": "rx", "args": {"x": 1}}])),
     r":1: field steps\[0\]\.args\.x: is not a known field"),
    (_line(_header(steps=[{"action": "rx"}])), r":1: field steps\[0\]\.args: is missing"),
    (_line(_header(steps=[{"action": "rx", "args": {"count": 1.5}}])),
     r"count: 1\.5 is not of type integer"),
    (_line(_header(steps=["rx"])), r"field steps\[0\]: \"rx\" is not of type object"),
    (_line(_header(time_limit=0)), r":1: field time_limit: 0 is out of bounds \(must be > 0\)"),
    (_line(_header(time_limit=-2)), r"field time_limit: -2 is out of bounds"),
    (_line(_header(time_limit=1e6)), r"field time_limit: 1000000\.0 is out of bounds "
                                     r"\(must be <= 600\.0\)"),
    (_line(_header(time_limit="2")), r"field time_limit: \"2\" is not of type number"),
    (_line(_header(time_limit=None)), r":1: field time_limit: is missing"),
    (_line(_header(driver="a b")), r"field driver: \"a b\" is not of the form MODULE:FACTORY"),
    (_line(_header(seed=True)), r"field seed: true is not of type integer"),
    (_line(_header(extra=1)), r"field extra: is not a known field"),
    (_line(_header()).replace("2.0", "NaN"), r":1 is not JSON \(NaN is not a JSON number\)"),
    (_line(_header()).replace("2.0", "Infinity"), r"Infinity is not a JSON number"),
    (_line(_header()).replace("2.0", "1e999"), r"the number 1e999 is too large"),
    (_line(_header()).replace('"seed": 0', '"seed": ' + "9" * 5000),
     r":1 is not JSON \(an integer has too many digits\)"),
    (_line(_header()) + "[" * 100_000 + "\n", r":2 is not JSON \(it is nested too deeply\)"),
    (_line(_header()) + '{"type": "end"', r":2 is not JSON \(Expecting ',' delimiter"),
    (_line(_header()) + '{"type": "weird"}\n',
     r":2: field type: \"weird\" is not one of scenario, step, call"),
    (_line(_header()) + '{"type": "call", "fn": 3, "args": []}\n',
     r":2: field fn: 3 is not of type string"),
    (_line(_header()) + '{"type": "step", "action": "tick", "args": {"n": -1}}\n',
     r":2: field args\.n: -1 is out of bounds \(must be >= 0\)"),
    (_line(_header()) + '{"type": "end", "findings": "0", "aborted": null}\n',
     r":2: field findings: \"0\" is not of type integer"),
    ("\n" * 3 + "[1, 2]\n", r"bad\.jsonl:4 is not a trace event \(no 'type'\)"),
])
def test_a_malformed_trace_is_refused_in_one_line_naming_line_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(text + END, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        read_trace(path)
    assert main(["replay", str(path), "--driver", DUMMY]) == 2
    err = capsys.readouterr().err
    assert err.startswith("netdevspec: error: ") and err.count("\n") == 1, err


def test_undecodable_bytes_are_refused_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(_line(_header()).encode() + b'{"type": "end\xff"}\n')
    with pytest.raises(UsageError, match=r"bad\.jsonl:2: byte 14 is not UTF-8\. Why: a "
                                         r"trace is UTF-8 text"):
        read_trace(path)


def test_a_trace_replay_accepts_runs_within_its_bounds() -> None:
    """2 and 2.0 are the same JSON number: a step argument may be either."""
    text = _line(_header(steps=[{"action": "rx", "args": {"count": 2.0}}])) + END
    [t] = parse_trace(text.encode(), "t")
    assert t.steps == (Step("rx", (("count", 2),)),)
    assert type(dict(t.steps[0].args)["count"]) is int


# -- importing what a trace names -----------------------------------------------------------
# The module marks its import with a file, where it may write one: in the checker's
# process it could; in a driver's confined process the write is refused (and ignored
# here), so a replay that ran it shows the import instead.
SNEAKY = ("import contextlib, pathlib\n"
          "with contextlib.suppress(OSError):\n"
          "    pathlib.Path(__file__).with_name('imported').write_text('yes')\n"
          "from netdevspec.reference.drivers.dummy import FACTORY\n")


STARTED: list[str] = []


def _sneaky_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str) -> Path:
    """A trace naming a driver module that marks its import; every fork server started
    for a replay is recorded in :data:`STARTED` (the driver is imported only there)."""
    from netdevspec.conformance.boundary import DriverHost

    real = DriverHost.start

    def start(self: DriverHost) -> None:
        STARTED.append(self.ref)
        real(self)

    STARTED.clear()
    monkeypatch.setattr(DriverHost, "start", start)
    (tmp_path / f"{module}.py").write_text(SNEAKY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    _, t = record(dummy.FACTORY, f"{module}:FACTORY", STEPS, name="s")
    path = tmp_path / "t.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_scenario(out, t)
    STARTED.clear()
    return path


def test_replay_imports_no_driver_a_trace_names_without_confirmation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = _sneaky_trace(tmp_path, monkeypatch, "sneaky_unconfirmed")
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == ("netdevspec: error: the trace names the driver sneaky_unconfirmed:FACTORY; "
                   "replay imports no module a trace names without your confirmation. Why: "
                   "importing a module runs its code, and a trace file is untrusted input. "
                   "Fix: pass --driver sneaky_unconfirmed:FACTORY to replay with that driver, "
                   "or --trust-driver to import every driver the trace names.\n")
    assert "sneaky_unconfirmed" not in sys.modules
    assert not (tmp_path / "imported").exists()
    assert STARTED == []  # no process was started to import it either
    with pytest.raises(UsageError, match="without your confirmation"):
        list(replay(read_trace(path)))
    # Named on the command line: that driver is imported, not the trace's.
    assert main(["replay", str(path), "--driver", DUMMY]) == 0
    assert not (tmp_path / "imported").exists()


def test_trust_driver_imports_the_driver_the_trace_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = _sneaky_trace(tmp_path, monkeypatch, "sneaky_trusted")
    monkeypatch.delitem(sys.modules, "sneaky_trusted", raising=False)
    assert main(["replay", str(path), "--trust-driver"]) == 0
    # Imported, and run, in the driver's own processes only: never in this one.
    assert "1 of 1 scenarios replayed identically" in capsys.readouterr().out
    assert STARTED == ["sneaky_trusted:FACTORY"]
    assert "sneaky_trusted" not in sys.modules
    assert not (tmp_path / "imported").exists()


def test_a_malformed_trace_is_refused_before_its_driver_is_imported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _sneaky_trace(tmp_path, monkeypatch, "sneaky_malformed")
    path.write_text(path.read_text(encoding="utf-8") + '{"type": "weird"}\n',
                    encoding="utf-8")
    assert main(["replay", str(path), "--trust-driver"]) == 2
    assert not (tmp_path / "imported").exists()
    assert STARTED == []


def test_the_bundled_drivers_replay_without_confirmation(tmp_path: Path) -> None:
    _, t = record(dummy.FACTORY, DUMMY, STEPS, name="s")
    path = tmp_path / "t.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_scenario(out, t)
    assert main(["replay", str(path)]) == 0
    from netdevspec.cli import _BUNDLED

    assert set(_BUNDLED) == trace.TRUSTED_DRIVERS


def test_docs_cli_shows_replays_usage() -> None:
    p = subprocess.run([sys.executable, "-m", "netdevspec", "replay", "--help"],
                       capture_output=True, text=True, check=False,
                       env={"COLUMNS": "100", "PATH": ""})
    usage = p.stdout.split("\n\n")[0]
    assert " ".join(usage.split()) in " ".join(
        (ROOT / "docs" / "cli.md").read_text(encoding="utf-8").split())


# -- fuzzing: mutations of real traces ------------------------------------------------------
def _one_line_naming_a_line(message: str) -> bool:
    return "\n" not in message and (".jsonl:" in message or "<trace>:" in message
                                    or "without your confirmation" in message
                                    or "holds no scenario" in message)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_traces_are_refused_in_one_line_or_accepted(data: st.DataObject) -> None:
    """The path replay takes before any import: never a traceback, never a hang."""
    trace_bytes = data.draw(mutated())
    try:
        with watchdog(10.0):
            kind, message = outcome(trace_bytes)
    except Hang:
        pytest.fail(f"checking a trace of {len(trace_bytes)} bytes hung")
    if kind == "refused":
        assert _one_line_naming_a_line(message), message
    else:
        # Accepted: every step fits the declaration, the limit is sane.
        for t in parse_trace(trace_bytes):
            assert 0 < t.time_limit <= trace.MAX_TIME_LIMIT
            for s in t.steps:
                STEP_ACTIONS[s.action].bind(dict(s.args))


@pytest.mark.slow
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_replay_of_a_mutated_trace_ends_with_0_1_or_a_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], data: st.DataObject) -> None:
    """The whole command, driver runs included (a traceback would escape main)."""
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data.draw(mutated()))
    try:
        with watchdog(120.0):
            rc = main(["replay", str(path), "--driver", DUMMY])
    except Hang:
        pytest.fail("replay hung")
    err = capsys.readouterr().err
    assert rc in (0, 1, 2)
    if rc == 2:
        assert err.startswith("netdevspec: error: ") and err.count("\n") == 1, err


def test_a_traces_header_carries_the_insmod_parameters(tmp_path: Path) -> None:
    """--param reaches the trace and comes back from it, so replay runs what check ran."""
    import io

    from netdevspec.conformance.harness import step
    from netdevspec.conformance.trace import parse_trace, record, write_scenario
    from netdevspec.reference.drivers import skeleton

    _, t = record(skeleton.FACTORY, "netdevspec.reference.drivers.skeleton:FACTORY",
                  [step("insmod", i=0)], params={"io": 0x320, "irq": 9})
    buf = io.StringIO()
    write_scenario(buf, t)
    (back,) = parse_trace(buf.getvalue().encode())
    assert back.params == (("io", 0x320), ("irq", 9))
    assert '"params": {"io": 800, "irq": 9}' in buf.getvalue()
