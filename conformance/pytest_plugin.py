"""The pytest plugin: check a driver model from your own test suite.

Installed with netdevspec, it registers itself through the ``pytest11`` entry point; in
a project that does not install netdevspec, load it with ``-p
netdevspec.conformance.pytest_plugin`` or ``pytest_plugins =
["netdevspec.conformance.pytest_plugin"]`` in the root ``conftest.py``.

It provides

* the fixture ``netdevspec_check``: a :class:`DriverChecker`, called as
  ``netdevspec_check(driver, *, examples=None, seed=None, time_limit=None)`` with a factory
  or a ``"module:FACTORY"`` string; it runs
  :func:`~netdevspec.conformance.check.check_driver` and returns the
  :class:`~netdevspec.conformance.check.CheckReport`;
* :func:`assert_conforms` (also ``netdevspec_check.assert_conforms``): fails the test with
  every FAIL rule, its finding, where it was found and the program that replays it;
* the options ``--netdevspec-examples N`` and ``--netdevspec-seed N`` and the ini keys
  ``netdevspec_examples`` and ``netdevspec_seed``: the defaults of every check in the run;
* the marker ``@pytest.mark.netdevspec_driver(driver, *, examples=..., seed=...,
  time_limit=...)``: the driver (and settings) ``netdevspec_check()`` uses when called
  without one.

A setting given in the call wins over the marker's, the marker's over the command line,
the command line over the ini file, and the ini file over the built-in defaults (those of
``netdevspec check``: 200 examples, seed 0, 2 s per step). A check is deterministic, so its
report is computed once per session for each driver and settings and then reused.

PYTEST_DONT_REWRITE: the plugin has no assert statement for pytest to rewrite.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from netdevspec.errors import NetdevspecError

if TYPE_CHECKING:
    # The checker (Hypothesis, the spec, the reference kernel) is imported when a test
    # first checks a driver, not when pytest loads the plugin.
    from netdevspec.conformance.check import CheckReport

__all__ = [
    "DEFAULT_EXAMPLES",
    "DEFAULT_SEED",
    "DEFAULT_TIME_LIMIT",
    "DriverChecker",
    "assert_conforms",
    "failure_message",
]

#: The built-in defaults, those of ``netdevspec check``.
DEFAULT_EXAMPLES = 200
DEFAULT_SEED = 0
DEFAULT_TIME_LIMIT = 2.0

#: The marker's name.
MARKER = "netdevspec_driver"

Factory = Callable[..., Any]
_CacheKey = tuple[object, int, int, float, tuple[tuple[str, int], ...], int]

_SETTINGS = pytest.StashKey["_Settings"]()
_CACHE = pytest.StashKey[dict[_CacheKey, "CheckReport"]]()

#: Longest ``at:`` text shown (a call's arguments can include a whole frame's bytes).
_MAX_WHERE = 200


# -- options -----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--netdevspec-examples``, ``--netdevspec-seed`` and their ini keys."""
    group = parser.getgroup("netdevspec", "netdevspec driver conformance")
    group.addoption("--netdevspec-examples", type=int, default=None, metavar="N",
                    dest="netdevspec_examples",
                    help="generated scenarios per round for netdevspec_check (default: ini "
                    f"netdevspec_examples, else {DEFAULT_EXAMPLES})")
    group.addoption("--netdevspec-seed", type=int, default=None, metavar="N",
                    dest="netdevspec_seed",
                    help="scenario seed for netdevspec_check (default: ini netdevspec_seed, "
                    f"else {DEFAULT_SEED})")
    parser.addini("netdevspec_examples", type="string", default="",
                  help=f"generated scenarios per round for netdevspec_check ({DEFAULT_EXAMPLES})")
    parser.addini("netdevspec_seed", type="string", default="",
                  help=f"scenario seed for netdevspec_check ({DEFAULT_SEED})")


@dataclass(frozen=True)
class _Settings:
    examples: int
    seed: int


