"""Mutations of real traces, for the fuzz test and benchmarks/bench_trace_fuzz.py.

:func:`seed_traces` records real traces (one scenario each, of the bundled dummy driver
and of a leaky variant with findings). :func:`mutated` is a Hypothesis strategy of their
mutations: bytes flipped, inserted or cut; lines dropped, repeated, swapped or spliced
from another trace; a JSON value somewhere in a line replaced by a hostile one (huge or
negative numbers, NaN, strings, nesting), a key removed or added; a step's action
renamed. :func:`outcome` runs one mutated trace through what ``netdevspec replay`` does
before it imports or runs anything, and classifies the result.
"""

from __future__ import annotations

import functools
import json
import random
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from hypothesis import strategies as st
from netdevspec.conformance.harness import STEP_ACTIONS, Step, fixed_scenarios
from netdevspec.conformance.trace import load_replay, record, write_scenario
from netdevspec.reference.drivers import dummy

from netdevspec.errors import UsageError

DUMMY = "netdevspec.reference.drivers.dummy:FACTORY"


def _leaky(handle: Any, instance: int = 0, **params: Any) -> Any:
    model = dummy.FACTORY(handle, instance=instance, **params)
    model.dummy_xmit = lambda skb, dev: 0  # never frees: findings with their state
    return model


def _text(factory: Any, steps: list[Step], name: str) -> bytes:
    import io

    _, t = record(factory, DUMMY, steps, name=name)
    out = io.StringIO()
    write_scenario(out, t)
    return out.getvalue().encode("utf-8")


@functools.cache
def seed_traces() -> list[bytes]:
    """Real one-scenario traces: each fixed scenario of dummy, and a leaky one."""
    fixed = fixed_scenarios()
    seeds = [_text(dummy.FACTORY, steps, name) for name, steps in fixed.items()]
    seeds.append(_text(_leaky, fixed["life"], "life"))
    return seeds


class Chooser(Protocol):
    """Where a mutation's choices come from: Hypothesis (:func:`mutated`, for the test: it
    explores and shrinks) or a seeded PRNG (:class:`RandomChooser`, for the benchmark's
    100,000 traces: Hypothesis spends more per example than the checks themselves)."""

    def integer(self, low: int, high: int) -> int:
        """An integer in ``low..high``."""
        ...

    def binary(self, max_size: int) -> bytes:
        """Up to ``max_size`` arbitrary bytes."""
        ...

    def text(self, max_size: int) -> str:
        """Up to ``max_size`` characters."""
        ...

    def hostile(self) -> Any:
        """A JSON value a trace should not hold where it is put."""
        ...


_NAMES = ["__init__", "finish", "devices", "_guard", "os:system", "", "rx",
          *sorted(STEP_ACTIONS)]
_NUMBERS = [0, -1, 1, 10**9, 2**63, 10**40, -(10**9), 0.5, 2.0, 1e308, float("nan"),
            float("inf"), -float("inf")]

_HOSTILE: st.SearchStrategy[Any] = st.one_of(
    st.integers(), st.sampled_from(_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=30), st.sampled_from(_NAMES),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5),
                                                         st.integers(), max_size=3),
)


class _Draws:
    """A :class:`Chooser` drawing from Hypothesis."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def binary(self, max_size: int) -> bytes:
        return self.draw(st.binary(max_size=max_size))

    def text(self, max_size: int) -> str:
        return self.draw(st.text(max_size=max_size))

    def hostile(self) -> Any:
        return self.draw(_HOSTILE)


class RandomChooser:
    """A :class:`Chooser` drawing from a seeded ``random.Random`` (reproducible)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def binary(self, max_size: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(0, max_size))

    def text(self, max_size: int) -> str:
        return "".join(chr(self.rng.choice([self.rng.randint(32, 126),
                                            self.rng.randint(0, 0x10FFFF)]))
                       for _ in range(self.rng.randint(0, max_size)))

    def hostile(self) -> Any:
        r = self.rng
        return r.choice([
            lambda: r.choice(_NUMBERS), lambda: r.randint(-(2**70), 2**70),
            lambda: r.uniform(-1e6, 1e6), lambda: r.choice([True, False, None]),
            lambda: self.text(30), lambda: r.choice(_NAMES),
            lambda: [r.randint(-5, 5) for _ in range(r.randint(0, 3))],
            lambda: {self.text(5): r.randint(-5, 5) for _ in range(r.randint(0, 3))},
        ])()


