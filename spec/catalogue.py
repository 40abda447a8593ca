"""The assembled specification: every family's rules, the initial state, the decisions.

``SPEC`` is validated when this module is imported; a malformed rule anywhere stops
the import with a message naming the rule and the fix.
"""

from __future__ import annotations

from netdevspec.spec import buffers, devices, modules, resources, timers, transmit
from netdevspec.spec._build import A1, A2, K, cite
from netdevspec.spec.buffers import kv, qv
from netdevspec.spec.common import e, e2, x, y
from netdevspec.spec.logic import INT, And, Exists, Forall, Implies, Ite, Var, null
from netdevspec.spec.resources import av, av2, ch, rv, rv2
from netdevspec.spec.rules import Decision, Scenario, Spec
from netdevspec.spec.vocabulary import (
    ACT_CASCADE,
    ACT_FPU,
    ACT_TIMER,
    BACKLOG,
    CONSTANTS,
    DMA_CASCADE,
    KERNEL,
    MAX_DMA_CHANNELS,
    MAX_ETH_CARDS,
    PARTY,
    VOCABULARY,
    act_devid,
    act_line,
    act_live,
    act_owner,
    act_saint,
    act_shirq,
    blk_live,
    blk_refs,
    dev_flags,
    dev_phase,
    dev_q,
    dev_reg,
    dma_locked,
    dma_owner,
    eth_used,
    io_count,
    mod_phase,
    mod_use,
    q_hi,
    q_init,
    q_lo,
    q_owner,
    qlen,
    reg_live,
    reg_owner,
    rx_dropping,
    skb_alive,
    skb_blk,
    skb_ever,
    skb_queued,
    tmr_owner,
    tmr_pending,
)
from netdevspec.spec.witnesses import WITNESSES

mv = Var("mv", PARTY)
slot = Var("slot", INT)

INITIAL = (
    Forall(mv, And(mod_phase(mv) == 0, mod_use(mv) == 0)),
    Forall(e, And(~dev_reg(e), dev_phase(e) == 0, dev_flags(e) == 0)),
    Forall(x, And(~skb_ever(x), ~skb_alive(x), ~skb_queued(x))),
    Forall(kv, ~blk_live(kv)),
    Forall(qv, And(q_init(qv) == (qv == BACKLOG), q_lo(qv) == 0, q_hi(qv) == 0,
                   Implies(qv == BACKLOG, q_owner(qv) == KERNEL))),
    Forall(av, act_live(av) == ((av == ACT_TIMER) | (av == ACT_CASCADE) | (av == ACT_FPU))),
    *(And(act_line(k_) == line, act_owner(k_) == KERNEL, ~act_shirq(k_), act_saint(k_),
          act_devid(k_) == null(act_devid.result))
      for k_, line in ((ACT_TIMER, 0), (ACT_CASCADE, 2), (ACT_FPU, 13))),
    Forall(rv, ~reg_live(rv)),
    Forall(timers.tv, ~tmr_pending(timers.tv)),
    io_count() == 0,
    Forall(ch, And(dma_locked(ch) == (ch == DMA_CASCADE),
                   dma_owner(ch) == Ite(ch == DMA_CASCADE, KERNEL, null(PARTY))),
           within=(0, MAX_DMA_CHANNELS)),
    Forall(slot, ~eth_used(slot), within=(0, MAX_ETH_CARDS)),
    ~rx_dropping(),
    devices.QUEUE_MAP.formula,  # the device-to-queue map is fixed from boot on
)

