"""Mutation score of the conformance suite over the three reference drivers (issue 10).

A small AST mutator makes one mutant per mutation site of ``dummy.py``, ``loopback.py``
and ``skeleton.py`` (the code of their functions; docstrings and messages are left
alone). The operators are the classic ones:

* a comparison flipped at its boundary or negated (``<`` / ``<=``, ``==`` / ``!=``,
  ``is`` / ``is not``, ``in`` / ``not in``);
* an arithmetic or bit operator swapped (``+`` / ``-``, ``&`` / ``|``, ``>>`` / ``<<``);
* ``and`` / ``or`` swapped, a ``not`` dropped, a negation dropped (``-h.EIO`` -> ``h.EIO``);
* an integer constant changed (``n`` -> ``n + 1``);
* a statement deleted: a call, an assignment, an augmented assignment (``pass`` instead).

Each mutant is written as a module of its own and checked in two stages:

1. a screen, in this process: the fixed scenarios, then ``--screen`` scenarios of the
   check's generator (seed 0), stopping at the first finding;
2. each mutant the screen did not kill gets ``netdevspec check``'s own run
   (:func:`~netdevspec.conformance.check.check_driver` with its defaults: the driver in
   processes of its own, 200 generated scenarios per round).

A mutant is *killed* when a stage reports a finding (FAIL). The survivors are classified
by hand in :data:`CLASSIFIED` (``equivalent``: no driver behaviour the API can observe
changes; ``missed``: a real bug the suite does not catch), and the score is the share of
the non-equivalent mutants killed (goal: 90 %).

Run ``python benchmarks/bench_mutants.py [--screen 200] [--only skeleton] [--write]``;
``--generator flat`` screens with the flat generator of commit a7383cd instead (for the
before/after comparison; no second stage).
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_buffers import machine
from bench_reach import GENERATORS, draw
from benchdoc import write_block
from netdevspec.conformance.harness import fixed_scenarios, run_scenario

ROOT = Path(__file__).resolve().parents[1]
DRIVER_FILES = {name: ROOT / "reference" / "drivers" / f"{name}.py"
                for name in ("dummy", "loopback", "skeleton")}

START = "<!-- mutants: filled in by benchmarks/bench_mutants.py --write -->"
END = "<!-- /mutants -->"
INTRO = """## Mutation score (issue 10)

