"""Fuzz replay's trace checks (figures: docs/benchmarks.md, "Trace fuzzing").

A trace is untrusted input: ``netdevspec replay FILE`` checks it against the trace schema
and decides which driver it may import before it imports or runs anything. This script
runs 100,000 (``--traces``) mutated real traces through that same path,
:func:`netdevspec.conformance.trace.load_replay`, in this process, each under a watchdog
(``--limit`` seconds, SIGALRM). The mutations are those of the fuzz test
(``tests/conformance/trace_fuzz.py``: bytes flipped, inserted or cut; lines dropped,
repeated, swapped or spliced; JSON values replaced by hostile ones, keys dropped or added,
step actions renamed), their choices drawn from a PRNG seeded with ``--seed``, so a run is
reproducible.

Each trace must end in one of two ways: accepted (replay would run it), or refused with a
one-line UsageError naming the line (or the file, or the driver to confirm). A traceback
(any other exception), a message of more than one line and a hang are counted. The script
exits 1 if any of them occurred or fewer than 100,000 traces ran. Run ``python
benchmarks/bench_trace_fuzz.py --write`` to update docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The mutations are the fuzz test's own.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "conformance"))

from bench_buffers import machine
from benchdoc import write_block
from trace_fuzz import Hang, RandomChooser, mutate, outcome, seed_traces, watchdog

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- trace-fuzz: filled in by benchmarks/bench_trace_fuzz.py --write -->"
END = "<!-- /trace-fuzz -->"
INTRO = """## Trace fuzzing

`benchmarks/bench_trace_fuzz.py` runs mutated real traces through what `netdevspec replay`
does before it imports or runs anything (the schema check and the driver decision), in
one process, each under a watchdog. Every trace must be accepted or refused with a
one-line message naming the line; a traceback or a hang fails the run. Rerun it with
`python benchmarks/bench_trace_fuzz.py --write` to update the table below.
"""

#: How a refusal's message is grouped in the table (first match).
CATEGORIES = [
    ("not UTF-8", r"is not UTF-8"),
    ("not JSON", r"is not JSON"),
    ("not an object with a type", r"is not a trace event"),
    ("event before any header", r"before any scenario header"),
    ("no scenario", r"holds no scenario"),
    ("trace version", r"trace version"),
    ("step action not declared", r"is not a step action"),
    ("step argument", r"field steps\[\d+\]\.args|field args\."),
    ("header's driver, name, seed, time limit", r":\d+: field (driver|name|seed|time_limit):"),
    ("another field missing, unknown or mistyped", r":\d+: field "),
    ("driver not confirmed", r"without your confirmation"),
]


def category(message: str) -> str:
    """The table row a refusal's message falls in."""
    return next((name for name, pattern in CATEGORIES if re.search(pattern, message)),
                "other")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--traces", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=float, default=5.0,
                    help="seconds one trace may take before it counts as a hang")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()
    load = os.getloadavg()[0]  # the figures below are per-second: say how busy it was
    seeds = seed_traces()
    chooser = RandomChooser(args.seed)
    kinds: collections.Counter[str] = collections.Counter()
    refusals: collections.Counter[str] = collections.Counter()
    tracebacks: list[str] = []
    hangs = multiline = 0
    slowest = 0.0
    lines = 0
    t0 = time.perf_counter()
    for k in range(args.traces):
        data = mutate(chooser)
        lines += data.count(b"\n") + 1
        t = time.perf_counter()
        try:
            with watchdog(args.limit):
                kind, message = outcome(data)
        except Hang:
            hangs += 1
            continue
        except Exception:
            tracebacks.append(f"trace {k}: {traceback.format_exc().splitlines()[-1]}")
            continue
        finally:
            slowest = max(slowest, time.perf_counter() - t)
        kinds[kind] += 1
        if kind == "refused":
            refusals[category(message)] += 1
            multiline += "\n" in message
        if (k + 1) % 20_000 == 0:
            print(f"{k + 1:,} traces, {time.perf_counter() - t0:.0f} s", flush=True)
    wall = time.perf_counter() - t0
    ok = (not tracebacks and hangs == 0 and multiline == 0 and args.traces >= 100_000)
    n = args.traces
    rows = ["| outcome | traces | share |", "|---|---:|---:|",
            f"| accepted (replay would run it) | {kinds['ok']:,} | {kinds['ok'] / n:.1%} |"]
    for name, _ in [*CATEGORIES, ("other", "")]:
        if refusals[name]:
            rows.append(f"| refused: {name} | {refusals[name]:,} | {refusals[name] / n:.1%} |")
    rows += [f"| **traceback** | **{len(tracebacks)}** | |",
             f"| **hang** (over {args.limit:g} s) | **{hangs}** | |",
             f"| refusal of more than one line | {multiline} | |"]
    summary = (f"{n:,} mutated traces (seed {args.seed}; {len(seeds)} real one-scenario "
               f"traces mutated one to three times, {lines / n:.0f} lines on average) in "
               f"{wall:.0f} s: {n / wall:,.0f} traces/s, the slowest {slowest * 1000:.0f} ms.")
    body = "\n".join([summary, "", *rows]) + "\n\n" + machine() + (
        f" Load average {load:.1f} when the run started.")
    print(body)
    for line in tracebacks[:10]:
        print(line)
    if args.write:
        write_block(START, END, body, INTRO, DOC)
        print("wrote docs/benchmarks.md")
    print("0 tracebacks, 0 hangs" if ok else "a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