_m1, _m2 = Var("m1", PARTY), Var("m2", PARTY)
SCENARIOS = (
    Scenario("scenario.devices", "two registered devices of two modules, one of them up",
             Exists((e, e2), And(dev_reg(e), dev_reg(e2), e != e2,
                                 devices.is_up(e)))),
    Scenario("scenario.shared_irq", "one IRQ line shared by two modules",
             Exists((av, av2), And(act_live(av), act_live(av2), av != av2,
                                   act_line(av) == act_line(av2), act_owner(av) != act_owner(av2),
                                   act_owner(av) != KERNEL))),
    Scenario("scenario.timer", "a module's kernel timer pending while the module is live",
             Exists(timers.tv, And(tmr_pending(timers.tv), tmr_owner(timers.tv) != KERNEL))),
    Scenario("scenario.queue", "a queue holding two buffers",
             Exists(qv, And(q_init(qv), qlen(qv) == 2))),
    Scenario("scenario.clone", "a buffer and its clone alive, sharing one data area",
             Exists((x, y), And(skb_alive(x), skb_alive(y), x != y, skb_blk(x) == skb_blk(y),
                                blk_refs(skb_blk(x)) == 2))),
    Scenario("scenario.xmit", "a device inside hard_start_xmit while another frame waits on "
             "its queue", Exists(e, And(dev_phase(e) == 3, qlen(dev_q(e, 0)) >= 1))),
    Scenario("scenario.claims", "two I/O regions of two modules and a DMA channel claimed by a "
             "module", And(Exists((rv, rv2), And(reg_live(rv), reg_live(rv2),
                                                  reg_owner(rv) != reg_owner(rv2))),
                           Exists(ch, And(dma_locked(ch), dma_owner(ch) != KERNEL),
                                  within=(0, MAX_DMA_CHANNELS)))),
)

