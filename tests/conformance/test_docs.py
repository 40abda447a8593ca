"""docs/conformance.md describes the suite as the code has it.

Four tables of the page are generated from the code: the kernel handle's functions (from
``C_SIGNATURES`` and the methods' docstrings, grouped as in conformance/handle.py), the
harness's steps (the declared ``STEP_ACTIONS`` with their bounds), the fixed scenarios
(``fixed_scenarios()``) and the driver-model rules (``MODEL_RULES``). This test fails when
either is out of date; ``python tests/conformance/test_docs.py`` rewrites them. The rest of
the page is prose, checked here for the names it must mention: every constant and
constructor of the handle.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from netdevspec.conformance import handle
from netdevspec.conformance.handle import C_SIGNATURES, KernelHandle
from netdevspec.conformance.harness import STEP_ACTIONS, Arg, fixed_scenarios
from netdevspec.conformance.model_rules import MODEL_RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"

_BEGIN = "<!-- begin {name}: generated from the code by tests/conformance/test_docs.py -->"
_END = "<!-- end {name} -->"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _summary(fn: object) -> str:
    doc = inspect.getdoc(fn) or ""
    return _cell(doc.split("\n\n")[0])


def handle_table() -> str:
    """The handle's functions, one table per section of conformance/handle.py."""
    lines = inspect.getsource(handle).splitlines()
    heads: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("# ====") and i + 1 < len(lines):
            title = lines[i + 1].strip().lstrip("#").strip()
            if title and not title.startswith("="):
                heads.append((i + 1, title))
        m = re.fullmatch(r"# -- (.+?) -+", s)
        if m:
            heads.append((i, m.group(1)[0].upper() + m.group(1)[1:]))
    sections: dict[str, list[str]] = {}
    for name in C_SIGNATURES:
        fn = inspect.unwrap(getattr(KernelHandle, name))
        at = inspect.getsourcelines(fn)[1] - 1
        title = max((h for h in heads if h[0] < at), default=(0, "Other"))[1]
        sections.setdefault(title, []).append(name)
    out: list[str] = []
    for title, names in sections.items():
        out += [f"### {title}", "", "| function | C signature | what it does |",
                "|---|---|---|"]
        for name in names:
            fn = getattr(KernelHandle, name)
            out.append(f"| `{name}` | `{_cell(C_SIGNATURES[name])}` | {_summary(fn)} |")
        out.append("")
    return "\n".join(out).rstrip("\n")


def steps_table() -> str:
    """The harness's steps: the declared step actions, each argument with its bounds."""
    out = ["| step | arguments | what it does |", "|---|---|---|"]
    for name, action in STEP_ACTIONS.items():
        params = inspect.signature(action.method).parameters
        call = ", ".join(f"{a}={params[a].default!r}" for a, _ in action.args)
        bounds = ", ".join(f"`{a}` {_bounds(arg)}" for a, arg in action.args)
        out.append(f"| `{name}({call})` | {bounds} | {_summary(action.method)} |")
    return "\n".join(out)


def _bounds(arg: Arg) -> str:
    if arg.kind is int:
        return f"{arg.low}..{arg.high}"
    if arg.kind is bool:
        return "true/false"
    return " / ".join(f"`{c}`" for c in arg.choices)


def fixed_scenarios_table() -> str:
    """The fixed scenarios, each with its steps."""
    out = ["| scenario | steps |", "|---|---|"]
    for name, steps in fixed_scenarios().items():
        shown = ", ".join(f"`{s.source().removeprefix('h.')}`" for s in steps)
        out.append(f"| `{name}` | {shown} |")
    return "\n".join(out)


def model_rules_table() -> str:
    """The driver-model rules: ID, statement, citations."""
    out = ["| rule | statement | cites |", "|---|---|---|"]
    for r in MODEL_RULES:
        cites = "; ".join(c.item for c in r.citations)
        out.append(f"| `{r.id}` | {_cell(r.statement)} | {cites} |")
    return "\n".join(out)


GENERATED = {"handle table": handle_table, "steps table": steps_table,
             "fixed scenarios table": fixed_scenarios_table,
             "drv rules table": model_rules_table}


def _region(text: str, name: str) -> tuple[int, int]:
    begin, end = _BEGIN.format(name=name), _END.format(name=name)
    i, j = text.find(begin), text.find(end)
    assert i >= 0 and j > i, f"{DOC.name} lacks the markers of the {name}"
    return i + len(begin), j


def rewrite(text: str) -> str:
    """``text`` with every generated region replaced by what the code generates now."""
    for name, make in GENERATED.items():
        i, j = _region(text, name)
        text = text[:i] + "\n\n" + make() + "\n\n" + text[j:]
    return text


def test_generated_tables_are_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, make in GENERATED.items():
        i, j = _region(text, name)
        assert text[i:j].strip() == make(), (
            f"the {name} in docs/conformance.md is out of date: run "
            "`python tests/conformance/test_docs.py`")


def test_every_handle_name_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = [n for n in dir(KernelHandle) if not n.startswith("_")]
    missing = [n for n in names if f"`{n}`" not in text and f"`handle.{n}" not in text
               and not re.search(rf"\b{re.escape(n)}\b", text)]
    assert missing == []


if __name__ == "__main__":
    DOC.write_text(rewrite(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"rewrote the generated tables of {DOC}\n")
