"""The conformance suite: reference drivers pass, broken drivers fail with the right rule.

The broken drivers here are small and written inline, one per monitor mechanism (a call
obligation, a callback's return, a field write, an end-of-life duty, each driver-model
rule). The catalogue of realistic bugs has its own test (tests/buggy).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from broken import double_free, leak, patched
from netdevspec.conformance.check import check_driver, load_factory, report_schema
from netdevspec.conformance.harness import Harness, run_scenario, scenario_program, step
from netdevspec.reference.drivers import DRIVERS, dummy

from netdevspec.cli import main
from netdevspec.errors import UsageError

LIFE = [step("insmod", i=0), step("up", i=0), step("xmit", i=0, pri=0, count=2),
        step("rx", card=0, count=2), step("tx_done", card=0), step("ifreq", i=0, what="mac"),
        step("ifreq", i=0, what="private"), step("down", i=0), step("rmmod", i=0)]


def rules_of(h: Harness) -> set[str]:
    return {f.rule for f in h.monitor.findings}


@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_reference_drivers_pass_every_rule(name: str) -> None:
    report = check_driver(DRIVERS[name], f"netdevspec.reference.drivers.{name}:FACTORY",
                          examples=20)
    assert report.failed == []
    verdicts = {r.rule.id: r.verdict for r in report.rules}
    # The rules each driver's life must exercise were evaluated, not skipped.
    for rid in ("api.caller.module", "skb.use.alive", "skb.use.owner", "cb.open.status",
                "cb.stop.status", "cb.xmit.inside", "mod.exit.devices", "mod.exit.buffers",
                "mod.phase.init", "drv.callback.raised", "drv.api.only"):
        assert verdicts[rid] == "PASS", rid
    if name == "skeleton":
        for rid in ("res.order.irq_first", "res.order.dma_first", "res.port.claimed",
                    "cb.stop.irq", "cb.stop.dma", "res.region.request.free", "rx.protocol.set",
                    "mod.exit.regions"):
            assert verdicts[rid] == "PASS", rid
    assert report.exit_code() == 0


# -- broken drivers, one per mechanism ----------------------------------------------------------

def _sets_up(h: Any, orig: Any) -> Any:
    def op(dev: Any) -> int:
        dev.flags |= h.IFF_UP | h.IFF_RUNNING  # the kernel's flags
        return int(orig(dev))
    return op


def _raises(h: Any, orig: Any) -> Any:
    def op(dev: Any) -> int:
        raise RuntimeError("driver bug")
    return op


def _returns_none(h: Any, orig: Any) -> Any:
    def xmit(skb: Any, dev: Any) -> None:
        orig(skb, dev)
    return xmit


def _recurses(h: Any, orig: Any) -> Any:
    def op(dev: Any) -> int:
        return int(op(dev))
    return op


def _hangs(h: Any, orig: Any) -> Any:
    def xmit(skb: Any, dev: Any) -> int:
        while True:
            pass
    return xmit


def _reaches_in(h: Any, orig: Any) -> Any:
    def init() -> int:
        h._kernel.jiffies += 1000
        return int(orig())
    return init


def _bad_ioctl(h: Any, orig: Any) -> Any:
    def init() -> int:
        rc = int(orig())
        for d in h.dev_get("dummy0"), h.dev_get("dummy1"):
            if d is not None:
                d.do_ioctl = lambda dev, ifr, cmd: None  # no int
                d.set_mac_address = lambda dev, addr: 1 // 0  # raises
        return rc
    return init


@pytest.mark.parametrize(("methods", "rule"), [
    ({"dummy_xmit": double_free}, "skb.use.alive"),
    ({"dummy_xmit": leak}, "mod.exit.buffers"),
    ({"dummy_open": _sets_up}, "flg.driver.flags"),
    ({"dummy_open": _raises}, "drv.callback.raised"),
    ({"dummy_xmit": _returns_none}, "drv.callback.type"),
    ({"dummy_open": _recurses}, "drv.callback.recursion"),
    ({"init_module": _reaches_in}, "drv.api.only"),
    ({"init_module": _bad_ioctl}, "drv.callback.type"),
    ({"init_module": _bad_ioctl}, "drv.callback.raised"),
], ids=["double-free", "leak", "sets-IFF_UP", "raises", "returns-None", "recursion",
        "reaches-in", "ioctl-returns-None", "set-mac-raises"])
def test_a_broken_driver_is_caught_with_its_rule(methods: dict[str, Any], rule: str) -> None:
    factory = patched(**methods)
    h = run_scenario(factory, LIFE)
    assert rule in rules_of(h), [(f.rule, f.message) for f in h.monitor.findings]
    finding = next(f for f in h.monitor.findings if f.rule == rule)
    assert finding.message and finding.statement and finding.citations


@pytest.mark.slow  # waits out the 2 s limit
def test_a_hanging_callback_is_stopped_and_reported() -> None:
    # The default limit: the steps before the hang must not overrun it on a loaded machine.
    h = run_scenario(patched(dummy_xmit=_hangs), LIFE, time_limit=2.0)
    assert rules_of(h) == {"drv.callback.time"}
    assert h.aborted is not None and "dev_queue_xmit" in h.aborted


def test_a_finding_comes_with_the_buffer_picture_and_a_replayable_program(
        tmp_path: Path) -> None:
    report = check_driver(patched(dummy_xmit=double_free), "broken:FACTORY", examples=5)
    failed = {r.rule.id: r for r in report.failed}
    r = failed["skb.use.alive"]
    assert r.finding is not None
    assert "headroom" in r.finding.picture and "alive=False" in r.finding.picture
    # The fixed scenario was shrunk to what the bug needs: load, up, one transmit.
    assert [line.strip() for line in r.program.splitlines()
            if line.strip().startswith("h.")] == [
        "h.insmod(i=0)", "h.up(i=0)", "h.xmit(count=3, i=0, pri=0)", "h.finish()",
        "h.close()"]
    # The program replays the scenario and shows the same rule.
    mod = tmp_path / "broken.py"
    mod.write_text("from netdevspec.reference.drivers import dummy\n"
                   "def FACTORY(handle, instance=0, **params):\n"
                   "    model = dummy.FACTORY(handle, instance=instance, **params)\n"
                   "    orig = model.dummy_xmit\n"
                   "    def xmit(skb, dev):\n"
                   "        rc = orig(skb, dev)\n"
                   "        handle.dev_kfree_skb(skb, handle.FREE_WRITE)\n"
                   "        return rc\n"
                   "    model.dummy_xmit = xmit\n"
                   "    return model\n", encoding="utf-8")
    prog = tmp_path / "replay.py"
    prog.write_text(r.program, encoding="utf-8")
    out = subprocess.run([sys.executable, str(prog)], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("skb.use.alive - ")


@pytest.mark.slow  # a full check with generated scenarios
def test_generated_scenarios_find_what_fixed_ones_miss() -> None:
    """A bug that needs an order no fixed scenario has (the clock past 20 ticks, then
    ifconfig up): only a generated scenario finds it, shrunk by Hypothesis."""
    def late_open(h: Any, orig: Any) -> Any:
        def op(dev: Any) -> int:
            if h.jiffies >= 20:
                h.request_region(0x3F0, 8, "late")  # never released
            return int(orig(dev))
        return op

    factory = patched(dummy_open=late_open)
    fixed_only = check_driver(factory, "late:FACTORY", examples=0)
    assert fixed_only.failed == []
    report = check_driver(factory, "late:FACTORY", examples=200)
    r = {x.rule.id: x for x in report.failed}
    assert r["mod.exit.regions"].scenario.startswith("generated")
    steps = [line.strip() for line in r["mod.exit.regions"].program.splitlines()
             if line.strip().startswith("h.") and line.strip() != "h.close()"]
    # The machine a run draws (how its cards behave) comes first; then, shrunk to the
    # essentials: load, the clock, ifconfig up, and the final unload.
    machine = [x for x in steps if x.startswith(("h.card_behaves(", "h.plug("))]
    assert steps[:len(machine)] == machine
    driver = steps[len(machine):]
    assert driver[-1] == "h.finish()" and "h.insmod(i=0)" in driver
    ticks = [i for i, x in enumerate(driver) if x.startswith("h.tick(")]
    assert ticks and "h.up(i=0)" in driver and ticks[0] < driver.index("h.up(i=0)")
    assert len(driver) <= 5 and len(machine) <= 1


def test_runs_are_reproducible() -> None:
    a = check_driver(patched(dummy_xmit=leak), "x:F", examples=10, seed_=3).to_json()
    b = check_driver(patched(dummy_xmit=leak), "x:F", examples=10, seed_=3).to_json()
    assert a == b


# -- the command line -------------------------------------------------------------------------

def test_check_json_report_validates(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", "netdevspec.reference.drivers.dummy:FACTORY", "--examples", "5",
               "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    jsonschema.validate(out, report_schema())
    assert rc == 0 and out["reports"][0]["counts"].get("FAIL", 0) == 0


def test_check_text_report_and_exit_code_on_a_bug(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "leaky.py").write_text(
        "from netdevspec.reference.drivers import dummy\n"
        "def FACTORY(handle, instance=0, **params):\n"
        "    model = dummy.FACTORY(handle, instance=instance, **params)\n"
        "    model.dummy_xmit = lambda skb, dev: 0\n"
        "    return model\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    rc = main(["check", "leaky:FACTORY", "--examples", "5"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "FAIL mod.exit.buffers" in out and "replay it with this program" in out


@pytest.mark.parametrize(("ref", "text"), [
    ("nocolon", "is not of the form MODULE:FACTORY"),
    ("no_such_module_xyz:FACTORY", "cannot import the driver module"),
    ("netdevspec.reference.drivers.dummy:NOPE", "has no attribute 'NOPE'"),
])
def test_bad_driver_references_are_usage_errors(ref: str, text: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError, match=text):
        load_factory(ref)
    assert main(["check", ref]) == 2
    assert text in capsys.readouterr().err


def test_scenario_program_names_the_factory() -> None:
    prog = scenario_program("pkg.mod:MAKE", [step("insmod", i=0)], seed=7)
    assert "from pkg.mod import MAKE as FACTORY" in prog and "seed 7" in prog
    assert "h.insmod(i=0)" in prog


def test_the_port_memo_changes_no_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    """Port I/O obligations are remembered per (module, port) until the region table
    changes; with the memo off, the same scenario gives the same findings and counts."""
    from netdevspec.conformance import monitor as mon
    from netdevspec.reference.buggy import CATALOGUE

    bug = next(b for b in CATALOGUE if b.id == "port-outside-region")
    steps = [step("insmod", i=0), step("up", i=0), step("xmit", i=0, count=3),
             step("rx", card=0, count=3), step("down", i=0), step("rmmod", i=0)]
    results = []
    for memo in (True, False):
        monkeypatch.setattr(mon, "_PORT_KEY_COVERS",
                            mon._PORT_KEY_COVERS if memo else frozenset())
        for factory in (DRIVERS["skeleton"], bug.load()):
            h = run_scenario(factory, steps)
            assert h.monitor._port_memo is memo
            results.append(([(f.rule, f.message) for f in h.monitor.findings],
                            dict(h.monitor.exercised)))
    assert results[:2] == results[2:]
    assert results[1][0] and results[1][0][0][0] == "res.port.claimed"


@pytest.mark.parametrize("fmt", ["junit", "sarif"])
def test_check_writes_junit_and_sarif(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    import xml.etree.ElementTree as ET

    assert main(["check", "netdevspec.reference.drivers.dummy:FACTORY", "--examples", "3",
                 "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "junit":
        root = ET.fromstring(out)
        assert root.tag == "testsuites" and root.get("failures") == "0"
    else:
        log = json.loads(out)
        assert log["version"] == "2.1.0" and log["runs"][0]["results"] == []


def test_a_step_puts_back_an_outer_timer() -> None:
    """pytest-timeout (signal method) and the like keep their timer across a check."""
    import signal

    if not hasattr(signal, "setitimer"):
        pytest.skip("no interval timers here")
    fired: list[int] = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        # The outer timer is put back, less the time the steps took: its remaining time
        # is what it would be had no step touched it. (Clocks are compared with each
        # other, not with a figure: a loaded machine only makes both larger.)
        # The clocks are read in the order that bounds the steps' time from below
        # (set, started ... ended, get), so a preemption between two reads only widens
        # the margin.
        signal.setitimer(signal.ITIMER_REAL, 600.0)
        started = time.monotonic()
        run_scenario(dummy.FACTORY, LIFE, time_limit=2.0)
        took = time.monotonic() - started
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert fired == []
        assert 0 < remaining <= 600.0 - took + 0.001
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_check_imports_drivers_from_the_current_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine.py").write_text("from netdevspec.reference.drivers.dummy import "
                                      "FACTORY\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "mine:FACTORY", "--examples", "2"]) == 0
    assert "mine:FACTORY: " in capsys.readouterr().out
    assert str(tmp_path) not in sys.path


def test_insmod_parameters_reach_every_instance_and_the_replay_program() -> None:
    """--param: skeleton told io=0x320 irq=9 finds card 1 there and gets its interrupts;
    the report and each replay program carry the parameters."""
    from netdevspec.reference.drivers import skeleton

    rep = check_driver(skeleton.FACTORY, "netdevspec.reference.drivers.skeleton:FACTORY",
                       examples=0, params={"io": 0x320, "irq": 9})
    assert rep.params == {"io": 0x320, "irq": 9}
    assert rep.to_json()["params"] == {"io": 0x320, "irq": 9}
    assert rep.exit_code() == 0, [r.rule.id for r in rep.failed]
    program = scenario_program("skel:FACTORY", [step("insmod", i=0)], 0, rep.params)
    assert "h = Harness(FACTORY, spec_ref='skel:FACTORY', host=host, params={'io': 800, " \
        "'irq': 9})" in program
    assert "params=" not in scenario_program("skel:FACTORY", [step("insmod", i=0)], 0)


@pytest.mark.parametrize(("argv", "text"), [
    (["--param", "io"], "is not NAME=VALUE with an int VALUE"),
    (["--param", "io=abc"], "is not NAME=VALUE with an int VALUE"),
    (["--param", "io=1", "--param", "io=2"], "--param io is given twice"),
    (["--instances", "5"], "the number of instances must be 1 to 4"),
    (["--instances", "0"], "the number of instances must be 1 to 4"),
])
def test_bad_params_and_instances_are_usage_errors(argv: list[str], text: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "netdevspec.reference.drivers.dummy:FACTORY", "--examples", "0",
                 *argv]) == 2
    assert text in capsys.readouterr().err


def test_generated_scenarios_load_up_to_the_instances_asked_for() -> None:
    from hypothesis import find
    from netdevspec.conformance.check import scenarios

    four = find(scenarios(instances=4), lambda ss: any(dict(s.args).get("i") == 3 for s in ss))
    assert any(dict(s.args).get("i") == 3 for s in four)
    from hypothesis.errors import NoSuchExample

    with pytest.raises(NoSuchExample):
        find(scenarios(instances=2), lambda ss: any(dict(s.args).get("i") == 2 for s in ss))


def test_addresses_and_ports_are_shown_in_hex_everywhere() -> None:
    """One value, one base: a buffer's geometry in the state line is in hex, as in the
    buffer picture; a port in a message is in hex, as a driver's source writes it."""
    import hostile
    from netdevspec.conformance.monitor import describe_as

    rep = check_driver(hostile.GrowsLen, "hostile:GrowsLen", examples=0)
    (r,) = [r for r in rep.failed if r.rule.id == "skb.geometry"]
    assert r.finding is not None
    state = dict(r.finding.state)
    assert state["skb.tail(#1)"].startswith("0x") and state["skb.end(#1)"].startswith("0x")
    assert state["skb.len(#1)"] == "68"  # a length stays decimal
    assert describe_as("port", 0x300) == "0x300" and describe_as("num", 32) == "32"


def test_a_shared_data_area_is_described_by_its_address_not_pythons() -> None:
    # A finding's state names skb.block(#2); it showed "<... SkbData object at 0x7f...>",
    # which differs from run to run (and the docs show these reports).
    from netdevspec.conformance.monitor import describe
    from netdevspec.reference.skbuff import SkbData

    assert describe(SkbData(0x100040, 64)) == "data area 0x100040+64"
