"""The pytest plugin, used the way a driver author would: in a project of their own.

Each test builds a small project with ``pytester`` (a driver module, a test file that uses
``netdevspec_check``) and runs pytest on it in this process. The projects check the
bundled dummy driver, or a copy of it that never frees what it transmits, with a handful
of generated scenarios, so each run takes well under a second.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

import pytest
from netdevspec.conformance import pytest_plugin

pytest_plugins = ["pytester"]

PLUGIN = "netdevspec.conformance.pytest_plugin"

#: A dummy that accepts every frame and never frees it: mod.exit.buffers at rmmod.
LEAKY = """\
from netdevspec.reference.drivers import dummy

def FACTORY(handle, instance=0, **params):
    model = dummy.FACTORY(handle, instance=instance, **params)
    model.dummy_xmit = lambda skb, dev: 0
    return model
"""


def _entry_point_loads_the_plugin() -> bool:
    """Whether an installed pytest11 entry point already loads the plugin (then naming it
    again in a conftest is not needed)."""
    return any(ep.value == PLUGIN
               for ep in importlib.metadata.entry_points(group="pytest11"))


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user project: the plugin named in its root conftest (unless installed), and a
    leaky driver module beside the tests."""
    if not _entry_point_loads_the_plugin():
        pytester.makeconftest(f"pytest_plugins = [{PLUGIN!r}]\n")
    pytester.makepyfile(leaky=LEAKY)
    return pytester


def test_a_conforming_driver_passes(project: pytest.Pytester) -> None:
    project.makepyfile(test_driver="""
        from netdevspec.conformance.pytest_plugin import assert_conforms

        def test_dummy_conforms(netdevspec_check):
            report = netdevspec_check("netdevspec.reference.drivers.dummy:FACTORY",
                                      examples=5)
            assert_conforms(report)
            assert report.failed == [] and report.examples == 5
        """)
    result = project.runpytest()
    result.assert_outcomes(passed=1)


def test_a_buggy_driver_fails_with_rule_message_and_replay_program(
        project: pytest.Pytester) -> None:
    project.makepyfile(test_driver="""
        def test_leaky_conforms(netdevspec_check):
            netdevspec_check.assert_conforms(netdevspec_check("leaky:FACTORY", examples=5))
        """)
    result = project.runpytest("-ra")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    # The summary line names the broken rules; the body has each one in full.
    result.stdout.fnmatch_lines([
        "*Failed: leaky:FACTORY breaks 2 rules: skb.lifecycle, mod.exit.buffers (*",
        "*FAIL mod.exit.buffers (* finding(s))",
        "*rule:      a module that goes away holds no buffer*",
        "*found:     module dummy leaked a buffer",
        "*at:        return from cleanup_module of dummy (event *",
        "*scenario:  life (shrunk) (shows *mod.exit.buffers*); replay it with this program:",
        "*from leaky import FACTORY as FACTORY",
        "*h.insmod(i=0)",
        "*h.finish()",
    ])
    assert "cites:     CB-4" in out
    # The short summary repeats the first line, so -ra shows which rules broke.
    result.stdout.fnmatch_lines(["FAILED test_driver.py::test_leaky_conforms - Failed: leaky*"])
    # The plugin's own frames are hidden: the traceback points at the user's test.
    assert "pytest_plugin.py" not in out


def test_the_replay_program_in_the_message_reproduces_the_finding(
        project: pytest.Pytester) -> None:
    project.makepyfile(test_driver="""
        from netdevspec.conformance.pytest_plugin import failure_message

        def test_message(netdevspec_check):
            report = netdevspec_check("leaky:FACTORY", examples=0)
            rule = next(r for r in report.failed if r.rule.id == "mod.exit.buffers")
            open("replay.py", "w").write(rule.program)
            assert rule.program.splitlines()[1] in failure_message(report)
        """)
    project.runpytest().assert_outcomes(passed=1)
    run = project.run(sys.executable, "replay.py")
    assert run.ret == 0
    assert "mod.exit.buffers - module dummy leaked a buffer" in run.stdout.str()


