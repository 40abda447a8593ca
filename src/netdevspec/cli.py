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
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from netdevspec import __version__
from netdevspec.errors import NetdevspecError, UsageError

if TYPE_CHECKING:
    from netdevspec.config import CheckSettings, Waiver
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
_EXIT_CROSS = """\
exit codes:
  0  every query z3 proved is unsat for cvc5 too (and for z3 reading the exported text)
  1  a disagreement: one solver answers sat where the other answers unsat (both shown)
  2  usage or internal error (cvc5 not installed: pip install 'netdevspec[cvc5]')
  3  inconclusive: a solver answered unknown (gave up or timed out), none disagreed
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


def _output_options(cmd: argparse.ArgumentParser) -> None:
    """-q/-v, --color and --no-progress, as every command that reports takes them."""
    level = cmd.add_mutually_exclusive_group()
    level.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=-1,
                       default=0, help="the summary only")
    level.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1,
                       help="every result, passed ones too")
    cmd.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="colour the text report: auto (default: on a terminal, unless "
                     "NO_COLOR is set), always or never")
    cmd.add_argument("--no-progress", action="store_true",
                     help="no progress display even on a terminal")


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
    _output_options(prove)
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
    check.add_argument("drivers", nargs="*", metavar="MODULE:FACTORY|FILE.c|DIR",
                       help="the driver factories to check (default: the bundled reference "
                       "drivers), or a C driver: a .c file or a folder of .c files, compiled "
                       "against netdevspec's 2.0 headers with $CC (else cc)")
    check.add_argument("--cflags", default="", metavar="FLAGS",
                       help="extra compiler flags for a C driver (e.g. \"-DMODULE -DDEBUG\")")
    check.add_argument("--format", choices=("text", "json", "junit", "sarif"),
                       help="text (default), the versioned JSON report, JUnit XML, or SARIF "
                       "2.1.0 (with each failure's scenario as a code flow)")
    check.add_argument("--examples", type=int, metavar="N",
                       help="generated scenarios per round (default 200)")
    check.add_argument("--seed", type=int, help="scenario seed (default 0)")
    check.add_argument("--time-limit", type=float, metavar="S",
                       help="seconds each driver callback may run before its process is "
                       "killed and the callback counts as hung (default 2)")
    check.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="an insmod parameter of the driver, given to every instance "
                       "(repeatable; VALUE an int: 5, 0x300)")
    check.add_argument("--instances", type=int, metavar="N",
                       help="generated scenarios load up to N driver instances at once "
                       "(1 to 4, default 2)")
    check.add_argument("--output", type=Path, metavar="FILE",
                       help="write the report here instead of standard output")
    check.add_argument("--isolate", action="store_true",
                       help="also run the whole check in a child process with a wall-clock "
                       "limit (every driver runs in processes of its own in any case)")
    check.add_argument("--memory-limit", type=int, metavar="MB",
                       help="the address-space limit of each driver process, and with "
                       "--isolate of the child (default 2048)")
    check.add_argument("--wall-limit", type=float, default=600.0, metavar="S",
                       help="with --isolate: seconds before the child is killed (default 600)")
    check.add_argument("--trace", type=Path, metavar="FILE",
                       help="also record the fixed scenarios and every failing scenario as "
                       "JSON lines (calls, returns, callbacks, findings with the state their "
                       "rule read); `netdevspec replay FILE` runs them again")
    check.add_argument("--select", action="append", default=[], metavar="RULES",
                       help="report only these rules: IDs or family prefixes such as skb or "
                       "res.irq, comma-separated or repeated")
    check.add_argument("--ignore", action="append", default=[], metavar="RULES",
                       help="do not report these rules (IDs or family prefixes)")
    check.add_argument("--waivers", type=Path, metavar="FILE",
                       help="a TOML file of [[waiver]] tables (rule, reason, optional "
                       "driver): each finding it covers is reported WAIVED with its reason")
    check.add_argument("--config", type=Path, metavar="FILE",
                       help="read [tool.netdevspec] from this file (default: the nearest "
                       "pyproject.toml with that table, here or above)")
    check.add_argument("--no-config", action="store_true",
                       help="read no [tool.netdevspec] table")
    _output_options(check)

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

    cross = sub.add_parser(
        "crosscheck", help="decide every query z3 proved again with cvc5, from SMT-LIB",
        description="Prove the obligations with z3, export each query that proved one as a "
        "standard SMT-LIB 2.6 script (quoted symbols, curried arrays), and decide every "
        "script with z3 and with cvc5, each in a fresh instance. Every answer must be unsat.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_EXIT_CROSS)
    cross.add_argument("--rule", action="append", default=[], metavar="ID",
                       help="only obligations about this rule (repeatable)")
    cross.add_argument("--operation", action="append", default=[], metavar="NAME",
                       help="only obligations about this operation (repeatable)")
    cross.add_argument("--timeout", type=_whole(1, _MAX_UNSIGNED, _WHY_TIMEOUT),
                       default=10_000, metavar="MS",
                       help="time limit per script and solver in milliseconds (default 10000)")
    cross.add_argument("--smtlib", type=Path, metavar="DIR",
                       help="also write each script to DIR/<obligation>.smt2")

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


def _joined_cflags(argv: Sequence[str]) -> list[str]:
    """``--cflags -DMODULE`` as ``--cflags=-DMODULE``: argparse would take a value starting
    with a dash for an option of its own."""
    out: list[str] = []
    it = iter(argv)
    for a in it:
        if a == "--cflags":
            out.append("--cflags=" + next(it, ""))
        else:
            out.append(a)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(_joined_cflags(sys.argv[1:] if argv is None else argv))
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
        if args.command == "crosscheck":
            return _crosscheck(args)
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
            _prove_text(report, out, verbosity=args.verbosity,
                        paint=_Paint.For(args.color, out))
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


def _prove_text(report: Report, out: TextIO, *, verbosity: int = 0,
                paint: _Paint | None = None) -> None:
    from netdevspec.model import Verdict

    paint = paint or _Paint(False)
    for r in report.results if verbosity >= 0 else ():
        word = paint(f"{r.verdict.value:8}", r.verdict.value)
        if r.verdict is Verdict.PROVED:
            if verbosity > 0:
                how = f", {r.method.value}" if r.method is not None else ""
                out.write(f"{word} {r.obligation.id} ({r.seconds * 1000:.1f} ms{how})\n")
            continue
        out.write(f"{word} {r.obligation.id}\n")
        out.write(f"         claim: {r.obligation.describe()}\n")
        if r.detail:
            out.write(f"         {r.detail}\n")
        if r.counterexample is not None:
            for line in r.counterexample.render().splitlines():
                out.write(f"         {line}\n")
    counts = ", ".join(f"{report.count(v)} {paint(v.value)}" for v in Verdict)
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


def _settings(args: argparse.Namespace, known: list[str]) -> CheckSettings:
    """The ``[tool.netdevspec]`` settings that apply (none with --no-config)."""
    from netdevspec.config import CheckSettings, find_pyproject, load_settings

    if args.no_config:
        if args.config is not None:
            raise UsageError("--config and --no-config cannot be combined",
                             "one reads a settings file, the other reads none", "keep one")
        return CheckSettings()
    path = args.config if args.config is not None else find_pyproject(Path.cwd())
    if path is None:
        return CheckSettings()
    if not path.is_file():
        raise UsageError(f"--config {path}: no such file", "the settings are read from it",
                         "name an existing pyproject.toml")
    return load_settings(path, known)


def _pick(given: Any, configured: Any, default: Any) -> Any:
    """The command line's value, else the configured one, else the default."""
    return given if given is not None else configured if configured is not None else default


