"""The ``netdevspec`` command line. The only place that prints or exits."""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from netdevspec import __version__
from netdevspec.errors import NetdevspecError, UsageError

if TYPE_CHECKING:
    from netdevspec.conformance.check import CheckReport
    from netdevspec.model import Report

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3
# As shells report a process ended by a signal: 128 + the signal's number.
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM
_MAX_UNSIGNED = 2**32 - 1  # z3's seeds and time limits are 32-bit unsigned
_WHY_SEED = "z3 takes its seeds as 32-bit unsigned numbers"
_WHY_TIMEOUT = "a zero budget proves nothing, and z3 takes 32-bit unsigned milliseconds"
_WHY_JOBS = "one process at least"

_EXIT_CODES = """\
exit codes:
  0  every obligation PROVED
  1  an obligation REFUTED or VACUOUS (a rule is broken or holds only vacuously)
  2  usage or internal error (bad option, unknown rule or operation, malformed spec)
  3  inconclusive: an obligation is UNKNOWN (z3 timed out or gave up), none refuted
  130  interrupted (Ctrl-C), 143 terminated (SIGTERM): no report is written
"""
_EXIT_RULES = """\
exit codes:
  0  the listing was written
  2  usage or internal error
"""
_EXIT_CHECK = """\
exit codes:
  0  every rule PASS or NOT_APPLICABLE
  1  a rule FAIL (the report shows the finding and a scenario that replays it)
  2  usage or internal error (bad driver reference, bad option)
  3  inconclusive: a rule UNRESOLVED, none failed
"""
_EXIT_REPLAY = """\
exit codes:
  0  every scenario replayed with the same events
  1  a scenario's events differ (the first difference is shown)
  2  usage or internal error (not a trace: the line and field are named; a driver the
     trace names needs --driver or --trust-driver; the driver cannot be imported)
"""
_EXIT_DOCS = """\
exit codes:
  0  the HTML documentation was built into OUTDIR
  1  the build found a problem (Sphinx warnings are errors: a reference without a
     target, a malformed page); nothing is guaranteed about OUTDIR
  2  usage or internal error (no documentation sources, Sphinx not installed)
"""


