"""Confining a driver's process: it may not reach into the checker's process.

A driver process runs as the same user as the checker, and on a system without Yama's
ptrace restrictions a process may attach to, signal or write into any other process of
its user: ``ptrace``, ``process_vm_writev`` or a write to ``/proc/PID/mem`` could patch the
checker's memory (whose layout a forked child knows exactly) and change a verdict, and
``kill`` could stop the checker. :func:`confine` installs a seccomp filter (Linux, x86-64
and AArch64) in the driver's process, before any driver code runs, that makes these
fail with EPERM:

* ``ptrace``, ``process_vm_readv``, ``process_vm_writev``, ``pidfd_open``,
  ``pidfd_send_signal``, ``pidfd_getfd``, and the ``io_uring`` calls (which would open
  files past this filter);
* ``kill``, ``tkill`` and ``tgkill`` of any process but the caller itself and its own
  process group;
* opening a file for writing (``open``, ``openat`` with ``O_WRONLY``, ``O_RDWR``,
  ``O_CREAT`` or ``O_TRUNC``; ``openat2``, ``creat``, ``open_by_handle_at`` always), which
  is how ``/proc/PID/mem`` is written. A driver model writes to its standard output and
  error (already open) and to the kernel through its handle; it has no files to write.

The filter is inherited by everything the process forks and cannot be removed.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct

__all__ = ["confine", "supported"]

# BPF (linux/filter.h, linux/seccomp.h)
_LD_ABS_W = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
_ALLOW = 0x7FFF0000
_EPERM = 0x00050000 | 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000  # O_WRONLY | O_RDWR | O_CREAT | O_TRUNC
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_SPEC_ALLOW = 4
_SECCOMP_NR = {"x86_64": 317, "aarch64": 277}

# audit arch, then syscall numbers by name (asm/unistd.h of each architecture)
_ARCH: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (0xC000003E, {
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
        "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "openat2": 437, "creat": 85, "open_by_handle_at": 304,
        "kill": 62, "tkill": 200, "tgkill": 234, "open": 2, "openat": 257}),
    "aarch64": (0xC00000B7, {
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
        "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "openat2": 437, "open_by_handle_at": 265,
        "kill": 129, "tkill": 130, "tgkill": 131, "openat": 56}),
}
_DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_open",
           "pidfd_send_signal", "pidfd_getfd", "io_uring_setup", "io_uring_enter",
           "io_uring_register", "openat2", "creat", "open_by_handle_at")


def supported() -> bool:
    """Whether :func:`confine` can install its filter on this system."""
    return os.name == "posix" and platform.system() == "Linux" and \
        platform.machine() in _ARCH


def _program(pid: int, arch: int, nr: dict[str, int]) -> list[tuple[int, int, int, int]]:
    """The filter for process ``pid`` as BPF instructions (code, jt, jf, k)."""
    out: list[tuple[int, int, int, int] | tuple[str, ...]] = []

    def ins(code: int, k: int, jt: int | str = 0, jf: int | str = 0) -> None:
        out.append((code, jt, jf, k))  # type: ignore[arg-type]

    ins(_LD_ABS_W, 4)                                   # arch
    ins(_JEQ, arch, 1, 0)
    ins(_RET, _ALLOW)                                   # another ABI: not ours to judge
    ins(_LD_ABS_W, 0)                                   # syscall number
    ins(_JGE, 0x40000000, "deny", 0)                    # the x32 ABI on x86-64
    for name in _DENIED:
        if name in nr:
            ins(_JEQ, nr[name], "deny", 0)
    for name in ("kill", "tkill", "tgkill"):
        ins(_JEQ, nr[name], "target", 0)
    if "open" in nr:
        ins(_JEQ, nr["open"], "flags1", 0)
    ins(_JEQ, nr["openat"], "flags2", 0)
    ins(_RET, _ALLOW)
    out.append(("target",))
    ins(_LD_ABS_W, 16)                                  # args[0], low 32 bits
    ins(_JEQ, pid, "allow", 0)                          # itself
    ins(_JEQ, 0, "allow", 0)                            # its own process group
    ins(_JEQ, (-pid) & 0xFFFFFFFF, "allow", "deny")     # its group, by id
    out.append(("flags1",))
    ins(_LD_ABS_W, 16 + 8)                              # args[1] of open
    ins(_JSET, _WRITE_FLAGS, "deny", "allow")
    out.append(("flags2",))
    ins(_LD_ABS_W, 16 + 16)                             # args[2] of openat
    ins(_JSET, _WRITE_FLAGS, "deny", "allow")
    out.append(("allow",))
    ins(_RET, _ALLOW)
    out.append(("deny",))
    ins(_RET, _EPERM)

    labels: dict[str, int] = {}
    code: list[tuple[int, int | str, int | str, int]] = []
    for item in out:
        if len(item) == 1:
            labels[str(item[0])] = len(code)
        else:
            code.append(item)  # type: ignore[arg-type]
    def rel(target: int | str, at: int) -> int:
        return target if isinstance(target, int) else labels[target] - at - 1

    return [(c, rel(jt, i), rel(jf, i), k) for i, (c, jt, jf, k) in enumerate(code)]


def confine() -> bool:
    """Install the filter in this process (see the module docstring). Returns whether it
    was installed; where the system has no seccomp, nothing is installed."""
    if not supported():
        return False
    arch, nr = _ARCH[platform.machine()]
    prog = _program(os.getpid(), arch, nr)
    raw = b"".join(struct.pack("=HBBI", c, jt, jf, k) for c, jt, jf, k in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = _Prog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    # seccomp(2) with SECCOMP_FILTER_FLAG_SPEC_ALLOW: where Linux is set to turn on its
    # speculation mitigations for a process with a filter (spec_store_bypass_disable=
    # seccomp), they would slow the driver's process down; this filter defends the
    # checker from the driver's calls, not against side channels. prctl(2) otherwise.
    if libc.syscall(_SECCOMP_NR[platform.machine()], _SECCOMP_SET_MODE_FILTER,
                    _SECCOMP_FILTER_FLAG_SPEC_ALLOW, ctypes.byref(fprog)) == 0:
        return True
    return bool(libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0,
                           0) == 0)
