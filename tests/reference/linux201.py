"""The register of differential tests against Linux 2.0.1, and of the divergences found.

Each differential test names, with :func:`branch`, the 2.0.1 function and branch it
checks and the ``file:line`` where that branch is (in ``liexusong/linux-2.0.0`` at
d8873c8, pristine 2.0.1). :data:`DIVERGENCES` lists every place the reference (or the
spec) was found to differ from 2.0.1, and how it was settled: ``fixed`` (the reference now
does what 2.0.1 does, and the test asserts it) or the id of a decision in
``spec/catalogue.py`` (the test asserts the reference's documented behaviour).
``test_201_register.py`` checks the register and the figures in ``docs/linux201.md``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

_F = TypeVar("_F", bound=Callable[..., object])


@dataclass(frozen=True)
class Branch:
    """One branch of one 2.0.1 function, checked by one test."""

    source: str  # "arch/i386/kernel/irq.c:446"
    function: str  # "request_irq"
    branch: str  # "irq > 15: -EINVAL"
    test: str  # the test function's module-qualified name


#: Every branch a differential test checks, in registration order.
BRANCHES: list[Branch] = []


def branch(source: str, function: str, what: str) -> Callable[[_F], _F]:
    """Register the decorated test as checking ``what`` of 2.0.1's ``function`` at
    ``source`` (``file:line``)."""
    if ":" not in source or not source.split(":")[1].isdigit():
        raise ValueError(f"branch source {source!r} must be 'path/file.c:LINE'")

    def register(fn: _F) -> _F:
        name = f"{fn.__module__}::{getattr(fn, '__name__', '?')}"
        BRANCHES.append(Branch(source, function, what, name))
        return fn

    return register


@dataclass(frozen=True)
class Divergence:
    """A difference between the reference (or spec) and 2.0.1, and how it was settled."""

    what: str
    source: str
    settled: str  # "fixed" or a decision id
    test: str  # "module::test" showing it


#: Every divergence found reading the 2.0.1 source function by function (issue 13).
DIVERGENCES: tuple[Divergence, ...] = (
    Divergence("disable_irq counted nested disables; 2.0.1 sets one mask bit",
               "arch/i386/kernel/irq.c:72", "fixed",
               "test_201_irq::test_disable_irq_does_not_nest"),
    Divergence("a line's mask survived free_irq/request_irq; 2.0.1 masks a line when its "
               "last action goes and unmasks it when the first comes",
               "arch/i386/kernel/irq.c:431", "fixed",
               "test_201_irq::test_first_request_unmasks_and_last_free_masks"),
    Divergence("disable_irq/enable_irq ignored lines outside 0..15; 2.0.1 masks bit irq & 7 "
               "of a controller", "arch/i386/kernel/irq.c:49", "fixed",
               "test_201_irq::test_disable_irq_out_of_range_masks_a_pic_bit"),
    Divergence("the kernel's timer, cascade and math-error actions carry SA_INTERRUPT; "
               "2.0.1's have flags 0", "arch/i386/kernel/irq.c:217",
               "decision.boot.irqflags", "test_201_irq::test_boot_actions"),
    Divergence("autoirq_setup returned a count; 2.0.1 returns the mask of probed lines",
               "drivers/net/auto_irq.c:91", "fixed",
               "test_201_auto_irq::test_autoirq_setup_returns_the_mask"),
    Divergence("autoirq probed the fixed lines 1, 6 and 8; 2.0.1 skips irqs_busy 0x2147",
               "drivers/net/auto_irq.c:69", "fixed",
               "test_201_auto_irq::test_autoirq_setup_skips_irqs_busy"),
    Divergence("autoirq_report returned the lowest line that fired; 2.0.1 the last",
               "drivers/net/auto_irq.c:55", "fixed",
               "test_201_auto_irq::test_autoirq_report_returns_the_last_line"),
    Divergence("autoirq_setup installs a kernel handler on each probed line in 2.0.1; the "
               "reference only watches them", "drivers/net/auto_irq.c:70",
               "decision.autoirq.claims",
               "test_201_auto_irq::test_probed_lines_are_watched_not_claimed"),
    Divergence("check_region(0, 0) was -EBUSY on an empty table; 2.0.1's find_gap wraps "
               "to the whole port space", "kernel/resource.c:53", "fixed",
               "test_201_resource::test_check_region_zero_length"),
    Divergence("request_region(0, 0) on an empty table inserts a zero-length entry in 2.0.1; "
               "the reference claims nothing", "kernel/resource.c:83",
               "decision.region.empty",
               "test_201_resource::test_request_region_zero_length_claims_nothing"),
    Divergence("skb_copy gave the copy exactly the original's size; 2.0.1 allocates "
               "truesize - sizeof(sk_buff), the size rounded up to 16",
               "net/core/skbuff.c:783", "decision.copy.size",
               "test_201_skbuff::test_skb_copy_geometry"),
    Divergence("skb_copy copied protocol; 2.0.1 does not", "net/core/skbuff.c:816", "fixed",
               "test_201_skbuff::test_skb_copy_geometry"),
    Divergence("dev_kfree_skb counted net_locked down only when the lock reached 0; 2.0.1 on "
               "every unlock", "net/core/skbuff.c:857", "fixed",
               "test_201_skbuff::test_dev_kfree_skb_counts_net_locked_per_unlock"),
    Divergence("dev_kfree_skb(NULL), netif_rx(NULL) and dev_queue_xmit(NULL) dereference NULL "
               "in 2.0.1; the reference logs and records them",
               "net/core/skbuff.c:857", "decision.memory.safety",
               "test_201_skbuff::test_dev_kfree_skb_null_is_recorded"),
    Divergence("packet taps saw the head frame sent; 2.0.1 taps the frame being queued, "
               "before reordering", "net/core/dev.c:419", "fixed",
               "test_201_dev::test_taps_see_the_queued_frame"),
    Divergence("SIOCSIFMTU passed any MTU to change_mtu; 2.0.1 answers -EINVAL below 68",
               "net/core/dev.c:1200", "fixed", "test_201_dev::test_siocsifmtu_below_68"),
    Divergence("a driver answering busy without tbusy makes 2.0.1's dev_tint spin forever; "
               "the reference stops and records it", "net/core/dev.c:754",
               "decision.tint.spin", "test_201_dev::test_dev_tint_busy_without_tbusy"),
    Divergence("dev_open on an up device does not call open again, and dev_open/dev_close of "
               "an unregistered device answer -ENODEV; 2.0.1 reaches them only through "
               "dev_get and an IFF_UP change", "net/core/dev.c:239", "decision.dev.entry",
               "test_201_dev::test_dev_open_of_an_up_device"),
    Divergence("unregister_netdev closes the device before unlinking it; 2.0.1 unlinks, "
               "frees the slot, then calls dev_close", "drivers/net/net_init.c:373",
               "decision.unregister.order",
               "test_201_net_init::test_unregister_unlinks_then_closes"),
    Divergence("register_netdev gives an explicit ethN name slot N; in 2.0.1 only "
               "ether_setup does", "drivers/net/net_init.c:262", "decision.eth.explicit",
               "test_201_net_init::test_explicit_eth_name_takes_its_slot"),
    Divergence("register_netdev links a second device under a taken name in 2.0.1; the "
               "reference answers -EEXIST (2.2's answer)", "drivers/net/net_init.c:281",
               "decision.register.duplicate",
               "test_201_net_init::test_register_netdev_taken_name"),
    Divergence("register_netdev with a blank name and all 16 eth slots taken leaves the name "
               "blank and links the device in 2.0.1; the reference answers -ENFILE",
               "drivers/net/net_init.c:263", "decision.register.autoname_full",
               "test_201_net_init::test_register_netdev_no_free_slot"),
    Divergence("ether_setup read ethN's number as decimal; 2.0.1's simple_strtoul base 0 "
               "reads eth010 as 8", "drivers/net/net_init.c:167", "fixed",
               "test_201_net_init::test_ether_setup_reads_the_number_in_c_notation"),
    Divergence("init_etherdev(NULL) with all 16 slots taken links a nameless device in "
               "2.0.1; the reference returns NULL", "drivers/net/net_init.c:117",
               "decision.memory.safety",
               "test_201_net_init::test_init_etherdev_without_a_free_slot"),
    Divergence("eth_rebuild_header asks ARP for an IP frame in 2.0.1 and may answer 1; the "
               "reference does not simulate ARP and answers 0", "net/ethernet/eth.c:160",
               "decision.arp", "test_201_eth::test_eth_rebuild_header_ip"),
    Divergence("eth_rebuild_header printed nothing for a frame that is not IP; 2.0.1 prints "
               "'unable to resolve type'", "net/ethernet/eth.c:151", "fixed",
               "test_201_eth::test_eth_rebuild_header_non_ip"),
    Divergence("ether_setup installs eth_header_cache_bind/update in 2.0.1; the reference "
               "leaves them NULL (no header cache)", "drivers/net/net_init.c:182",
               "decision.arp", "test_201_net_init::test_ether_setup_defaults"),
    Divergence("dev_queue_xmit with a priority past buffs[] indexes out of bounds in a "
               "build without CONFIG_NET_DEBUG; the reference prints and uses 1, as the debug "
               "build does", "net/core/dev.c:363", "decision.memory.safety",
               "test_201_dev::test_xmit_bad_priority"),
    Divergence("queueing a buffer that is on a list corrupts both lists in the default build; "
               "the reference prints as CONFIG_SKB_CHECK does, unlinks it first and records "
               "it", "include/linux/skbuff.h:247", "decision.memory.safety",
               "test_201_skbuff::test_queueing_a_queued_buffer"),
    Divergence("skb_clone left the clone without the original's destructor; 2.0.1 copies "
               "the whole header", "net/core/skbuff.c:750", "fixed",
               "test_201_skbuff::test_skb_clone_and_kfree_skbmem"),
    Divergence("dev_remove_pack printed a fixed text; 2.0.1 prints the pointer",
               "net/core/dev.c:189", "fixed", "test_201_dev::test_dev_remove_pack"),
    Divergence("MOD_IN_USE was false for the kernel's own code; outside a module 2.0.1's "
               "macro is 1", "include/linux/module.h:106", "fixed",
               "test_201_module::test_use_count_macros"),
    Divergence("dev_mc_add appended and reuploaded a known address; 2.0.1 counts users, "
               "puts new addresses at the head and uploads only for a new one",
               "net/core/dev_mcast.c:116", "fixed",
               "test_201_dev_mcast::test_dev_mc_add_known_address"),
    Divergence("dev_mc_delete removed an address at once; 2.0.1 drops one user",
               "net/core/dev_mcast.c:93", "fixed",
               "test_201_dev_mcast::test_dev_mc_delete_drops_one_user"),
    Divergence("the booted PC had no device; 2.0.1's dev_base starts at the loopback device "
               "lo, set up by net_dev_init", "drivers/net/Space.c:450", "fixed",
               "test_201_loopback::test_lo_at_boot"),
    Divergence("inb_p, outb_p, inw_p, outw_p were the plain accesses and inl_p, outl_p were "
               "missing; 2.0.1's pausing variants also write the low byte of the value to "
               "port 0x80 (SLOW_DOWN_IO)", "include/asm-i386/io.h:31", "fixed",
               "test_201_inlines::test_pausing_variants"),
    Divergence("disable_dma and enable_dma did nothing; 2.0.1 writes the channel's bit to "
               "the mask register of its 8237 (0x0a or 0xd4)", "include/asm-i386/dma.h:141",
               "fixed", "test_201_inlines::test_dma_mask_registers"),
    Divergence("a bottom half other than net_bh ran with intr_count 0; 2.0.1 raises "
               "intr_count around do_bottom_half", "arch/i386/kernel/entry.S:272", "fixed",
               "test_201_inlines::test_mark_bh"),
    Divergence("skb_put past end and skb_push below head panic with the buffer unchanged; "
               "2.0.1 moves the pointers and len first", "include/linux/skbuff.h:393",
               "decision.panic.state",
               "test_201_inlines::test_a_panic_leaves_the_buffer_as_it_was"),
    Divergence("the port functions refuse a port past 0xffff; 2.0.1 truncates it to 16 bits",
               "include/asm-i386/io.h:91", "decision.io.port",
               "test_201_inlines::test_port_outside_the_port_space"),
    Divergence("save_flags returns a bool; 2.0.1 saves EFLAGS", "include/asm-i386/system.h:226",
               "decision.flags.value", "test_201_inlines::test_save_flags"),
    Divergence("the log holds the text without 2.0.1's default level prefix and newline, and "
               "printk returns nothing instead of the count", "kernel/printk.c:173",
               "decision.printk", "test_201_inlines::test_printk"),
    Divergence("a memcpy past a buffer's data area overwrites the sk_buff header in 2.0.1; "
               "the reference clips it and records data_out_of_bounds",
               "net/core/skbuff.c:675", "decision.memory.safety",
               "test_201_inlines::test_memcpy_outside_a_buffer"),
)


#: Reference kernel functions checked under another name: the 2.0.1 function (as
#: registered in :data:`BRANCHES`) each stands for.
COUNTERPARTS: dict[str, tuple[str, ...]] = {
    "dev_queue_xmit": ("do_dev_queue_xmit",),  # dev.c:466 wraps it in start/end_bh_atomic
    "dev_change_flags": ("dev_ifsioc",),  # SIOCSIFFLAGS
    "dev_set_mtu": ("dev_ifsioc",),  # SIOCSIFMTU
    "dev_set_mac_address": ("dev_ifsioc",),  # SIOCSIFHWADDR
    "dev_set_config": ("dev_ifsioc",),  # SIOCSIFMAP
    "dev_private_ioctl": ("dev_ifsioc",),  # SIOCDEVPRIVATE
    "dev_get_stats": ("sprintf_stats",),  # what /proc/net/dev reads
    "insmod": ("sys_create_module", "sys_init_module"),
    "rmmod": ("sys_delete_module",),
    "mod_inc_use_count": ("MOD_INC_USE_COUNT",),
    "mod_dec_use_count": ("MOD_DEC_USE_COUNT",),
    "mod_in_use": ("MOD_IN_USE",),
    "raise_irq": ("do_IRQ",),
    "tick": ("do_timer",),
    "skb_write": ("memcpy",),  # memcpy into the data area, through skb->data or skb_put
    "skb_read": ("memcpy",),  # and out of it
}

#: Reference kernel functions with no 2.0.1 counterpart, and what each is.
NOT_IN_201: dict[str, str] = {
    "attach_memory": "a simulation helper: maps a card's shared memory in the ISA hole, "
                     "which 2.0.1's hardware does by its jumpers",
    "dev_alloc_name": "2.2's (net/core/dev.c, REG-8): the spec's conforming way to pick a "
                      "unit name, which 2.0.1 drivers do with dev_get (dummy.c)",
    "skb_put_data": "Linux 4.13's: memcpy(skb_put(skb, len), data, len), checked as memcpy "
                    "and skb_put (test_201_inlines::test_memcpy_into_a_buffer)",
    "skb_peek_tail": "2.1/2.2's skbuff.h inline: the last buffer of a queue, or NULL",
    "attach_card": "simulation: puts a card on the ISA bus",
    "fail_next_alloc": "simulation: makes the next allocations fail (kmalloc returning NULL)",
    "from_state": "simulation: builds a kernel in a given state",
    "pc": "simulation: the machine as 2.0.1 leaves it after booting a PC",
    "running": "simulation: runs a block as a module's code",
    "clear_records": "simulation: forgets the misuse records and the log",
    "misuse_kinds": "inspection: the kinds of the misuse recorded",
    "irq_actions": "inspection: the actions on a line (2.0.1's irq_action[] list)",
    "dma_claim": "inspection: who holds a DMA channel (2.0.1's dma_chan_busy[])",
    "region_owner": "inspection: the name of the region holding a port (2.0.1's iotable)",
}


def kernel_functions() -> list[str]:
    """Every public function a reference :class:`Kernel` offers, by name."""
    from netdevspec.reference import Kernel

    k = Kernel()
    return sorted(n for n in dir(k) if not n.startswith("_") and callable(getattr(k, n))
                  and not isinstance(getattr(type(k), n, None), property))


def uncovered() -> list[str]:
    """The reference kernel's functions that no differential test checks (directly or as
    their :data:`COUNTERPARTS`) and that :data:`NOT_IN_201` does not explain."""
    load_all()
    tested = {b.function for b in BRANCHES}
    return [n for n in kernel_functions() if n not in tested and n not in NOT_IN_201
            and not set(COUNTERPARTS.get(n, ())) & tested]


HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "linux201.md"
BENCH_DOC = HERE.parents[1] / "docs" / "benchmarks.md"
BENCH_START = "<!-- linux201: filled in by tests/reference/linux201.py --write -->"
BENCH_END = "<!-- /linux201 -->"


def load_all() -> None:
    """Import every ``test_201_*`` module, so that :data:`BRANCHES` is complete."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    for path in sorted(HERE.glob("test_201_*.py")):
        importlib.import_module(path.stem)


