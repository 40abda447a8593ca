"""Benchmark the z3 witness replay (figures: docs/benchmarks.md, "Witness replay").

``tests/refinement/test_witness_replay.py`` asks z3 for a witness of every spec case and of
every boundary probe, builds each one as a reference kernel and replays the step. How long
that takes is a figure, not a test: a test that asserted a wall-clock sum failed the
README's test command on a busy machine, so the timing lives here.

The script runs that test file as a separate pytest process several times (3 by default),
reads the per-test times from pytest's JUnit XML, and reports the whole process's wall
time and the summed replay time with its five slowest probes. It exits 1 if a run has a
failing test or if the median summed replay time is over the target (60 s by default).
Run ``python benchmarks/bench_witness_replay.py --write`` to update docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_buffers import machine
from benchdoc import write_block

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
TESTS = "tests/refinement/test_witness_replay.py"
START = "<!-- witness-replay: filled in by benchmarks/bench_witness_replay.py --write -->"
END = "<!-- /witness-replay -->"
INTRO = """## Witness replay

`benchmarks/bench_witness_replay.py` times `tests/refinement/test_witness_replay.py` (a
z3 witness for every spec case and boundary probe, built as a reference kernel and
replayed) as a separate pytest process, and sums the per-test times from pytest's JUnit
XML. It exits 1 if a test fails or the median summed time is over 60 s. Rerun it with
`python benchmarks/bench_witness_replay.py --write` to update the table below.
"""


@dataclass(frozen=True)
class Run:
    """One pytest process over the witness-replay tests."""

    wall: float
    tests: int
    failures: int
    times: dict[str, float]

    @property
    def replay(self) -> float:
        """The summed time of the replay tests themselves."""
        return sum(self.times.values())


def run_once() -> Run:
    """Run the test file once and read its JUnit XML."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               f"--junitxml={xml}", TESTS]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if not xml.exists():
            tail = "\n".join(proc.stdout.strip().splitlines()[-10:])
            raise SystemExit(f"bench_witness_replay: pytest exited {proc.returncode} without "
                             f"a report; its output ends:\n{tail}")
        root = ET.parse(xml).getroot()
    times: dict[str, float] = {}
    failures = 0
    for case in root.iter("testcase"):
        times[case.get("name", "?")] = float(case.get("time", "0"))
        failures += sum(1 for c in case if c.tag in ("failure", "error"))
    return Run(wall, len(times), failures, times)


def markdown(runs: list[Run]) -> str:
    """The figures as a Markdown table, with the machine line under it."""
    walls = [r.wall for r in runs]
    replays = [r.replay for r in runs]
    slow = sorted(runs[0].times.items(), key=lambda kv: -kv[1])[:5]
    lines = [
        "| | min | median | max |",
        "|---|---:|---:|---:|",
        f"| pytest process wall | {min(walls):.1f} s | {statistics.median(walls):.1f} s | "
        f"{max(walls):.1f} s |",
        f"| summed test time (target < 60 s) | {min(replays):.1f} s | "
        f"{statistics.median(replays):.1f} s | {max(replays):.1f} s |",
        "",
        f"{runs[0].tests} tests per run, {len(runs)} runs. Slowest in the first run: "
        + ", ".join(f"`{name}` {t:.2f} s" for name, t in slow) + ".",
    ]
    return "\n".join(lines) + "\n\n" + machine()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="pytest processes (default 3)")
    p.add_argument("--target", type=float, default=60.0, metavar="SECONDS",
                   help="fail if the median summed test time is above this (default 60)")
    p.add_argument("--write", action="store_true", help=f"update {DOC.relative_to(ROOT)}")
    args = p.parse_args(argv)
    if args.runs < 1 or not args.target > 0:
        print("bench_witness_replay: --runs and --target must be positive", file=sys.stderr)
        return 2
    runs = [run_once() for _ in range(args.runs)]
    body = markdown(runs)
    print(body)
    ok = True
    if any(r.failures for r in runs):
        print("bench_witness_replay: a test failed", file=sys.stderr)
        ok = False
    median = statistics.median(r.replay for r in runs)
    if median > args.target:
        print(f"bench_witness_replay: median summed time {median:.1f} s is over the target "
              f"{args.target:.1f} s", file=sys.stderr)
        ok = False
    if args.write and ok:
        write_block(START, END, body, INTRO, DOC)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
