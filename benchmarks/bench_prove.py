"""Time the whole ``netdevspec prove`` as a user runs it.

Runs ``netdevspec prove --format json`` as a separate process ``--runs`` times (the same
interpreter as this script, through ``python -m netdevspec``), timing each process from
start to exit with :func:`time.perf_counter`, interpreter start-up included, and reads
each JSON report for the obligation count, the PROVED count and the median time per
obligation. One more run with ``--jobs 1`` is shown beside them.

Exit codes: 0 everything proved and the median process time is within ``--target``;
1 a run did not prove everything, failed, or the median is over the target;
2 bad options, or ``--write`` found no placeholder in docs/benchmarks.md.

Usage::

    python benchmarks/bench_prove.py [--runs 5] [--target 5.0] [--jobs N] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- figures: filled in by benchmarks/bench_prove.py --write -->"
END = "<!-- /figures -->"


class BenchError(Exception):
    """A run that produced no usable report, or a document without the placeholder."""


@dataclass(frozen=True)
class Run:
    """One ``netdevspec prove`` process: its wall time and its report's summary."""

    wall: float
    exit_code: int
    obligations: int
    proved: int
    median_seconds: float
    prover_wall: float
    z3_version: str

    @property
    def all_proved(self) -> bool:
        """Every obligation PROVED (and there was at least one)."""
        return self.exit_code == 0 and self.obligations > 0 and self.proved == self.obligations


@dataclass(frozen=True)
class Series:
    """Several runs of the same command."""

    label: str
    runs: tuple[Run, ...]

    @property
    def walls(self) -> list[float]:
        return [r.wall for r in self.runs]

    @property
    def all_proved(self) -> bool:
        return all(r.all_proved for r in self.runs)

    @property
    def median_wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def median_per_obligation(self) -> float:
        return statistics.median(r.median_seconds for r in self.runs)

    @property
    def median_prover_wall(self) -> float:
        return statistics.median(r.prover_wall for r in self.runs)

    @property
    def obligations(self) -> str:
        counts = sorted({r.obligations for r in self.runs})
        return "/".join(str(n) for n in counts)


def run_once(jobs: int | None) -> Run:
    """Run ``netdevspec prove --format json`` once and read its report."""
    cmd = [sys.executable, "-m", "netdevspec", "prove", "--format", "json", "--no-progress"]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    try:
        report = json.loads(proc.stdout)
        summary = report["summary"]
        return Run(
            wall=wall,
            exit_code=proc.returncode,
            obligations=int(summary["obligations"]),
            proved=int(summary["PROVED"]),
            median_seconds=float(summary["median_seconds"]),
            prover_wall=float(report["wall_seconds"]),
            z3_version=str(report["z3_version"]),
        )
    except (ValueError, KeyError, TypeError) as e:
        tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
        raise BenchError(f"`netdevspec {' '.join(cmd[3:])}` exited with {proc.returncode} and no "
                         f"readable report ({e!r}); its standard error ends:\n{tail}") from e


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


# One row per figure, one column per command, so the two commands sit side by side.
FIGURES: tuple[tuple[str, Callable[[Series], str]], ...] = (
    ("runs", lambda s: str(len(s.runs))),
    ("obligations", lambda s: s.obligations),
    ("all proved", lambda s: "yes" if s.all_proved else "no"),
    ("process wall, min", lambda s: f"{min(s.walls):.2f} s"),
    ("process wall, median", lambda s: f"{s.median_wall:.2f} s"),
    ("process wall, max", lambda s: f"{max(s.walls):.2f} s"),
    ("prover wall (report), median", lambda s: f"{s.median_prover_wall:.2f} s"),
    ("median per obligation", lambda s: _ms(s.median_per_obligation)),
)


def machine(z3_version: str) -> str:
    """One line describing where and when the figures were measured."""
    return (f"Measured on {datetime.date.today().isoformat()}: {os.cpu_count()} CPUs, "
            f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
            f"z3 {z3_version}.")


def markdown(series: Sequence[Series], z3_version: str) -> str:
    """The figures as a Markdown table, with the machine line under it."""
    lines = ["| | " + " | ".join(s.label for s in series) + " |",
             "|---|" + "---:|" * len(series)]
    lines += [f"| {name} | " + " | ".join(fig(s) for s in series) + " |"
              for name, fig in FIGURES]
    note = ("Process wall times are whole `netdevspec prove --format json` processes, "
            "interpreter start-up included; the prover wall is the report's own "
            "`wall_seconds`.")
    return "\n".join(lines) + "\n\n" + machine(z3_version) + " " + note


def write_doc(path: Path, body: str) -> None:
    """Replace the placeholder (and any figures after it, up to END) with ``body``."""
    text = path.read_text(encoding="utf-8")
    start = text.find(START)
    if start < 0:
        raise BenchError(f"{path} has no line `{START}`: add it where the figures go")
    after = start + len(START)
    end = text.find(END, after)
    stop = after if end < 0 else end + len(END)
    block = f"{START}\n\n{body}\n\n{END}"
    path.write_text(text[:start] + block + text[stop:], encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Time whole `netdevspec prove --format json` "
                                "processes (see the module docstring).")
    p.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    p.add_argument("--target", type=float, default=5.0, metavar="SECONDS",
                   help="fail if the median process wall time is above this (default 5.0)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="--jobs for the timed runs (default: netdevspec's own default)")
    p.add_argument("--write", action="store_true",
                   help=f"write the figures into {DOC.relative_to(ROOT)}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    args = _parser().parse_args(argv)
    err = Console(stderr=True)
    if args.runs < 1 or args.target <= 0 or (args.jobs is not None and args.jobs < 1):
        err.print("bench_prove: --runs, --target and --jobs must be positive")
        return 2
    label = "prove (default --jobs)" if args.jobs is None else f"prove --jobs {args.jobs}"
    try:
        with err.status("running netdevspec prove ..."):
            main_runs = tuple(run_once(args.jobs) for _ in range(args.runs))
            single = run_once(1)
    except BenchError as e:
        err.print(f"bench_prove: {e}", markup=False, highlight=False)
        return 1
    series = [Series(label, main_runs), Series("prove --jobs 1", (single,))]
    z3_version = main_runs[0].z3_version

    table = Table(title="netdevspec prove --format json (whole process)")
    table.add_column("")
    for s in series:
        table.add_column(s.label, justify="right")
    for name, fig in FIGURES:
        table.add_row(name, *(fig(s) for s in series))
    out = Console()
    out.print(table)
    out.print(machine(z3_version), highlight=False)

    ok = True
    if not all(s.all_proved for s in series):
        err.print("bench_prove: a run did not prove every obligation")
        ok = False
    if series[0].median_wall > args.target:
        err.print(f"bench_prove: median wall {series[0].median_wall:.2f} s is over the "
                  f"target {args.target:.2f} s")
        ok = False
    if args.write:
        if not all(s.all_proved for s in series):
            err.print(f"bench_prove: not writing {DOC}: the figures are of a failing run")
        else:
            try:
                write_doc(DOC, markdown(series, z3_version))
            except BenchError as e:
                err.print(f"bench_prove: {e}", markup=False, highlight=False)
                return 2
            out.print(f"wrote {DOC.relative_to(ROOT)}", highlight=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
