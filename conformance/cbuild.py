"""Building a C driver: one ``.c`` file or a folder of them, compiled into a shared object.

A 2.0 network driver written in C is compiled in user space against netdevspec's own
headers (``netdevspec/include``: ``<linux/netdevice.h>``, ``<asm/io.h>``, ...) and its
runtime (``netdevspec/runtime.c``), which turns every kernel function into a call that the
driver's process carries to the checker. The result is a shared object the driver's
process loads (:mod:`.cdriver`); this process never loads it.

* The compiler is ``$CC``, else ``cc``; the dialect is pinned to what 2.0 code needs
  (GNU89, implicit declarations allowed, no optimisation: a module parameter nobody
  writes stays a real symbol insmod can set). The system's own ``<linux/*.h>`` are kept
  out (``-nostdinc`` with only the compiler's own headers), so a header netdevspec lacks
  is an error, never a modern header silently used.
* ``<netdevspec/constants.h>`` is generated from the kernel handle's constants (IFF_*,
  errno values, ...): each value is written once, in the reference.
* Builds are cached by a hash of everything that goes into them (sources, headers,
  runtime, flags, compiler) under ``$XDG_CACHE_HOME/netdevspec/cbuild`` (default
  ``~/.cache``).
* Errors end in :class:`BuildError` (a usage error: exit 2) that quote the compiler's own
  ``file:line`` messages, name a kernel function the headers do not provide, say how to
  install a compiler when there is none, and say when a file is no module (no
  ``init_module``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from netdevspec.errors import UsageError

__all__ = ["INCLUDE_DIR", "BuildError", "CBuild", "build", "cache_dir", "constants_header",
           "find_compiler", "sources_of"]

#: netdevspec's headers and runtime, shipped inside the package.
INCLUDE_DIR = Path(__file__).resolve().parent.parent / "include"
if not INCLUDE_DIR.is_dir():  # an installed wheel: the include folder sits beside cli.py
    import netdevspec as _pkg

    INCLUDE_DIR = Path(_pkg.__file__).resolve().parent / "include"

RUNTIME = "netdevspec/runtime.c"
#: The dialect and code generation 2.0 drivers need (see the module docstring).
BASE_FLAGS = ("-std=gnu89", "-O0", "-g", "-fPIC", "-fno-strict-aliasing", "-fcommon",
              "-D__KERNEL__", "-DMODULE", "-Wno-error=implicit-function-declaration",
              "-Wno-error=int-conversion", "-Wno-error=incompatible-pointer-types")
#: How long one compiler run may take.
COMPILE_SECONDS = 120
#: The cache layout version: bump when the layout of a build directory changes.
_CACHE_VERSION = "2"


class BuildError(UsageError):
    """A C driver could not be built (its source, the compiler, or a missing symbol)."""


@dataclass(frozen=True)
class CBuild:
    """A built C driver: the shared object, its sources and what it defines."""

    #: The module's name (the file's stem, or the folder's name).
    name: str
    #: The shared object (in the cache).
    library: Path
    #: The C sources it was built from, absolute.
    sources: tuple[Path, ...]
    #: The global data symbols it defines (what ``--param NAME=VALUE`` may set).
    symbols: frozenset[str]
    #: Whether the build came from the cache.
    cached: bool


def find_compiler() -> str:
    """The C compiler to use: ``$CC`` (its first word), else ``cc``, as an absolute path."""
    want = os.environ.get("CC", "").strip() or "cc"
    words = shlex.split(want)
    found = shutil.which(words[0]) if words else None
    if found is None:
        raise BuildError(
            f"no C compiler found: {'$CC is ' + repr(want) if os.environ.get('CC') else 'cc'}"
            " is not on PATH", "netdevspec compiles a C driver with the system's compiler "
            "before checking it", "install one (Debian/Ubuntu: apt-get install gcc; Fedora: "
            "dnf install gcc; macOS: xcode-select --install) or set CC to a compiler's path")
    return found


def sources_of(path: Path) -> tuple[Path, ...]:
    """The C files of a driver: ``path`` itself, or every ``*.c`` in a folder (sorted)."""
    path = Path(path)
    if path.is_dir():
        found = tuple(sorted(p.resolve() for p in path.glob("*.c")))
        if not found:
            raise BuildError(f"the folder {path} holds no .c file",
                             "a C driver is one .c file or a folder of them",
                             "point at the driver's .c file or its folder")
        return found
    if not path.exists():
        raise BuildError(f"{path} does not exist", "check needs the driver's C source",
                         "check the path")
    if path.suffix != ".c":
        raise BuildError(f"{path} is not a .c file", "a C driver is one .c file or a "
                         "folder of them", "point at the driver's .c file or its folder")
    return (path.resolve(),)


def constants_header() -> str:
    """``<netdevspec/constants.h>``: the kernel handle's constants as C #defines."""
    from netdevspec.conformance.handle import KernelHandle

    lines = ["/* Generated by netdevspec from the kernel handle's constants. */",
             "#ifndef _NETDEVSPEC_CONSTANTS_H", "#define _NETDEVSPEC_CONSTANTS_H"]
    for name in sorted(dir(KernelHandle)):
        value = getattr(KernelHandle, name)
        if name.isupper() and type(value) is int and name not in ("MAX_ADDR_LEN",
                                                                  "DEV_NUMBUFFS"):
            lines.append(f"#define {name} {value}")
    lines += ["#endif", ""]
    return "\n".join(lines)