def _setting(config: pytest.Config, name: str, default: int, *, minimum: int | None) -> int:
    given: object = config.getoption(name, default=None)
    where = f"--{name.replace('_', '-')}"
    if given is None:
        text = str(config.getini(name)).strip()
        if not text:
            return default
        where = f"the ini option {name}"
        try:
            given = int(text, 0)
        except ValueError:
            raise pytest.UsageError(f"{where} must be an integer, got {text!r}") from None
    if not isinstance(given, int):
        raise pytest.UsageError(f"{where} must be an integer, got {given!r}")
    if minimum is not None and given < minimum:
        raise pytest.UsageError(f"{where} must be {minimum} or more, got {given}")
    return given


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and read the defaults (a bad value is a usage error)."""
    config.addinivalue_line(
        "markers", f"{MARKER}(driver, *, examples=None, seed=None, time_limit=None): the "
        "driver model (a factory or 'module:FACTORY') and settings that netdevspec_check() "
        "uses when called without a driver")
    config.stash[_SETTINGS] = _Settings(
        _setting(config, "netdevspec_examples", DEFAULT_EXAMPLES, minimum=0),
        _setting(config, "netdevspec_seed", DEFAULT_SEED, minimum=None))
    config.stash[_CACHE] = {}


# -- the report as a failure message -------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def failure_message(report: CheckReport) -> str:
    """What :func:`assert_conforms` fails with: a summary line, then for each FAIL rule its
    statement, finding, place, state, buffer picture, citations and replay program."""
    c = report.counts()
    failed = report.failed
    ids = ", ".join(r.rule.id for r in failed)
    lines = [f"{report.driver} breaks {len(failed)} rule{'' if len(failed) == 1 else 's'}: "
             f"{ids} ({len(report.rules)} rules: {c['PASS']} PASS, {c['FAIL']} FAIL, "
             f"{c['NOT_APPLICABLE']} NOT_APPLICABLE, {c['UNRESOLVED']} UNRESOLVED; "
             f"{report.scenarios_run} scenarios, seed {report.seed})"]
    for r in failed:
        lines += ["", f"FAIL {r.rule.id}: {r.rule.statement}"]
        f = r.finding
        if f is not None:
            lines.append(f"  found:  {f.message}")
            lines.append(f"  at:     {_clip(f.where, _MAX_WHERE)} (event {f.event}, module "
                         f"{f.module})")
            if f.location:
                lines.append(f"  source: {f.location}: the driver's call")
            if f.state:
                lines.append("  state:  " + ", ".join(f"{k}={v}" for k, v in f.state))
            if f.picture:
                lines.append(f"  buffer: {f.picture}")
        lines.append(f"  cites:  {'; '.join(str(x) for x in r.rule.citations)}")
        if r.program:
            lines.append(f"  replay ({r.scenario}, {r.failures} finding(s) in all):")
            lines += [f"    {line}".rstrip() for line in r.program.splitlines()]
    return "\n".join(lines)


def assert_conforms(report: CheckReport, *, unresolved_ok: bool = True) -> None:
    """Fail the calling test unless ``report`` has no FAIL rule.

    The failure message lists every FAIL rule with its finding and replay program (see
    :func:`failure_message`). With ``unresolved_ok=False`` an UNRESOLVED rule (one the
    check could not evaluate where it applied) fails the test too.
    """
    __tracebackhide__ = True
    if report.failed:
        pytest.fail(failure_message(report))
    unresolved = [r.rule.id for r in report.rules if r.verdict == "UNRESOLVED"]
    if unresolved and not unresolved_ok:
        pytest.fail(f"{report.driver}: {len(unresolved)} rule(s) UNRESOLVED (no FAIL): "
                    f"{', '.join(unresolved)}")


# -- the fixture ---------------------------------------------------------------------------------


def _ref_of(factory: object) -> str:
    """A ``module:attr`` name for a factory object (it names the replay program's import)."""
    modname = getattr(factory, "__module__", None)
    qualname = getattr(factory, "__qualname__", None) or type(factory).__name__
    module = sys.modules.get(modname) if isinstance(modname, str) else None
    if module is not None:
        if getattr(module, "FACTORY", None) is factory:
            return f"{modname}:FACTORY"
        if getattr(module, qualname, None) is factory:
            return f"{modname}:{qualname}"
        for name, value in vars(module).items():
            if value is factory and not name.startswith("_"):
                return f"{modname}:{name}"
    return f"{modname or '?'}:{qualname}"


def _usage(message: str) -> NoReturn:
    __tracebackhide__ = True
    pytest.fail(f"netdevspec_check: {message}", pytrace=False)


@dataclass
class DriverChecker:
    """The ``netdevspec_check`` fixture: check a driver model, get its report.

    ``driver``, ``examples``, ``seed`` and ``time_limit`` are the defaults for this test
    (from the ``netdevspec_driver`` marker, the options and the ini file).
    """

    examples: int = DEFAULT_EXAMPLES
    seed: int = DEFAULT_SEED
    time_limit: float = DEFAULT_TIME_LIMIT
    driver: str | Factory | None = None
    _cache: dict[_CacheKey, CheckReport] = field(default_factory=dict, repr=False)

    #: :func:`assert_conforms`, so a test needs no import.
    assert_conforms = staticmethod(assert_conforms)

    def __call__(self, driver: str | os.PathLike[str] | Factory | None = None, *,
                 examples: int | None = None,
                 seed: int | None = None, time_limit: float | None = None,
                 params: dict[str, int] | None = None,
                 instances: int | None = None, cflags: str = "") -> CheckReport:
        """Check ``driver`` (a factory, ``"module:FACTORY"``, or the path of a C driver's
        ``.c`` file or folder, built with ``cflags``) and return the report.

        Settings left as None take this checker's defaults; ``params`` are the driver's
        insmod parameters and ``instances`` how many copies generated scenarios load at
        once (as ``--param`` and ``--instances``). A bad driver reference fails the test
        with the reason.
        """
        __tracebackhide__ = True
        from netdevspec.conformance.check import check_driver, parse_ref

        driver = self.driver if driver is None else driver
        if driver is None:
            _usage("no driver to check: pass a factory or 'module:FACTORY', or mark the test "
                   f"with @pytest.mark.{MARKER}('module:FACTORY')")
        n = self.examples if examples is None else examples
        s = self.seed if seed is None else seed
        t = self.time_limit if time_limit is None else time_limit
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            _usage(f"examples must be an int ≥ 0, got {n!r}")
        if isinstance(s, bool) or not isinstance(s, int):
            _usage(f"seed must be an int, got {s!r}")
        if (isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t)
                or t <= 0):
            _usage(f"time_limit must be a positive number of seconds, got {t!r}")
        factory: Any
        if isinstance(driver, os.PathLike) or (isinstance(driver, str) and driver.endswith(
                ".c")):
            from netdevspec.conformance.cdriver import load_c_driver

            driver = os.fspath(driver)
            try:  # compiled here (cached), loaded only in the driver's own processes
                factory, ref = load_c_driver(driver, cflags, params), driver
            except NetdevspecError as exc:
                _usage(str(exc))
        elif isinstance(driver, str):
            try:
                parse_ref(driver)  # the form only: the driver's own process imports it
            except NetdevspecError as exc:
                _usage(str(exc))
            factory, ref = None, driver
        elif callable(driver):
            factory, ref = driver, _ref_of(driver)
        else:
            _usage(f"the driver must be a factory or a 'module:FACTORY' string, got "
                   f"{driver!r}")
        p = dict(params or {})
        k = 2 if instances is None else instances
        key: _CacheKey = (driver if not cflags else (driver, cflags), n, s, float(t),
                          tuple(sorted(p.items())), k)
        try:
            cached = self._cache.get(key)
        except TypeError:  # an unhashable factory: not cached
            cached, key = None, (object(), n, s, float(t), (), k)
        if cached is None:
            try:
                cached = check_driver(factory, ref, examples=n, seed_=s, time_limit=float(t),
                                      params=p, instances=k)
            except NetdevspecError as exc:
                _usage(str(exc))
            self._cache[key] = cached
        return cached


def _marker_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return {}
    if len(marker.args) > 1:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} takes one driver, got {marker.args!r}")
    unknown = set(marker.kwargs) - {"examples", "seed", "time_limit"}
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: unknown setting(s) "
                                f"{', '.join(sorted(unknown))} (it takes examples, seed, "
                                "time_limit)")
    out: dict[str, Any] = {k: v for k, v in marker.kwargs.items() if v is not None}
    if marker.args:
        out["driver"] = marker.args[0]
    return out


@pytest.fixture
def netdevspec_check(request: pytest.FixtureRequest) -> DriverChecker:
    """A :class:`DriverChecker`: ``netdevspec_check(driver)`` checks a driver model and
    returns its :class:`~netdevspec.conformance.check.CheckReport`;
    ``netdevspec_check.assert_conforms(report)`` fails the test on a FAIL rule."""
    config = request.config
    settings = config.stash.get(_SETTINGS, None) or _Settings(DEFAULT_EXAMPLES, DEFAULT_SEED)
    cache = config.stash.setdefault(_CACHE, {})
    checker = DriverChecker(settings.examples, settings.seed, DEFAULT_TIME_LIMIT, None, cache)
    for name, value in _marker_settings(request).items():
        setattr(checker, name, value)
    return checker