def _whole(lo: int, hi: int, why: str) -> Any:
    """An argparse type: a whole number from ``lo`` to ``hi``, else a usage error (exit 2)
    saying what is wrong, ``why`` the range, and what to do."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number from {lo} to {hi} ({why}); pass one in that "
                "range")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="netdevspec",
        description="An executable formal specification of the Linux 2.0 network-driver API.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_EXIT_CODES,
    )
    p.add_argument("--version", action="version", version=f"netdevspec {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    prove = sub.add_parser(
        "prove", help="prove the spec's obligations with z3",
        description="Prove initiation, consecution, non-vacuity and frame obligations of the "
        "spec, for any number of devices, lines and buffers.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EXIT_CODES)
    prove.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (default) or the versioned JSON report")
    prove.add_argument("--rule", action="append", default=[], metavar="ID",
                       help="only obligations about this rule (repeatable)")
    prove.add_argument("--operation", action="append", default=[], metavar="NAME",
                       help="only obligations about this operation (repeatable)")
    prove.add_argument("--timeout", type=_whole(1, _MAX_UNSIGNED, _WHY_TIMEOUT), default=10_000,
                       metavar="MS",
                       help="z3 time limit per query in milliseconds (default 10000)")
    prove.add_argument("--seed", type=_whole(0, _MAX_UNSIGNED, _WHY_SEED), default=0,
                       help=f"z3 random seed, 0 to {_MAX_UNSIGNED} (default 0)")
    prove.add_argument("--jobs", type=_whole(1, 256, _WHY_JOBS),
                       default=min(2, os.cpu_count() or 1), metavar="N",
                       help="worker processes (default: 2, or 1 on a one-core machine)")
    prove.add_argument("--output", type=Path, metavar="FILE",
                       help="write the report here instead of standard output")
    prove.add_argument("--no-progress", action="store_true",
                       help="no progress bar even on a terminal")
    prove.add_argument("--deps", action="store_true",
                       help="also record what each proof used (minimised unsat cores) and "
                       "list the rules no proof rests on; slower (several extra queries per "
                       "proof)")
    prove.add_argument("--explain", metavar="OBLIGATION",
                       help="prove only this obligation (an ID such as "
                       "consecution:skb_put.ok:skb.geometry) and show what its proof rests "
                       "on")

    check = sub.add_parser(
        "check", help="check a driver model against the spec, rule by rule",
        description="Load the driver model MODULE:FACTORY into the reference kernel, drive it "
        "through fixed and generated scenarios with a monitor that evaluates the spec's "
        "rules at every call and callback, and report PASS / FAIL / NOT_APPLICABLE / "
        "UNRESOLVED per rule.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EXIT_CHECK)
    check.add_argument("drivers", nargs="*", metavar="MODULE:FACTORY",
                       help="the driver factories to check (default: the bundled reference "
                       "drivers)")
    check.add_argument("--format", choices=("text", "json", "junit", "sarif"), default="text",
                       help="text (default), the versioned JSON report, JUnit XML, or SARIF "
                       "2.1.0 (with each failure's scenario as a code flow)")
    check.add_argument("--examples", type=int, default=200, metavar="N",
                       help="generated scenarios per round (default 200)")
    check.add_argument("--seed", type=int, default=0, help="scenario seed (default 0)")
    check.add_argument("--time-limit", type=float, default=2.0, metavar="S",
                       help="seconds each driver callback may run before its process is "
                       "killed and the callback counts as hung (default 2)")
    check.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="an insmod parameter of the driver, given to every instance "
                       "(repeatable; VALUE an int: 5, 0x300)")
    check.add_argument("--instances", type=int, default=2, metavar="N",
                       help="generated scenarios load up to N driver instances at once "
                       "(1 to 4, default 2)")
    check.add_argument("--output", type=Path, metavar="FILE",
                       help="write the report here instead of standard output")
    check.add_argument("--isolate", action="store_true",
                       help="also run the whole check in a child process with a wall-clock "
                       "limit (every driver runs in processes of its own in any case)")
    check.add_argument("--memory-limit", type=int, default=2048, metavar="MB",
                       help="the address-space limit of each driver process, and with "
                       "--isolate of the child (default 2048)")
    check.add_argument("--wall-limit", type=float, default=600.0, metavar="S",
                       help="with --isolate: seconds before the child is killed (default 600)")
    check.add_argument("--trace", type=Path, metavar="FILE",
                       help="also record the fixed scenarios and every failing scenario as "
                       "JSON lines (calls, returns, callbacks, findings with the state their "
                       "rule read); `netdevspec replay FILE` runs them again")

    rep = sub.add_parser(
        "replay", help="run the scenarios of a trace again and compare",
        description="Run every scenario of a trace written by `netdevspec check --trace` "
        "again and compare the events line by line. The trace is checked against its "
        "schema first; it is untrusted input, so a driver it names is imported only if it "
        "is a bundled reference driver or you pass --trust-driver (or name the driver "
        "with --driver).",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EXIT_REPLAY)
    rep.add_argument("trace", type=Path, metavar="FILE", help="the trace file")
    rep.add_argument("--driver", metavar="MODULE:FACTORY",
                     help="replay with this driver instead of the one the trace names")
    rep.add_argument("--trust-driver", action="store_true",
                     help="import the driver modules the trace names (without this or "
                     "--driver, only the bundled reference drivers are imported)")

    rules = sub.add_parser("rules", help="list the rules and operations",
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           epilog=_EXIT_RULES)
    rules.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (default): one line per rule and operation; json: with "
                       "formulas and citations")

    docs = sub.add_parser("docs", help="build the HTML documentation (rule catalogue included)",
                          description="Build the documentation with Sphinx, warnings as "
                          "errors. The rule catalogue is generated from the rule objects "
                          "during the build.",
                          formatter_class=argparse.RawDescriptionHelpFormatter,
                          epilog=_EXIT_DOCS)
    docs.add_argument("outdir", type=Path, metavar="OUTDIR",
                      help="the folder the HTML goes to (created if missing)")
    docs.add_argument("--source", type=Path, metavar="DIR",
                      help="the documentation sources (default: docs/ of the checkout "
                      "netdevspec is installed from)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 on --help
        return int(e.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # SIGTERM unwinds like Ctrl-C from here on (each command may install its own handler
    # for its own clean-up); one that arrives before a command's own handling ends the run
    # with 130/143 and a message, never a traceback.
    main_thread = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _raise_terminated) if main_thread else None
    try:
        if args.command == "prove":
            return _prove(args)
        if args.command == "rules":
            return _rules(args)
        if args.command in ("check", "replay"):
            # As `python -m` does: driver modules in the current directory are importable.
            cwd = os.getcwd()
            added = cwd not in sys.path
            if added:
                sys.path.insert(0, cwd)
            try:
                return _check(args) if args.command == "check" else _replay(args)
            finally:
                if added and cwd in sys.path:
                    sys.path.remove(cwd)
        return _docs(args)
    except NetdevspecError as e:
        print(f"netdevspec: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`netdevspec rules | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (KeyboardInterrupt, _Terminated) as e:
        interrupted = isinstance(e, KeyboardInterrupt)
        print(f"netdevspec: {'interrupted' if interrupted else 'terminated'} after 0 "
              "obligations or scenarios, before any result: they were not decided, so no "
              "report was written and nothing is proved or checked", file=sys.stderr)
        return 128 + (signal.SIGINT if interrupted else signal.SIGTERM)
    except Exception as e:  # a bug of netdevspec's: never a traceback, never exit 1
        print(f"netdevspec: internal error: {type(e).__name__}: {e}\n"
              "This is a bug in netdevspec, not in your driver. Please report it with the "
              "command line you ran and this message.", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, old_term)


def _prove(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from netdevspec.model import Prover, Result, Verdict
    from netdevspec.model.interrupt import Interrupted, received
    from netdevspec.spec import SPEC, SPEC_REF

    prover = Prover(SPEC, timeout_ms=args.timeout, seed=args.seed,
                    dependencies=args.deps or args.explain is not None)
    if args.explain is not None:
        if args.rule or args.operation:
            raise UsageError("--explain cannot be combined with --rule or --operation",
                             "it names one obligation already", "drop --rule/--operation")
        plan = [ob for ob in prover.plan() if ob.id == args.explain]
        if not plan:
            import difflib

            close = difflib.get_close_matches(args.explain, [o.id for o in prover.plan()], 3)
            raise UsageError(f"no obligation {args.explain!r}",
                             "--explain takes an obligation ID as the JSON report lists it",
                             f"did you mean {', '.join(close)}?" if close else
                             "run `netdevspec prove --format json` to see the IDs")
    else:
        plan = prover.plan(args.rule, args.operation)
        if not plan:
            raise UsageError("the selection matches no obligation",
                             "--rule and --operation are combined with 'and'",
                             "widen the selection")
    err = Console(stderr=True)
    show = err.is_terminal and not args.no_progress
    decided: list[Result] = []

    def done(r: Result) -> None:
        decided.append(r)
        progress.advance(task)

    # SIGTERM unwinds like Ctrl-C, so that the workers are terminated on the way out.
    main_thread = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _raise_terminated) if main_thread else None
    try:
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                      disable=not show, transient=True) as progress:
            task = progress.add_task("proving", total=len(plan))
            report = prover.run(plan, on_result=done, jobs=args.jobs, spec_ref=SPEC_REF)
    except BaseException as e:
        # A handler's exception can surface wrapped (ctypes.ArgumentError), so ask what
        # arrived rather than trusting the exception's type.
        sig = e.signum if isinstance(e, Interrupted) else received()
        if sig is None and not isinstance(e, KeyboardInterrupt | _Terminated):
            raise
        interrupted = sig == signal.SIGINT or (sig is None and isinstance(e, KeyboardInterrupt))
        what = "interrupted" if interrupted else "terminated"
        counts = ", ".join(f"{sum(r.verdict is v for r in decided)} {v.value}"
                           for v in Verdict)
        print(f"netdevspec: {what} after {len(decided)} of {len(plan)} obligations "
              f"({counts}); the other {len(plan) - len(decided)} were not decided, so no "
              "report was written and nothing is proved. Run `netdevspec prove` again to "
              "the end.", file=sys.stderr)
        return EXIT_INTERRUPTED if interrupted else EXIT_TERMINATED
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, old_term)
    out: TextIO
    with _open(args.output) as out:
        if args.format == "json":
            json.dump(report.to_json(), out, indent=2)
            out.write("\n")
        elif args.explain is not None:
            _explain_text(report, out)
        else:
            _prove_text(report, out)
    return report.exit_code


class _Terminated(BaseException):
    """Raised in the main thread by SIGTERM, so that the run unwinds and cleans up."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated


