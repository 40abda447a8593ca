"""docs/quickstart.md: every command it shows runs and prints the lines it shows.

Each ``$`` command of a ``console`` block runs as a subprocess from the repository's root;
every line shown after it must appear in its output, in order (a line ``...`` marks an
omission). The exit code must be the one the page says: 1 for the buggy driver, else 0.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "quickstart.md"


def commands() -> list[tuple[int, str, list[str]]]:
    """Each ``$`` command of the page's console blocks: its line, text and shown output."""
    out: list[tuple[int, str, list[str]]] = []
    inside = False
    for n, line in enumerate(PAGE.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            inside = line == "```console"
        elif inside and line.startswith("$ "):
            out.append((n, line[2:], []))
        elif inside and out:
            out[-1][2].append(line)
    return out


def missing_line(shown: list[str], printed: str) -> str | None:
    """The first shown line that does not appear, in order, in ``printed`` (None: all do)."""
    got = [" ".join(x.split()) for x in printed.splitlines()]
    pos = 0
    for raw in shown:
        want = " ".join(raw.split())
        if not want or want == "...":
            continue
        while pos < len(got) and got[pos] != want:
            pos += 1
        if pos == len(got):
            return raw
        pos += 1
    return None


def test_missing_line_finds_lines_in_order_only() -> None:
    assert missing_line(["a", "...", "c"], "a\nb\nc\n") is None
    assert missing_line(["c", "a"], "a\nb\nc\n") == "a"


@pytest.mark.slow  # five netdevspec processes
def test_the_quickstarts_commands_print_what_it_shows() -> None:
    cmds = commands()
    assert len(cmds) >= 3
    for line, cmd, shown in cmds:
        argv = shlex.split(cmd)
        assert argv[0] == "netdevspec", f"docs/quickstart.md:{line}: runs only netdevspec"
        p = subprocess.run([sys.executable, "-m", "netdevspec", *argv[1:]], cwd=ROOT,
                           capture_output=True, text=True, check=False, timeout=600,
                           env={**os.environ, "COLUMNS": "100"})
        printed = p.stdout + p.stderr
        want_rc = 1 if re.search(r"\bbuggy\b", cmd) else 0
        assert p.returncode == want_rc, f"docs/quickstart.md:{line}: `{cmd}` exited " \
            f"{p.returncode}:\n{printed}"
        missing = missing_line(shown, printed)
        assert missing is None, (f"docs/quickstart.md:{line}: `{cmd}` did not print\n  "
                                 f"{missing}\nthat the page shows; it printed:\n{printed}")
