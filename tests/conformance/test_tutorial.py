"""The tutorial's driver is the code the tutorial shows, and the tutorial's commands work.

docs/tutorial.md shows parts of docs/tutorial/tiny.py and docs/tutorial/test_tiny.py
written out (so the page shows its code on GitHub and in an editor), each after a marker
naming the part; every block must equal its part (:mod:`netdevspec.mdcode`), so the code
shown is the code tested here. The page's diffs (the
bugs it introduces and their fixes) and its console sessions are run in order on a copy
of docs/tutorial/, as a reader would run them: each diff is applied to the copy, each
``$`` command is run in it (``netdevspec`` commands in this process through
``netdevspec.cli.main``, ``python3`` commands as subprocesses), and every output line the
page shows must appear, in order, in what the command printed. A shown line ending in
``...`` stands for any line that starts with what precedes the dots; a line ``...``
alone only marks an omission.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
from netdevspec.conformance.check import CheckReport, check_driver

from netdevspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "tutorial.md"
SOURCES = ROOT / "docs" / "tutorial"
PLUGIN = "netdevspec.conformance.pytest_plugin"

#: The rule the tutorial says each of its bugs breaks, and what the bug's diff removes.
BUGS = {"skb.put.bounds": "dev_alloc_skb(length + 2)", "cb.stop.irq": "free_irq"}


# -- reading the page -------------------------------------------------------------------------

@dataclass
class Block:
    """A fenced block of the page: ``diff`` or ``console`` with its text."""

    kind: str
    text: str
    line: int


def blocks() -> list[Block]:
    """The page's ``diff`` and ``console`` blocks, in order."""
    out: list[Block] = []
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = re.fullmatch(r"(`{3,})(diff|console)\s*", lines[i])
        if m:
            fence, kind, start = m.group(1), m.group(2), i + 1
            i += 1
            body: list[str] = []
            while i < len(lines) and lines[i] != fence:
                body.append(lines[i])
                i += 1
            out.append(Block(kind, "\n".join(body) + "\n", start))
        i += 1
    return out


@dataclass
class Hunk:
    """One hunk of a unified diff: where it starts and the lines before and after."""

    start: int
    old: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)


def parse_diff(text: str) -> tuple[str, list[Hunk]]:
    """The file a unified diff changes, and its hunks."""
    name = ""
    hunks: list[Hunk] = []
    for line in text.splitlines():
        if line.startswith("+++ "):
            name = line[4:].strip().removeprefix("b/")
        elif line.startswith("--- "):
            continue
        elif line.startswith("@@"):
            m = re.match(r"@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@", line)
            assert m, f"not a hunk header: {line!r}"
            hunks.append(Hunk(int(m.group(1))))
        elif hunks:
            tag, rest = line[:1], line[1:]
            if tag in (" ", ""):
                hunks[-1].old.append(rest)
                hunks[-1].new.append(rest)
            elif tag == "-":
                hunks[-1].old.append(rest)
            elif tag == "+":
                hunks[-1].new.append(rest)
    assert name and hunks, "a diff needs a +++ header and a hunk"
    return name, hunks


def apply_diff(source: str, text: str) -> str:
    """``source`` with the diff applied; each hunk must match at the line it names."""
    lines = source.split("\n")
    _, hunks = parse_diff(text)
    for h in reversed(hunks):
        at = h.start - 1
        assert lines[at:at + len(h.old)] == h.old, (
            f"the hunk at line {h.start} does not match the file: {h.old!r}")
        lines[at:at + len(h.old)] = h.new
    return "\n".join(lines)


def commands(text: str) -> list[tuple[str, list[str]]]:
    """A console block's ``$`` commands, each with the output lines shown after it."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
    return out


def _norm(line: str) -> str:
    line = re.sub(r"\b\d+\.\d+s\b", "N.NNs", line)  # pytest's timings
    return " ".join(line.split())


def shown_lines_appear(shown: list[str], actual: str) -> str | None:
    """None if every shown line appears in ``actual``, in order; else the first missing."""
    got = [_norm(x) for x in actual.splitlines()]
    pos = 0
    for raw in shown:
        want = _norm(raw)
        if not want or want == "...":
            continue
        prefix = want[:-3].rstrip() if want.endswith("...") else None
        while pos < len(got) and not (got[pos] == want or (
                prefix is not None and got[pos].startswith(prefix))):
            pos += 1
        if pos == len(got):
            return raw
        pos += 1
    return None


# -- running the page -------------------------------------------------------------------------

def _entry_point_loads_the_plugin() -> bool:
    return any(ep.value == PLUGIN for ep in importlib.metadata.entry_points(group="pytest11"))


def _forget_modules_in(folder: Path) -> None:
    for name, mod in list(sys.modules.items()):
        f = getattr(mod, "__file__", None)
        if f and Path(f).resolve().is_relative_to(folder.resolve()):
            del sys.modules[name]


def run_command(cmd: str, work: Path, capsys: pytest.CaptureFixture[str],
                monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """Run one of the page's commands in ``work``; its exit code and output."""
    argv = shlex.split(cmd)
    env: dict[str, str] = {}
    while argv and re.fullmatch(r"[A-Z_]+=.*", argv[0]):
        key, _, value = argv.pop(0).partition("=")
        env[key] = value
    assert argv, cmd
    if argv[0] == "netdevspec":
        # In this process, through the command line's entry point.
        with monkeypatch.context() as m:
            m.chdir(work)
            if env.get("PYTHONPATH") == ".":
                m.syspath_prepend(str(work))
            else:
                assert not env, f"unexpected environment in {cmd!r}"
            _forget_modules_in(work)
            capsys.readouterr()
            rc = main(argv[1:])
            out = capsys.readouterr()
            _forget_modules_in(work)
        return rc, out.out + out.err
    assert argv[0] == "python3", f"the tutorial runs netdevspec or python3, not {cmd!r}"
    argv[0] = sys.executable
    if argv[1:3] == ["-m", "pytest"] and not _entry_point_loads_the_plugin():
        argv[3:3] = ["-p", PLUGIN]  # until the package's pytest11 entry point is installed
    full_env = {**os.environ, **env, "COLUMNS": "80"}
    p = subprocess.run(argv, cwd=work, env=full_env, capture_output=True, text=True,
                       check=False, timeout=300)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.slow
