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
* the options ``--netdevspec-examples N``, ``--netdevspec-seed N``,
  ``--netdevspec-time-limit S``, ``--netdevspec-instances N`` and ``--netdevspec-param
  NAME=VALUE`` (repeatable), and the ini keys ``netdevspec_examples``, ``netdevspec_seed``,
  ``netdevspec_time_limit``, ``netdevspec_instances`` and ``netdevspec_params`` (one
  ``NAME=VALUE`` per line): the defaults of every check in the run;
* the marker ``@pytest.mark.netdevspec_driver(driver, *, examples=..., seed=...,
  time_limit=..., params=..., instances=...)``: the driver (and settings)
  ``netdevspec_check()`` uses when called without one.

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
    "DEFAULT_INSTANCES",
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
DEFAULT_INSTANCES = 2

#: The marker's name.
MARKER = "netdevspec_driver"

Factory = Callable[..., Any]
_CacheKey = tuple[object, int, int, float, tuple[tuple[str, int], ...], int]

_SETTINGS = pytest.StashKey["_Settings"]()
_CACHE = pytest.StashKey[dict[_CacheKey, "CheckReport"]]()



# -- options -----------------------------------------------------------------------------------


#: Each run-wide setting: its name (``--netdevspec-NAME``, ini ``netdevspec_NAME``), the
#: option's type, metavar and what it is, and its built-in default.
_OPTIONS: tuple[tuple[str, type, str, str, object], ...] = (
    ("examples", int, "N", "generated scenarios per round", DEFAULT_EXAMPLES),
    ("seed", int, "N", "scenario seed", DEFAULT_SEED),
    ("time-limit", float, "S", "seconds per driver callback", DEFAULT_TIME_LIMIT),
    ("instances", int, "N", "driver instances generated scenarios load at once",
     DEFAULT_INSTANCES),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--netdevspec-examples``, ``-seed``, ``-time-limit``, ``-instances``, ``-param`` and
    their ini keys."""
    group = parser.getgroup("netdevspec", "netdevspec driver conformance")
    for name, kind, metavar, what, default in _OPTIONS:
        key = f"netdevspec_{name.replace('-', '_')}"
        group.addoption(f"--netdevspec-{name}", type=kind, default=None, metavar=metavar,
                        dest=key, help=f"{what} for netdevspec_check (default: ini {key}, "
                        f"else {default})")
        parser.addini(key, type="string", default="", help=f"{what} ({default})")
    group.addoption("--netdevspec-param", action="append", default=None,
                    metavar="NAME=VALUE", dest="netdevspec_params",
                    help="an insmod parameter of the driver checked (repeatable; default: "
                    "ini netdevspec_params)")
    parser.addini("netdevspec_params", type="linelist", default=[],
                  help="insmod parameters, one NAME=VALUE per line")


@dataclass(frozen=True)
class _Settings:
    examples: int
    seed: int
    time_limit: float = DEFAULT_TIME_LIMIT
    instances: int = DEFAULT_INSTANCES
    params: tuple[tuple[str, int], ...] = ()


def _given(config: pytest.Config, name: str, convert: Callable[[str], Any],
           what: str) -> tuple[Any, str]:
    """The option's value, else the ini key's converted (None: neither is set), and
    where it came from (for the message about a bad one)."""
    given: object = config.getoption(name, default=None)
    if given is not None:
        return given, f"--{name.replace('_', '-')}"
    text = str(config.getini(name)).strip()
    where = f"the ini option {name}"
    if not text:
        return None, where
    try:
        return convert(text), where
    except ValueError:
        raise pytest.UsageError(f"{where} must be {what}, got {text!r}") from None


def _float_setting(config: pytest.Config, name: str, default: float) -> float:
    given, where = _given(config, name, float, "a number of seconds")
    if given is None:
        return default
    if not isinstance(given, float | int) or not math.isfinite(given) or given <= 0:
        raise pytest.UsageError(f"{where} must be a positive number of seconds, got {given!r}")
    return float(given)


def _params_setting(config: pytest.Config) -> tuple[tuple[str, int], ...]:
    from netdevspec.config import parse_param

    given = config.getoption("netdevspec_params", default=None)
    where = "--netdevspec-param"
    if given is None:
        given, where = list(config.getini("netdevspec_params")), "the ini option netdevspec_params"
    out: dict[str, int] = {}
    for item in given:
        parsed = parse_param(str(item))
        if parsed is None:
            raise pytest.UsageError(f"{where}: {item!r} is not NAME=VALUE with an int VALUE "
                                    "(e.g. io=0x300)")
        out[parsed[0]] = parsed[1]
    return tuple(sorted(out.items()))


def _setting(config: pytest.Config, name: str, default: int, *, minimum: int | None) -> int:
    given, where = _given(config, name, lambda t: int(t, 0), "an integer")
    if given is None:
        return default
    if not isinstance(given, int):
        raise pytest.UsageError(f"{where} must be an integer, got {given!r}")
    if minimum is not None and given < minimum:
        raise pytest.UsageError(f"{where} must be {minimum} or more, got {given}")
    return given


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and read the defaults (a bad value is a usage error)."""
    config.addinivalue_line(
        "markers", f"{MARKER}(driver, *, examples=None, seed=None, time_limit=None, "
        "params=None, instances=None): the "
        "driver model (a factory or 'module:FACTORY') and settings that netdevspec_check() "
        "uses when called without a driver")
    instances = _setting(config, "netdevspec_instances", DEFAULT_INSTANCES, minimum=1)
    if instances > 4:
        raise pytest.UsageError(f"netdevspec instances must be 1 to 4, got {instances}")
    config.stash[_SETTINGS] = _Settings(
        _setting(config, "netdevspec_examples", DEFAULT_EXAMPLES, minimum=0),
        _setting(config, "netdevspec_seed", DEFAULT_SEED, minimum=None),
        _float_setting(config, "netdevspec_time_limit", DEFAULT_TIME_LIMIT),
        instances, _params_setting(config))
    config.stash[_CACHE] = {}


# -- the report as a failure message -------------------------------------------------------------


def failure_message(report: CheckReport) -> str:
    """What :func:`assert_conforms` fails with: a summary line naming every FAIL rule (what
    ``pytest -ra`` shows), then the failures as ``netdevspec check`` prints them, cause
    first (:mod:`~netdevspec.conformance.render`)."""
    from netdevspec.conformance.render import failure_blocks, summary_counts

    failed = report.failed
    ids = ", ".join(r.rule.id for r in failed)
    lines = [f"{report.driver} breaks {len(failed)} rule{'' if len(failed) == 1 else 's'}: "
             f"{ids} ({summary_counts(report)}; {report.scenarios_run} scenarios, seed "
             f"{report.seed})"]
    return "\n".join(lines + failure_blocks(report))


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
    params: dict[str, int] = field(default_factory=dict)
    instances: int = DEFAULT_INSTANCES

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
        p = dict(self.params if params is None else params)
        k = self.instances if instances is None else instances
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


_MARKER_SETTINGS = frozenset({"examples", "seed", "time_limit", "params", "instances"})


def _marker_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return {}
    if len(marker.args) > 1:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} takes one driver, got {marker.args!r}")
    unknown = set(marker.kwargs) - _MARKER_SETTINGS
    if unknown:
        import difflib

        close = [m for u in sorted(unknown)
                 for m in difflib.get_close_matches(u, sorted(_MARKER_SETTINGS), 1)]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: unknown setting(s) "
                                f"{', '.join(sorted(unknown))} (it takes "
                                f"{', '.join(sorted(_MARKER_SETTINGS))}){hint}")
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
    checker = DriverChecker(settings.examples, settings.seed, settings.time_limit, None, cache,
                            dict(settings.params), settings.instances)
    for name, value in _marker_settings(request).items():
        setattr(checker, name, value)
    return checker
