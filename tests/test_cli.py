"""The command line: exit codes, JSON output, errors, golden text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from netdevspec.model.results import report_schema

from netdevspec.cli import main

GOLDEN = Path(__file__).parent / "golden"


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--help"]) == 0
    out = capsys.readouterr().out
    for line in ("0  every obligation PROVED", "1  an obligation REFUTED or VACUOUS",
                 "2  usage or internal error", "3  inconclusive"):
        assert line in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: netdevspec" in capsys.readouterr().err


@pytest.mark.slow
def test_prove_one_rule_as_json(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert main(["prove", "--rule", "skb.geometry", "--format", "json", "--output",
                 str(out), "--jobs", "1"]) == 0
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, report_schema())
    assert doc["summary"]["PROVED"] == doc["summary"]["obligations"] > 10
    assert all(r["rule"] in ("skb.geometry", None) or r["kind"] != "consecution"
               for r in doc["results"])


@pytest.mark.slow
def test_prove_text_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--operation", "skb_pull", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "obligations: " in out and " 0 REFUTED, 0 UNKNOWN, 0 VACUOUS" in out
    assert "median" in out and "seed 0" in out


def test_unknown_rule_is_exit_2_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--rule", "skb.geometri"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule 'skb.geometri'" in err and "did you mean skb.geometry" in err


def test_bad_numbers_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--timeout", "0"]) == 2
    assert "argument --timeout: '0' is not a whole number from 1" in capsys.readouterr().err
    assert main(["prove", "--timeout", "soon"]) == 2
    assert "argument --timeout: 'soon' is not a whole number" in capsys.readouterr().err


def test_an_empty_selection_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # skb_headroom has no obligation about IRQ lines.
    assert main(["prove", "--operation", "skb_headroom", "--rule", "res.irq.exclusive"]) == 2
    assert "the selection matches no obligation" in capsys.readouterr().err


def test_unwritable_output_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "r.json"
    assert main(["prove", "--operation", "skb_headroom", "--output", str(target),
                 "--jobs", "1"]) == 2
    assert f"cannot write {target}" in capsys.readouterr().err


def test_rules_listing_matches_the_golden_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    got = capsys.readouterr().out
    golden = GOLDEN / "rules.txt"
    assert got == golden.read_text(encoding="utf-8"), (
        "the rule listing changed: if intended, regenerate tests/golden/rules.txt with "
        "`netdevspec rules > tests/golden/rules.txt`")


def test_docs_without_sources_is_a_usage_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", str(tmp_path / "html"), "--source", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no documentation sources at" in err and "pass --source" in err
    assert not (tmp_path / "html").exists()


def test_docs_needs_an_output_folder(capsys: pytest.CaptureFixture[str]) -> None:
    # Never into the current directory by default.
    assert main(["docs"]) == 2
    assert "OUTDIR" in capsys.readouterr().err


def test_python_dash_m_runs_the_cli() -> None:
    p = subprocess.run([sys.executable, "-m", "netdevspec", "--help"], capture_output=True,
                       text=True, check=False)
    assert p.returncode == 0 and "exit codes:" in p.stdout


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from netdevspec import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"netdevspec {__version__}\n"


@pytest.mark.slow
def test_explain_shows_what_a_proof_rests_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--explain", "consecution:skb_put.ok:skb.geometry"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("consecution:skb_put.ok:skb.geometry: PROVED by e-matching (")
    assert "rests on (a minimal unsat core: without any one of these the proof fails):" in out
    assert "  invariant  skb.geometry " in out
    assert "  obligation skb.put.bounds " in out and "skb_put(b, n) needs tail + n ≤ end" in out
    assert "  guarantee  skb.put.effect " in out


def test_explain_names_the_closest_obligations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--explain", "consecution:skb_put.ok:skb.geometri"]) == 2
    err = capsys.readouterr().err
    assert "no obligation 'consecution:skb_put.ok:skb.geometri'" in err
    assert "did you mean consecution:skb_put.ok:skb.geometry" in err
    assert main(["prove", "--explain", "frame:skb_put.ok", "--rule", "skb.geometry"]) == 2
    assert "--explain cannot be combined with --rule or --operation" in capsys.readouterr().err


@pytest.mark.slow
def test_deps_lists_the_rules_no_proof_rests_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--operation", "skb_pull", "--deps", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert " rules no proof of this run rests on: " in out
