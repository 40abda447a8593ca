"""Benchmark the boundary: the driver in a process of its own (docs/benchmarks.md, "Boundary").

Three measurements, side by side in one run:

1. The cost of one crossing: a driver model calls a kernel function that does almost
   nothing (``MOD_IN_USE``) 20,000 times, timed in the driver's process, so each figure is
   the whole round trip (encode, send, the checker's monitor and kernel, reply, decode).
   The same calls made by the same model in the checker's process (trusted, monitored)
   are the comparison. Target: median crossing at most 30 µs.
2. ``netdevspec check`` of each reference driver with the command's defaults (200
   generated scenarios per round): wall time, target under 5 s.
3. A long transmit/receive workload (3,000 frames each way on skeleton), run with the
   driver in its own process and monitored, against the same workload in the checker's
   process without a monitor: the ratio is recorded.

Run ``python benchmarks/bench_boundary.py --write`` to update docs/benchmarks.md. The script
exits 1 if a target is missed (the figures are written either way with --write, marked).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_buffers import machine
from bench_conformance import machine_for, workload
from benchdoc import write_block
from netdevspec.conformance.boundary import DriverHost
from netdevspec.conformance.check import check_driver
from netdevspec.conformance.handle import KernelHandle
from netdevspec.conformance.harness import Harness
from netdevspec.conformance.monitor import SpecMonitor
from netdevspec.reference import Kernel, Module
from netdevspec.reference.drivers import DRIVERS
from netdevspec.reference.drivers.dummy import Dummy

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- boundary: filled in by benchmarks/bench_boundary.py --write -->"
END = "<!-- /boundary -->"
INTRO = """## Boundary (the driver in a process of its own)

`benchmarks/bench_boundary.py` measures what running each driver instance in a process of
its own costs: one crossing (a kernel call from the driver's process and its answer, timed
in the driver's process) against the same call made in the checker's process; the default
`netdevspec check` of each reference driver; and a long transmit/receive workload with the
driver in its own process and monitored, against the same workload in the checker's
process unmonitored. Rerun it with `python benchmarks/bench_boundary.py --write`.
"""
CALLS = 20_000


class Pinger(Dummy):
    """dummy that, when loaded, times CALLS calls of MOD_IN_USE and logs the median."""

    def init_module(self) -> int:
        h = self._h
        times = []
        for _ in range(CALLS):
            t = time.perf_counter()
            h.MOD_IN_USE()
            times.append(time.perf_counter() - t)
        times.sort()
        h.printk(f"bench {times[len(times) // 2]:.9f} {times[len(times) * 9 // 10]:.9f}")
        return super().init_module()


def _logged(kernel: Kernel) -> tuple[float, float]:
    line = next(x for x in reversed(kernel.log) if x.startswith("bench "))
    _, median, p90 = line.split()
    return float(median), float(p90)


def crossing() -> dict[str, float]:
    """Median and 90th percentile of one call, across the boundary and in process."""
    with DriverHost(Pinger, "bench", time_limit=120.0) as host:
        h = Harness(Pinger, host=host)
        h.insmod(0)
        remote = _logged(h.kernel)
        h.close()
    k = Kernel()
    mon = SpecMonitor(k).attach()
    m = Module("pinger")
    model = Pinger(KernelHandle(k, m, mon))
    m.init_module = model.init_module
    m.cleanup_module = model.cleanup_module
    mon.modules.add("pinger")
    k.insmod(m)
    local = _logged(k)
    return {"remote": remote[0], "remote90": remote[1], "local": local[0],
            "local90": local[1]}


def checks() -> dict[str, tuple[float, int, int]]:
    """Wall time, PASS and FAIL counts of the default check of each reference driver."""
    out = {}
    for name, factory in DRIVERS.items():
        t = time.perf_counter()
        rep = check_driver(factory, f"netdevspec.reference.drivers.{name}:FACTORY")
        c = rep.counts()
        out[name] = (time.perf_counter() - t, c["PASS"], c["FAIL"])
    return out


def long_workload(rounds: int, frames: int) -> dict[str, float]:
    """Skeleton's long workload: in its own process and monitored vs in process, bare."""
    factory = DRIVERS["skeleton"]
    remote, local = [], []
    with DriverHost(factory, "skeleton", time_limit=120.0) as host:
        for _ in range(rounds):
            h = Harness(factory, host=host)
            remote.append(workload(h, frames))
            h.close()
            local.append(workload(machine_for("skeleton", monitored=False), frames))
    r, loc = statistics.median(remote), statistics.median(local)
    return {"remote": r, "local": loc, "ratio": r / loc}


def markdown(cross: dict[str, float], chk: dict[str, tuple[float, int, int]],
             wl: dict[str, float], frames: int, rounds: int) -> str:
    us = 1e6
    lines = [
        "| one kernel call (MOD_IN_USE) | median | 90th percentile |",
        "|---|---:|---:|",
        f"| across the boundary (target ≤ 30 µs) | {cross['remote'] * us:.1f} µs | "
        f"{cross['remote90'] * us:.1f} µs |",
        f"| in the checker's process, monitored | {cross['local'] * us:.1f} µs | "
        f"{cross['local90'] * us:.1f} µs |",
        "",
        "| reference driver | `netdevspec check` wall (target < 5 s) | rules PASS | FAIL |",
        "|---|---:|---:|---:|",
        *[f"| {n} | {w:.2f} s | {p} | {f} |" for n, (w, p, f) in chk.items()],
        "",
        f"| long workload ({frames:,} frames each way, skeleton) | in-process, unmonitored "
        "| own process, monitored | ratio |",
        "|---|---:|---:|---:|",
        f"| median of {rounds} | {wl['local']:.3f} s | {wl['remote']:.3f} s | "
        f"{wl['ratio']:.1f} |",
    ]
    return "\n".join(lines) + "\n\n" + machine() + f" {CALLS:,} calls timed in the driver's " \
        "process for the crossing."


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--write", action="store_true", help=f"update {DOC.relative_to(ROOT)}")
    args = p.parse_args(argv)
    cross = crossing()
    chk = checks()
    wl = long_workload(args.rounds, args.frames)
    body = markdown(cross, chk, wl, args.frames, args.rounds)
    print(body)
    ok = cross["remote"] <= 30e-6 and all(w < 5 and f == 0 for w, _, f in chk.values())
    if args.write:
        write_block(START, END, body, INTRO, DOC)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
