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

from collections.abc import Callable
from dataclasses import dataclass
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
               "before reordering", "net/core/dev.c:417", "fixed",
               "test_201_dev::test_taps_see_the_queued_frame"),
    Divergence("SIOCSIFMTU passed any MTU to change_mtu; 2.0.1 answers -EINVAL below 68",
               "net/core/dev.c:1199", "fixed", "test_201_dev::test_siocsifmtu_below_68"),
    Divergence("a driver answering busy without tbusy makes 2.0.1's dev_tint spin forever; "
               "the reference stops and records it", "net/core/dev.c:757",
               "decision.tint.spin", "test_201_dev::test_dev_tint_busy_without_tbusy"),
    Divergence("dev_open on an up device does not call open again, and dev_open/dev_close of "
               "an unregistered device answer -ENODEV; 2.0.1 reaches them only through "
               "dev_get and an IFF_UP change", "net/core/dev.c:239", "decision.dev.entry",
               "test_201_dev::test_dev_open_of_an_up_device"),
    Divergence("unregister_netdev closed the device before unlinking it; 2.0.1 unlinks, "
               "frees the slot, then calls dev_close", "drivers/net/net_init.c:372", "fixed",
               "test_201_net_init::test_unregister_unlinks_then_closes"),
    Divergence("register_netdev gives an explicit ethN name slot N; in 2.0.1 only "
               "ether_setup does", "drivers/net/net_init.c:259", "decision.eth.explicit",
               "test_201_net_init::test_explicit_eth_name_takes_its_slot"),
    Divergence("ether_setup read ethN's number as decimal; 2.0.1's simple_strtoul base 0 "
               "reads eth010 as 8", "drivers/net/net_init.c:166", "fixed",
               "test_201_net_init::test_ether_setup_reads_the_number_in_c_notation"),
    Divergence("init_etherdev(NULL) with all 16 slots taken links a nameless device in "
               "2.0.1; the reference returns NULL", "drivers/net/net_init.c:116",
               "decision.memory.safety",
               "test_201_net_init::test_init_etherdev_without_a_free_slot"),
    Divergence("dev_mc_add appended and reuploaded a known address; 2.0.1 counts users, "
               "puts new addresses at the head and uploads only for a new one",
               "net/core/dev_mcast.c:108", "fixed",
               "test_201_dev_mcast::test_dev_mc_add_known_address"),
    Divergence("dev_mc_delete removed an address at once; 2.0.1 drops one user",
               "net/core/dev_mcast.c:93", "fixed",
               "test_201_dev_mcast::test_dev_mc_delete_drops_one_user"),
)
