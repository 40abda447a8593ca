"""The mutator of benchmarks/bench_mutants.py makes real, distinct mutants, and its screen
tells a killed one from a survivor (so the mutation score it reports means something)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

from bench_mutants import DRIVER_FILES, Mutant, load, mutants, screen  # noqa: E402

pytestmark = pytest.mark.slow  # hundreds of mutants parsed, scenarios run


@pytest.mark.parametrize("driver", sorted(DRIVER_FILES))
def test_each_mutant_parses_and_differs_from_the_driver_in_one_place(driver: str) -> None:
    original = ast.unparse(ast.parse(DRIVER_FILES[driver].read_text(encoding="utf-8")))
    ms = list(mutants(driver))
    assert len(ms) > 20
    assert len({m.source for m in ms}) == len(ms)  # no two mutants alike
    for m in ms:
        assert m.source != original, m.key
        ast.parse(m.source)
        assert m.line > 0 and m.what


def test_the_screen_kills_a_leak_and_spares_a_renamed_counter(tmp_path: Path) -> None:
    sys.path.insert(0, str(tmp_path))
    try:
        by_what = {m.what: m for m in mutants("dummy")}
        leak = by_what["delete self._h.dev_kfree_skb(skb, self._h.FREE_WRITE)"]
        factory, _ = load(leak, tmp_path)
        assert screen(factory, []) is not None
        stats = next(m for m in mutants("dummy") if m.what == "+= -> -=")
        factory, _ = load(stats, tmp_path)  # tx_packets counts down: no rule says up
        assert screen(factory, []) is None
        assert isinstance(stats, Mutant)
    finally:
        sys.path.remove(str(tmp_path))
