"""Compare the buffer workload of ``bench_buffers.py`` on this tree and on a git revision,
side by side in one process.

The revision's packages are exported with ``git archive`` into a temporary directory and
renamed ``netdevspec_base``, so both kernels are imported at once; short rounds alternate
between them (which goes first alternates too) and the medians give each one's ns/op and
the ratio. Measuring both in the same rounds keeps a busy machine from favouring either.

Usage::

    python benchmarks/compare_buffers.py [REV] [--rounds 301]

``REV`` defaults to ``main``. Exit code 0, or 2 when the revision cannot be exported.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The workload bench_buffers times, run on both kernels (it reads only their public API).
from bench_buffers import loops

ROOT = Path(__file__).resolve().parent.parent
PER_ROUND = 2_000  # loops of 8 operations


def export(rev: str, into: Path) -> ModuleType:
    """``netdevspec`` at ``rev`` as the package ``netdevspec_base`` under ``into``."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True,
                         check=True).stdout
    src = into / "src"
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(src, filter="data")
    pkg = into / "netdevspec_base"
    shutil.copytree(src / "src" / "netdevspec", pkg)
    for sub in ("spec", "model", "conformance", "reference"):
        shutil.copytree(src / sub, pkg / sub)
    for py in pkg.rglob("*.py"):
        py.write_text(py.read_text(encoding="utf-8").replace("netdevspec.", "netdevspec_base."),
                      encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module("netdevspec_base.reference")


def setup(ref: ModuleType, as_module: bool) -> tuple[Any, Any]:
    """A kernel holding 10 live buffers, running as a module or as the kernel, warmed up."""
    k = ref.Kernel()
    m = ref.Module("bench")
    k.insmod(m)
    k.running(m if as_module else None).__enter__()
    q = k.skb_queue_head_init(name="live")
    for _ in range(10):
        s = k.alloc_skb(200)
        s.free = 1
        k.skb_queue_tail(q, s)
    loops(k, q, 5_000)
    return k, q


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; returns the exit code."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rev", nargs="?", default="main", help="the revision to compare with")
    p.add_argument("--rounds", type=int, default=301, help="alternating rounds (default 301)")
    args = p.parse_args(argv)
    import netdevspec.reference as here

    with tempfile.TemporaryDirectory() as tmp:
        try:
            base = export(args.rev, Path(tmp))
        except (subprocess.CalledProcessError, OSError, ImportError) as e:
            print(f"compare_buffers: cannot export {args.rev!r}: {e}", file=sys.stderr)
            return 2
        for as_module in (False, True):
            kb, qb = setup(base, as_module)
            kh, qh = setup(here, as_module)
            sb: list[float] = []
            sh: list[float] = []
            gc.collect()
            gc.disable()
            for r in range(args.rounds):
                pair = ((kb, qb, sb), (kh, qh, sh)) if r % 2 == 0 else ((kh, qh, sh), (kb, qb, sb))
                for k, q, s in pair:
                    s.append(loops(k, q, PER_ROUND) / (PER_ROUND * 8) * 1e9)
            gc.enable()
            mb, mh = statistics.median(sb), statistics.median(sh)
            print(f"caller {'module' if as_module else 'kernel'}: {args.rev} {mb:.0f} ns/op, "
                  f"this tree {mh:.0f} ns/op, ratio {mh / mb:.3f} "
                  f"({args.rounds} alternating rounds of {PER_ROUND * 8:,} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
