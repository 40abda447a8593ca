"""Time the reference kernel's buffer operations, and show their cost does not grow with the
number of live buffers.

The workload is a loop of eight buffer operations: allocate (``alloc_skb`` and
``dev_alloc_skb`` in turn, sizes 64..1514 bytes), ``skb_reserve``, ``skb_put``, ``skb_push``,
``skb_pull``, ``skb_queue_tail`` onto a queue holding the live buffers, ``skb_dequeue`` of
that queue's oldest buffer and ``kfree_skb`` of it. The queue's length stays constant, so
the number of live buffers is what the queue holds.

* **1M ops**: 1,000,000 operations (125,000 loops) with 10 buffers live, timed once with
  :func:`time.perf_counter`.
* **10 vs 100,000 live**: the same loop measured on a kernel holding 10 live buffers and on
  one holding 100,000, side by side in one run: each round times both (in alternating
  order), and the medians over ``--rounds`` rounds give ns/op and the ratio. Every
  ``skb_dequeue``/``kfree_skb`` with 100,000 live touches a buffer that was allocated
  100,000 loops earlier, so cache effects are included.

Both are run with the kernel as the caller and again as a module (whose buffers are also
counted in the module's accounting).

Exit codes: 0 the 1M-op workload took less than ``--target`` seconds and every ratio is
within ``--tolerance``; 1 a figure missed its target; 2 bad options, or ``--write`` could not
update docs/benchmarks.md.

Usage::

    python benchmarks/bench_buffers.py [--rounds 41] [--target 5.0] [--tolerance 0.25] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from netdevspec.reference import FREE_WRITE, Kernel, Module, SkBuffHead
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- buffers: filled in by benchmarks/bench_buffers.py --write -->"
END = "<!-- /buffers -->"
INTRO = """## Buffer operations (reference kernel)