def _check(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.text import Text

    from netdevspec.config import load_waivers, selection
    from netdevspec.conformance.check import (
        check_driver,
        judged_rules,
        parse_ref,
        select_and_waive,
    )

    known = [r.id for r in judged_rules()]
    conf = _settings(args, known)
    examples: int = _pick(args.examples, conf.examples, 200)
    seed: int = _pick(args.seed, conf.seed, 0)
    time_limit: float = _pick(args.time_limit, conf.time_limit, 2.0)
    instances: int = _pick(args.instances, conf.instances, 2)
    memory_limit: int = _pick(args.memory_limit, conf.memory_limit, 2048)
    fmt: str = _pick(args.format, conf.format, "text")
    if examples < 0:
        raise UsageError(f"--examples must not be negative (got {examples})",
                         "it counts generated scenarios", "pass 0 or more")
    if not (math.isfinite(time_limit) and time_limit > 0):
        raise UsageError(f"--time-limit must be a positive number of seconds (got "
                         f"{time_limit})", "it bounds each callback of the driver, "
                         "which is killed past it", "pass e.g. --time-limit 2")
    refs = args.drivers or list(conf.drivers or _BUNDLED)
    if args.isolate and args.trace is not None:
        raise UsageError("--trace and --isolate cannot be combined",
                         "the isolated check runs in a child process that records no trace",
                         "record the trace without --isolate")
    if memory_limit <= 0 or not (math.isfinite(args.wall_limit) and args.wall_limit > 0):
        raise UsageError(f"--memory-limit and --wall-limit must be positive (got "
                         f"{memory_limit}, {args.wall_limit})",
                         "they bound the driver's processes", "pass positive numbers")
    params = {**(conf.params or {}), **_params(args.param)}
    select = args.select or list(conf.select or ())
    ignore = args.ignore or list(conf.ignore or ())
    chosen = selection(select, ignore, known) if select or ignore else None
    waivers = conf.waivers
    if args.waivers is not None:
        if not args.waivers.is_file():
            raise UsageError(f"--waivers {args.waivers}: no such file",
                             "the waivers are read from it", "name an existing TOML file")
        waivers += load_waivers(args.waivers, known)
    from netdevspec.conformance.cdriver import is_c_driver, load_c_driver

    # The driver is imported only in its own processes, never in this one (a C driver is
    # compiled here and loaded only there).
    c_refs = [ref for ref in refs if is_c_driver(ref)]
    for ref in refs:
        if ref not in c_refs:
            parse_ref(ref)  # the form only: a usage error before any run
    if args.cflags and not c_refs:
        raise UsageError("--cflags was given but no C driver", "the flags are for compiling "
                         "a .c driver", "name the driver's .c file or folder")
    if args.isolate and c_refs:
        raise UsageError("--isolate does not take a C driver yet",
                         "the isolated check imports a Python driver model by name",
                         "check the C driver without --isolate (it runs in processes of its "
                         "own in any case)")
    factories: list[tuple[str, Any]] = [] if args.isolate else [
        (ref, load_c_driver(ref, args.cflags, params) if ref in c_refs else None)
        for ref in refs]
    if args.output is not None and args.trace is not None and \
            args.output.resolve() == args.trace.resolve():
        raise UsageError(f"--output and --trace both name {args.output}",
                         "the report and the trace would overwrite each other",
                         "give them different files")
    err = Console(stderr=True)
    reports: list[CheckReport] = []
    signalled: list[int] = []

    def terminate(signum: int, frame: object) -> None:
        signalled.append(signum)
        raise KeyboardInterrupt

    main_thread = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, terminate) if main_thread else None
    try:
        show_progress = err.is_terminal and not args.no_progress
        with err.status("checking", spinner="dots") if show_progress else _null() as status:
            if args.isolate:
                from netdevspec.conformance.isolate import check_isolated

                for ref in refs:
                    if status is not None:
                        status.update(Text(f"{ref}: checking in a child process"))
                    reports.append(check_isolated(ref, examples=examples, seed=seed,
                                                  time_limit=time_limit,
                                                  memory_mb=memory_limit,
                                                  wall_seconds=args.wall_limit))
            for ref, factory in factories:
                def show(msg: str, ref: str = ref) -> None:
                    if status is not None:  # Text: a driver's name is never markup
                        status.update(Text(f"{ref}: {msg}"))
                reports.append(check_driver(factory, ref, examples=examples,
                                            seed_=seed, time_limit=time_limit,
                                            memory_mb=memory_limit, params=params,
                                            instances=instances, progress=show))
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
    judged = [select_and_waive(r, chosen, waivers) for r in reports]
    shown = [r for r, _ in judged]
    with _open(args.output) as out:
        if fmt == "json":
            json.dump({"version": 1, "reports": [r.to_json() for r in shown]}, out,
                      indent=2)
            out.write("\n")
        elif fmt == "junit":
            from netdevspec.conformance.formats import to_junit

            out.write(to_junit(shown))
        elif fmt == "sarif":
            from netdevspec.conformance.formats import to_sarif

            json.dump(to_sarif(shown), out, indent=2)
            out.write("\n")
        else:
            paint = _Paint.For(args.color, out)
            for r in shown:
                _check_text(r, out, verbosity=args.verbosity, paint=paint)
    if not interrupted:
        _note_unused_waivers(waivers, reports, judged)
    if interrupted:
        return 128 + (signalled[0] if signalled else signal.SIGINT)
    if args.trace is not None:
        _write_traces(args.trace, factories, reports, time_limit)
    return max(r.exit_code() for r in shown)