def cache_dir() -> Path:
    """Where builds are kept: ``$XDG_CACHE_HOME/netdevspec/cbuild`` (``~/.cache`` by
    default)."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "netdevspec" / "cbuild"


def _system_include(cc: str) -> list[str]:
    """Flags that keep the system's headers out but the compiler's own (stddef.h,
    stdarg.h) in; none if the compiler cannot say where those are."""
    try:
        p = subprocess.run([cc, "-print-file-name=include"], capture_output=True, text=True,
                           timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    where = p.stdout.strip()
    if p.returncode == 0 and os.path.isabs(where) and os.path.isfile(
            os.path.join(where, "stddef.h")):
        return ["-nostdinc", "-isystem", where]
    return []


def _header_files() -> list[Path]:
    return sorted(p for p in INCLUDE_DIR.rglob("*") if p.is_file())


def build(path: Path | str, cflags: str = "", *, cache: Path | str | None = None) -> CBuild:
    """Compile the C driver at ``path`` (a ``.c`` file or a folder) with extra ``cflags``;
    the shared object is cached (see the module docstring). Raises :class:`BuildError`."""
    path = Path(path)
    sources = sources_of(path)
    name = re.sub(r"\W", "_", (path.resolve().name if path.is_dir() else path.stem)) or "driver"
    try:
        extra = shlex.split(cflags)
    except ValueError as exc:
        raise BuildError(f"--cflags {cflags!r} cannot be split into words ({exc})",
                         "the flags are split as a shell would", "balance the quotes") from None
    cc = find_compiler()
    sysinc = _system_include(cc)
    constants = constants_header()
    h = hashlib.sha256()
    for part in (_CACHE_VERSION, cc, " ".join(BASE_FLAGS), " ".join(sysinc), " ".join(extra),
                 constants, name):
        h.update(part.encode() + b"\0")
    for f in (*sources, *_header_files()):
        h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
    key = h.hexdigest()[:32]
    root = Path(cache) if cache is not None else cache_dir()
    final = root / key
    library = final / f"{name}.so"
    if library.is_file() and (final / "symbols").is_file():
        return CBuild(name, library, sources, _read_symbols(final / "symbols"), True)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        gen = work / "gen" / "netdevspec"
        gen.mkdir(parents=True)
        (gen / "constants.h").write_text(constants)
        out = work / f"{name}.so"
        cmd = [cc, *BASE_FLAGS, *sysinc, "-I", str(work / "gen"), "-I", str(INCLUDE_DIR),
               *extra, "-shared", "-Wl,-z,defs", "-o", str(out), *map(str, sources),
               str(INCLUDE_DIR / RUNTIME), "-lc"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_SECONDS,
                               check=False, cwd=str(path.resolve().parent if path.is_file()
                                                    else path.resolve()))
        except subprocess.TimeoutExpired:
            raise BuildError(f"compiling {path} took more than {COMPILE_SECONDS} s",
                             "the compiler did not finish", "check the source and the "
                             "compiler") from None
        if p.returncode != 0:
            raise _compile_error(path, p.stdout + p.stderr)
        symbols = _symbols(out)
        if "init_module" not in symbols.functions:
            raise BuildError(
                f"{path} defines no init_module", "a 2.0 module is loaded by calling its "
                "init_module (and unloaded with cleanup_module); without one it is no module "
                "(a driver built into the kernel is started from Space.c instead)",
                "add `int init_module(void)` that registers the device (and "
                "`void cleanup_module(void)`), e.g. under #ifdef MODULE as 2.0 drivers do")
        if "cleanup_module" not in symbols.functions:
            raise BuildError(f"{path} defines no cleanup_module", "a module is unloaded by "
                             "calling its cleanup_module, which releases what it claimed",
                             "add `void cleanup_module(void)`")
        (work / "symbols").write_text("\n".join(sorted(symbols.data)) + "\n")
        (work / "functions").write_text("".join(f"{off:x} {n}\n" for off, n in sorted(
            _function_offsets(out).items())))
        (work / "lines").write_text("".join(f"{off:x} {line} {f}\n" for off, line, f in
                                            _line_table(out)))
        out.rename(work / library.name)
        with contextlib.suppress(OSError):  # another process built it first: use theirs
            work.rename(final)
        if not library.is_file():
            raise BuildError(f"the build of {path} vanished from the cache {root}",
                             "something removed it while netdevspec was writing it",
                             "run the check again")
        return CBuild(name, library, sources, _read_symbols(final / "symbols"), False)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True)
class _Symbols:
    functions: frozenset[str]
    data: frozenset[str]


def _symbols(library: Path) -> _Symbols:
    """The global functions and data a shared object defines, from ``nm``."""
    nm = shutil.which("nm")
    if nm is None:
        return _Symbols(frozenset({"init_module", "cleanup_module"}), frozenset())
    p = subprocess.run([nm, "-D", "--defined-only", str(library)], capture_output=True,
                       text=True, timeout=60, check=False)
    funcs: set[str] = set()
    data: set[str] = set()
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            kind, sym = parts[1], parts[2]
            if kind in ("T", "W"):
                funcs.add(sym)
            elif kind in ("D", "B", "C", "G", "S", "V"):
                data.add(sym)
    return _Symbols(frozenset(funcs), frozenset(data) - _RUNTIME_DATA)


def _function_offsets(library: Path) -> dict[int, str]:
    """Every function of a shared object (static ones too) by offset, from ``nm``, so
    that a callback or a crash is named as in the source."""
    nm = shutil.which("nm")
    if nm is None:
        return {}
    p = subprocess.run([nm, "--defined-only", str(library)], capture_output=True, text=True,
                       timeout=60, check=False)
    out: dict[int, str] = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in ("T", "t", "W") and not parts[2].startswith(
                ("_", "nds_")):
            out.setdefault(int(parts[0], 16), parts[2])
    return out


def _line_table(library: Path) -> list[tuple[int, int, str]]:
    """``(offset, line, file)`` of every line of the driver's code, sorted, from the debug
    information (``objdump``), so that a crash is located without running anything in
    the crashed process but its own signal handler."""
    objdump = shutil.which("objdump")
    if objdump is None:
        return []
    p = subprocess.run([objdump, "--dwarf=decodedline", str(library)], capture_output=True,
                       text=True, timeout=60, check=False)
    out: dict[int, tuple[int, str]] = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1].isdigit() and parts[2].startswith("0x") and \
                parts[0].endswith(".c"):
            out.setdefault(int(parts[2], 16), (int(parts[1]), parts[0]))
    return [(off, ln, f) for off, (ln, f) in sorted(out.items())]


#: Data the runtime defines (not the driver's parameters).
_RUNTIME_DATA = frozenset({"nds_up", "jiffies", "irq2dev_map"})


def _read_symbols(path: Path) -> frozenset[str]:
    return frozenset(s for s in path.read_text().split() if s)


_UNDEFINED = re.compile(r"undefined reference to `([A-Za-z_]\w*)'")
_LOCATION = re.compile(r"^(?P<loc>[^\s:][^:]*:\d+(?::\d+)?): (?:fatal )?error: ", re.M)
_NO_HEADER = re.compile(r"fatal error: ([\w./-]+\.h): No such file")


def _compile_error(path: Path, text: str) -> BuildError:
    """The build failed: say why in the compiler's own words, with file:line."""
    text = text.strip()
    missing = sorted(set(_UNDEFINED.findall(text)))
    if missing:
        where = _undefined_where(text)
        listed = ", ".join(f"{m}{where.get(m, '')}" for m in missing)
        return BuildError(
            f"{path} calls {listed}, which netdevspec's kernel does not provide",
            "netdevspec models the 2.0 driver API of its headers (<netdevspec/kapi.h>); a "
            "function outside it has no spec and no reference behaviour",
            "use the API the headers declare, or report the missing function so it can be "
            "added")
    header = _NO_HEADER.search(text)
    if header:
        return BuildError(
            f"{path} includes <{header.group(1)}>, which netdevspec's headers do not "
            "provide:\n" + _tail(text),
            "a driver is compiled against netdevspec's own 2.0 headers, not the system's",
            "remove the include, or report the header so it can be added")
    return BuildError(f"{path} does not compile:\n{_tail(text)}",
                      "the compiler rejected it (its messages above give file:line)",
                      "fix the source; it is compiled as GNU89 with netdevspec's headers")


def _undefined_where(text: str) -> dict[str, str]:
    """``name -> " (file:line)"`` from the linker's ``file:line: undefined reference``."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _UNDEFINED.search(line)
        loc = re.match(r"^(?:/usr/bin/ld: )?(?:[^:]*\.o: in function [^:]*:\s*)?"
                       r"([^\s:][^:]*\.c:\d+)", line.strip())
        if m and loc and m.group(1) not in out:
            out[m.group(1)] = f" ({loc.group(1)})"
    return out


def _tail(text: str, lines: int = 30) -> str:
    """The compiler's messages, at most ``lines`` of them, errors first."""
    all_lines = text.splitlines()
    errors = [ln for ln in all_lines if ": error:" in ln or "fatal error" in ln
              or "multiple definition" in ln or "undefined reference" in ln]
    keep = errors[:lines] if errors else all_lines[-lines:]
    return "\n".join(keep)

