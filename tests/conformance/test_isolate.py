"""--isolate: the check runs in a child process that a driver can exhaust or hang."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from netdevspec.conformance.isolate import check_isolated

from netdevspec.cli import main
from netdevspec.errors import UsageError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_AS is POSIX")

HOG = ("from netdevspec.reference.drivers import dummy\n"
       "def FACTORY(handle, instance=0, **params):\n"
       "    model = dummy.FACTORY(handle, instance=instance, **params)\n"
       "    orig = model.init_module\n"
       "    def init():\n"
       "        hoard = bytearray(3 * 2**30)\n"
       "        return orig()\n"
       "    model.init_module = init\n"
       "    return model\n")
STUCK = HOG.replace("hoard = bytearray(3 * 2**30)", "sum(range(10**13))  # one C call")


@pytest.fixture()
def drivers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "hog.py").write_text(HOG, encoding="utf-8")
    (tmp_path / "stuck.py").write_text(STUCK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the child imports the drivers from its working directory
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return tmp_path


def verdicts(report: object) -> dict[str, str]:
    return {r.rule.id: r.verdict for r in report.rules}  # type: ignore[attr-defined]


def test_a_driver_that_exhausts_memory_fails_drv_resources(drivers: Path) -> None:
    rep = check_isolated("hog:FACTORY", examples=3, seed=0, time_limit=2.0, memory_mb=1024)
    v = verdicts(rep)
    assert v["drv.resources"] == "FAIL"
    f = next(r for r in rep.rules if r.rule.id == "drv.resources").finding
    assert f is not None and "out of memory" in f.message


@pytest.mark.slow  # waits out the 3 s wall-clock limit
def test_a_hang_no_signal_can_interrupt_is_killed(drivers: Path) -> None:
    rep = check_isolated("stuck:FACTORY", examples=3, seed=0, time_limit=0.5,
                         wall_seconds=3)
    v = verdicts(rep)
    assert v["drv.resources"] == "FAIL"
    assert {x for k, x in v.items() if k != "drv.resources"} == {"UNRESOLVED"}
    f = next(r for r in rep.rules if r.rule.id == "drv.resources").finding
    assert f is not None and "wall-clock limit of 3 s" in f.message
    assert rep.exit_code() == 1


def test_a_conforming_driver_passes_isolated(drivers: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", "--isolate", "netdevspec.reference.drivers.dummy:FACTORY",
               "--examples", "3"])
    out = capsys.readouterr().out
    assert rc == 0 and "0 FAIL" in out


def test_isolate_reports_usage_errors_of_the_child(drivers: Path) -> None:
    with pytest.raises(UsageError, match="cannot import the driver module"):
        check_isolated("no_such_driver_xyz:FACTORY", examples=1, seed=0, time_limit=1.0)


def test_isolate_and_trace_do_not_combine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--isolate", "--trace", "t.jsonl"]) == 2
    assert "--trace and --isolate cannot be combined" in capsys.readouterr().err