def _paths(v: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _paths(x, (*at, k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _paths(x, (*at, i))


def _set(v: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(v, dict):
        return {**v, head: _set(v[head], rest, new)}
    out = list(v)
    out[head] = _set(v[head], rest, new)
    return out


def _drop(v: Any, path: tuple[Any, ...]) -> Any:
    if len(path) == 1:
        if isinstance(v, dict):
            return {k: x for k, x in v.items() if k != path[0]}
        return [x for i, x in enumerate(v) if i != path[0]]
    head = path[0]
    if isinstance(v, dict):
        return {**v, head: _drop(v[head], path[1:])}
    out = list(v)
    out[head] = _drop(v[head], path[1:])
    return out


_KINDS = ["json", "json", "json", "step", "bytes", "line", "splice", "truncate"]


def mutate_once(lines: list[bytes], other: list[bytes], c: Chooser) -> list[bytes]:
    """``lines`` with one mutation chosen by ``c``."""
    kind = _KINDS[c.integer(0, len(_KINDS) - 1)]
    if not lines:
        return lines
    n = c.integer(0, len(lines) - 1)
    if kind == "bytes":
        raw = lines[n]
        at = c.integer(0, len(raw))
        cut = c.integer(0, 4)
        return [*lines[:n], raw[:at] + c.binary(6) + raw[at + cut:], *lines[n + 1:]]
    if kind == "line":
        op = c.integer(0, 3)
        m = c.integer(0, len(lines) - 1)
        out = list(lines)
        if op == 0:
            del out[n]
        elif op == 1:
            out.insert(m, lines[n])
        elif op == 2:
            out[n], out[m] = out[m], out[n]
        else:
            out[n] = b""
        return out
    if kind == "splice":
        return [*lines[:n], other[c.integer(0, len(other) - 1)], *lines[n:]]
    if kind == "truncate":
        data = b"\n".join(lines)
        return data[:c.integer(0, len(data))].split(b"\n")
    if kind == "step":
        n = 0  # the header, where the steps are
    try:
        obj = json.loads(lines[n].decode("utf-8"))
    except ValueError:  # an earlier mutation broke it: nothing to walk
        return lines
    paths = list(_paths(obj))
    if kind == "step" and isinstance(obj, dict) and obj.get("steps"):
        paths = [p for p in paths if p[:1] == ("steps",)] or paths
    path = paths[c.integer(0, len(paths) - 1)]
    op = c.integer(0, 3)
    if op == 0 and path:
        obj = _drop(obj, path)
    elif op == 1:
        if path:
            obj = _set(obj, path, {"extra": c.hostile()})
        elif isinstance(obj, dict):
            obj = {**obj, c.text(8): c.hostile()}
    else:
        obj = _set(obj, path, c.hostile())
    return [*lines[:n], json.dumps(obj).encode("utf-8"), *lines[n + 1:]]


def mutate(c: Chooser) -> bytes:
    """A real trace (one of :func:`seed_traces`) with one to three mutations by ``c``."""
    seeds = seed_traces()
    lines = seeds[c.integer(0, len(seeds) - 1)].split(b"\n")
    other = [line for s in seeds for line in s.split(b"\n")[:3] if line]
    for _ in range(c.integer(1, 3)):
        lines = mutate_once(lines, other, c)
    return b"\n".join(lines)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """Hypothesis: a real trace with one to three mutations (see :func:`mutate`)."""
    return mutate(_Draws(draw))


class Hang(BaseException):
    """The watchdog fired: the validation ran past its limit."""


@contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` if the body runs for more than ``seconds`` (SIGALRM)."""

    def fire(signum: int, frame: Any) -> None:
        raise Hang

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def outcome(data: bytes, *, driver: str | None = None) -> tuple[str, str]:
    """Run ``data`` through replay's checks (nothing imported, nothing run): ``("ok",
    "")`` for a trace replay would run, ``("refused", message)`` for a UsageError.
    Anything else propagates (a traceback is a bug)."""
    try:
        load_replay(data, driver=driver)
    except UsageError as e:
        return "refused", str(e)
    return "ok", ""
