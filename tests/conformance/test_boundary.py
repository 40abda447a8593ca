"""The driver on the other side of a boundary (conformance/boundary.py, driverside.py).

Every hostile or careless model of tests/conformance/hostile.py is checked: its
misbehaviour is a finding under its rule, tampering never changes the base bug's
verdict, nothing ends in a traceback or a hang, and no process is left behind.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import hostile
import pytest
from netdevspec.conformance.boundary import DriverHost, DriverStartFailed
from netdevspec.conformance.check import CheckReport, check_driver
from netdevspec.conformance.harness import run_scenario, step
from netdevspec.reference.drivers import dummy

from netdevspec.errors import UsageError

pytestmark = pytest.mark.slow


def _children() -> list[str]:
    out: list[str] = []
    for t in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{t}/children") as f:
                out += f.read().split()
        except OSError:
            pass
    return out


def _verdicts(rep: CheckReport) -> dict[str, str]:
    return {r.rule.id: r.verdict for r in rep.rules}


@pytest.mark.parametrize("model", list(hostile.HOSTILE), ids=lambda m: m.__name__)
def test_hostile_model_is_a_finding_under_its_rule(model: Any) -> None:
    before = set(_children())
    rep = check_driver(model, f"hostile:{model.__name__}", examples=0,
                       time_limit=0.5, memory_mb=768)
    rule = hostile.HOSTILE[model]
    assert _verdicts(rep)[rule] == "FAIL", [(r.rule.id, r.verdict) for r in rep.failed]
    assert rep.exit_code() == 1
    finding = next(r.finding for r in rep.rules if r.rule.id == rule)
    assert finding is not None and finding.message
    assert set(_children()) <= before, "a driver process was left behind"


def test_the_tampering_models_base_bug_fails_on_its_own() -> None:
    """The control for the tampering models: their base bug, untouched, fails the rule
    each of them must still fail."""
    rep = check_driver(hostile.XmitNeverFrees, "base", examples=0)
    assert _verdicts(rep)[hostile.BASE_RULE] == "FAIL"


def test_a_clean_driver_in_its_process_passes_with_the_process_rules() -> None:
    rep = check_driver(dummy.FACTORY, "netdevspec.reference.drivers.dummy:FACTORY", examples=5)
    v = _verdicts(rep)
    assert rep.exit_code() == 0, [(r.rule.id, r.finding) for r in rep.failed]
    for rid in ("drv.process", "drv.value", "drv.callback.time", "drv.resources"):
        assert v[rid] == "PASS", rid


def test_direct_writes_travel_with_the_call_and_are_judged() -> None:
    """A write to skb->len in the driver's process reaches the kernel's buffer before the
    next call, and the geometry rule judges it there."""
    h = run_scenario(hostile.GrowsLen, [step("insmod", i=0), step("up", i=0),
                                        step("xmit", i=0, count=1)],
                     host=_host(hostile.GrowsLen))
    rules = {f.rule for f in h.monitor.findings}
    assert "skb.geometry" in rules
    f = next(f for f in h.monitor.findings if f.rule == "skb.geometry")
    assert f.where.startswith("write to the fields of #")
    # ... and the finding points at the driver's line that wrote the field.
    import inspect

    lines, start = inspect.getsourcelines(hostile.GrowsLen)
    wrote = start + next(i for i, x in enumerate(lines) if x.strip() == "skb.len += 8")
    assert f.location.endswith(f"hostile.py:{wrote}"), f.location


def _host(factory: Any, **limits: Any) -> DriverHost:
    host = DriverHost(factory, "test", **limits)
    host.start()
    return host


def test_a_driver_that_exhausts_its_memory_is_a_finding() -> None:
    """One frame is enough: the address-space limit turns the hoard into MemoryError in the
    driver's process (drv.resources), and the checker carries on."""
    host = _host(hostile.HogsMemory, memory_mb=768, time_limit=30.0)
    try:
        h = run_scenario(hostile.HogsMemory, [step("insmod", i=0), step("up", i=0),
                                              step("xmit", i=0, count=1), step("rmmod", i=0)],
                         host=host)
    finally:
        host.close()
    assert "drv.resources" in {f.rule for f in h.monitor.findings}


def test_driver_writes_to_bookkeeping_fields_are_refused_in_its_process() -> None:
    """In the driver's process a buffer has no owner or liveness to write, and a queue's
    fields change only through the queue functions; the errors say so."""
    from netdevspec.conformance import driverside

    skb = driverside.SkBuff.__new__(driverside.SkBuff)
    object.__setattr__(skb, "_id", 1)
    with pytest.raises(AttributeError, match="checker's bookkeeping"):
        skb.owner = None
    with pytest.raises(AttributeError, match="set by the allocator or the kernel"):
        skb.end = 0
    q = driverside.SkBuffHead()
    with pytest.raises(AttributeError, match="only through the queue functions"):
        q.qlen = 0
    dev = driverside.Device("eth0")
    with pytest.raises(AttributeError, match="checker's bookkeeping"):
        dev.registered = True
    dev.priv = object()  # the driver's own


