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
deleted statements) and checks each: a screen in-process (the fixed scenarios, then
generated ones, stopping at the first finding), optionally followed by `netdevspec
check`'s own run for what the screen did not kill. Every survivor is classified by hand
in the script (`_BY_LINE`, `_BY_KEY`): equivalent, unreached (no scenario runs that
code), functional (observable, but every rule of the API still holds: a conformance
suite judges the contract, not whether the driver does its job) or missed (breaks a rule
of the API, stated or that should be, and the check does not report it).
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


# -- survivors, classified by hand --------------------------------------------------------------
# Four classes. ``equivalent``: nothing the kernel, the wire or a program can observe
# changes (a value the kernel ignores, a message, a field set twice). ``unreached``: the
# mutated code runs only where no scenario goes (2.0.1 never passes hard_start_xmit a NULL
# frame; 100 dummies). ``functional``: observable, but the driver still keeps every rule
# of the API (statistics, the card's programming, a probe that fails, a frame dropped):
# a conformance suite judges the API contract, not whether the driver does its job.
# ``missed``: the mutant breaks a rule of the API (stated or that should be) and the
# check does not report it; each says why.
EQ, UNREACHED, FUNCTIONAL, MISSED = "equivalent", "unreached", "functional", "missed"
_MSG = (EQ, "a printk message only")
_STATS = (FUNCTIONAL, "a statistics counter (no rule on struct enet_statistics)")
_NULL = (UNREACHED, "the legacy NULL-frame kick: 2.0.1's kernel never passes NULL")
_PRIV = (MISSED, "priv is left allocated at cleanup (FLD-11): the spec does not model "
                 "kmalloc'd memory, so no rule sees the leak")
_PARAMS = (EQ, "only refuses undeclared parameters, which no scenario passes")
_INIT_DEV = (EQ, "init_module makes the device again")
_CARD = (FUNCTIONAL, "programs the card differently (frames lost or garbled on the wire); "
                     "no API rule is about the card")
_XMIT_GONE = (MISSED, "no hard_start_xmit: the kernel records xmit_no_method and drops the "
                      "frames, and no rule reports it (issue 10 section 2: misuse kinds)")
_OOB = (MISSED, "skb_write past the buffer's end: the kernel records the misuse, no rule "
                "reports it (issue 10 section 2: misuse kinds)")
_CLI = (MISSED, "returns with interrupts disabled (restore_flags deleted): no rule says a "
                "callback returns with the interrupt flag it was called with")
_KEPT = (MISSED, "hands a socket-kept frame (free = 0) itself to netif_rx: the socket's "
                 "frame is freed under it (SKB-13); no rule forbids passing on a kept frame")
_ERRNO = (EQ, "a positive error from a probe or init_module: 2.0.1 treats any non-zero the "
              "same (register_netdev gives -EIO, insmod fails)")
_SETUP = (FUNCTIONAL, "a device field left at its default or set differently; every rule "
                      "still holds (the kernel does not need it)")
_OPTIONAL = (FUNCTIONAL, "an optional method left out (2.0 works without it)")
_NO_LOAD = (FUNCTIONAL, "the probe or init_module fails or finds another card: a driver "
                        "that does not load keeps every rule")
_WEDGED = (FUNCTIONAL, "the device stays busy or drops frames: busy with tbusy set, or "
                       "accepted and freed, is what the API allows")
_IGNORED = (EQ, "a return value 2.0.1's kernel ignores (stop), or a busy value other than 1")
_NO_ETHER = (MISSED, "no ether_setup in the probe: the device has no Ethernet defaults "
                     "(FLD-9, CB-1) and no rule requires them")
