"""z3 and cvc5 on every query z3 proved, from the same SMT-LIB 2.6 scripts.

Proves the whole spec in this process, exports each query that proved an obligation
(``Prover.export_smtlib``), and decides every script with z3 and with cvc5, each in a
fresh instance, as ``netdevspec crosscheck`` does. Prints the agreement and each solver's
time per script (total, median, slowest), and with ``--write`` puts the table into
docs/benchmarks.md between its placeholders.

Exit codes: 0 no disagreement; 1 a disagreement; 2 cvc5 missing or bad options.

Usage::

    python benchmarks/bench_solvers.py [--timeout 10000] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import sys
from pathlib import Path

import z3
from netdevspec.model.crosscheck import CrossCheck, cross_check, cvc5_available
from netdevspec.model.prover import Prover
from netdevspec.spec import SPEC

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- solvers: filled in by benchmarks/bench_solvers.py --write -->"
END = "<!-- /solvers -->"


def markdown(checks: list[CrossCheck], needless: int, timeout_ms: int) -> str:
    """The figures as a Markdown table and a line saying where they were measured."""
    import cvc5

    def row(label: str, secs: list[float]) -> str:
        return (f"| {label} | {sum(secs):.2f} s | {statistics.median(secs) * 1e3:.1f} ms | "
                f"{max(secs):.2f} s |")

    agree = sum(c.agrees for c in checks)
    disagree = [c for c in checks if c.disagrees]
    unsure = [c for c in checks if not c.agrees and not c.disagrees]
    lines = [
        f"{len(checks)} queries (the obligations z3 proved by a query; {needless} more need "
        f"none: a witness or the frame alone): **{agree} agree** (unsat for both), "
        f"{len(disagree)} disagree, {len(unsure)} undecided.",
        "",
        "| solver, per script | total | median | slowest |",
        "|---|---:|---:|---:|",
        row("z3 (reading the exported text)", [c.z3.seconds for c in checks]),
        row("cvc5", [c.cvc5.seconds for c in checks]),
    ]
    for c in [*disagree, *unsure]:
        lines.append("")
        lines.append(f"- `{c.obligation}`: {c.z3}; {c.cvc5}")
    lines += ["", f"Measured on {datetime.date.today().isoformat()}: one process, "
              f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
              f"z3 {z3.get_version_string()}, cvc5 {cvc5.__version__}, time limit "
              f"{timeout_ms} ms per script and solver."]
    return "\n".join(lines)


def write_doc(path: Path, body: str) -> None:
    """Replace the placeholder (and any figures after it, up to END) with ``body``."""
    text = path.read_text(encoding="utf-8")
    start = text.find(START)
    if start < 0:
        raise SystemExit(f"{path} has no line `{START}`: add it where the figures go")
    after = start + len(START)
    end = text.find(END, after)
    stop = after if end < 0 else end + len(END)
    path.write_text(text[:start] + f"{START}\n\n{body}\n\n{END}" + text[stop:],
                    encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--timeout", type=int, default=10_000, metavar="MS")
    p.add_argument("--write", action="store_true", help=f"write the table into {DOC.name}")
    args = p.parse_args(argv)
    if not cvc5_available():
        print("cvc5 is not installed: pip install 'netdevspec[cvc5]'", file=sys.stderr)
        return 2
    prover = Prover(SPEC, timeout_ms=args.timeout)
    queries = prover.export_smtlib(prover.plan())
    scripts = [(q.obligation, q.smtlib) for q in queries if q.smtlib is not None]
    checks = cross_check(scripts, args.timeout)
    body = markdown(checks, len(queries) - len(checks), args.timeout)
    print(body)
    if args.write:
        write_doc(DOC, body)
    return 1 if any(c.disagrees for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
