"""How far generated scenarios reach into a driver (issue 10, section 1; docs/benchmarks.md).

For each reference driver, N scenarios are drawn from the check's generator (fixed
seed, Hypothesis' generate phase only) and run in-process on the reference kernel with
the monitor recording. Each scenario counts as reaching a path when its record shows it:

* ``xmit``: the kernel called the driver's ``hard_start_xmit``;
* ``irq``: an interrupt handler of the driver ran;
* ``busy``: ``hard_start_xmit`` returned busy (non-zero);
* ``resend``: ``hard_start_xmit`` ran again after a busy return (dev_tint or the next
  dev_queue_xmit resending the requeued frame);
* ``timeout``: a resend after the clock advanced past a busy return (the transmit-timeout
  path of a driver like skeleton.c);
* ``rx ring full``: a card's receive FIFO overflowed;
* ``free=0``: a socket-owned frame (``skb->free == 0``, the clone path) reached
  ``hard_start_xmit``;
* ``odd length``: a frame of odd length reached the driver (transmitted, or received
  while its interrupt handler ran);
* ``params``: instance loaded with insmod parameters of its own.

With ``--check``, each driver is also checked with ``netdevspec check``'s defaults and
the rules left NOT_APPLICABLE are counted and listed.

Run ``python benchmarks/bench_reach.py [--n 200] [--generator flat|stateful] [--check]``;
the figures in docs/benchmarks.md are copied from its output.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from netdevspec.conformance.harness import Step, run_scenario
from netdevspec.reference.drivers import DRIVERS

#: The paths counted, in the order they are shown.
PATHS = ("xmit", "irq", "busy", "resend", "timeout", "rx ring full", "free=0", "odd length",
         "params")


def draw(strategy: st.SearchStrategy[list[Step]], n: int, seed_: int = 0) -> list[list[Step]]:
    """``n`` scenarios from ``strategy``, the same ones every time (fixed seed)."""
    out: list[list[Step]] = []

    @seed(seed_)
    @settings(max_examples=n, deadline=None, database=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(steps: list[Step]) -> None:
        out.append(steps)

    collect()
    return out


def reached(factory: Any, steps: Sequence[Step]) -> set[str]:
    """The paths of :data:`PATHS` one run of ``steps`` reached."""
    events: list[tuple[str, dict[str, Any]]] = []

    def rec(kind: str, f: dict[str, Any]) -> None:
        events.append((kind, f))

    h = run_scenario(factory, steps, time_limit=0, record=rec)
    hit: set[str] = set()
    step_args: dict[str, Any] = {}
    action = ""
    busy_at: int | None = None  # the tick count at the last busy return
    ticks = 0
    for kind, f in events:
        if kind == "step":
            action, step_args = f["action"], f["args"]
            if action == "tick":
                ticks += 1
            if action == "insmod" and any(k in step_args for k in ("io", "irq", "dma")):
                hit.add("params")
            continue
        what = str(f.get("what", ""))
        if kind == "callback" and what.startswith("hard_start_xmit"):
            hit.add("xmit")
            if busy_at is not None:
                hit.add("resend")
                if ticks > busy_at:
                    hit.add("timeout")
            if action == "xmit" and step_args.get("free", True) is False:
                hit.add("free=0")
            if action == "xmit" and step_args.get("size", 60) % 2:
                hit.add("odd length")
        elif (kind == "callback" and what.startswith("interrupt handler")
              and f.get("module") != "rival"):
            hit.add("irq")
            if action == "rx" and step_args.get("size", 60) % 2:
                hit.add("odd length")
        elif (kind == "callback_return" and what.startswith("hard_start_xmit")
              and f.get("result") not in ("0", "NULL")):
            hit.add("busy")
            busy_at = ticks
    if any(getattr(c, "rx_overruns", 0) for c in h.cards):
        hit.add("rx ring full")
    return hit


def shares(factory: Any, scenarios: Sequence[Sequence[Step]]) -> Counter[str]:
    """How many of ``scenarios`` reached each path."""
    c: Counter[str] = Counter()
    for s in scenarios:
        c.update(reached(factory, s))
    return c


def not_applicable(name: str) -> tuple[list[str], float]:
    """The rules ``netdevspec check`` (defaults) leaves NOT_APPLICABLE for a reference
    driver, and the check's wall time."""
    from netdevspec.conformance.check import check_driver

    t = time.perf_counter()
    report = check_driver(DRIVERS[name], f"netdevspec.reference.drivers.{name}:FACTORY")
    took = time.perf_counter() - t
    return [r.rule.id for r in report.rules if r.verdict == "NOT_APPLICABLE"], took