`benchmarks/bench_buffers.py` times the reference kernel's buffer operations: a loop of
alloc_skb/dev_alloc_skb, skb_reserve, skb_put, skb_push, skb_pull, skb_queue_tail,
skb_dequeue and kfree_skb (eight operations per loop) over a queue holding the live
buffers. It runs 1,000,000 operations once, then times the same loop on a kernel holding 10
live buffers and on one holding 100,000, side by side over many rounds, and reports the
median cost per operation and the ratio. It fails (exit 1) if the million operations take
5 s or more, or if the two costs differ by 25 % or more. Rerun it with
`python benchmarks/bench_buffers.py --write` to update the table below.
"""

SIZES = (64, 128, 256, 512, 1514)
OPS_PER_LOOP = 8
SMALL, LARGE = 10, 100_000


@dataclass(frozen=True)
class Figures:
    """What one caller (the kernel or a module) measured."""

    caller: str
    million_seconds: float
    small_ns: float
    large_ns: float

    @property
    def ratio(self) -> float:
        """Cost per operation with 100,000 live over the cost with 10 live."""
        return self.large_ns / self.small_ns


def loops(k: Kernel, q: SkBuffHead, n: int) -> float:
    """Run ``n`` loops of the workload; returns the wall time in seconds."""
    alloc, dev_alloc = k.alloc_skb, k.dev_alloc_skb
    reserve, put, push, pull = k.skb_reserve, k.skb_put, k.skb_push, k.skb_pull
    queue_tail, dequeue, free = k.skb_queue_tail, k.skb_dequeue, k.kfree_skb
    t0 = time.perf_counter()
    for i in range(n):
        size = SIZES[i % 5]
        skb = alloc(size + 32) if i & 1 else dev_alloc(size + 16)
        assert skb is not None
        reserve(skb, 16)
        put(skb, size)
        push(skb, 14)
        pull(skb, 14)
        skb.free = 1
        queue_tail(q, skb)
        old = dequeue(q)
        free(old, FREE_WRITE)
    return time.perf_counter() - t0


def resize(k: Kernel, q: SkBuffHead, live: int) -> None:
    """Grow or shrink the queue (the live buffers) to ``live`` buffers."""
    while q.qlen < live:
        skb = k.alloc_skb(200)
        assert skb is not None
        skb.free = 1
        k.skb_queue_tail(q, skb)
    while q.qlen > live:
        k.kfree_skb(k.skb_dequeue(q))


def measure(as_module: bool, rounds: int, per_round: int) -> Figures:
    """The 1M-op time and the 10-vs-100,000-live medians for one kind of caller.

    Two kernels are set up, one holding 10 live buffers and one holding 100,000, and the
    loop is timed on each in turn, ``rounds`` times (alternating which goes first), so that
    both see the same machine conditions; the medians are robust to a noisy neighbour.
    """
    kernels: dict[int, tuple[Kernel, Module, SkBuffHead]] = {}
    for live in (SMALL, LARGE):
        k = Kernel()
        module = Module("bench")
        k.insmod(module)
        with k.running(module if as_module else None):
            q = k.skb_queue_head_init(name="live")
            resize(k, q, live)
            loops(k, q, 5_000)  # warm up
        kernels[live] = (k, module, q)
    gc.collect()
    k, module, q = kernels[SMALL]
    with k.running(module if as_module else None):
        million = loops(k, q, 1_000_000 // OPS_PER_LOOP)
    samples: dict[int, list[float]] = {SMALL: [], LARGE: []}
    for r in range(rounds):
        for live in ((SMALL, LARGE) if r % 2 == 0 else (LARGE, SMALL)):
            k, module, q = kernels[live]
            with k.running(module if as_module else None):
                seconds = loops(k, q, per_round)
            samples[live].append(seconds / (per_round * OPS_PER_LOOP) * 1e9)
    for k, module, q in kernels.values():
        with k.running(module if as_module else None):
            resize(k, q, 0)
        assert not k.misuse, k.misuse[:3]
    return Figures("module" if as_module else "kernel", million,
                   statistics.median(samples[SMALL]), statistics.median(samples[LARGE]))


def machine() -> str:
    """One line describing where and when the figures were measured."""
    return (f"Measured on {datetime.date.today().isoformat()}: {os.cpu_count()} CPUs, "
            f"{platform.system()} {platform.machine()}, Python {platform.python_version()}.")


ROWS: tuple[tuple[str, Callable[[Figures], str]], ...] = (
    ("1,000,000 ops, 10 live", lambda f: f"{f.million_seconds:.2f} s"),
    ("median ns/op, 10 live", lambda f: f"{f.small_ns:.0f} ns"),
    ("median ns/op, 100,000 live", lambda f: f"{f.large_ns:.0f} ns"),
    ("ratio 100,000 / 10 live", lambda f: f"{f.ratio:.3f}"),
)


def markdown(figs: Sequence[Figures], rounds: int, per_round: int) -> str:
    """The figures as a Markdown table with the machine line under it."""
    lines = ["| | " + " | ".join(f"caller: {f.caller}" for f in figs) + " |",
             "|---|" + "---:|" * len(figs)]
    lines += [f"| {name} | " + " | ".join(fig(f) for f in figs) + " |" for name, fig in ROWS]
    note = (f"Medians over {rounds} rounds of {per_round * OPS_PER_LOOP:,} operations each; "
            "\"module\" runs the same loop as a loaded module, whose buffers are also kept "
            "in the module's accounting.")
    return "\n".join(lines) + "\n\n" + machine() + " " + note


def write_doc(path: Path, body: str) -> None:
    """Replace the block between START and END with ``body``, appending it if missing."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{START}\n\n{body}\n\n{END}"
    start = text.find(START)
    if start < 0:
        sep = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        path.write_text(f"{text}{sep}{INTRO}\n{block}\n", encoding="utf-8")
        return
    end = text.find(END, start)
    stop = start + len(START) if end < 0 else end + len(END)
    path.write_text(text[:start] + block + text[stop:], encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Time the reference kernel's buffer operations "
                                "(see the module docstring).")
    p.add_argument("--rounds", type=int, default=41, help="rounds of 10/100,000-live pairs "
                   "(default 41)")
    p.add_argument("--per-round", type=int, default=5_000, metavar="LOOPS",
                   help="workload loops (8 operations each) per measurement (default 5000)")
    p.add_argument("--target", type=float, default=5.0, metavar="SECONDS",
                   help="fail if 1,000,000 operations take this long or longer (default 5.0)")
    p.add_argument("--tolerance", type=float, default=0.25,
                   help="fail if the 10- and 100,000-live costs differ by this fraction or "
                        "more (default 0.25)")
    p.add_argument("--write", action="store_true",
                   help=f"write the figures into {DOC.relative_to(ROOT)}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    args = _parser().parse_args(argv)
    err = Console(stderr=True)
    if args.rounds < 1 or args.per_round < 1 or args.target <= 0 or args.tolerance <= 0:
        err.print("bench_buffers: --rounds, --per-round, --target and --tolerance must be "
                  "positive")
        return 2
    with err.status("timing buffer operations ..."):
        figs = [measure(as_module, args.rounds, args.per_round) for as_module in (False, True)]

    table = Table(title="reference kernel: buffer operations")
    table.add_column("")
    for f in figs:
        table.add_column(f"caller: {f.caller}", justify="right")
    for name, fig in ROWS:
        table.add_row(name, *(fig(f) for f in figs))
    out = Console()
    out.print(table)
    out.print(machine(), highlight=False)

    ok = True
    for f in figs:
        if f.million_seconds >= args.target:
            err.print(f"bench_buffers: 1,000,000 operations as {f.caller} took "
                      f"{f.million_seconds:.2f} s, not under {args.target:.2f} s")
            ok = False
        if abs(f.ratio - 1) >= args.tolerance:
            err.print(f"bench_buffers: as {f.caller}, the cost per operation with 100,000 "
                      f"live buffers is {f.ratio:.3f} times the cost with 10; the target is "
                      f"within {args.tolerance:.0%}")
            ok = False
    if args.write:
        if not ok:
            err.print(f"bench_buffers: not writing {DOC}: the figures miss their targets")
        else:
            try:
                write_doc(DOC, markdown(figs, args.rounds, args.per_round))
            except OSError as e:
                err.print(f"bench_buffers: cannot update {DOC}: {e}")
                return 2
            out.print(f"wrote {DOC.relative_to(ROOT)}", highlight=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