class _open:
    def __init__(self, path: Path | None):
        self.path = path
        self.f: TextIO | None = None

    def __enter__(self) -> TextIO:
        if self.path is None:
            return sys.stdout
        # Written to a temporary file beside it and renamed into place when complete, so a
        # reader never sees half a report and two runs never interleave in one file.
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent
                                       if str(self.path.parent) else ".")
            self.tmp = Path(tmp)
            self.f = os.fdopen(fd, "w", encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot write {self.path}: {e.strerror}",
                             "the report could not be saved", "pass a writable --output") from e
        return self.f

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.f is None or self.path is None:
            return
        try:
            self.f.close()
            if exc_type is None:
                os.replace(self.tmp, self.path)
        except OSError as e:
            raise UsageError(f"cannot write {self.path}: {e.strerror}",
                             "the file system refused it (full, read-only or gone)",
                             "free some space or pass another file") from e
        finally:
            if self.tmp.exists():
                self.tmp.unlink()


def _prove_text(report: Report, out: TextIO) -> None:
    from netdevspec.model import Verdict

    for r in report.results:
        if r.verdict is Verdict.PROVED:
            continue
        out.write(f"{r.verdict.value:8} {r.obligation.id}\n")
        out.write(f"         claim: {r.obligation.describe()}\n")
        if r.detail:
            out.write(f"         {r.detail}\n")
        if r.counterexample is not None:
            for line in r.counterexample.render().splitlines():
                out.write(f"         {line}\n")
    counts = ", ".join(f"{report.count(v)} {v.value}" for v in Verdict)
    out.write(f"{len(report.results)} obligations: {counts}\n")
    out.write(f"{report.frame_preserved} more (case, invariant) pairs hold by the frame alone "
              "(the case cannot change what the invariant reads)\n")
    out.write(f"median {report.median_seconds * 1000:.1f} ms per obligation, "
              f"{report.wall_seconds:.2f} s wall; z3 {report.z3_version}, seed {report.seed}\n")
    if report.has_dependencies:
        unused = report.unused_rules()
        out.write(f"{len(unused)} rules no proof of this run rests on"
                  + (": " + ", ".join(unused) if unused else "") + "\n")