def table(n: int, generator: Callable[[str], st.SearchStrategy[list[Step]]]) -> list[str]:
    """A Markdown table: per driver, the share of ``n`` scenarios reaching each path."""
    lines = ["| driver | " + " | ".join(PATHS) + " |",
             "|---|" + "---:|" * len(PATHS)]
    for name, factory in DRIVERS.items():
        scen = draw(generator(name), n)
        c = shares(factory, scen)
        lines.append(f"| {name} | " + " | ".join(f"{100 * c[p] / len(scen):.0f} %"
                                                 for p in PATHS) + " |")
        print(lines[-1], flush=True)
    return lines


def _flat_before(name: str) -> st.SearchStrategy[list[Step]]:
    """The generator of commit a7383cd (flat list of steps), kept for comparison."""
    from netdevspec.conformance.harness import step

    i = st.integers(0, 1)
    one = st.one_of(
        st.builds(lambda i: step("insmod", i=i), i),
        st.builds(lambda i: step("rmmod", i=i), i),
        st.builds(lambda i: step("up", i=i), i),
        st.builds(lambda i: step("down", i=i), i),
        st.builds(lambda i, p, n: step("xmit", i=i, pri=p, count=n), i, st.integers(0, 2),
                  st.integers(1, 4)),
        st.builds(lambda c, n: step("rx", card=c, count=n), st.integers(0, 1),
                  st.integers(1, 4)),
        st.builds(lambda c: step("tx_done", card=c), st.integers(0, 1)),
        st.builds(lambda i, n: step("multicast", i=i, count=n), i, st.integers(0, 6)),
        st.builds(lambda n: step("tick", n=n), st.sampled_from([1, 10, 30])),
        st.builds(lambda i, w: step("ifreq", i=i, what=w), i,
                  st.sampled_from(["stats", "mac", "config", "mtu", "private"])),
        st.builds(lambda n: step("fail_alloc", n=n), st.integers(1, 2)),
        st.builds(lambda w: step("rival_claims", what=w),
                  st.sampled_from(["irq", "ports", "dma", "name"])),
    )
    busy = st.one_of(st.builds(lambda i: step("up", i=i), i), one)
    return st.builds(lambda rest: [step("insmod", i=0), *rest],
                     st.lists(busy, min_size=1, max_size=14))


def _stateful(name: str) -> st.SearchStrategy[list[Step]]:
    from netdevspec.conformance.check import declared_params, scenarios

    ref = f"netdevspec.reference.drivers.{name}:FACTORY"
    return scenarios(instances=4, params=declared_params(DRIVERS[name], ref))


GENERATORS: dict[str, Callable[[str], st.SearchStrategy[list[Step]]]] = {
    "flat": _flat_before, "stateful": _stateful}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="scenarios per driver")
    ap.add_argument("--generator", choices=sorted(GENERATORS), default="stateful")
    ap.add_argument("--check", action="store_true",
                    help="also run netdevspec check and count NOT_APPLICABLE rules")
    args = ap.parse_args()
    print(f"generator {args.generator}, {args.n} scenarios per driver (seed 0)")
    table(args.n, GENERATORS[args.generator])
    if args.check:
        for name in DRIVERS:
            na, took = not_applicable(name)
            print(f"{name}: {len(na)} NOT_APPLICABLE ({took:.1f} s): {', '.join(na)}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