def _note_unused_waivers(waivers: tuple[Waiver, ...], reports: list[CheckReport],
                         judged: list[tuple[CheckReport, list[Waiver]]]) -> None:
    """A note on standard error for each waiver that waived nothing in any report it
    applies to (as ruff reports an unused ``noqa``)."""
    for w in waivers:
        applies = [unused for r, (_, unused) in zip(reports, judged, strict=True)
                   if w.driver is None or w.driver == r.driver]
        if applies and all(w in unused for unused in applies):
            whose = f" of {w.driver}" if w.driver else ""
            print(f"netdevspec: note: the waiver of {w.rule}{whose} ({w.origin}) waived "
                  "nothing: the rule did not fail; remove the waiver if the bug is fixed",
                  file=sys.stderr)


def _params(items: list[str]) -> dict[str, int]:
    """``--param NAME=VALUE`` options as a dict; a usage error for a malformed one."""
    from netdevspec.config import parse_param

    out: dict[str, int] = {}
    for item in items:
        parsed = parse_param(item)
        if parsed is None:
            raise UsageError(f"--param {item!r} is not NAME=VALUE with an int VALUE",
                             "a 2.0 module parameter is an int symbol set at insmod",
                             "write e.g. --param io=0x300 --param irq=5")
        name, number = parsed
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