def _explain_text(report: Report, out: TextIO) -> None:
    from netdevspec.spec import SPEC

    (r,) = report.results
    how = f" by {r.method.value}" if r.method is not None else ""
    out.write(f"{r.obligation.id}: {r.verdict.value}{how} ({r.seconds * 1000:.1f} ms)\n")
    out.write(f"claim: {r.obligation.describe()}\n")
    if r.detail:
        out.write(f"{r.detail}\n")
    if r.counterexample is not None:
        out.write(r.counterexample.render() + "\n")
    d = r.rests_on
    if d is None:
        if r.verdict.value == "PROVED":
            out.write("a concrete state is the evidence; no solver proof to take apart\n")
        return
    if d.minimal:
        out.write("rests on (a minimal unsat core: without any one of these the proof fails):\n")
    else:
        out.write("rests on (everything the proof assumed: z3 could not repeat the proof with "
                  "named assumptions, so this is not minimised):\n")
    rows = [("invariant", x) for x in d.invariants]
    rows += [("obligation", x) for x in d.obligations]
    rows += [("guarantee", x) for x in d.guarantees]
    for kind, rid in rows:
        out.write(f"  {kind:10} {rid:30} {SPEC.rules[rid].statement}\n")
    if d.guard:
        out.write(f"  {'guard':10} of {r.obligation.case}\n")
    for i in d.initial:
        out.write(f"  {'initial':10} condition #{i}\n")
    if not rows and not d.guard and not d.initial:
        out.write("  nothing: the claim holds by itself\n")


