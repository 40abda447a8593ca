"""A C driver hosted in the driver's process: same harness, monitor and report as a Python
model, with the C line of each call."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cdrivertools import C_DRIVERS
from netdevspec.conformance import cbuild, cdriver
from netdevspec.conformance.cdriver import load_c_driver
from netdevspec.conformance.check import CheckReport, check_driver
from netdevspec.conformance.handle import BINDINGS
from netdevspec.conformance.pytest_plugin import DriverChecker
from netdevspec.reference import device as refdev

HEADER = "#include <linux/module.h>\n#include <linux/netdevice.h>\n"
MODULE = "int init_module(void) { return 0; }\nvoid cleanup_module(void) { }\n"
#: Enough generated scenarios to exercise every callback of the small drivers.
EXAMPLES = 15
#: A callback's time limit no step comes near even on a loaded machine (a slow step must
#: not be taken for a hang: no test depends on the machine's speed).
LIMIT = 60.0


def _verdicts(report: CheckReport) -> dict[str, str]:
    return {r.rule.id: r.verdict for r in report.rules}


@pytest.mark.parametrize("name", ["dummy", "loopback", "skeleton"])
def test_a_c_reference_driver_has_its_python_twins_verdict_on_every_rule(name: str) -> None:
    c = check_driver(load_c_driver(str(C_DRIVERS / f"{name}.c")), f"{name}.c",
                     examples=EXAMPLES, seed_=3, time_limit=LIMIT)
    py = check_driver(None, f"netdevspec.reference.drivers.{name}:FACTORY", examples=EXAMPLES,
                      seed_=3, time_limit=LIMIT)
    assert c.counts()["FAIL"] == 0, [r.finding for r in c.failed]
    assert c.counts()["UNRESOLVED"] == 0
    assert _verdicts(c) == _verdicts(py)
    # the scenarios did reach the driver's callbacks, in C as in Python
    assert c.counts()["PASS"] == py.counts()["PASS"] > 50


def test_the_pytest_fixture_checks_a_c_file(tmp_path: Path) -> None:
    checker = DriverChecker(examples=5, time_limit=LIMIT)
    report = checker(C_DRIVERS / "dummy.c")
    checker.assert_conforms(report)
    assert report.driver.endswith("dummy.c")


BUGGY_XMIT = HEADER + """
static int x_open(struct device *dev)
{ dev->start = 1; dev->tbusy = 0; MOD_INC_USE_COUNT; return 0; }
static int x_stop(struct device *dev) { dev->start = 0; MOD_DEC_USE_COUNT; return 0; }
static int x_xmit(struct sk_buff *skb, struct device *dev)
{
	if (skb == NULL)
		return 0;
	dev_kfree_skb(skb, FREE_WRITE);
	dev_kfree_skb(skb, FREE_WRITE);
	return 0;
}
static int x_init(struct device *dev)
{
	dev->open = x_open; dev->stop = x_stop; dev->hard_start_xmit = x_xmit;
	ether_setup(dev);
	return 0;
}
static struct device x_dev = { "x0", 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, x_init };
int init_module(void) { return register_netdev(&x_dev) ? -EIO : 0; }
void cleanup_module(void) { unregister_netdev(&x_dev); }
"""


def test_a_finding_names_the_c_line_of_the_call(tmp_path: Path) -> None:
    src = tmp_path / "twice.c"
    src.write_text(BUGGY_XMIT)
    report = check_driver(load_c_driver(str(src)), str(src), examples=10, time_limit=LIMIT)
    failed = {r.rule.id: r for r in report.failed}
    assert "skb.use.alive" in failed
    finding = failed["skb.use.alive"].finding
    assert finding is not None
    second_free = [i for i, line in enumerate(BUGGY_XMIT.splitlines(), 1)
                   if "dev_kfree_skb" in line][1]
    assert finding.location.endswith(f"twice.c:{second_free}"), finding.location


def test_a_write_through_a_stale_pointer_into_a_freed_buffer_is_caught() -> None:
    # only C can do this: the catalogue's bug keeps the last frame's pointer in its private
    # area and writes through it after freeing it; the freed buffer was poisoned, so even
    # a write of the value the field held is seen
    src = C_DRIVERS.parent.parent / "buggy" / "c" / "stale_pointer_write.c"
    report = check_driver(load_c_driver(str(src)), str(src), examples=10, time_limit=LIMIT)
    assert "skb.use.alive" in {r.rule.id for r in report.failed}


CRASH_IN_OPEN = HEADER + """
static int x_open(struct device *dev)
{
	struct enet_statistics *stats = (struct enet_statistics *)dev->priv;

	stats->tx_packets++;	/* priv was never set: NULL */
	MOD_INC_USE_COUNT;
	return 0;
}
static int x_stop(struct device *dev) { MOD_DEC_USE_COUNT; return 0; }
static int x_init(struct device *dev)
{
	dev->open = x_open; dev->stop = x_stop;
	ether_setup(dev);
	return 0;
}
static struct device x_dev = { "x0", 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, x_init };
int init_module(void) { return register_netdev(&x_dev) ? -EIO : 0; }
void cleanup_module(void) { unregister_netdev(&x_dev); }
"""


def test_a_segfault_in_c_is_a_drv_process_finding_with_the_c_line_and_the_check_goes_on(
        tmp_path: Path) -> None:
    src = tmp_path / "crash.c"
    src.write_text(CRASH_IN_OPEN)
    report = check_driver(load_c_driver(str(src)), str(src), examples=5, time_limit=LIMIT)
    failed = {r.rule.id: r for r in report.failed}
    finding = failed["drv.process"].finding
    assert finding is not None
    line = next(i for i, t in enumerate(CRASH_IN_OPEN.splitlines(), 1) if "tx_packets++" in t)
    assert "killed by signal SIGSEGV" in finding.message
    assert f"crashed with SIGSEGV at {src}:{line} in x_open" in finding.message
    assert finding.location.endswith(f"crash.c:{line}")  # SARIF points there too
    # every scenario ran (each in a fresh process); the rules the crash does not touch pass
    assert report.counts()["PASS"] > 40
    # the replay program builds the C driver again
    program = failed["drv.process"].program
    assert f"FACTORY = load_c_driver({str(src)!r})" in program


def test_sarif_locates_a_c_finding_at_its_line(tmp_path: Path) -> None:
    src = tmp_path / "twice.c"
    src.write_text(BUGGY_XMIT)
    p = subprocess.run([sys.executable, "-m", "netdevspec", "check", "twice.c", "--examples",
                        "5", "--format", "sarif", "--time-limit", str(LIMIT)],
                       capture_output=True, text=True, check=False, cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    second_free = [i for i, line in enumerate(BUGGY_XMIT.splitlines(), 1)
                   if "dev_kfree_skb" in line][1]
    results = json.loads(p.stdout)["runs"][0]["results"]
    here = {(r["ruleId"], loc["physicalLocation"]["artifactLocation"]["uri"],
             loc["physicalLocation"]["region"]["startLine"])
            for r in results for loc in r["locations"]}
    assert ("skb.use.alive", "twice.c", second_free) in here


def test_the_structures_match_the_reference_sizes() -> None:
    text = (cbuild.INCLUDE_DIR / "netdevspec" / "structs.h").read_text()
    assert f"#define MAX_ADDR_LEN {refdev.MAX_ADDR_LEN}" in text
    assert f"#define DEV_NUMBUFFS {refdev.DEV_NUMBUFFS}" in text
    ffi = cdriver._ffi()
    fields = dict(ffi.typeof("struct device").fields)
    assert fields["dev_addr"].type.length == refdev.MAX_ADDR_LEN
    assert fields["buffs"].type.length == refdev.DEV_NUMBUFFS
    # the positional part keeps 2.0's order (FLD-1): name ... tbusy, next, init
    names = [n for n, _ in ffi.typeof("struct device").fields]
    assert names[:12] == ["name", "rmem_end", "rmem_start", "mem_end", "mem_start",
                          "base_addr", "irq", "start", "interrupt", "tbusy", "next", "init"]


def test_every_runtime_call_is_a_handle_function_and_every_handle_function_is_reachable()\
        -> None:
    runtime = (cbuild.INCLUDE_DIR / cbuild.RUNTIME).read_text()
    called = set(re.findall(r'UP0?\("(\w+)"', runtime))
    assert called <= set(BINDINGS), called - set(BINDINGS)
    assert set(cdriver._ARGS) == called
    # the rest are listed with why they are not in C (the memcpy adaptations, the
    # functions added to the handle after the runtime was written)
    assert set(BINDINGS) - called == set(cdriver.NOT_IN_C)


def test_cli_checks_a_c_file_with_cflags_as_the_issue_writes_them(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "netdevspec", "check",
                        str(C_DRIVERS / "dummy.c"), "--cflags", "-DMODULE", "--examples", "3",
                        "--time-limit", str(LIMIT),
                        "--format", "json"],
                       capture_output=True, text=True, check=False, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert '"FAIL"' not in p.stdout


def test_cli_check_of_a_c_file_that_does_not_compile_exits_2(tmp_path: Path) -> None:
    src = tmp_path / "drv.c"
    src.write_text(HEADER + MODULE + "int broken(void) { return 1 +; }\n")
    p = subprocess.run([sys.executable, "-m", "netdevspec", "check", str(src)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 2, p.stderr
    assert "drv.c:5:" in p.stderr and "Traceback" not in p.stderr


def test_cli_param_naming_no_global_of_the_module_exits_2(tmp_path: Path) -> None:
    src = tmp_path / "drv.c"
    src.write_text(HEADER + "int io = 0x300;\n" + MODULE)
    p = subprocess.run([sys.executable, "-m", "netdevspec", "check", str(src), "--param",
                        "iox=5"], capture_output=True, text=True, check=False)
    assert p.returncode == 2, p.stderr
    assert "has no global variable 'iox'" in p.stderr and "did you mean io?" in p.stderr


def test_cli_cflags_without_a_c_driver_is_a_usage_error() -> None:
    p = subprocess.run([sys.executable, "-m", "netdevspec", "check",
                        "netdevspec.reference.drivers.dummy:FACTORY", "--cflags", "-DX"],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 2 and "--cflags was given but no C driver" in p.stderr