_NI = "drivers/net/net_init.c"
_IOH = "include/asm-i386/io.h"
#: Where the differential tests against 2.0.1 are (each decision below names its test).
_T201 = "tests/reference/test_201_"
DECISIONS = (
    Decision("decision.register.duplicate", "2.0.1 registers a second device under a taken "
             "name; 2.2 answers -EEXIST (HAZ-1).",
             "The kernel side answers -EEXIST (case register_netdev.eexist) and the caller "
             "obligation reg.register.unique reports the driver. Shown by "
             f"{_T201}net_init.py::test_register_netdev_taken_name.",
             "Name uniqueness is an invariant users rely on; modelling 2.0.1's silent "
             "corruption would make it unprovable, and 2.2's answer is the conforming one.",
             cite(("HAZ-1", K(_NI)), ("REG-7", K(_NI)), ("REG-8", K("net/core/dev.c (2.2)")))),
    Decision("decision.register.noinit", "2.0.1 returns 0 and links nothing when init is NULL "
             "(HAZ-2).", "A caller obligation, reg.register.init; the silent branch is not a "
             "case of the spec.", "A 'successful' registration that registers nothing is a "
             "driver bug, never behaviour to rely on.", cite(("HAZ-2", K(_NI)), ("REG-2", K(_NI)))),
    Decision("decision.register.autoname_full", "2.0.1 leaves the name blank and goes on when "
             "all 16 eth slots are taken (REG-3).", "register_netdev answers -ENFILE "
             "(case register_netdev.enfile). Shown by "
             f"{_T201}net_init.py::test_register_netdev_no_free_slot.",
             "Two blank-named devices would break name uniqueness; -ENFILE is what 2.2's "
             "dev_alloc_name answers when it runs out.",
             cite(("REG-3", K(_NI)), ("REG-8", K("net/core/dev.c (2.2) dev_alloc_name")))),
    Decision("decision.name.storage", "The blank-name buffer of 5 bytes overflows for "
             "eth10..eth15 (HAZ-3, REG-4).", "Names are abstract codes in the model (ethN is N); "
             "buffer capacity is not modelled.", "It is a C memory-safety matter with no "
             "counterpart in a Python driver model; the catalogue lists REG-4 as left out.",
             cite(("HAZ-3", K(_NI)), ("REG-4", K(_NI)))),
    Decision("decision.region.silent", "request_region is void and ignores a clash or a full "
             "table (HAZ-4).", "Both branches are cases that change nothing; requesting a "
             "range that is not free breaks res.region.request.free.", "The driver would go "
             "on using ports it does not own; check_region first is the API's contract.",
             cite(("HAZ-4", K("kernel/resource.c")), ("RES-9", K("kernel/resource.c")))),
    Decision("decision.dma.zero", "The article says dma = 0 means none; kernel/dma.c treats "
             "channel 0 as a real channel (HAZ-5).", "Channels 0..7 are claimable except 4; "
             "no rule forbids request_dma(0).", "The kernel is the authority on what can be "
             "claimed; whether a driver should claim 0 depends on its card, which the spec "
             "cannot know.", cite(("HAZ-5", K("kernel/dma.c")), ("FLD-4", A2))),
    Decision("decision.free.owner", "free_irq and free_dma never check ownership; a NULL "
             "dev_id makes IRQ ownership ambiguous (HAZ-6).", "Ownership is recorded per "
             "claim (module, dev_id); freeing what another module holds breaks "
             "res.irq.free.owner / res.dma.free.owner / res.region.release.owner; sharing "
             "needs distinct non-NULL dev_ids (res.irq.request.dev_id).", "The article's "
             "rule is 'never free what you do not own'; the kernel cannot enforce it.",
             cite(("HAZ-6", K("arch/i386/kernel/irq.c")), ("RES-2", K("arch/i386/kernel/irq.c")),
                  ("RES-7", K("kernel/dma.c")))),
    Decision("decision.close", "dev_close ignores stop's result and calls stop only if IFF_UP; "
             "unregister_netdev goes on while start is set (HAZ-7).", "stop_return carries no "
             "result; dev_close.down does not call stop; unregistering an open device breaks "
             "reg.unregister.closed.", "2.0.1 itself prints an error for a busy unregister; "
             "modern kernels auto-close, which the reference kernel does as well while the "
             "monitor reports the rule.", cite(("HAZ-7", K("net/core/dev.c")), ("REG-9", K(_NI)))),
    Decision("decision.eth.reservation", "2.0.1's ether_setup writes an ethN device into "
             "ethdev_index[N] before the device is registered (REG-12), so a later blank-name "
             "registration skips that slot even if the device is never registered.",
             "An eth slot is in use exactly while a registered device holds it "
             "(reg.eth.slots); reservations by unregistered devices are not modelled. The "
             "reference kernel does as 2.0.1 does, and a strict expected-failure test "
             "keeps the difference visible.", "Only drivers that call ether_setup on a "
             "named ethN device outside its probe can notice. Modelling reservations would "
             "add a second slot table, with stale entries that only renaming clears, to "
             "every registration rule.", cite(("REG-12", K(_NI)), ("REG-3", K(_NI)))),
    Decision("decision.rx.protocol", "skeleton.c never sets skb->protocol (HAZ-8).",
             "A caller obligation of netif_rx, rx.protocol.set.", "Such frames reach no "
             "protocol; the rule makes the bug visible.",
             cite(("HAZ-8", K("drivers/net/skeleton.c")), ("RX-4", K("net/ethernet/eth.c")))),
    Decision("decision.free.queued", "kfree_skb of a queued buffer only warns and corrupts the "
             "queue (HAZ-9).", "A caller obligation, skb.free.unqueued, on every free; no case "
             "models the corruption.", "Unlink first is the contract; the corrupted state has "
             "no meaning worth specifying.", cite(("HAZ-9", K("net/core/skbuff.c")),)),
    Decision("decision.reserve", "skb_reserve is unchecked in the inline version (HAZ-10).",
             "Caller obligations skb.reserve.empty (len = 0) and skb.reserve.bounds "
             "(tail + n ≤ end).", "As recommended; 3c501 and de600 show reserve after "
             "dev_alloc_skb while len = 0 is legal.", cite(("HAZ-10", K("include/linux/skbuff.h")),
                                                          ("RX-2", K("drivers/net/3c501.c")))),
    Decision("decision.drain", "dev_close frees drained frames with free ≠ 0 and leaves the "
             "others to their owner (CB-3).", "Drained frames leave the queue and stay with the "
             "kernel (their owner is already the kernel).", "Which kernel-side party frees "
             "them is invisible to drivers; the driver-facing rule is that it gets none back.",
             cite(("CB-3", K("net/core/dev.c dev_close")),)),
    Decision("decision.ownership", "Who may touch a buffer is implicit in 2.0 (SKB-13, CB-4, "
             "RX-5).", "Every buffer has an owner (a module or the kernel); the hand-offs "
             "(dev_queue_xmit, hard_start_xmit's return, netif_rx, dev_kfree_skb) move it, and "
             "every buffer operation obliges the caller to own the buffer (skb.use.owner).",
             "This is the article's 'no use after hand-off' made checkable.",
             cite(("SKB-13", A1), ("CB-4", K("net/core/dev.c")), ("RX-5", K("net/core/dev.c")))),
    # Found reading the reference against 2.0.1 function by function (issue 13); each names
    # the differential test that shows the difference (tests/reference/linux201.py).
    Decision("decision.boot.irqflags", "2.0.1 installs the timer, cascade and math-error "
             "actions with flags 0 (time.c:451, irq.c:210, irq.c:217).", "The spec and the "
             "reference hold them with SA_INTERRUPT (res.irq.exclusive states it). Shown by "
             f"{_T201}irq.py::test_boot_actions.", "No request can tell the two apart: none of "
             "them has SA_SHIRQ, so setup_x86_irq answers -EBUSY before it compares "
             "SA_INTERRUPT; changing it would only re-state the initial state.",
             cite(("FLD-3", K("arch/i386/kernel/irq.c init_IRQ")),
                  ("RES-1", K("arch/i386/kernel/irq.c setup_x86_irq")))),
    Decision("decision.autoirq.claims", "Between autoirq_setup and autoirq_report 2.0.1 holds a "
             "kernel handler on every probed line (auto_irq.c:70).", "The reference only "
             "watches the lines; nothing is installed, so a request_irq in between succeeds. "
             f"Shown by {_T201}auto_irq.py::test_probed_lines_are_watched_not_claimed.",
             "RES-13 asks that the temporary claims count as released; a driver that "
             "requests a line in the middle of its own probe is not a pattern 2.0 drivers use.",
             cite(("RES-13", K("drivers/net/auto_irq.c")),)),
    Decision("decision.region.empty", "request_region(0, 0) on an empty port table enters a "
             "zero-length entry in 2.0.1 (find_gap wraps to the whole space, resource.c:53).",
             "A zero-length request claims nothing (case request_region.busy). Shown by "
             f"{_T201}resource.py::test_request_region_zero_length_claims_nothing.", "The PC's own "
             "regions are claimed at boot, so the table is never empty on a real machine; a "
             "zero-length claim would break the table's count of regions.",
             cite(("RES-9", K("kernel/resource.c")), ("RES-8", K("kernel/resource.c find_gap")))),
    Decision("decision.copy.size", "2.0.1's skb_copy allocates truesize - sizeof(struct "
             "sk_buff), the original's size rounded up to 16 bytes (skbuff.c:783).", "The copy "
             "has exactly the original's size (skb.copy.effect). Shown by "
             f"{_T201}skbuff.py::test_skb_copy_geometry.", "The extra tailroom is an alignment "
             "artefact of the allocator that no driver can rely on; api-facts SKB-16 states "
             "the same size.", cite(("SKB-16", K("net/core/skbuff.c skb_copy")),)),
    Decision("decision.memory.safety", "Where 2.0.1's default build dereferences NULL, "
             "indexes out of bounds or corrupts a list (dev_kfree_skb, netif_rx or "
             "dev_queue_xmit of NULL; a priority past buffs[]; queueing a buffer that is on a "
             "list; skb_insert next to an unlisted buffer; ether_setup of eth16 and up; "
             "init_etherdev with no free eth slot linking a nameless device; a memcpy past "
             "a buffer's data area, over the sk_buff header 2.0.1 keeps after it).", "The "
             "reference logs and records the misuse (free_null, rx_null, xmit_null, "
             "xmit_bad_priority, queue_twice, insert_unlisted, eth_index_range, "
             "data_out_of_bounds, the copy clipped to the data area) and does what "
             "2.0.1's debug build (CONFIG_NET_DEBUG, CONFIG_SKB_CHECK) does, or nothing, or "
             "returns NULL from init_etherdev. Shown by "
             f"{_T201}skbuff.py::test_dev_kfree_skb_null_is_recorded, "
             f"{_T201}skbuff.py::test_queueing_a_queued_buffer, "
             f"{_T201}dev.py::test_xmit_bad_priority, "
             f"{_T201}inlines.py::test_memcpy_outside_a_buffer and "
             f"{_T201}net_init.py::test_init_etherdev_without_a_free_slot.", "A crash or a "
             "corrupted table has no behaviour worth reproducing; the rules already make "
             "each call a violation.", cite(("SKB-10", K("net/core/skbuff.c")),
                                             ("REG-13", K(_NI)))),
    Decision("decision.tint.spin", "A driver that answers busy without setting tbusy makes "
             "2.0.1's dev_tint loop forever (dev.c:754).", "The reference stops after one "
             "try and records xmit_busy_no_tbusy. Shown by "
             f"{_T201}dev.py::test_dev_tint_busy_without_tbusy.", "A checker must terminate; the "
             "driver is at fault (CB-5: set tbusy before answering busy).",
             cite(("CB-10", K("net/core/dev.c dev_tint")), ("CB-5", K("net/core/dev.c")))),
    Decision("decision.dev.entry", "2.0.1's dev_open calls open whatever the flags, and "
             "dev_open/dev_close take any device (dev.c:239, dev.c:270).", "The reference's "
             "dev_open leaves a device that is up alone (0), and both answer -ENODEV for a "
             "device that is not registered. Shown by "
             f"{_T201}dev.py::test_dev_open_of_an_up_device.",
             "2.0.1 reaches them only through dev_ifsioc, after dev_get found the device and "
             "only when IFF_UP changes (dev.c:1034), so no ioctl can tell the difference.",
             cite(("CB-2", K("net/core/dev.c dev_open")), ("FLG-2", K("net/core/dev.c")))),
    Decision("decision.eth.explicit", "2.0.1's register_netdev enters only a blank-named "
             "device in ethdev_index; a device registered as ethN gets slot N only if it "
             "calls ether_setup (net_init.c:262, net_init.c:167).", "A registered ethN "
             "device holds slot N (reg.eth.slots), whether or not it called ether_setup. "
             f"Shown by {_T201}net_init.py::test_explicit_eth_name_takes_its_slot.", "Otherwise "
             "a later blank-name registration could be named ethN too and break name "
             "uniqueness; every 2.0 Ethernet probe calls ether_setup anyway.",
             cite(("REG-3", K(_NI)), ("REG-12", K(_NI)))),
    Decision("decision.unregister.order", "2.0.1's unregister_netdev unlinks the device and "
             "frees its eth slot, then calls dev_close, so stop runs on a device that is no "
             "longer listed (net_init.c:324-373).", "The reference closes a device that is up "
             "first, while it is still registered, then unlinks it. Shown by "
             f"{_T201}net_init.py::test_unregister_unlinks_then_closes.", "The spec's rules "
             "read the device's registration and owner when stop runs (dev.use.owner): in "
             "2.0.1's order a module unregistering another's open device would make the "
             "victim's stop look like a violation (catalogue bug unregister-foreign). Only a "
             "stop that looks its own device up with dev_get can tell the difference.",
             cite(("REG-9", K(_NI)), ("CB-3", K("net/core/dev.c dev_close")))),
    Decision("decision.arp", "2.0.1's eth_rebuild_header asks ARP to resolve an IP frame's "
             "destination and answers 1 while ARP holds the frame (eth.c:160); ether_setup "
             "installs the hardware-header cache methods (net_init.c:182).", "ARP and the "
             "header cache are not simulated: the reference fills in the source address and "
             "answers 0 (complete), and ether_setup leaves header_cache_bind/update NULL. "
             f"Shown by {_T201}eth.py::test_eth_rebuild_header_ip and "
             f"{_T201}net_init.py::test_ether_setup_defaults.", "Address "
             "resolution is the protocol side's business; dev_queue_xmit's 'held by ARP' "
             "branch is still exercised through a driver's own rebuild_header.",
             cite(("CB-15", K("net/ethernet/eth.c eth_rebuild_header")),)),
    Decision("decision.io.port", "2.0.1's port functions take an unsigned short port "
             "(io.h:91), so a port past 0xffff wraps to another port.", "The reference's "
             "inb/outb family refuses a port outside 0..0xffff with a ValueError that names "
             f"the function and the port. Shown by {_T201}inlines.py::"
             "test_port_outside_the_port_space.", "A model computes ports with unbounded "
             "integers; a port past 0xffff is always a mistake, and wrapping it would reach "
             "another card's registers silently.",
             cite(("RES-12", K(_IOH)), ("RES-11", K("drivers/net/skeleton.c")))),
    Decision("decision.flags.value", "2.0.1's save_flags stores EFLAGS (the interrupt flag "
             "is bit 0x200) and restore_flags loads it back (system.h:226-230).", "The "
             "reference's save_flags returns the interrupt-enable state as a bool and "
             "restore_flags takes it (any true value enables). Shown by "
             f"{_T201}inlines.py::test_save_flags.", "2.0 drivers only hand the saved value "
             "back to restore_flags; the other EFLAGS bits belong to the CPU, which is not "
             "simulated.", cite(("ART-1", K("include/asm-i386/system.h")),
                                ("CB-21", K("include/asm-i386/system.h")))),
    Decision("decision.panic.state", "2.0.1's skb_put and skb_push move tail (data) and "
             "len first and panic after, when the bound is broken (skbuff.h:393-398, "
             "406-411).", "The reference panics before it moves anything: the buffer keeps "
             "the layout the refused call found. Shown by "
             f"{_T201}inlines.py::test_a_panic_leaves_the_buffer_as_it_was.", "A panic stops "
             "the machine, so nothing in 2.0.1 can read the moved fields; a report that "
             "shows the buffer's head/data/tail/end at the violation is more useful with "
             "the layout the call was made on.",
             cite(("SKB-4", K("include/linux/skbuff.h skb_put")),
                  ("SKB-5", K("include/linux/skbuff.h skb_push")))),
    Decision("decision.printk", "2.0.1's printk prefixes a message that has no level "
             "prefix with the default level 4 (KERN_WARNING), keeps the newline in its log "
             "buffer and returns the number of characters formatted (printk.c:150-204).",
             "The reference logs one entry per call: the formatted text as given, without "
             "the default level and the trailing newline, and returns nothing. Shown by "
             f"{_T201}inlines.py::test_printk.", "The log is read by tests and reports as "
             "messages; the level is the console's business and no 2.0 driver uses the "
             "count.", cite(("REG-9", K("kernel/printk.c")), ("RES-7", K("kernel/dma.c")))),
)