_BUNDLED = ("netdevspec.reference.drivers.dummy:FACTORY",
            "netdevspec.reference.drivers.loopback:FACTORY",
            "netdevspec.reference.drivers.skeleton:FACTORY")


def _check(args: argparse.Namespace) -> int:
    from rich.console import Console

    from netdevspec.conformance.check import check_driver, parse_ref

    if args.examples < 0:
        raise UsageError(f"--examples must not be negative (got {args.examples})",
                         "it counts generated scenarios", "pass 0 or more")
    if not (math.isfinite(args.time_limit) and args.time_limit > 0):
        raise UsageError(f"--time-limit must be a positive number of seconds (got "
                         f"{args.time_limit})", "it bounds each callback of the driver, "
                         "which is killed past it", "pass e.g. --time-limit 2")
    refs = args.drivers or list(_BUNDLED)
    if args.isolate and args.trace is not None:
        raise UsageError("--trace and --isolate cannot be combined",
                         "the isolated check runs in a child process that records no trace",
                         "record the trace without --isolate")
    if args.memory_limit <= 0 or not (math.isfinite(args.wall_limit) and args.wall_limit > 0):
        raise UsageError(f"--memory-limit and --wall-limit must be positive (got "
                         f"{args.memory_limit}, {args.wall_limit})",
                         "they bound the driver's processes", "pass positive numbers")
    params = _params(args.param)
    # The driver is imported only in its own processes, never in this one.
    for ref in refs:
        parse_ref(ref)  # the form only: a usage error before any run
    factories: list[tuple[str, Any]] = [] if args.isolate else [(ref, None) for ref in refs]
    if args.output is not None and args.trace is not None and \
            args.output.resolve() == args.trace.resolve():
        raise UsageError(f"--output and --trace both name {args.output}",
                         "the report and the trace would overwrite each other",
                         "give them different files")
    err = Console(stderr=True)
    reports = []
    signalled: list[int] = []

    def terminate(signum: int, frame: object) -> None:
        signalled.append(signum)
        raise KeyboardInterrupt

    main_thread = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, terminate) if main_thread else None
    try:
        with err.status("checking", spinner="dots") if err.is_terminal else _null() as status:
            if args.isolate:
                from netdevspec.conformance.isolate import check_isolated

                for ref in refs:
                    if status is not None:
                        status.update(f"{ref}: checking in a child process")
                    reports.append(check_isolated(ref, examples=args.examples, seed=args.seed,
                                                  time_limit=args.time_limit,
                                                  memory_mb=args.memory_limit,
                                                  wall_seconds=args.wall_limit))
            for ref, factory in factories:
                def show(msg: str, ref: str = ref) -> None:
                    if status is not None:
                        status.update(f"{ref}: {msg}")
                reports.append(check_driver(factory, ref, examples=args.examples,
                                            seed_=args.seed, time_limit=args.time_limit,
                                            memory_mb=args.memory_limit, params=params,
                                            instances=args.instances, progress=show))
                if reports[-1].incomplete:
                    break
    except KeyboardInterrupt:
        signalled.append(signal.SIGINT)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, old_term)
    interrupted = bool(signalled) or any(r.incomplete for r in reports)
    if interrupted:
        print("netdevspec: interrupted: the report covers the scenarios run so far and is "
              "marked incomplete", file=sys.stderr)
    with _open(args.output) as out:
        if args.format == "json":
            json.dump({"version": 1, "reports": [r.to_json() for r in reports]}, out,
                      indent=2)
            out.write("\n")
        elif args.format == "junit":
            from netdevspec.conformance.formats import to_junit

            out.write(to_junit(reports))
        elif args.format == "sarif":
            from netdevspec.conformance.formats import to_sarif

            json.dump(to_sarif(reports), out, indent=2)
            out.write("\n")
        else:
            for r in reports:
                _check_text(r, out)
    if interrupted:
        return 128 + (signalled[0] if signalled else signal.SIGINT)
    if args.trace is not None:
        _write_traces(args.trace, factories, reports, args.time_limit)
    return max(r.exit_code() for r in reports)


