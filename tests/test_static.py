"""The package is ruff-clean and `mypy --strict` clean, and the Sphinx docs build with -W.

Lint and type checks are in the fast subset (`pytest -m "not slow"`); the docs build is
slow. Neither writes a cache into the repository (two xdist workers, or two checkouts'
test runs, would share it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean() -> None:
    p = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stdout + p.stderr


def test_mypy_strict_on_the_package_as_installed(tmp_path: Path) -> None:
    # The top-level folders become netdevspec.* only when installed; lay them out that way
    # (mypy cannot follow setuptools' editable import hook).
    pkg = tmp_path / "netdevspec"
    shutil.copytree(ROOT / "src" / "netdevspec", pkg)
    for sub in ("spec", "model", "conformance", "reference"):
        shutil.copytree(ROOT / sub, pkg / sub)
    p = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--config-file",
                        str(ROOT / "pyproject.toml"), "-p", "netdevspec"],
                       capture_output=True, text=True, check=False, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.fixture(scope="module")
def built_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation, built once by `netdevspec docs` (Sphinx with -W: warnings fail)."""
    out = tmp_path_factory.mktemp("docs") / "html"
    p = subprocess.run([sys.executable, "-m", "netdevspec", "docs", str(out), "--source",
                        str(ROOT / "docs")], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"built {out / 'index.html'}" in p.stdout
    return out


@pytest.mark.slow
def test_sphinx_docs_build_without_warnings(built_html: Path) -> None:
    for page in ("rules/index", "rules/skb", "rules/drv", "rules/operations", "rules/bugs",
                 "rules/facts", "rules/traceability", "quickstart", "api"):
        assert (built_html / f"{page}.html").exists(), page


@pytest.mark.slow
def test_every_internal_link_anchor_and_picture_of_the_site_resolves(built_html: Path) -> None:
    from netdevspec.linkcheck import check_site

    broken = check_site(built_html)
    assert broken == [], "\n".join(map(str, broken))


@pytest.mark.slow
def test_the_built_entries_show_the_verdicts_of_this_builds_runs(built_html: Path) -> None:
    # The build proved every obligation and checked the reference drivers: the entries
    # carry the verdicts (the bundled spec is all PROVED, the reference drivers conform).
    text = (built_html / "rules" / "skb.html").read_text(encoding="utf-8")
    entry = text.split('id="rule-skb.put.bounds"', 1)[1]
    entry = entry.split('id="rule-skb.clone.readonly"', 1)[0]
    assert "2 PROVED in this build’s run" in entry
    assert "dummy NOT_APPLICABLE; loopback NOT_APPLICABLE; skeleton PASS." in entry
    index = (built_html / "rules" / "index.html").read_text(encoding="utf-8")
    assert " 0 REFUTED, 0 UNKNOWN, 0 VACUOUS;" in index


@pytest.mark.slow
def test_the_api_reference_documents_the_public_objects(built_html: Path) -> None:
    text = (built_html / "api.html").read_text(encoding="utf-8")
    for obj in ("conformance.handle.KernelHandle", "conformance.check.CheckReport",
                "conformance.monitor.Finding", "model.Prover", "model.Result", "spec.Rule",
                "spec.Operation", "spec.Case", "spec.Spec"):
        assert f'id="netdevspec.{obj}"' in text, obj
    # Members too, with their docstrings: a handle function and a report's method.
    assert 'id="netdevspec.conformance.handle.KernelHandle.request_irq"' in text
    assert 'id="netdevspec.conformance.check.CheckReport.exit_code"' in text