def _module(tmp_path: Path, name: str, body: str) -> str:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return f"{name}:FACTORY"


def test_import_that_hangs_is_a_finding_not_a_hang(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    ref = _module(tmp_path, "hangs_at_import", """
        while True:
            pass
        """)
    with pytest.raises(DriverStartFailed, match="ran past 1 s"):
        DriverHost(None, ref, import_limit=1.0).start()


def test_import_that_raises_is_a_finding_with_its_line(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    ref = _module(tmp_path, "raises_at_import", """
        x = 1
        raise KeyError("boom")
        """)
    rep = check_driver(None, ref, examples=0)
    rule = next(r for r in rep.rules if r.rule.id == "drv.callback.raised")
    assert rule.verdict == "FAIL" and rule.finding is not None
    assert "KeyError('boom')" in rule.finding.message
    assert "raises_at_import.py:3" in rule.finding.message
    assert rep.exit_code() == 1


def test_missing_module_or_factory_is_a_usage_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UsageError, match="cannot import the driver module 'no_such_mod_xyz'"):
        check_driver(None, "no_such_mod_xyz:FACTORY", examples=0)
    ref = _module(tmp_path, "no_factory_here", "OTHER = 1\n")
    with pytest.raises(UsageError, match="has no attribute 'FACTORY'.*OTHER"):
        check_driver(None, ref, examples=0)


@pytest.mark.parametrize("limit", [0, -1, float("nan"), float("inf")])
def test_limits_must_be_positive_and_finite(limit: float) -> None:
    with pytest.raises(UsageError, match="time limit must be a positive number"):
        DriverHost(dummy.FACTORY, "x", time_limit=limit)


# -- the command line ----------------------------------------------------------------------------


def _marked(mark: str) -> list[int]:
    """Processes whose environment carries ``mark`` (a test's own processes)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def test_sigterm_writes_the_report_so_far_and_leaves_no_process(tmp_path: Path) -> None:
    import json
    import signal
    import subprocess
    import sys
    import time
    import uuid

    mark = f"NETDEVSPEC_TEST_{uuid.uuid4().hex}"
    env = {**os.environ, mark: "1",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent),
                                          os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "report.json"
    proc = subprocess.Popen([sys.executable, "-m", "netdevspec", "check", "hostile:HangsInXmit",
                             "--time-limit", "60", "--format", "json", "--output", str(out)],
                            env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_marked(mark)) < 3 and time.monotonic() < deadline:  # checker, server, driver
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "interrupted" in err and "Traceback" not in err
    rep = json.loads(out.read_text())["reports"][0]
    assert rep["incomplete"] is True
    time.sleep(0.2)
    assert _marked(mark) == []


def test_output_and_trace_must_differ(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from netdevspec.cli import main

    f = tmp_path / "same"
    assert main(["check", "--output", str(f), "--trace", str(f)]) == 2
    assert "--output and --trace both name" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1"])
def test_time_limit_must_be_positive_and_finite_on_the_command_line(
        value: str, capsys: pytest.CaptureFixture[str]) -> None:
    from netdevspec.cli import main

    assert main(["check", "--time-limit", value]) == 2
    assert "--time-limit must be a positive number of seconds" in capsys.readouterr().err


def test_an_internal_error_is_exit_2_with_a_request_for_a_report(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from netdevspec import cli

    def boom(args: Any) -> int:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(cli, "_rules", boom)
    assert cli.main(["rules"]) == 2
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: oops" in err
    assert "bug in netdevspec" in err


def test_the_report_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    """Written beside the target and renamed: no temporary file is left behind."""
    from netdevspec.cli import main

    out = tmp_path / "r.json"
    assert main(["check", "netdevspec.reference.drivers.dummy:FACTORY", "--examples", "0",
                 "--format", "json", "--output", str(out)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_forged_report_cannot_reach_an_isolated_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under --isolate the check's own child writes the JSON report; the driver's prints
    go to its own bounded output file, so a printed 'clean report' changes nothing."""
    from netdevspec.conformance.isolate import check_isolated

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    rep = check_isolated("hostile:ForgeReport", examples=0, seed=0, time_limit=2.0)
    assert _verdicts(rep)[hostile.BASE_RULE] == "FAIL"
    assert rep.exit_code() == 1


def test_a_write_to_another_modules_device_is_judged_as_the_writers() -> None:
    """The boundary knows who wrote a field: a driver rewriting the rival's registered
    eth0 is judged for it, though the rival itself is not under check."""
    host = _host(hostile.WritesRivalDevice)
    try:
        h = run_scenario(hostile.WritesRivalDevice,
                         [step("rival_claims", what="name"), step("insmod", i=0),
                          step("up", i=0)], host=host)
    finally:
        host.close()
    f = next(f for f in h.monitor.findings if f.rule == "dev.setup.unregistered")
    assert f.module == "dummy" and "eth0" in f.where


@pytest.mark.parametrize("name", ["dummy", "loopback", "skeleton", "hostile"])
def test_the_same_check_gives_byte_identical_reports(name: str) -> None:
    """Run twice, each format is the same bytes: no address, no repr of a driver object
    (an interrupt handler is named by its qualified name) and no timing in any of them."""
    import json

    from netdevspec.conformance.formats import to_junit, to_sarif
    from netdevspec.reference.drivers import DRIVERS

    factory = DRIVERS.get(name, hostile.HangsInIrq)
    ref = f"x.{name}:FACTORY"
    out = []
    for _ in range(2):
        rep = check_driver(factory, ref, examples=10, time_limit=0.5)
        out.append((json.dumps(rep.to_json(), sort_keys=True), to_junit([rep]),
                    json.dumps(to_sarif([rep]), sort_keys=True)))
    assert out[0] == out[1]
    assert "0x7f" not in "".join(out[0]) and " at 0x" not in "".join(out[0])


def test_a_killed_checker_leaves_no_driver_process() -> None:
    """SIGKILL cannot be caught: the driver's processes die with the checker because the
    kernel is asked to kill them when their parent ends."""
    import signal
    import subprocess
    import sys
    import time
    import uuid

    mark = f"NETDEVSPEC_TEST_{uuid.uuid4().hex}"
    env = {**os.environ, mark: "1",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent),
                                          os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "netdevspec", "check",
                             "hostile:HangsInXmit", "--time-limit", "60"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_marked(mark)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_marked(mark)) >= 3  # the checker, the fork server, the hanging driver
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _marked(mark) == []