def _params(items: list[str]) -> dict[str, int]:
    """``--param NAME=VALUE`` options as a dict; a usage error for a malformed one."""
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number = int(value.strip(), 0)
        except ValueError:
            number = None
        if not sep or not name.isidentifier() or number is None:
            raise UsageError(f"--param {item!r} is not NAME=VALUE with an int VALUE",
                             "a 2.0 module parameter is an int symbol set at insmod",
                             "write e.g. --param io=0x300 --param irq=5")
        if name in out:
            raise UsageError(f"--param {name} is given twice", "each parameter has one "
                             "value", f"keep one --param {name}=...")
        out[name] = number
    return out


def _write_traces(path: Path, factories: list[tuple[str, Any]], reports: list[CheckReport],
                  time_limit: float) -> None:
    from netdevspec.conformance.boundary import DriverStartFailed, hosted
    from netdevspec.conformance.harness import fixed_scenarios
    from netdevspec.conformance.trace import record, write_scenario

    with _open(path) as out:
        for (ref, factory), report in zip(factories, reports, strict=True):
            shown: dict[str, list[Any]] = dict(fixed_scenarios())
            for r in report.failed:
                shown.setdefault(f"{r.scenario} [{r.rule.id}]", r.steps)
            try:
                with hosted(factory, ref, time_limit=time_limit) as host:
                    for name, steps in shown.items():
                        _, t = record(factory, ref, steps, name=name, seed=report.seed,
                                      time_limit=time_limit, host=host, params=report.params)
                        write_scenario(out, t)
            except DriverStartFailed:
                continue  # the report says why the driver could not be loaded