# api-facts items no rule rests on, and why.
LEFT_OUT = {
    "REG-4": "name storage capacity is C memory safety (decision.name.storage)",
    "REG-13": "init_etherdev allocates a struct device: it is register/ether_setup plus "
              "allocation, which the reference kernel implements; the rules of its parts apply",
    "REG-14": "boot-time probing of static devices precedes the model's initial state",
    "FLD-11": "dev->priv is the driver's private memory, not kernel state",
    "FLD-12": "protocol-layer address fields belong to the protocols and ioctls",
    "FLD-13": "time stamps (trans_start, last_rx) drive timeouts; the conformance suite "
              "exercises the timeout path",
    "RES-4": "irq2dev_map is a driver-side lookup table; its rule ('only if you own the IRQ') "
             "is covered by res.irq.free.owner and cb.stop.irq",
    "RES-12": "probe etiquette (no writes while probing) is advice, not a checkable contract "
              "of the kernel state",
    "RES-13": "autoirq/probe_irq temporary claims are released before the call returns, so "
              "they leave no state",
    "SKB-17": "skb->users is a socket-layer counter drivers never touch",
    "Q-8": "the __skb_* variants have the same contracts without the interrupt masking",
    "CB-6": "the NULL-buffer 'kick' of hard_start_xmit is a legacy calling convention",
    "CB-7": "frame contents and ETH_ZLEN padding concern the hardware, not kernel state",
    "CB-8": "dev->interrupt re-entrancy is driver-internal; the field is modelled "
            "(dev_set_status, cb.open.status)",
    "CB-11": "dev_transmit is net_bh's loop over dev_tint, covered by hard_start_xmit",
    "CB-12": "get_stats returns driver-private counters",
    "CB-13": "set_multicast_list programs hardware; the conformance suite calls it",
    "CB-14": "hard_header is a protocol-layer helper (eth_header), outside the driver contract",
    "CB-15": "rebuild_header/ARP resolution is protocol-layer; dev_queue_xmit's ARP branch is "
             "not modelled",
    "CB-16": "set_mac_address is an ioctl callback; the conformance suite calls it",
    "CB-17": "do_ioctl is a private ioctl callback; the conformance suite calls it",
    "CB-18": "set_config is an ioctl callback; the conformance suite calls it",
    "CB-19": "change_mtu is an ioctl callback; the conformance suite calls it",
    "CB-20": "SIOCGIFMAP only reports fields",
    "CB-21": "execution contexts (interrupt vs process) are not modelled",
    "FLG-1": "flag values are constants of the vocabulary (IFF_UP = 0x1, ...), not a rule",
    "FLG-3": "SIOCSIFFLAGS is a user ioctl",
    "RX-6": "statistics are driver-private counters",
    "RX-7": "the loopback pattern is a reference driver (conformance issue); its rules are "
            "skb.clone.*, rx.* and the hard_start_xmit contract",
    "MOD-4": "autoprobing under insmod is advice",
    "ART-3": "socket memory accounting is protocol-layer",
    "ART-5": "socket helpers lie outside the driver API",
}

