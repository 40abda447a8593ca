"""``[tool.netdevspec]``: the settings of ``netdevspec check`` kept in a project's files.

The table sits in the user's ``pyproject.toml``, found as ruff and mypy find theirs: in the
working directory or the nearest directory above it whose ``pyproject.toml`` has a
``[tool.netdevspec]`` table. Every key is optional; the command line overrides each::

    [tool.netdevspec]
    drivers = ["mydriver:FACTORY"]      # what `netdevspec check` checks with no argument
    params = { io = 0x300, irq = 5 }    # insmod parameters of every instance
    examples = 200                      # generated scenarios per round
    seed = 0
    time-limit = 2.0                    # seconds per callback
    memory-limit = 2048                 # MiB per driver process
    instances = 2
    format = "text"                     # text, json, junit or sarif
    select = ["skb", "res.irq"]         # rule IDs or family prefixes to report
    ignore = ["drv.value"]

    [[tool.netdevspec.waiver]]          # a FAIL shown as WAIVED (never PASS), with why
    rule = "cb.stop.irq"
    driver = "mydriver:FACTORY"         # optional: every driver when absent
    reason = "the line is claimed in the probe and freed at cleanup, as ne.c does"

A waiver file given with ``--waivers FILE`` holds ``[[waiver]]`` tables of the same form.
An unknown key, a value of the wrong type or a rule ID no rule has is a usage error that
names the file and the key (with a suggestion where one is close).
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdevspec.errors import UsageError

__all__ = ["CheckSettings", "Selection", "Waiver", "find_pyproject", "load_settings",
           "load_waivers", "parse_param", "selection"]

_FORMATS = ("text", "json", "junit", "sarif")
_KEYS = ("drivers", "params", "examples", "seed", "time-limit", "memory-limit", "instances",
         "format", "select", "ignore", "waiver")


@dataclass(frozen=True)
class Waiver:
    """A finding a user has accepted: ``rule`` (an ID or family prefix) on ``driver`` (every
    driver when None) is reported WAIVED with ``reason``, never PASS."""

    rule: str
    reason: str
    driver: str | None = None
    #: Where it was written (``file``), for the messages about it.
    origin: str = ""

    def covers(self, driver: str, rule_id: str) -> bool:
        """Whether this waiver applies to ``rule_id`` of ``driver``."""
        return (self.driver is None or self.driver == driver) and _matches(self.rule, rule_id)


@dataclass(frozen=True)
class CheckSettings:
    """What ``[tool.netdevspec]`` sets (None: not set there)."""

    source: Path | None = None
    drivers: tuple[str, ...] | None = None
    params: dict[str, int] | None = None
    examples: int | None = None
    seed: int | None = None
    time_limit: float | None = None
    memory_limit: int | None = None
    instances: int | None = None
    format: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    waivers: tuple[Waiver, ...] = ()


@dataclass(frozen=True)
class Selection:
    """Which rules a report shows: those matching ``select`` (all when empty) and not
    ``ignore``; each entry is a rule ID or a family prefix (``skb``, ``res.irq``)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    _known: frozenset[str] = field(default=frozenset(), repr=False)

    def wants(self, rule_id: str) -> bool:
        """Whether ``rule_id`` is reported."""
        if self.select and not any(_matches(p, rule_id) for p in self.select):
            return False
        return not any(_matches(p, rule_id) for p in self.ignore)


def parse_param(item: str) -> tuple[str, int] | None:
    """``NAME=VALUE`` (an insmod parameter: VALUE an int in any base, ``0x300``) as a pair,
    None when it is not of that form."""
    name, sep, value = item.partition("=")
    name = name.strip()
    try:
        number = int(value.strip(), 0)
    except ValueError:
        return None
    return (name, number) if sep and name.isidentifier() else None


def _matches(prefix: str, rule_id: str) -> bool:
    return rule_id == prefix or rule_id.startswith(prefix + ".")


def selection(select: Iterable[str], ignore: Iterable[str], known: Iterable[str],
              where: str = "the command line") -> Selection:
    """A :class:`Selection`, each entry checked against the ``known`` rule IDs (an entry
    that matches no rule is a usage error with a suggestion). Entries may be
    comma-separated, as ruff takes them."""
    ids = sorted(set(known))
    sel = tuple(_split(select))
    ign = tuple(_split(ignore))
    for p in (*sel, *ign):
        check_rule_pattern(p, ids, where)
    return Selection(sel, ign, frozenset(ids))


def _split(items: Iterable[str]) -> list[str]:
    return [p.strip() for item in items for p in item.split(",") if p.strip()]