def test_a_factory_object_is_accepted_and_named_for_the_replay_program(
        project: pytest.Pytester) -> None:
    project.makepyfile(test_driver="""
        import leaky

        def test_object(netdevspec_check):
            report = netdevspec_check(leaky.FACTORY, examples=0)
            assert report.driver == "leaky:FACTORY"
            assert "from leaky import FACTORY as FACTORY" in report.failed[0].program
        """)
    project.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(("args", "ini", "want"), [
    ((), "", (pytest_plugin.DEFAULT_EXAMPLES, pytest_plugin.DEFAULT_SEED)),
    (("--netdevspec-examples", "3", "--netdevspec-seed", "7"), "", (3, 7)),
    ((), "netdevspec_examples = 4\nnetdevspec_seed = 9\n", (4, 9)),
    (("--netdevspec-examples", "2"), "netdevspec_examples = 4\nnetdevspec_seed = 9\n", (2, 9)),
], ids=["defaults", "command-line", "ini", "command-line-over-ini"])
def test_options_set_the_defaults(project: pytest.Pytester, args: tuple[str, ...], ini: str,
                                  want: tuple[int, int]) -> None:
    if ini:
        project.makeini("[pytest]\n" + ini)
    # The default run (200 examples) is not repeated here: the settings are what is tested.
    run_check = want[0] != pytest_plugin.DEFAULT_EXAMPLES
    project.makepyfile(test_driver=f"""
        def test_settings(netdevspec_check):
            assert (netdevspec_check.examples, netdevspec_check.seed) == {want!r}
            if {run_check!r}:
                report = netdevspec_check("leaky:FACTORY")
                assert (report.examples, report.seed) == {want!r}
                # A setting given in the call wins over the defaults.
                assert netdevspec_check("leaky:FACTORY", examples=1, seed=5).examples == 1
        """)
    project.runpytest(*args).assert_outcomes(passed=1)


def test_the_marker_names_the_driver_and_its_settings(project: pytest.Pytester) -> None:
    project.makepyfile(test_driver="""
        import pytest

        SEEN = []

        @pytest.mark.netdevspec_driver("leaky:FACTORY", examples=2, seed=4)
        class TestLeaky:
            def test_report(self, netdevspec_check):
                report = netdevspec_check()
                assert (report.driver, report.examples, report.seed) == ("leaky:FACTORY", 2, 4)
                SEEN.append(report)

            def test_same_report_reused(self, netdevspec_check):
                # Checking is deterministic: the session computes each report once.
                assert netdevspec_check() is SEEN[0]

            def test_call_overrides_marker(self, netdevspec_check):
                assert netdevspec_check(examples=1).examples == 1

        def test_no_driver(netdevspec_check):
            netdevspec_check()
        """)
    result = project.runpytest("--strict-markers")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*netdevspec_check: no driver to check*"])


def test_a_bad_driver_reference_fails_the_test_with_the_reason(
        project: pytest.Pytester) -> None:
    project.makepyfile(test_driver="""
        def test_missing(netdevspec_check):
            netdevspec_check("no_such_driver_module:FACTORY")

        def test_malformed(netdevspec_check):
            netdevspec_check("leaky")
        """)
    result = project.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*cannot import the driver module 'no_such_driver_module'*",
        "*is not of the form MODULE:FACTORY*",
    ])


@pytest.mark.parametrize(("args", "ini", "message"), [
    (("--netdevspec-examples", "-1"), "", "--netdevspec-examples must be 0 or more, got -1"),
    ((), "netdevspec_seed = many\n", "the ini option netdevspec_seed must be an integer"),
], ids=["negative-examples", "non-integer-ini"])
def test_bad_option_values_are_usage_errors(project: pytest.Pytester, args: tuple[str, ...],
                                            ini: str, message: str) -> None:
    if ini:
        project.makeini("[pytest]\n" + ini)
    project.makepyfile(test_driver="def test_nothing():\n    pass\n")
    result = project.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_the_options_are_listed_in_help(project: pytest.Pytester) -> None:
    result = project.runpytest("--help")
    result.stdout.fnmatch_lines(["*netdevspec driver conformance*",
                                 "*--netdevspec-examples=N*", "*--netdevspec-seed=N*",
                                 "*netdevspec_examples (string):*"])


