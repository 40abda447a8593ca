"""Rules about a driver model as running code, checked by the harness, not by a formula.

A C driver cannot raise an exception, return a value of the wrong type or reach past
the kernel's interface without the compiler or the MMU noticing. A Python driver model
can do all of these. These rules give each of those failures a stable ID, a statement
and a citation, so a report names them as it names the spec's rules. They are not part
of the proved spec; their formulas are ``true`` and never evaluated. The conformance
harness observes each failure directly (an exception, a type, a time limit, a recursion
limit, a read of the handle's internals) and reports it under these IDs.
"""

from __future__ import annotations

from netdevspec.spec.logic import And
from netdevspec.spec.rules import Citation, Rule, RuleKind

__all__ = ["MODEL_RULES"]

_SKEL = "drivers/net/skeleton.c"
_K = "[K] liexusong/linux-2.0.0@d8873c8 "


def _rule(rid: str, statement: str, *cites: tuple[str, str]) -> Rule:
    return Rule(rid, RuleKind.OBLIGATION, statement, And(),
                tuple(Citation(item, _K + src) for item, src in cites), statement)


#: The driver-model rules, by family ``drv``.
MODEL_RULES: tuple[Rule, ...] = (
    _rule("drv.callback.raised", "a driver callback returns normally: an exception is a "
          "crash of kernel code (the harness catches it, treats the call as failed and "
          "goes on)", ("CB-1", _SKEL), ("MOD-1", "kernel/module.c")),
    _rule("drv.callback.type", "init (probe), open, hard_start_xmit, init_module and the "
          "ioctl-path methods (set_mac_address, set_config, do_ioctl, change_mtu) return an "
          "int (0 or a negative errno; busy 1 for hard_start_xmit)",
          ("CB-1", _SKEL), ("CB-2", _SKEL), ("CB-4", "net/core/dev.c"),
          ("CB-16", "net/core/dev.c dev_ifsioc"), ("MOD-1", "kernel/module.c")),
    _rule("drv.callback.time", "a callback returns within the harness's time limit: "
          "interrupt handlers and hard_start_xmit run with interrupts or bottom halves off, "
          "where a hang locks the machine up", ("CB-8", _SKEL), ("CB-21", "net/core/dev.c")),
    _rule("drv.callback.recursion", "a callback does not recurse without end (a kernel stack "
          "is a few kilobytes)", ("CB-21", "net/core/dev.c"),),
    _rule("drv.resources", "a driver model stays within the memory and the total time of "
          "an isolated check (a kernel has no memory to spare and no time to lose)",
          ("SKB-3", "net/core/skbuff.c alloc_skb"), ("CB-21", "net/core/dev.c")),
    _rule("drv.api.only", "a driver reaches the kernel only through the API's functions and "
          "the structures it is given, never through the kernel's internals",
          ("MOD-1", "kernel/module.c"), ("CB-21", "net/core/dev.c")),
    _rule("drv.process", "a driver's code runs only when the kernel calls it and returns to "
          "it: it does not end or kill its process, leave threads or processes running, or "
          "break the channel to the kernel (in a kernel, each of these is a crash or a "
          "corrupted machine)", ("MOD-1", "kernel/module.c"), ("CB-21", "net/core/dev.c")),
    _rule("drv.value", "a driver passes the kernel, and writes into the kernel's structures, "
          "only values a C driver could: ints that fit the field, byte strings of the field's "
          "size, the structures it was given, its own functions, NULL",
          ("FLD-1", "include/linux/netdevice.h"), ("SKB-1", "include/linux/skbuff.h")),
)