KNOWN_FACTS = frozenset(
    [f"REG-{n}" for n in range(1, 15)] + [f"FLD-{n}" for n in range(1, 14)]
    + [f"RES-{n}" for n in range(1, 14)] + [f"SKB-{n}" for n in range(1, 19)]
    + [f"Q-{n}" for n in range(1, 9)] + [f"CB-{n}" for n in range(1, 22)]
    + [f"FLG-{n}" for n in range(1, 6)] + [f"RX-{n}" for n in range(1, 8)]
    + [f"MOD-{n}" for n in range(1, 5)] + [f"ART-{n}" for n in range(1, 6)]
    + [f"HAZ-{n}" for n in range(1, 11)]
)

SPEC = Spec(
    vocabulary=VOCABULARY,
    constants=CONSTANTS,
    initial=INITIAL,
    invariants=(*buffers.INVARIANTS, *devices.INVARIANTS, *resources.INVARIANTS,
                *transmit.INVARIANTS, *modules.INVARIANTS, *timers.INVARIANTS),
    operations=(*devices.OPERATIONS, *resources.OPERATIONS, *buffers.OPERATIONS,
                *transmit.OPERATIONS, *modules.OPERATIONS, *timers.OPERATIONS),
    decisions=DECISIONS,
    scenarios=SCENARIOS,
    left_out=LEFT_OUT,
    known_facts=KNOWN_FACTS,
    # Each device owns DEV_NUMBUFFS transmit queues, so small states need more queues
    # than devices.
    universe_scale={"Queue": 4},
    witnesses=WITNESSES,
    transitions=(*devices.TRANSITIONS, *resources.TRANSITIONS),
)