@pytest.mark.slow  # a pytest subprocess
def test_the_recommended_entry_point_loads_the_plugin_once(pytester: pytest.Pytester,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """The pytest11 entry point named after the module (the line the report asks for in
    pyproject.toml) loads the plugin, and a conftest that also names the module does not
    register it a second time."""
    dist = pytester.mkdir("site") / "netdevspec_plugin_probe-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: netdevspec-plugin-probe\n"
                                   "Version: 0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[pytest11]\n{PLUGIN} = {PLUGIN}\n",
                                           encoding="utf-8")
    path = [str(pytester.path / "site"), *[p for p in sys.path if p]]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path))
    pytester.makepyfile(test_driver="""
        def test_fixture_is_there(netdevspec_check, pytestconfig):
            names = [n for n, p in pytestconfig.pluginmanager.list_name_plugin()
                     if getattr(p, "__name__", "") == "netdevspec.conformance.pytest_plugin"]
            assert names == ["netdevspec.conformance.pytest_plugin"]
        """)
    # The entry point alone provides the fixture ...
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    # ... and a root conftest naming the module as well is harmless.
    pytester.makeconftest(f"pytest_plugins = [{PLUGIN!r}]\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_failure_message_lists_every_failed_rule(tmp_path: Path) -> None:
    from netdevspec.conformance.check import check_driver
    from netdevspec.reference.drivers import dummy

    def leaky(handle: object, instance: int = 0, **params: int) -> object:
        model = dummy.FACTORY(handle, instance=instance, **params)  # type: ignore[arg-type]
        model.dummy_xmit = lambda skb, dev: 0  # type: ignore[method-assign]
        return model

    report = check_driver(leaky, "leaky:FACTORY", examples=0)
    text = pytest_plugin.failure_message(report)
    assert text.splitlines()[0].startswith("leaky:FACTORY breaks 2 rules: ")
    for r in report.failed:
        assert f"FAIL {r.rule.id} (" in text and f"rule:      {r.rule.statement}" in text
        assert r.finding is not None and r.finding.message in text
    # Cause first: one replay program per scenario, and a rule found later in the same
    # scenario says after which finding it came.
    programs = {r.program for r in report.failed}
    assert text.count("h = Harness(FACTORY, spec_ref='leaky:FACTORY', host=host)") \
        == len(programs)
    assert len(programs) == 1
    # The leak (a duty broken at cleanup_module) is the cause; the invariant broken at the
    # same event is shown after it.
    assert text.index("FAIL mod.exit.buffers (") < text.index("FAIL skb.lifecycle (")
    assert "after:     mod.exit.buffers at event" in text
    with pytest.raises(pytest.fail.Exception, match="leaky:FACTORY breaks 2 rules"):
        pytest_plugin.assert_conforms(report)


def test_unresolved_rules_fail_the_test_only_when_asked() -> None:
    from netdevspec.conformance.check import CheckReport, RuleResult
    from netdevspec.conformance.model_rules import MODEL_RULES

    report = CheckReport("x:FACTORY", 0, 0, [RuleResult(MODEL_RULES[0], "UNRESOLVED", 0, 0)])
    pytest_plugin.assert_conforms(report)
    with pytest.raises(pytest.fail.Exception, match=r"1 rule\(s\) UNRESOLVED .*drv\."):
        pytest_plugin.assert_conforms(report, unresolved_ok=False)


@pytest.mark.parametrize(("args", "ini"), [
    (("--netdevspec-time-limit", "1.5", "--netdevspec-instances", "1",
      "--netdevspec-param", "io=0x300", "--netdevspec-param", "irq=5"), ""),
    ((), "netdevspec_time_limit = 1.5\nnetdevspec_instances = 1\n"
         "netdevspec_params =\n    io=0x300\n    irq=5\n"),
], ids=["command-line", "ini"])
def test_time_limit_instances_and_params_by_option_and_ini(
        project: pytest.Pytester, args: tuple[str, ...], ini: str) -> None:
    if ini:
        project.makeini("[pytest]\n" + ini)
    project.makepyfile(test_driver="""
        def test_settings(netdevspec_check):
            assert netdevspec_check.time_limit == 1.5
            assert netdevspec_check.instances == 1
            assert netdevspec_check.params == {"io": 0x300, "irq": 5}
        """)
    project.runpytest(*args).assert_outcomes(passed=1)


def test_the_marker_takes_params_and_suggests_on_a_misspelt_setting(
        project: pytest.Pytester) -> None:
    project.makepyfile(test_driver="""
        import pytest

        @pytest.mark.netdevspec_driver("leaky:FACTORY", examples=0, params={"io": 0x300})
        def test_params(netdevspec_check):
            assert netdevspec_check().params == {"io": 0x300}

        @pytest.mark.netdevspec_driver("leaky:FACTORY", exampels=0)
        def test_typo(netdevspec_check):
            pass
        """)
    result = project.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*unknown setting(s) exampels*did you mean examples?*"])


def test_a_rule_looked_up_by_a_wrong_id_gets_a_suggestion(tmp_path: Path) -> None:
    from netdevspec.conformance.check import CheckReport, RuleResult, judged_rules

    from netdevspec.errors import UsageError

    rep = CheckReport("x:F", 0, 0, [RuleResult(r, "PASS", 1, 0) for r in judged_rules()])
    assert rep.result("skb.put.bounds").verdict == "PASS"
    with pytest.raises(UsageError, match="did you mean skb.put.bounds"):
        rep.result("skb.put.bound")