class _Paint:
    """ANSI colour for the verdict words of a text report, or nothing."""

    _CODES: ClassVar[dict[str, str]] = {
        "FAIL": "1;31", "REFUTED": "1;31", "VACUOUS": "1;31", "PASS": "32", "PROVED": "32",
        "WAIVED": "33", "UNRESOLVED": "35", "UNKNOWN": "35", "NOT_APPLICABLE": "2",
        "INCOMPLETE": "1;33", "source": "1"}

    def __init__(self, on: bool) -> None:
        self.on = on

    @classmethod
    def For(cls, choice: str, out: TextIO) -> _Paint:
        """Colour as ``--color`` says; ``auto`` colours a terminal unless ``NO_COLOR`` is
        set (https://no-color.org) or ``TERM`` is ``dumb``."""
        if choice != "auto":
            return cls(choice == "always")
        try:
            tty = out.isatty()
        except (AttributeError, ValueError):
            tty = False
        return cls(tty and not os.environ.get("NO_COLOR")
                   and os.environ.get("TERM") != "dumb")

    def __call__(self, text: str, key: str | None = None) -> str:
        code = self._CODES.get(key or text)
        return f"\x1b[{code}m{text}\x1b[0m" if self.on and code else text


def _check_text(report: CheckReport, out: TextIO, *, verbosity: int = 0,
                paint: _Paint | None = None) -> None:
    from netdevspec.conformance.render import render_text

    out.write(render_text(report, verbosity=verbosity, paint=paint or _Paint(False)))


def _crosscheck(args: argparse.Namespace) -> int:
    from netdevspec.model import Prover
    from netdevspec.model.crosscheck import cross_check, cvc5_available
    from netdevspec.spec import SPEC

    if not cvc5_available():
        raise UsageError("cvc5 is not installed", "the second solver is an optional extra",
                         "pip install 'netdevspec[cvc5]' (or pip install cvc5)")
    prover = Prover(SPEC, timeout_ms=args.timeout)
    queries = prover.export_smtlib(prover.plan(rules=args.rule, operations=args.operation))
    scripts = [(q.obligation, q.smtlib) for q in queries if q.smtlib is not None]
    if args.smtlib is not None:
        args.smtlib.mkdir(parents=True, exist_ok=True)
        for ob, text in scripts:
            (args.smtlib / (ob.replace(":", "__") + ".smt2")).write_text(text)
    checks = cross_check(scripts, args.timeout)
    agree = sum(c.agrees for c in checks)
    disagree = [c for c in checks if c.disagrees]
    unsure = [c for c in checks if not c.agrees and not c.disagrees]
    for c in disagree:
        print(f"DISAGREE {c.obligation}: {c.z3}; {c.cvc5}")
    for c in unsure:
        print(f"UNDECIDED {c.obligation}: {c.z3}; {c.cvc5}")
    print(f"{len(checks)} queries z3 proved ({len(queries) - len(checks)} obligations need "
          f"none): {agree} agree, {len(disagree)} disagree, {len(unsure)} undecided; "
          f"z3 {sum(c.z3.seconds for c in checks):.2f} s, "
          f"cvc5 {sum(c.cvc5.seconds for c in checks):.2f} s")
    if disagree:
        return EXIT_VIOLATION
    return EXIT_INCONCLUSIVE if unsure else EXIT_OK


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