_BY_LINE: dict[tuple[str, int], tuple[str, str]] = {
    # dummy
    ("dummy", 33): _PARAMS, ("dummy", 37): _INIT_DEV,
    ("dummy", 50): (FUNCTIONAL, "names the devices differently (dummy0, dummy2, ...)"),
    ("dummy", 51): _NO_LOAD, ("dummy", 52): (UNREACHED, "needs dummy0..dummy99 all taken"),
    ("dummy", 53): (UNREACHED, "needs dummy0..dummy99 all taken"), ("dummy", 54): _NO_LOAD,
    ("dummy", 55): (FUNCTIONAL, "names the devices differently"),
    ("dummy", 57): (UNREACHED, "register_netdev of dummy never fails (no uniqueness check "
                               "in 2.0.1, and the probe cannot fail)"),
    ("dummy", 63): _PRIV, ("dummy", 74): _XMIT_GONE, ("dummy", 76): _OPTIONAL,
    ("dummy", 77): _OPTIONAL, ("dummy", 78): _OPTIONAL, ("dummy", 79): _NO_ETHER,
    ("dummy", 80): _SETUP, ("dummy", 81): _NO_LOAD, ("dummy", 91): _SETUP,
    ("dummy", 97): _SETUP, ("dummy", 99): _IGNORED, ("dummy", 104): _NULL,
    ("dummy", 106): _STATS,
    # loopback
    ("loopback", 60): _PARAMS, ("loopback", 63): (FUNCTIONAL, "names instance 0 lo0, 1 lo"),
    ("loopback", 65): _INIT_DEV,
    ("loopback", 74): (UNREACHED, "register_netdev of lo never fails"),
    ("loopback", 80): _PRIV, ("loopback", 87): _NO_ETHER, ("loopback", 88): _SETUP,
    ("loopback", 89): _SETUP, ("loopback", 90): _SETUP, ("loopback", 91): (EQ, "tbusy is 0 "
                                                                             "already"),
    ("loopback", 92): _XMIT_GONE, ("loopback", 93): _SETUP, ("loopback", 94): _SETUP,
    ("loopback", 95): _OPTIONAL, ("loopback", 96): _OPTIONAL, ("loopback", 98): _SETUP,
    ("loopback", 99): _SETUP, ("loopback", 100): _SETUP, ("loopback", 101): _SETUP,
    ("loopback", 102): _SETUP, ("loopback", 104): _OPTIONAL, ("loopback", 105): _NO_LOAD,
    ("loopback", 118): _IGNORED, ("loopback", 128): _NULL,
    ("loopback", 130): (FUNCTIONAL, "drops a frame of exactly the header's length"),
    ("loopback", 131): _STATS,
    ("loopback", 135): (EQ, "nothing interrupts the simulated transmit between two "
                            "statements, so the critical section is not observable"),
    ("loopback", 137): (UNREACHED, "the busy branch: loopback's tbusy is never set on "
                                   "entry (nothing runs between its set and clear)"),
    ("loopback", 138): (UNREACHED, "the busy branch (see line 137)"),
    ("loopback", 139): (UNREACHED, "the busy branch (see line 137)"),
    ("loopback", 140): (EQ, "tbusy is cleared again before the callback returns"),
    ("loopback", 141): _CLI, ("loopback", 144): _KEPT, ("loopback", 150): _WEDGED,
    ("loopback", 151): _STATS,
    ("loopback", 160): (UNREACHED, "the harness's frames have no socket (skb->sk NULL)"),
    ("loopback", 162): (EQ, "dev_queue_xmit already set skb->dev to this device"),
    ("loopback", 164): (FUNCTIONAL, "the checksum hint (no rule on ip_summed)"),
    ("loopback", 168): _STATS, ("loopback", 169): _STATS, ("loopback", 170): _WEDGED,
    # skeleton
    ("skeleton", 127): _INIT_DEV, ("skeleton", 137): _MSG, ("skeleton", 138): _MSG,
    ("skeleton", 140): _NO_LOAD, ("skeleton", 141): _NO_LOAD, ("skeleton", 142): _SETUP,
    ("skeleton", 143): (EQ, "mem_start is not used by this card"),
    ("skeleton", 152): _PRIV, ("skeleton", 160): _NO_LOAD, ("skeleton", 161): _ERRNO,
    ("skeleton", 162): _NO_LOAD, ("skeleton", 164): _ERRNO, ("skeleton", 166): _NO_LOAD,
    ("skeleton", 167): _ERRNO, ("skeleton", 173): _ERRNO, ("skeleton", 178): _NO_LOAD,
    ("skeleton", 179): _NO_LOAD, ("skeleton", 180): _ERRNO, ("skeleton", 181): _MSG,
    ("skeleton", 182): _MSG, ("skeleton", 183): _MSG,
    ("skeleton", 186): (FUNCTIONAL, "a wrong station address"), ("skeleton", 188): _MSG,
    ("skeleton", 189): _NO_LOAD, ("skeleton", 190): _NO_LOAD,
    ("skeleton", 193): _OPTIONAL, ("skeleton", 195): _XMIT_GONE,
    ("skeleton", 196): _OPTIONAL, ("skeleton", 197): _OPTIONAL, ("skeleton", 198): _NO_ETHER,
    ("skeleton", 208): (FUNCTIONAL, "request_irq flags 1 (no flag the reference kernel "
                                    "acts on)"),
    ("skeleton", 213): _CARD, ("skeleton", 214): _SETUP,
    ("skeleton", 216): (EQ, "interrupt is 0 already; the handler clears it"),
    ("skeleton", 217): _SETUP, ("skeleton", 226): _SETUP, ("skeleton", 227): _SETUP,
    ("skeleton", 229): _CARD, ("skeleton", 230): _CARD, ("skeleton", 231): _CARD,
    ("skeleton", 235): _IGNORED, ("skeleton", 242): _CARD, ("skeleton", 243): _CARD,
    ("skeleton", 244): _CARD, ("skeleton", 245): _CARD,
    ("skeleton", 256): _WEDGED, ("skeleton", 257): _WEDGED, ("skeleton", 258): _IGNORED,
    ("skeleton", 259): _MSG, ("skeleton", 260): _MSG, ("skeleton", 262): _STATS,
    ("skeleton", 263): _CARD, ("skeleton", 264): _WEDGED, ("skeleton", 265): _WEDGED,
    ("skeleton", 267): _NULL, ("skeleton", 268): _NULL,
    ("skeleton", 271): (EQ, "nothing interrupts the simulated transmit between two "
                            "statements, so the critical section is not observable"),
    ("skeleton", 272): _WEDGED, ("skeleton", 273): _WEDGED, ("skeleton", 274): _CLI,
    ("skeleton", 276): _MSG, ("skeleton", 280): _CARD, ("skeleton", 281): _WEDGED,
    ("skeleton", 288): _CARD, ("skeleton", 289): _CARD, ("skeleton", 290): _CARD,
    ("skeleton", 291): _CARD, ("skeleton", 292): _CARD, ("skeleton", 293): _CARD,
    ("skeleton", 301): _WEDGED, ("skeleton", 302): _MSG,
    ("skeleton", 306): (FUNCTIONAL, "dev->interrupt while in the handler (CB-8): no rule "
                                    "reads it"),
    ("skeleton", 308): _CARD, ("skeleton", 309): _CARD, ("skeleton", 311): _CARD,
    ("skeleton", 312): _CARD, ("skeleton", 313): _CARD, ("skeleton", 314): _CARD,
    ("skeleton", 315): _STATS, ("skeleton", 316): _WEDGED,
    ("skeleton", 317): (FUNCTIONAL, "NET_BH not marked: waiting frames go out later"),
    ("skeleton", 318): (FUNCTIONAL, "dev->interrupt left set after the handler (CB-8): no "
                                    "rule reads it"),
    ("skeleton", 326): _CARD, ("skeleton", 329): (FUNCTIONAL, "RX-6's length bounds moved "
                                                              "by one"),
    ("skeleton", 330): _STATS, ("skeleton", 331): _STATS, ("skeleton", 332): _CARD,
    ("skeleton", 334): (EQ, "one byte more allocated"), ("skeleton", 336): _MSG,
    ("skeleton", 337): _STATS, ("skeleton", 338): _CARD,
    ("skeleton", 340): (FUNCTIONAL, "the IP header unaligned (RX-2 is advice)"),
    ("skeleton", 342): _OOB, ("skeleton", 343): _OOB, ("skeleton", 344): _OOB,
    ("skeleton", 345): _CARD, ("skeleton", 346): _CARD, ("skeleton", 350): _STATS,
    ("skeleton", 364): _CARD, ("skeleton", 365): _CARD, ("skeleton", 366): _CARD,
    ("skeleton", 370): _CARD, ("skeleton", 372): _CARD, ("skeleton", 373): _CARD,
    ("skeleton", 374): _CARD, ("skeleton", 375): _CARD,
}
#: Where one mutant of a line differs from the line's class.
_BY_KEY: dict[str, tuple[str, str]] = {
    "skeleton:178: + -> -": (EQ, "ioaddr - 0 is ioaddr + 0"),
    "skeleton:342: 1 -> 2": (FUNCTIONAL, "reads half the frame: garbage, in bounds"),
    "skeleton:272: 0 -> 1": (EQ, "tbusy is 0 or 1, so tbusy != 1 is tbusy == 0: the same "
                                 "as != -> == (the frames are dropped as conflicts)"),
    "skeleton:273: 1 -> 2": (EQ, "tbusy 2 is as busy as 1"),
    "skeleton:217: 1 -> 2": (EQ, "start 2 is as started as 1"),
    "dummy:91: 1 -> 2": (EQ, "start 2 is as started as 1"),
}
#: CLASSIFIED as the docs list it: every hand classification by mutant key or line.
CLASSIFIED = _BY_KEY