def test_the_tutorials_commands_print_what_it_shows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "tutorial"
    shutil.copytree(SOURCES, work, ignore=shutil.ignore_patterns("__pycache__"))
    ran = 0
    for b in blocks():
        if b.kind == "diff":
            name, _ = parse_diff(b.text)
            path = work / name
            path.write_text(apply_diff(path.read_text(encoding="utf-8"), b.text),
                            encoding="utf-8")
            continue
        for cmd, shown in commands(b.text):
            rc, out = run_command(cmd, work, capsys, monkeypatch)
            ran += 1
            assert rc in (0, 1), f"docs/tutorial.md:{b.line}: `{cmd}` exited {rc}:\n{out}"
            missing = shown_lines_appear(shown, out)
            assert missing is None, (
                f"docs/tutorial.md:{b.line}: `{cmd}` did not print the line\n  {missing}\n"
                f"that the page shows; it printed:\n{out}")
    assert ran >= 4


# -- the driver itself -------------------------------------------------------------------------

def load_driver(path: Path, name: str) -> ModuleType:
    """Import the driver module at ``path`` under ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def check(path: Path, name: str, examples: int = 50) -> CheckReport:
    return check_driver(load_driver(path, name).FACTORY, f"{name}:FACTORY", examples=examples)


def test_tiny_passes_every_rule_it_exercises() -> None:
    report = check(SOURCES / "tiny.py", "tiny_tutorial")
    assert report.failed == [], [(r.rule.id, r.finding) for r in report.failed]
    assert report.exit_code() == 0
    verdicts = {r.rule.id: r.verdict for r in report.rules}
    # The paths the tutorial writes are all exercised: probe, claims, open/stop, transmit,
    # busy transmit, interrupt, receive, unload.
    for rid in ("res.region.request.free", "res.port.claimed", "cb.open.status",
                "cb.stop.status", "cb.stop.irq", "mod.use.released", "cb.xmit.busy.keep",
                "cb.xmit.busy.tbusy", "skb.put.bounds", "skb.reserve.empty", "rx.dev.set",
                "rx.protocol.set", "rx.eth.header", "mod.exit.irqs", "mod.exit.regions",
                "mod.exit.buffers", "mod.exit.devices", "drv.callback.raised"):
        assert verdicts[rid] == "PASS", rid


def _applies(source: str, diff: str) -> bool:
    try:
        apply_diff(source, diff)
    except AssertionError:
        return False
    return True


@pytest.mark.slow  # a full check of each tutorial bug
def test_each_bug_of_the_tutorial_fails_the_rule_it_names(tmp_path: Path) -> None:
    page = PAGE.read_text(encoding="utf-8")
    source = (SOURCES / "tiny.py").read_text(encoding="utf-8")
    diffs = [b.text for b in blocks() if b.kind == "diff"]
    # A bug is a diff of the correct driver; the diff right after it, if any, is its fix.
    bugs = [k for k, d in enumerate(diffs) if _applies(source, d)]
    found: set[str] = set()
    for k in bugs:
        removed = [ln for ln in diffs[k].splitlines()
                   if ln.startswith("-") and not ln.startswith("---")]
        rules = [rule for rule, what in BUGS.items() if any(what in ln for ln in removed)]
        assert len(rules) == 1, diffs[k]
        rule = rules[0]
        assert f"`{rule}`" in page
        buggy = apply_diff(source, diffs[k])
        if k + 1 < len(diffs):
            assert apply_diff(buggy, diffs[k + 1]) == source
        path = tmp_path / f"tiny_bug{k}.py"
        path.write_text(buggy, encoding="utf-8")
        report = check(path, f"tiny_bug{k}", examples=20)
        assert rule in {r.rule.id for r in report.failed}, rule
        assert report.exit_code() == 1
        found.add(rule)
    assert found == set(BUGS)


def test_the_shown_code_is_the_code_of_the_tested_files() -> None:
    from netdevspec import mdcode

    page = PAGE.read_text(encoding="utf-8")
    shown = mdcode.blocks(page)
    assert {b.path for b in shown} == {"tutorial/tiny.py", "tutorial/test_tiny.py"}
    assert mdcode.stale(PAGE) == [], "run `python -m netdevspec.mdcode docs/tutorial.md`"
    # Every Python block is one of them: Python written only in the page would be untested.
    assert page.count("```python\n") == len(shown)
    assert "literalinclude" not in page and "{download}" not in page


def test_the_matcher() -> None:
    out = "a: 1 rule\n  found: x\n  at: skb_put(#1, b'\\x00...')\n2 passed in 0.31s\n"
    assert shown_lines_appear(["a: 1 rule", "...", "  at: skb_put(#1, ..."], out) is None
    assert shown_lines_appear(["2 passed in 9.99s"], out) is None
    assert shown_lines_appear(["  found: x", "a: 1 rule"], out) == "a: 1 rule"
    assert apply_diff("a\nb\nc\n", "--- a/f\n+++ b/f\n@@ -2,1 +2,1 @@\n-b\n+B\n") == "a\nB\nc\n"