def test_check_leaves_nothing_in_the_working_directory(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from netdevspec.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["check", "netdevspec.reference.drivers.dummy:FACTORY", "--examples", "3"]) == 0
    assert list(tmp_path.iterdir()) == []


def test_a_driver_process_cannot_reach_into_another_process() -> None:
    """The seccomp filter of a driver's process: no signal to another process, no ptrace,
    no file opened for writing (how /proc/PID/mem is written); reading and signalling
    itself still work."""
    import json
    import subprocess
    import sys

    from netdevspec.conformance import confine

    if not confine.supported():
        pytest.skip("seccomp filters are installed on Linux x86-64 and AArch64 only")
    probe = textwrap.dedent("""
        import ctypes, errno, json, os, sys
        from netdevspec.conformance.confine import confine
        out = {"installed": confine()}
        def attempt(name, fn):
            try:
                fn()
                out[name] = "allowed"
            except PermissionError:
                out[name] = "EPERM"
        attempt("kill_parent", lambda: os.kill(os.getppid(), 0))
        attempt("kill_self", lambda: os.kill(os.getpid(), 0))
        attempt("write_file", lambda: open(os.devnull, "w"))
        attempt("write_mem", lambda: open(f"/proc/{os.getppid()}/mem", "r+b"))
        attempt("read_file", lambda: open(sys.executable, "rb").close())
        libc = ctypes.CDLL(None, use_errno=True)
        out["ptrace"] = ("EPERM" if libc.ptrace(16, os.getppid(), 0, 0) != 0
                         and ctypes.get_errno() == errno.EPERM else "allowed")
        print(json.dumps(out))
        """)
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       check=True)
    assert json.loads(p.stdout) == {
        "installed": True, "kill_parent": "EPERM", "kill_self": "allowed",
        "write_file": "EPERM", "write_mem": "EPERM", "read_file": "allowed",
        "ptrace": "EPERM"}


