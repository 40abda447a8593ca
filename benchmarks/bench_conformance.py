"""Benchmark the conformance suite (issue figures: docs/benchmarks.md, "Conformance").

Four measurements, each against its target:

1. ``netdevspec check`` of each reference driver with the command's defaults (200
   generated scenarios per round, 2 s time limit): wall time, target under 30 s.
2. Every catalogued buggy driver checked the same way: each must be caught with its
   expected rule; the median time per bug must be under 2 s.
3. A long transmit/receive workload (frames sent and received, with transmit-complete
   interrupts) run with the monitor and without it, side by side in alternating rounds:
   the median ratio must be at most 2.
4. The same monitored workload while the driver's module holds 10 and then 10,000 extra
   live buffers: the median cost per monitored event must differ by less than 25 %.

Run ``python benchmarks/bench_conformance.py --write`` to update docs/benchmarks.md. The
script exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_buffers import machine
from benchdoc import write_block
from netdevspec.conformance.check import check_driver
from netdevspec.conformance.harness import Harness
from netdevspec.reference.buggy import CATALOGUE
from netdevspec.reference.drivers import DRIVERS

START = "<!-- conformance: filled in by benchmarks/bench_conformance.py --write -->"
END = "<!-- /conformance -->"
INTRO = """## Conformance suite

`benchmarks/bench_conformance.py` measures `netdevspec check` and its monitor. It checks
each reference driver with the command's defaults, and every catalogued bug the same way.
It runs a long transmit/receive workload with and without the monitor, side by side in
alternating rounds. It times the monitored workload while the driver holds 10 and then
10,000 extra live buffers. It exits 1 if a target is missed. Rerun it with
`python benchmarks/bench_conformance.py --write` to update the tables below.
"""


class _Plain:
    """A call monitor that only calls (the unmonitored run)."""

    def __init__(self) -> None:
        self.modules: set[str] = set()

    @staticmethod
    def call(name: str, fn: Callable[..., object], args: tuple[object, ...]) -> object:
        return fn(*args)

    def see_device(self, d: Any) -> None:
        return None


def workload(h: Harness, frames: int, extra: int = 0) -> float:
    """Load, bring up, then ``frames`` rounds of transmit + receive + transmit-complete;
    return the seconds the traffic took (loading and unloading are not timed)."""
    h.insmod(0)
    h.up(0)
    held = []
    if extra:
        module = h.instances[0].module
        with h.kernel.running(module):
            held = [h.kernel.alloc_skb(64) for _ in range(extra)]
    t = time.perf_counter()
    for _ in range(frames):
        h.xmit(0, pri=0, count=1)
        h.rx(0, count=1)
        h.tx_done(0)
    took = time.perf_counter() - t
    if held:
        module = h.instances[0].module
        with h.kernel.running(module):
            for s in held:
                h.kernel.kfree_skb(s)
    h.down(0)
    h.rmmod(0)
    return took


def machine_for(name: str, monitored: bool) -> Harness:
    h = Harness(DRIVERS[name], time_limit=0)
    if not monitored:
        h.kernel.tracer = None
        h.monitor = _Plain()  # type: ignore[assignment]
    return h


def overhead(name: str, frames: int, rounds: int) -> dict[str, float]:
    ratios, plain, mon = [], [], []
    for _ in range(rounds):
        a = workload(machine_for(name, False), frames)
        b = workload(machine_for(name, True), frames)
        plain.append(a)
        mon.append(b)
        ratios.append(b / a)
    return {"plain": statistics.median(plain), "monitored": statistics.median(mon),
            "ratio": statistics.median(ratios)}


def per_event(name: str, frames: int, rounds: int) -> dict[str, float]:
    small, big = [], []
    for _ in range(rounds):
        for extra, out in ((10, small), (10_000, big)):
            h = machine_for(name, True)
            before = h.monitor.events
            took = workload(h, frames, extra)
            out.append(took / max(h.monitor.events - before, 1))
    a, b = statistics.median(small), statistics.median(big)
    return {"small": a, "big": b, "ratio": b / a}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()
    ok = True
    lines = ["| reference driver | `netdevspec check` wall (target < 30 s) | rules PASS | FAIL |",
             "|---|---:|---:|---:|"]
    for name, factory in DRIVERS.items():
        t = time.perf_counter()
        report = check_driver(factory, f"netdevspec.reference.drivers.{name}:FACTORY")
        took = time.perf_counter() - t
        c = report.counts()
        ok &= took < 30 and c["FAIL"] == 0
        lines.append(f"| {name} | {took:.2f} s | {c['PASS']} | {c['FAIL']} |")
        print(lines[-1], flush=True)
    times, caught = [], 0
    for bug in CATALOGUE:
        t = time.perf_counter()
        report = check_driver(bug.load(), bug.factory)
        times.append(time.perf_counter() - t)
        caught += bug.expected_rule in {r.rule.id for r in report.failed}
    med = statistics.median(times)
    ok &= caught == len(CATALOGUE) and med < 2
    cat = (f"Catalogue: {caught} of {len(CATALOGUE)} buggy drivers caught with their "
           f"expected rule; time per bug median {med:.2f} s (target < 2 s), max "
           f"{max(times):.2f} s, total {sum(times):.1f} s.")
    print(cat, flush=True)
    lines += ["", cat, "",
              f"| long workload ({args.frames:,} frames each way) | unmonitored | monitored "
              "| ratio (target ≤ 2) |", "|---|---:|---:|---:|"]
    for name in DRIVERS:
        o = overhead(name, args.frames, args.rounds)
        ok &= o["ratio"] <= 2
        lines.append(f"| {name} | {o['plain']:.3f} s | {o['monitored']:.3f} s | "
                     f"{o['ratio']:.2f} |")
        print(lines[-1], flush=True)
    e = per_event("skeleton", args.frames // 3, args.rounds)
    ok &= abs(e["ratio"] - 1) < 0.25
    lines += ["", "| monitored cost per event (skeleton) | 10 extra live buffers | 10,000 "
              "| ratio (target within 25 %) |", "|---|---:|---:|---:|",
              f"| median | {e['small'] * 1e6:.2f} µs | {e['big'] * 1e6:.2f} µs | "
              f"{e['ratio']:.3f} |"]
    print(lines[-1], flush=True)
    body = "\n".join(lines) + "\n\n" + machine() + (
        f" Medians over {args.rounds} alternating rounds for the ratios.")
    if args.write:
        write_block(START, END, body, INTRO)
        print("wrote docs/benchmarks.md")
    print("all targets met" if ok else "a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