def check_rule_pattern(pattern: str, ids: Sequence[str], where: str) -> None:
    """A usage error unless ``pattern`` is a rule ID or the prefix of one."""
    if any(_matches(pattern, i) for i in ids):
        return
    prefixes = sorted({".".join(i.split(".")[:n]) for i in ids for n in range(1, i.count(".") + 1)})
    close = difflib.get_close_matches(pattern, [*prefixes, *ids], 3, 0.6)
    raise UsageError(f"{pattern!r} in {where} names no rule",
                     "a rule is selected, ignored or waived by its ID or a family prefix",
                     f"did you mean {' or '.join(close)}?" if close else
                     "run `netdevspec rules` to list the IDs")


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` with a ``[tool.netdevspec]``
    table (None when there is none)."""
    for d in (start, *start.parents):
        p = d / "pyproject.toml"
        if p.is_file() and "netdevspec" in _read(p).get("tool", {}):
            return p
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}", "the settings are read from it",
                         "make it readable, or pass --no-config") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path} is not valid TOML: {e}", "the settings are read from it",
                         "fix the file, or pass --no-config") from None


def load_settings(path: Path, known_rules: Sequence[str]) -> CheckSettings:
    """The ``[tool.netdevspec]`` table of ``path``, each value checked."""
    table = _read(path).get("tool", {}).get("netdevspec", {})
    where = f"{path} [tool.netdevspec]"
    if not isinstance(table, dict):
        raise UsageError(f"{where} is not a table", "it holds the settings of check",
                         "write it as [tool.netdevspec] with keys below it")
    for key in table:
        if key not in _KEYS:
            close = difflib.get_close_matches(key, _KEYS, 1)
            raise UsageError(f"{where} has an unknown key {key!r}",
                             f"the keys are {', '.join(_KEYS)}",
                             f"did you mean {close[0]!r}?" if close else "remove it")
    get = _Getter(table, where)
    waivers = _waivers(table.get("waiver", []), f"{where} waiver", str(path), known_rules)
    sel = get.strings("select")
    ign = get.strings("ignore")
    for p in (*(sel or ()), *(ign or ())):
        check_rule_pattern(p, known_rules, where)
    return CheckSettings(
        source=path, drivers=get.strings("drivers"), params=get.params(),
        examples=get.integer("examples", 0, 10**9), seed=get.integer("seed", 0, 2**63 - 1),
        time_limit=get.seconds("time-limit"), memory_limit=get.integer("memory-limit", 1, 2**40),
        instances=get.integer("instances", 1, 4), format=get.choice("format", _FORMATS),
        select=sel, ignore=ign, waivers=waivers)


def load_waivers(path: Path, known_rules: Sequence[str]) -> tuple[Waiver, ...]:
    """The ``[[waiver]]`` tables of a waiver file."""
    data = _read(path)
    extra = sorted(set(data) - {"waiver"})
    if extra:
        raise UsageError(f"{path} has {', '.join(repr(k) for k in extra)} besides [[waiver]] "
                         "tables", "a waiver file holds only waivers",
                         "write each as [[waiver]] with rule, reason and optionally driver")
    return _waivers(data.get("waiver", []), f"{path} waiver", str(path), known_rules)


def _waivers(raw: Any, where: str, origin: str, known: Sequence[str]) -> tuple[Waiver, ...]:
    if not isinstance(raw, list) or not all(isinstance(w, dict) for w in raw):
        raise UsageError(f"{where} is not a list of tables",
                         "each waiver is a [[waiver]] table", "write [[...waiver]] tables")
    out = []
    for n, w in enumerate(raw, 1):
        here = f"{where} #{n}"
        unknown = sorted(set(w) - {"rule", "reason", "driver"})
        if unknown:
            raise UsageError(f"{here} has an unknown key {unknown[0]!r}",
                             "a waiver has rule, reason and optionally driver", "remove it")
        rule, reason, driver = w.get("rule"), w.get("reason"), w.get("driver")
        if not isinstance(rule, str) or not rule:
            raise UsageError(f"{here} has no rule", "a waiver names the rule it accepts",
                             'add rule = "RULE-ID"')
        if not isinstance(reason, str) or not reason.strip():
            raise UsageError(f"{here} ({rule}) has no reason",
                             "a waived finding must say why it is acceptable, for whoever "
                             "reads the report", 'add reason = "..."')
        if driver is not None and (not isinstance(driver, str) or not driver):
            raise UsageError(f"{here} ({rule}) has a driver that is not a string",
                             "driver names one MODULE:FACTORY", "write it as a string")
        check_rule_pattern(rule, known, here)
        out.append(Waiver(rule, reason.strip(), driver, origin))
    return tuple(out)


class _Getter:
    def __init__(self, table: dict[str, Any], where: str) -> None:
        self.table, self.where = table, where

    def _bad(self, key: str, want: str) -> UsageError:
        return UsageError(f"{self.where} {key} = {self.table[key]!r} is not {want}",
                          "the command line's option of the same name takes the same",
                          f"write {key} as {want}")

    def strings(self, key: str) -> tuple[str, ...] | None:
        v = self.table.get(key)
        if v is None:
            return None
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise self._bad(key, "a list of strings")
        return tuple(v)

    def integer(self, key: str, lo: int, hi: int) -> int | None:
        v = self.table.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise self._bad(key, f"a whole number from {lo} to {hi}")
        return v

    def seconds(self, key: str) -> float | None:
        v = self.table.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                or v <= 0:
            raise self._bad(key, "a positive number of seconds")
        return float(v)

    def choice(self, key: str, choices: Sequence[str]) -> str | None:
        v = self.table.get(key)
        if v is None:
            return None
        if v not in choices:
            raise self._bad(key, f"one of {', '.join(choices)}")
        return str(v)

    def params(self) -> dict[str, int] | None:
        v = self.table.get("params")
        if v is None:
            return None
        if not isinstance(v, dict) or not all(
                isinstance(k, str) and k.isidentifier() and isinstance(x, int)
                and not isinstance(x, bool) and -(2**63) <= x < 2**63 for k, x in v.items()):
            raise self._bad("params", "a table of NAME = int")
        return dict(v)