def test_a_finding_points_at_the_drivers_own_line() -> None:
    """The driver's process sends the file:line of each call: the finding, the text
    report and the SARIF result point at the second dev_kfree_skb of broken.double_free."""
    import io

    from broken import double_free, patched
    from netdevspec.conformance.formats import to_sarif

    from netdevspec.cli import _check_text

    source = Path(__file__).parent / "broken.py"
    lines = source.read_text(encoding="utf-8").splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("def double_free"))
    line = next(i for i in range(start, len(lines))
                if "h.dev_kfree_skb(skb, h.FREE_WRITE)" in lines[i]) + 1
    rep = check_driver(patched(dummy_xmit=double_free), "x:F", examples=0)
    (r,) = [r for r in rep.failed if r.rule.id == "skb.use.alive"]
    assert r.finding is not None and r.finding.location.endswith(f"broken.py:{line}")
    out = io.StringIO()
    _check_text(rep, out)
    assert f"broken.py:{line}: the driver's call" in out.getvalue()
    (res,) = [x for x in to_sarif([rep])["runs"][0]["results"]
              if x["ruleId"] == "skb.use.alive"]
    phys = res["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"].endswith("broken.py")
    assert phys["region"]["startLine"] == line


def test_a_misspelt_factory_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    from netdevspec.cli import main

    assert main(["check", "netdevspec.reference.drivers.dummy:FACTOR"]) == 2
    assert "did you mean netdevspec.reference.drivers.dummy:FACTORY?" in capsys.readouterr().err


def test_a_drivers_exception_text_carries_no_memory_address() -> None:
    """An exception whose repr names an object by its address is reported without it."""
    from netdevspec.conformance.boundary import _stable

    text = "TypeError('bad <hostile._Weird object at 0x7f3a12bc4d90> here')"
    assert _stable(text) == "TypeError('bad <hostile._Weird object> here')"


class _ResetsMtu(dummy.Dummy):
    """dummy whose open writes dev->mtu and then has ether_setup put it back: the kernel's
    value equals the one the driver's copy held before the write."""

    def dummy_open(self, dev: Any) -> int:
        h = self._h
        h.ether_setup(dev)  # the device as the checker last sent it: ether_setup's
        dev.mtu = 100
        h.ether_setup(dev)  # ... and the same again
        h.printk(f"mtu after ether_setup {dev.mtu}")
        return super().dummy_open(dev)


def test_a_field_the_kernel_puts_back_after_a_driver_write_reaches_the_driver() -> None:
    """The checker skips unchanged devices by comparing them with their state at the last
    crossing; a driver's own write must undo that shortcut, or the driver would keep the
    value the kernel has just overwritten."""
    host = _host(_ResetsMtu)
    try:
        h = run_scenario(_ResetsMtu, [step("insmod", i=0), step("up", i=0)], host=host)
    finally:
        host.close()
    assert "mtu after ether_setup 1500" in h.kernel.log, h.kernel.log[-5:]


class _BadCallbacks(dummy.Dummy):
    """dummy whose open returns a string and whose cleanup_module raises."""

    def dummy_open(self, dev: Any) -> Any:  # the line a drv.callback.type finding names
        return "up"

    def cleanup_module(self) -> None:
        super().cleanup_module()
        raise ValueError("no")  # the line a drv.callback.raised finding names


def test_a_finding_at_a_callback_return_points_at_the_function_or_the_raise() -> None:
    """Findings at a callback's return carry the driver's source: the function's own line,
    or for an exception the line that raised (as the text report shows them)."""
    import inspect

    host = _host(_BadCallbacks)
    try:
        h = run_scenario(_BadCallbacks, [step("insmod", i=0), step("up", i=0),
                                         step("rmmod", i=0)], host=host)
    finally:
        host.close()
    found = {f.rule: f for f in h.monitor.findings}
    lines, start = inspect.getsourcelines(_BadCallbacks)
    opened = start + next(i for i, x in enumerate(lines) if "def dummy_open" in x)
    raised = start + next(i for i, x in enumerate(lines) if 'raise ValueError("no")' in x)
    assert found["drv.callback.type"].location.endswith(f"test_boundary.py:{opened}")
    assert found["drv.callback.raised"].location.endswith(f"test_boundary.py:{raised}")


def test_the_drivers_process_imports_the_module_as_it_is_on_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checker that had imported the driver's module (a test suite that also imports
    it) does not hand its stale copy to the driver's process: the check sees the file
    as it is now."""
    import importlib

    monkeypatch.syspath_prepend(str(tmp_path))
    ref = _module(tmp_path, "editable_drv", """\
        from netdevspec.reference.drivers import dummy
        FACTORY = dummy.FACTORY
        """)
    importlib.import_module("editable_drv")  # the stale copy
    _module(tmp_path, "editable_drv", """\
        from netdevspec.reference.drivers import dummy
        def FACTORY(handle, instance=0, **params):
            model = dummy.FACTORY(handle, instance=instance, **params)
            model.dummy_xmit = lambda skb, dev: 0  # now it leaks
            return model
        """)
    rep = check_driver(None, ref, examples=0)
    assert _verdicts(rep)["mod.exit.buffers"] == "FAIL"