def _replay(args: argparse.Namespace) -> int:
    from netdevspec.conformance.boundary import DriverStartFailed
    from netdevspec.conformance.check import parse_ref
    from netdevspec.conformance.trace import load_replay, replay

    # The whole trace is checked, and the drivers to import decided, before any import.
    scenarios, _ = load_replay(args.trace, driver=args.driver,
                               trust_driver=args.trust_driver)
    if args.driver:
        parse_ref(args.driver)
    differ = 0
    try:
        results = list(replay(scenarios, driver=args.driver, trust_driver=args.trust_driver))
    except DriverStartFailed as e:
        raise UsageError(f"the driver could not be loaded to replay the trace: {e.message}",
                         "replay runs the trace's scenarios with that driver again",
                         "fix the driver's module, or pass another with --driver") from None
    for res in results:
        t = res.scenario
        if res.identical:
            print(f"identical  {t.driver} {t.name!r} ({len(t.events)} events)")
        else:
            differ += 1
            print(f"DIFFERS    {t.driver} {t.name!r} at event {res.index}:\n"
                  f"  recorded: {json.dumps(res.recorded, sort_keys=True)}\n"
                  f"  replayed: {json.dumps(res.replayed, sort_keys=True)}")
    print(f"{len(scenarios) - differ} of {len(scenarios)} scenarios replayed identically")
    return EXIT_VIOLATION if differ else EXIT_OK


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _check_text(report: CheckReport, out: TextIO) -> None:
    c = report.counts()
    out.write(f"{report.driver}: {len(report.rules)} rules: {c['PASS']} PASS, {c['FAIL']} "
              f"FAIL, {c['NOT_APPLICABLE']} NOT_APPLICABLE, {c['UNRESOLVED']} UNRESOLVED "
              f"({report.scenarios_run} scenarios, seed {report.seed})\n")
    if report.incomplete:
        out.write("INCOMPLETE: the check was interrupted; the verdicts cover the scenarios "
                  "run so far\n")
    for r in report.failed:
        f = r.finding
        out.write(f"\nFAIL {r.rule.id} ({r.failures} finding(s))\n")
        if f is None:  # interrupted before its finding was kept
            continue
        out.write(f"  rule:      {r.rule.statement}\n")
        out.write(f"  cites:     {'; '.join(str(x) for x in r.rule.citations)}\n")
        out.write(f"  found:     {f.message}\n")
        out.write(f"  at:        {f.where} (event {f.event}, module {f.module})\n")
        if f.location:  # as mypy and ruff print it, so editors and terminals link it
            out.write(f"  source:    {f.location}: the driver's call\n")
        if f.state:
            out.write("  state:     " + ", ".join(f"{k}={v}" for k, v in f.state) + "\n")
        if f.picture:
            out.write(f"  buffer:    {f.picture}\n")
        out.write(f"  scenario:  {r.scenario}; replay it with this program:\n")
        out.write("".join(f"    {line}\n" for line in r.program.splitlines()))
    skipped = [r for r in report.rules if r.verdict == "NOT_APPLICABLE"]
    if skipped:
        out.write("\nNOT_APPLICABLE: the driver never reached these rules\n")
        for r in skipped:
            out.write(f"  {r.rule.id}: {r.reason.removeprefix('never reached: ')}\n")
    out.write("\n")


def _rules(args: argparse.Namespace) -> int:
    from netdevspec.spec import SPEC, render

    if args.format == "json":
        json.dump({
            "invariants": [{"id": r.id, "statement": r.statement} for r in SPEC.invariants],
            "operations": [{"name": op.name, "cases": [c.id for c in op.cases]}
                           for op in SPEC.operations],
            "rules": [{"id": r.id, "kind": r.kind.value, "statement": r.statement,
                       "formula": render(r.formula),
                       "citations": [str(c) for c in r.citations]}
                      for r in SPEC.rules.values()],
        }, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    for r in SPEC.rules.values():
        print(f"{r.id:34} {r.kind.value:18} {r.statement}")
    print()
    for op in SPEC.operations:
        print(f"{op.name:24} {', '.join(c.id.split('.', 1)[1] for c in op.cases)}")
    return EXIT_OK


def _docs(args: argparse.Namespace) -> int:
    source: Path = args.source or Path(__file__).resolve().parents[2] / "docs"
    if not (source / "conf.py").is_file():
        raise UsageError(f"no documentation sources at {source} (no conf.py there)",
                         "the sources are in the docs/ folder of a netdevspec checkout, "
                         "which an installed copy does not include",
                         "pass --source pointing at a checkout's docs/ folder")
    try:
        from sphinx.cmd.build import build_main
    except ImportError as e:
        raise UsageError("Sphinx is not installed", f"importing it failed: {e}",
                         "install the documentation extras: pip install 'netdevspec[docs]'"
                         ) from e
    code = build_main(["-W", "--keep-going", "-q", "-b", "html", str(source),
                       str(args.outdir)])
    if code != 0:
        print(f"netdevspec: the documentation build failed (Sphinx exit {code}); the "
              "warnings above say where", file=sys.stderr)
        return EXIT_VIOLATION
    print(f"built {args.outdir / 'index.html'}")
    return EXIT_OK
