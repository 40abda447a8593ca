"""Traces of checked scenarios, as JSON lines, and their replay.

A trace file holds one or more scenarios. Each starts with a header line, then one line
per event, in order:

```
{"type": "scenario", "version": 1, "driver": "mod:FACTORY", "name": "life", "seed": 0,
 "time_limit": 2.0, "steps": [{"action": "insmod", "args": {"i": 0}}, ...]}
{"type": "step", "action": "insmod", "args": {"i": 0}}
{"type": "callback", "what": "init_module of dummy", "module": "dummy"}
{"type": "call", "fn": "register_netdev", "args": ["'dummy0'"], "module": "dummy"}
{"type": "return", "fn": "register_netdev", "result": "0"}
{"type": "finding", "rule": "skb.use.alive", "message": "...", "state": {...}}
{"type": "end", "findings": 1, "aborted": null}
```

Calls and returns are the driver's calls into the kernel; callbacks are the kernel's
calls into the driver. A finding carries the state its rule read. Objects are written
the way reports name them: buffers ``#id``, devices by name, modules by name. A fresh
kernel numbers them the same way every time, so a replay of the same driver gives the
same lines.

:func:`replay` runs each scenario of a trace again and compares the events line by
line. It reports the first difference: the driver changed, or it behaves
non-deterministically.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from netdevspec.conformance.boundary import DriverHost, hosted
from netdevspec.conformance.harness import Factory, Harness, Step, run_scenario

from netdevspec.errors import UsageError

__all__ = ["TRACE_VERSION", "ReplayResult", "TracedScenario", "read_trace", "record",
           "replay", "write_scenario"]

TRACE_VERSION = 1


@dataclass(frozen=True)
class TracedScenario:
    """One scenario of a trace: its header fields and its events."""

    driver: str
    name: str
    seed: int
    time_limit: float
    steps: tuple[Step, ...]
    events: tuple[dict[str, Any], ...]


def record(factory: Factory | None, ref: str, steps: Sequence[Step], *, name: str = "",
           seed: int = 0, time_limit: float = 2.0,
           host: DriverHost | None = None) -> tuple[Harness, TracedScenario]:
    """Run ``steps`` with every event recorded; return the harness and the trace. With
    ``host``, the driver runs in a process of its own, as ``netdevspec check`` runs it."""
    events: list[dict[str, Any]] = []

    def rec(kind: str, fields: dict[str, Any]) -> None:
        events.append({"type": kind, **_plain(fields)})

    h = run_scenario(factory, steps, spec_ref=ref, time_limit=time_limit, record=rec,
                     host=host)
    for f in h.monitor.findings:
        # The monitor logs a finding when it is made; the full one (with the state its
        # rule read) is written here.
        events.append({"type": "finding_detail", **_plain(f.to_json())})
    events.append({"type": "end", "findings": len(h.monitor.findings),
                   "aborted": h.aborted})
    return h, TracedScenario(ref, name, seed, time_limit, tuple(steps), tuple(events))


def _plain(v: Any) -> Any:
    """JSON-ready: tuples become lists, anything else unknown becomes its repr."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


def write_scenario(out: TextIO, t: TracedScenario) -> None:
    """Append one traced scenario to an open trace file."""
    header = {"type": "scenario", "version": TRACE_VERSION, "driver": t.driver,
              "name": t.name, "seed": t.seed, "time_limit": t.time_limit,
              "steps": [s.to_json() for s in t.steps]}
    out.write(json.dumps(header, sort_keys=True) + "\n")
    for e in t.events:
        out.write(json.dumps(e, sort_keys=True) + "\n")


def read_trace(path: Path) -> list[TracedScenario]:
    """The scenarios of a trace file. Raises UsageError, naming the line, when the file is
    not a trace."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise UsageError(f"cannot read the trace {path}: {e.strerror}",
                         "replay needs a file written by `netdevspec check --trace`",
                         "pass the path of a trace file") from e
    out: list[TracedScenario] = []
    header: dict[str, Any] | None = None
    events: list[dict[str, Any]] = []

    def close() -> None:
        if header is not None:
            steps = tuple(Step(s["action"], tuple(sorted(s["args"].items())))
                          for s in header["steps"])
            out.append(TracedScenario(header["driver"], header["name"], header["seed"],
                                      header["time_limit"], steps, tuple(events)))

    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise UsageError(f"{path}:{n} is not JSON ({e.msg})", "a trace has one JSON "
                             "object per line", "pass a file written by --trace") from None
        if not isinstance(obj, dict) or "type" not in obj:
            raise UsageError(f"{path}:{n} is not a trace event (no 'type')",
                             "every line of a trace is an object with a type",
                             "pass a file written by --trace")
        if obj["type"] == "scenario":
            if obj.get("version") != TRACE_VERSION:
                raise UsageError(f"{path}:{n}: trace version {obj.get('version')!r}, this "
                                 f"netdevspec reads {TRACE_VERSION}", "the format changed",
                                 "record the trace again with this version")
            close()
            header, events = obj, []
        elif header is None:
            raise UsageError(f"{path}:{n}: an event before any scenario header",
                             "a trace starts with a scenario line", "pass a whole trace")
        else:
            events.append(obj)
    close()
    if not out:
        raise UsageError(f"{path} holds no scenario", "the file is empty",
                         "record one with netdevspec check --trace FILE")
    return out


@dataclass(frozen=True)
class ReplayResult:
    """How one scenario replayed: identical, or the first line that differs."""

    scenario: TracedScenario
    identical: bool
    index: int = -1
    recorded: dict[str, Any] | None = None
    replayed: dict[str, Any] | None = None


def replay(scenarios: Sequence[TracedScenario],
           factory: Factory | None = None) -> Iterator[ReplayResult]:
    """Run each scenario again (with ``factory``, or the one its header names) and compare
    its events with the recorded ones."""
    for t in scenarios:
        with hosted(factory, t.driver, time_limit=t.time_limit) as host:
            _, again = record(factory, t.driver, t.steps, name=t.name, seed=t.seed,
                              time_limit=t.time_limit, host=host)
        a = [json.loads(json.dumps(e, sort_keys=True)) for e in t.events]
        b = [json.loads(json.dumps(e, sort_keys=True)) for e in again.events]
        if a == b:
            yield ReplayResult(t, True)
            continue
        i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                 min(len(a), len(b)))
        yield ReplayResult(t, False, i, a[i] if i < len(a) else None,
                           b[i] if i < len(b) else None)