def classify(m: Mutant) -> tuple[str, str]:
    """A survivor's hand classification (``survived``, "unclassified" when there is none)."""
    return _BY_KEY.get(m.key) or _BY_LINE.get((m.driver, m.line), ("survived",
                                                                   "unclassified"))


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
                    help="summarise saved rows instead of running (a mutant killed in any "
                         "of them is killed)")
    ap.add_argument("--survivors-of", type=Path, help="only the mutants these saved rows "
                    "left alive (a second, longer screen)")
    ap.add_argument("--stages", default="", help="with --merge: how the saved rows were made "
                    "(shown in the figures)")
    args = ap.parse_args()
    full = args.generator == "stateful" and not args.no_check
    rows: list[tuple[Mutant, str, str]] = []  # mutant, verdict, by what
    t0 = time.perf_counter()
    if args.merge:
        took = 0.0
        best: dict[tuple[str, int], tuple[Mutant, str, str]] = {}
        for path in args.merge:
            spent = 0.0
            for line in path.read_text(encoding="utf-8").splitlines():
                d = json.loads(line)
                spent = max(spent, d["took"])
                m = Mutant(d["driver"], d["index"], d["line"], d["what"], "")
                got = best.get((m.driver, m.index))
                if got is None or got[1] != "killed":
                    best[(m.driver, m.index)] = (m, d["verdict"], d["why"])
            took += spent  # each file's run, one after the other or side by side
        for m, verdict, why in best.values():
            if verdict != "killed":
                verdict, why = classify(m)
            rows.append((m, verdict, why))
        rows.sort(key=lambda r: (r[0].driver, r[0].index))
        return _report(rows, args, full, took)
    alive: set[tuple[str, int]] | None = None
    if args.survivors_of is not None:
        alive = {(d["driver"], d["index"]) for d in map(
            json.loads, args.survivors_of.read_text(encoding="utf-8").splitlines())
            if d["verdict"] != "killed"}
    out = args.rows.open("w", encoding="utf-8") if args.rows else None
    with tempfile.TemporaryDirectory(prefix="netdevspec-mutants-") as tmp:
        sys.path.insert(0, tmp)
        for driver in args.only or sorted(DRIVER_FILES):
            scen = draw(GENERATORS[args.generator](driver), args.screen)
            for m in mutants(driver):
                if alive is not None and (m.driver, m.index) not in alive:
                    continue
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
                verdict, why = ("killed", hit) if hit else classify(m)
                rows.append((m, verdict, why))
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
    how = args.stages or (
        f"screen: fixed scenarios + {args.screen} generated ({args.generator}, seed 0)"
        + ("; then `netdevspec check` defaults for what survived" if full else ""))
    lines = [f"Stages: {how}; {took:.0f} s of run time in all (busy machine).", "",
             "| driver | mutants | killed | equivalent | unreached | functional | missed "
             "| unclassified | killed / non-equivalent | killed / (killed + missed) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    per: dict[str, list[str]] = {}
    for m, verdict, _ in rows:
        per.setdefault(m.driver, []).append(verdict)
    for driver, vs in [*sorted(per.items()), ("all", [v for _, v, _ in rows])]:
        killed = vs.count("killed")
        eq = vs.count("equivalent")
        lines.append(f"| {driver} | {len(vs)} | {killed} | {eq} | {vs.count(UNREACHED)} | "
                     f"{vs.count(FUNCTIONAL)} | {vs.count(MISSED)} | {vs.count('survived')} "
                     f"| {_pct(killed, len(vs) - eq)} | "
                     f"{_pct(killed, killed + vs.count(MISSED))} |")
    surv = [(m, v, why) for m, v, why in rows if v != "killed"]
    if surv:
        lines += ["", "| survivor | class | why |", "|---|---|---|"]
        # A pipe splits a Markdown table's cell even inside backticks: escape it.
        lines += [f"| `{_cell(m.key)}` | {v} | {_cell(why)} |" for m, v, why in surv]
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f} %" if b else "n/a"


if __name__ == "__main__":
    raise SystemExit(main())