def figures() -> dict[str, int]:
    """How many 2.0.1 functions and branches the differential tests cover, and how many
    divergences were found, fixed and decided."""
    load_all()
    return {
        "functions": len({(b.source.split(":")[0], b.function) for b in BRANCHES}),
        "branches": len({(b.source, b.function, b.branch) for b in BRANCHES}),
        "files": len({b.source.split(":")[0] for b in BRANCHES}),
        "divergences": len(DIVERGENCES),
        "fixed": sum(1 for d in DIVERGENCES if d.settled == "fixed"),
        "decided": sum(1 for d in DIVERGENCES if d.settled != "fixed"),
    }


def summary() -> str:
    """One paragraph of figures (docs/benchmarks.md)."""
    f = figures()
    return (f"Differential tests against Linux 2.0.1 cover {f['functions']} functions of "
            f"{f['files']} source files and {f['branches']} branches, each with its "
            f"file:line. Reading the reference kernel against the source found "
            f"{f['divergences']} divergences: {f['fixed']} fixed (the reference now does what "
            f"2.0.1 does) and {f['decided']} recorded as decisions of the spec. The list is in "
            "[the Linux 2.0.1 page](linux201.md).")


def markdown() -> str:
    """docs/linux201.md, generated from :data:`BRANCHES` and :data:`DIVERGENCES`."""
    load_all()
    f = figures()
    out = ["# The reference kernel against Linux 2.0.1", "",
           "The reference kernel is split the way Linux 2.0.1 is: one module per source file "
           "(see `netdevspec.reference.kernel`). Each function was read against the 2.0.1 "
           "source (`liexusong/linux-2.0.0` at d8873c8, pristine 2.0.1) and is checked by a "
           "differential test in `tests/reference/test_201_*.py` that asserts 2.0.1's result "
           "(the return, the state after, what is printed) and cites the file and line.", "",
           "This page is generated by `python tests/reference/linux201.py --write` from the "
           "register in `tests/reference/linux201.py`; a test keeps it current.", "",
           "## Figures", "", summary(), "",
           "## Divergences and how each was settled", "",
           "| 2.0.1 source | difference | settled | shown by |", "|---|---|---|---|"]
    for d in DIVERGENCES:
        settled = d.settled if d.settled == "fixed" else f"decision `{d.settled}`"
        out.append(f"| `{d.source}` | {d.what} | {settled} | `{d.test}` |")
    out += ["", "## Reference functions and their 2.0.1 counterparts", "",
            "Every public function of the reference `Kernel` is checked by a differential "
            "test under its own name, under the 2.0.1 function it stands for, or is listed "
            "here as having no 2.0.1 counterpart (a test keeps this complete).", "",
            "| reference | checked as (2.0.1) |", "|---|---|"]
    out += [f"| `{n}` | {', '.join(f'`{c}`' for c in cs)} |"
            for n, cs in sorted(COUNTERPARTS.items())]
    out += ["", "| reference | not in 2.0.1 |", "|---|---|"]
    out += [f"| `{n}` | {what} |" for n, what in sorted(NOT_IN_201.items())]
    out += ["", "## Functions and branches covered", ""]
    by_fn: dict[tuple[str, str], list[Branch]] = {}
    for b in BRANCHES:
        by_fn.setdefault((b.source.split(":")[0], b.function), []).append(b)
    for (path, fn), branches in sorted(by_fn.items()):
        out += [f"### `{fn}` ({path})", ""]
        seen: set[tuple[str, str]] = set()
        for b in sorted(branches, key=lambda b: (int(b.source.split(":")[1]), b.branch)):
            if (b.source, b.branch) in seen:
                continue
            seen.add((b.source, b.branch))
            out.append(f"- line {b.source.split(':')[1]}: {b.branch} (`{b.test}`)")
        out.append("")
    assert f["branches"] == sum(len({(b.source, b.branch) for b in v}) for v in by_fn.values())
    return "\n".join(out)


def write_bench(path: Path = BENCH_DOC) -> None:
    """Put :func:`summary` between the markers in docs/benchmarks.md (appended if missing)."""
    text = path.read_text(encoding="utf-8")
    block = f"{BENCH_START}\n\n{summary()}\n\n{BENCH_END}"
    start = text.find(BENCH_START)
    if start < 0:
        text = text.rstrip("\n") + "\n\n## Linux 2.0.1 differential tests\n\n" + block + "\n"
    else:
        end = text.find(BENCH_END, start)
        text = text[:start] + block + text[end + len(BENCH_END):]
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    # The test modules register into the module named linux201, not into __main__.
    import linux201 as register

    if sys.argv[1:] != ["--write"]:
        print(register.markdown())
    else:
        DOC.write_text(register.markdown() + "\n", encoding="utf-8")
        register.write_bench()
        print(f"wrote {DOC} and {BENCH_DOC}")

