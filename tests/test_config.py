"""``[tool.netdevspec]``, --select/--ignore, waivers, -q/-v and colour (src/netdevspec/config.py,
the check and prove commands of src/netdevspec/cli.py)."""

from __future__ import annotations

import io
import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from netdevspec.conformance.check import judged_rules, report_schema
from netdevspec.conformance.formats import to_junit, to_sarif

from netdevspec.cli import _Paint, main
from netdevspec.config import load_settings, load_waivers, selection
from netdevspec.errors import UsageError

KNOWN = [r.id for r in judged_rules()]
LEAKY = """\
from netdevspec.reference.drivers import dummy
def FACTORY(handle, instance=0, **params):
    model = dummy.FACTORY(handle, instance=instance, **params)
    model.dummy_xmit = lambda skb, dev: 0   # never frees the frame
    return model
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's project folder holding the leaky driver, as the working directory."""
    (tmp_path / "leaky.py").write_text(LEAKY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _pyproject(where: Path, body: str) -> Path:
    p = where / "pyproject.toml"
    p.write_text("[project]\nname = 'mine'\n\n" + textwrap.dedent(body), encoding="utf-8")
    return p


# -- the settings file ------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "text"), [
    ('[tool.netdevspec]\nexampels = 3\n', "unknown key 'exampels'. Why: the keys are"),
    ('[tool.netdevspec]\nexampels = 3\n', "did you mean 'examples'?"),
    ('[tool.netdevspec]\nexamples = -1\n', "examples = -1 is not a whole number from 0"),
    ('[tool.netdevspec]\ntime-limit = 0\n', "time-limit = 0 is not a positive number"),
    ('[tool.netdevspec]\nformat = "html"\n', "is not one of text, json, junit, sarif"),
    ('[tool.netdevspec]\nparams = { io = "0x300" }\n', "is not a table of NAME = int"),
    ('[tool.netdevspec]\nselect = ["skb.put.bonds"]\n', "did you mean skb.put.bounds or"),
    ('[[tool.netdevspec.waiver]]\nrule = "mod.exit.buffers"\n', "has no reason"),
    ('[[tool.netdevspec.waiver]]\nrule = "mod.exit"\nreason = "x"\nwho = 1\n',
     "unknown key 'who'"),
    ('[tool.netdevspec\n', "is not valid TOML"),
])
def test_a_bad_settings_file_is_a_usage_error_naming_file_and_key(
        tmp_path: Path, body: str, text: str) -> None:
    path = _pyproject(tmp_path, body)
    with pytest.raises(UsageError) as e:
        load_settings(path, KNOWN)
    assert text in str(e.value)
    assert str(path) in str(e.value)


def test_selection_takes_ids_and_family_prefixes_and_suggests_on_a_typo() -> None:
    s = selection(["skb,res.irq"], ["skb.put"], KNOWN)
    assert s.wants("skb.put.bounds") is False
    assert s.wants("skb.geometry") and s.wants("res.irq.exclusive")
    assert not s.wants("mod.exit.buffers")
    assert not s.wants("skbx.y")  # a prefix matches whole segments only
    with pytest.raises(UsageError, match="did you mean"):
        selection(["sbk"], [], KNOWN)


def test_a_waiver_file_holds_only_waivers(tmp_path: Path) -> None:
    p = tmp_path / "waivers.toml"
    p.write_text('other = 1\n[[waiver]]\nrule = "mod.exit.buffers"\nreason = "known leak"\n',
                 encoding="utf-8")
    with pytest.raises(UsageError, match="'other' besides"):
        load_waivers(p, KNOWN)


# -- check with settings ------------------------------------------------------------------------

