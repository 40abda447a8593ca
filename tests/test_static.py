"""The package is ruff-clean and `mypy --strict` clean.

Both are in the fast subset (`pytest -m "not slow"`); neither writes a cache into the
repository (two xdist workers, or two checkouts' test runs, would share it). The docs
build and its tests are in tests/test_site.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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