`benchmarks/bench_mutants.py` makes one mutant per mutation site of the three reference
drivers with a small AST mutator (comparisons, arithmetic, boolean operators, constants,
deleted statements), checks each (a screen of fixed and generated scenarios in-process,
then `netdevspec check`'s own run for what the screen did not kill) and reports killed,
survived and equivalent. Every survivor is classified by hand in the script's
`CLASSIFIED` table, and listed below with the reason.
"""

_COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
            ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
            ast.In: ast.NotIn, ast.NotIn: ast.In}
_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
          ast.RShift: ast.LShift, ast.LShift: ast.RShift, ast.Mult: ast.FloorDiv,
          ast.FloorDiv: ast.Mult}
_BOOL = {ast.And: ast.Or, ast.Or: ast.And}


@dataclass(frozen=True)
class Mutant:
    """One mutant: which driver, where, what changed, and its source."""

    driver: str
    index: int
    line: int
    what: str
    source: str

    @property
    def key(self) -> str:
        """A stable name: driver, line and the change."""
        return f"{self.driver}:{self.line}: {self.what}"


class _Sites(ast.NodeTransformer):
    """Visits the mutation sites in a fixed order; mutates the ``target``-th one."""

    def __init__(self, target: int = -1) -> None:
        self.target = target
        self.count = 0
        self.done: tuple[int, str] | None = None
        self._in_function = 0

    def _hit(self, node: ast.AST, what: str) -> bool:
        if not self._in_function:
            return False
        n = self.count
        self.count += 1
        if n == self.target:
            self.done = (getattr(node, "lineno", 0), what)
            return True
        return False

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        self._in_function += 1
        body = node.body
        doc = body[:1] if (body and isinstance(body[0], ast.Expr)
                           and isinstance(body[0].value, ast.Constant)) else []
        # The body only: a docstring is not code, and the signature's defaults are the
        # harness's business (it passes every argument).
        node.body = doc + [self._visit_stmt(st) for st in body[len(doc):]]
        self._in_function -= 1
        return node

    def _visit_stmt(self, st: ast.stmt) -> ast.stmt:
        out = self.visit(st)
        return out if isinstance(out, ast.stmt) else ast.copy_location(ast.Pass(), st)

    def visit_Compare(self, node: ast.Compare) -> Any:
        self.generic_visit(node)
        for k, op in enumerate(node.ops):
            swap = _COMPARE.get(type(op))
            if swap is not None and self._hit(node, f"{_op(op)} -> {_op(swap())}"):
                node.ops[k] = swap()
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        self.generic_visit(node)
        swap = _BINOP.get(type(node.op))
        if swap is not None and self._hit(node, f"{_op(node.op)} -> {_op(swap())}"):
            node.op = swap()
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        self.generic_visit(node)
        swap = _BINOP.get(type(node.op))
        if swap is not None and self._hit(node, f"{_op(node.op)}= -> {_op(swap())}="):
            node.op = swap()
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        self.generic_visit(node)
        if self._hit(node, f"{_op(node.op)} -> {_op(_BOOL[type(node.op)]())}"):
            node.op = _BOOL[type(node.op)]()
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._hit(node, "not x -> x"):
            return node.operand
        if isinstance(node.op, ast.USub) and not isinstance(node.operand, ast.Constant) \
                and self._hit(node, "-x -> x"):
            return node.operand
        return node

    def visit_Constant(self, node: ast.Constant) -> Any:
        v = node.value
        if isinstance(v, int) and not isinstance(v, bool) and self._hit(node, f"{v} -> {v + 1}"):
            return ast.copy_location(ast.Constant(v + 1), node)
        return node

    def _statement(self, node: ast.stmt, what: str) -> Any:
        self.generic_visit(node)
        if self._hit(node, what):
            return ast.copy_location(ast.Pass(), node)
        return node

    def visit_Expr(self, node: ast.Expr) -> Any:
        if isinstance(node.value, ast.Call):
            return self._statement(node, f"delete {ast.unparse(node)[:60]}")
        return self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> Any:
        return self._statement(node, f"delete {ast.unparse(node)[:60]}")


def _op(op: ast.AST) -> str:
    return {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
            ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
            ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-", ast.BitAnd: "&", ast.BitOr: "|",
            ast.RShift: ">>", ast.LShift: "<<", ast.Mult: "*", ast.FloorDiv: "//",
            ast.And: "and", ast.Or: "or"}[type(op)]


def mutants(driver: str) -> Iterator[Mutant]:
    """Every mutant of ``driver``, in source order."""
    tree = ast.parse(DRIVER_FILES[driver].read_text(encoding="utf-8"))
    counter = _Sites()
    counter.visit(copy.deepcopy(tree))
    for k in range(counter.count):
        m = _Sites(k)
        new = ast.fix_missing_locations(m.visit(copy.deepcopy(tree)))
        assert m.done is not None
        yield Mutant(driver, k, m.done[0], m.done[1], ast.unparse(new))


def load(m: Mutant, where: Path) -> tuple[Any, str]:
    """Write ``m`` as a module under ``where`` and import it: (factory, ref)."""
    name = f"mutant_{m.driver}_{m.index}"
    (where / f"{name}.py").write_text(m.source, encoding="utf-8")
    module = importlib.import_module(name)
    return module.FACTORY, f"{name}:FACTORY"


def screen(factory: Any, scenarios: list[list[Any]]) -> str | None:
    """The first finding of the fixed then the generated scenarios (in-process)."""
    for steps in [*fixed_scenarios().values(), *scenarios]:
        try:
            h = run_scenario(factory, steps, time_limit=2.0)
        except Exception as exc:  # the factory raised: drv.callback.raised in a check
            return f"drv.callback.raised: the factory raised {type(exc).__name__}"
        if h.monitor.findings:
            f = h.monitor.findings[0]
            return f"{f.rule}: {f.message[:80]}"
    return None


def full_check(factory: Any, ref: str) -> str | None:
    """The first failed rule of ``netdevspec check``'s own run, or None."""
    from netdevspec.conformance.check import check_driver

    report = check_driver(factory, ref)
    return report.failed[0].rule.id if report.failed else None


#: Survivors classified by hand: mutant key -> (class, why). ``equivalent``: nothing a
#: caller of the API can observe changes; ``missed``: a real bug the suite misses.
CLASSIFIED: dict[str, tuple[str, str]] = {}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--screen", type=int, default=200, help="generated scenarios per screen")
    ap.add_argument("--only", choices=sorted(DRIVER_FILES), action="append")
    ap.add_argument("--generator", choices=sorted(GENERATORS), default="stateful")
    ap.add_argument("--no-check", action="store_true", help="screen only (no second stage)")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument("--rows", type=Path, help="also write each mutant's verdict here (JSON "
                    "lines), to merge runs split over processes with --merge")
    ap.add_argument("--merge", type=Path, nargs="*", default=[],
                    help="summarise saved rows instead of running")
    args = ap.parse_args()
    full = args.generator == "stateful" and not args.no_check
    rows: list[tuple[Mutant, str, str]] = []  # mutant, verdict, by what
    t0 = time.perf_counter()
    if args.merge:
        took = 0.0
        for path in args.merge:
            for line in path.read_text(encoding="utf-8").splitlines():
                d = json.loads(line)
                m = Mutant(d["driver"], d["index"], d["line"], d["what"], "")
                verdict = d["verdict"] if d["verdict"] == "killed" else CLASSIFIED.get(
                    m.key, ("survived", ""))[0]
                why = d["why"] or CLASSIFIED.get(m.key, ("", "unclassified"))[1]
                rows.append((m, verdict, why))
                took = max(took, d["took"])
        rows.sort(key=lambda r: (r[0].driver, r[0].index))
        return _report(rows, args, full, took)
    out = args.rows.open("w", encoding="utf-8") if args.rows else None
    with tempfile.TemporaryDirectory(prefix="netdevspec-mutants-") as tmp:
        sys.path.insert(0, tmp)
        for driver in args.only or sorted(DRIVER_FILES):
            scen = draw(GENERATORS[args.generator](driver), args.screen)
            for m in mutants(driver):
                try:
                    factory, ref = load(m, Path(tmp))
                except Exception as exc:  # a mutant that does not even import is killed
                    rows.append((m, "killed", f"import: {type(exc).__name__}"))
                    continue
                # (an import failure never happens with these operators; kept for safety)
                hit = screen(factory, scen)
                if hit is None and full:
                    rule = full_check(factory, ref)
                    hit = None if rule is None else f"{rule} (netdevspec check)"
                verdict = "killed" if hit else CLASSIFIED.get(m.key, ("survived", ""))[0]
                rows.append((m, verdict, hit or CLASSIFIED.get(m.key, ("", "unclassified"))[1]))
                print(f"{verdict:10} {m.key}  [{hit or ''}]", flush=True)
                if out is not None:
                    out.write(json.dumps({"driver": m.driver, "index": m.index, "line": m.line,
                                          "what": m.what, "verdict": "killed" if hit else
                                          "survived", "why": hit or "",
                                          "took": time.perf_counter() - t0}) + "\n")
                    out.flush()
    return _report(rows, args, full, time.perf_counter() - t0)


def _report(rows: list[tuple[Mutant, str, str]], args: Any, full: bool, took: float) -> int:
    lines = summary(rows, args, full, took)
    print("\n".join(lines))
    if args.write:
        write_block(START, END, "\n".join(lines) + "\n\n" + machine(), INTRO)
        print("wrote docs/benchmarks.md")
    return 0


def summary(rows: list[tuple[Mutant, str, str]], args: Any, full: bool,
            took: float) -> list[str]:
    """The figures: per driver killed / survived / equivalent, and the survivors."""
    how = (f"screen: fixed scenarios + {args.screen} generated ({args.generator}, seed 0)"
           + ("; then `netdevspec check` defaults for what survived" if full else ""))
    lines = [f"Stages: {how}; {took:.0f} s in all (busy machine).", "",
             "| driver | mutants | killed | survived (missed) | equivalent | unclassified "
             "| score (killed / non-equivalent) |", "|---|---:|---:|---:|---:|---:|---:|"]
    per: dict[str, list[str]] = {}
    for m, verdict, _ in rows:
        per.setdefault(m.driver, []).append(verdict)
    for driver, vs in [*sorted(per.items()), ("all", [v for _, v, _ in rows])]:
        killed = vs.count("killed")
        eq = vs.count("equivalent")
        lines.append(f"| {driver} | {len(vs)} | {killed} | {vs.count('missed')} | {eq} | "
                     f"{vs.count('survived')} | {_pct(killed, len(vs) - eq)} |")
    surv = [(m, v, why) for m, v, why in rows if v != "killed"]
    if surv:
        lines += ["", "| survivor | class | why |", "|---|---|---|"]
        lines += [f"| `{m.key}` | {v} | {why} |" for m, v, why in surv]
    return lines


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f} %" if b else "n/a"


if __name__ == "__main__":
    raise SystemExit(main())