def test_settings_file_drives_check_and_the_command_line_overrides_it(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _pyproject(project, """\
        [tool.netdevspec]
        drivers = ["leaky:FACTORY"]
        examples = 0
        format = "json"
        select = ["mod"]
        """)
    assert main(["check"]) == 1
    out = json.loads(capsys.readouterr().out)
    jsonschema.validate(out, report_schema())
    (rep,) = out["reports"]
    assert rep["driver"] == "leaky:FACTORY" and rep["examples"] == 0
    assert {r["id"].split(".")[0] for r in rep["rules"]} == {"mod"}
    # The command line wins: another format, and the settings file ignored altogether.
    assert main(["check", "--format", "text", "--ignore", "mod.exit.buffers"]) in (0, 1)
    assert "mod.exit.buffers" not in capsys.readouterr().out
    assert main(["check", "--no-config", "leaky:FACTORY", "--examples", "0", "-q"]) == 1
    line = capsys.readouterr().out.strip()
    assert "rules:" in line and "\n" not in line  # -q: the summary only


def test_a_waived_finding_is_waived_never_pass_in_every_format(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The leak waived with a reason: exit 0, the verdict WAIVED with the reason in text,
    JSON (valid), JUnit (skipped) and SARIF (a result with an accepted suppression)."""
    (project / "w.toml").write_text(
        '[[waiver]]\nrule = "mod.exit.buffers"\ndriver = "leaky:FACTORY"\n'
        'reason = "frames are freed by the card firmware"\n'
        '[[waiver]]\nrule = "skb.lifecycle"\nreason = "the same"\n'
        '[[waiver]]\nrule = "res.irq"\nreason = "never needed"\n', encoding="utf-8")
    base = ["check", "leaky:FACTORY", "--examples", "0", "--no-config", "--waivers", "w.toml"]
    plain = main(["check", "leaky:FACTORY", "--examples", "0", "--no-config",
                  "--format", "json"])
    plain_out = json.loads(capsys.readouterr().out)["reports"][0]
    waived_rules = [r for r in plain_out["rules"] if r["verdict"] == "FAIL"]
    assert plain == 1
    assert sorted(r["id"] for r in waived_rules) == ["mod.exit.buffers", "skb.lifecycle"]

    assert main([*base, "--format", "json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    jsonschema.validate(out, report_schema())
    (r,) = [r for r in out["reports"][0]["rules"] if r["id"] == "mod.exit.buffers"]
    assert r["verdict"] == "WAIVED" and r["waiver"] == "frames are freed by the card firmware"
    assert out["reports"][0]["counts"]["WAIVED"] == 2
    assert "the waiver of res.irq (w.toml) waived nothing" in captured.err

    assert main(base) == 0
    text = capsys.readouterr().out
    assert "WAIVED mod.exit.buffers (9 finding(s)): frames are freed by the card firmware" \
        in text and "2 WAIVED" in text and "PASS mod.exit.buffers" not in text

    from netdevspec.conformance.check import report_from_json

    rep = report_from_json(out["reports"][0])
    case = next(c for c in ET.fromstring(to_junit([rep])).iter("testcase")
                if c.get("name") == "mod.exit.buffers")
    skipped = case.find("skipped")
    assert skipped is not None and "waived: frames are freed" in skipped.get("message", "")
    (res,) = [x for x in to_sarif([rep])["runs"][0]["results"]
              if x["ruleId"] == "mod.exit.buffers"]
    assert res["suppressions"] == [{"kind": "external", "status": "accepted",
                                    "justification": "frames are freed by the card firmware"}]


# -- output conventions ------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_follows_the_option_the_terminal_and_no_color(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert _Paint.For("auto", _Terminal())("FAIL") == "\x1b[1;31mFAIL\x1b[0m"
    assert _Paint.For("auto", io.StringIO())("FAIL") == "FAIL"  # not a terminal
    assert _Paint.For("always", io.StringIO())("PASS") == "\x1b[32mPASS\x1b[0m"
    assert _Paint.For("never", _Terminal())("FAIL") == "FAIL"
    monkeypatch.setenv("NO_COLOR", "1")
    assert _Paint.For("auto", _Terminal())("FAIL") == "FAIL"
    assert _Paint.For("always", _Terminal())("FAIL") != "FAIL"  # the option wins


def test_check_verbose_lists_every_rule_and_colour_always_marks_verdicts(
        capsys: pytest.CaptureFixture[str]) -> None:
    ref = "netdevspec.reference.drivers.dummy:FACTORY"
    assert main(["check", ref, "--examples", "0", "--no-config", "-v",
                 "--color", "always", "--select", "skb.geometry"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[32mPASS\x1b[0m skb.geometry (" in out
    assert main(["check", ref, "--examples", "0", "--no-config",
                 "--select", "skb.geometry"]) == 0
    assert "skb.geometry" not in capsys.readouterr().out  # default: failures only


def test_prove_quiet_and_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    sel = ["prove", "--rule", "skb.put.bounds", "--no-progress"]
    assert main([*sel, "-v"]) == 0
    verbose = capsys.readouterr().out
    assert "PROVED   frame:skb_put.ok (" in verbose
    assert main([*sel, "-q"]) == 0
    quiet = capsys.readouterr().out
    assert "PROVED   " not in quiet and "obligations:" in quiet
