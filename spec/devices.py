"""Registration, naming, device fields, flags, open and close (api-facts REG, FLD, FLG, CB)."""

from __future__ import annotations

from netdevspec.spec._build import (
    A2,
    K,
    at,
    bind,
    case,
    cite,
    guarantee,
    invariant,
    obligation,
    operation,
    transition,
    whole,
)
from netdevspec.spec.common import (
    CALLER_LOADED,
    DEV_OWNED,
    c,
    d,
    e,
    e2,
    i,
    j,
    n,
    rc,
    x,
)
from netdevspec.spec.logic import (
    BOOL,
    BV16,
    And,
    Exists,
    Expr,
    Forall,
    Implies,
    Ite,
    Not,
    Or,
    Var,
    null,
)
from netdevspec.spec.rules import Operation, Rule
from netdevspec.spec.vocabulary import (
    ACT,
    BACKLOG,
    BV_ZERO,
    DEV,
    DEV_NUMBUFFS,
    ETH_ALEN,
    ETH_DATA_LEN,
    ETH_HLEN,
    ETHER_TX_QUEUE_LEN,
    IFF_BROADCAST,
    IFF_LOOPBACK,
    IFF_MULTICAST,
    IFF_RUNNING,
    IFF_UP,
    KERNEL,
    MAX_DMA_CHANNELS,
    MAX_ETH_CARDS,
    NAME_BLANK,
    QUEUE,
    UNIT_CODES,
    act_at_load,
    act_devid,
    act_line,
    act_live,
    act_owner,
    dev_addr_len,
    dev_base,
    dev_dma,
    dev_flags,
    dev_has_init,
    dev_has_open,
    dev_hhlen,
    dev_if_port,
    dev_interrupt,
    dev_irq,
    dev_mem_end,
    dev_mem_start,
    dev_mtu,
    dev_name,
    dev_owner,
    dev_phase,
    dev_q,
    dev_reg,
    dev_rmem_end,
    dev_rmem_start,
    dev_start,
    dev_tbusy,
    dev_txqlen,
    dma_at_load,
    dma_locked,
    dma_owner,
    eth_dev,
    eth_used,
    ethname,
    flag,
    loaded,
    mod_phase,
    mod_use,
    q_dev,
    q_hi,
    q_init,
    q_lo,
    q_owner,
    q_pri,
    skb_list,
    skb_queued,
    unit_name,
)

_NI = "drivers/net/net_init.c"
_DEV = "net/core/dev.c"
qv = Var("qv", QUEUE)
av = Var("av", ACT)
p = Var("p", i.sort)
fmt = Var("fmt", i.sort)


def is_up(dv: Expr, post: bool = False) -> Expr:
    """IFF_UP is set."""
    return flag(dv, IFF_UP, post)


# -- invariants ------------------------------------------------------------------------------------

NAMES_UNIQUE = invariant(
    "reg.name.unique",
    "no two registered devices have the same name",
    Forall((e, e2), Implies(And(dev_reg(e), dev_reg(e2), e != e2), dev_name(e) != dev_name(e2))),
    cite(("REG-7", K(f"{_NI} register_netdev")), ("REG-1", A2), ("HAZ-1", K(_NI))),
)

NAMED = invariant(
    "reg.name.set",
    "every registered device has a real name (never blank or NULL) and is owned by a loaded "
    "module (built-in drivers count as modules that are never unloaded); NULL is never "
    "registered",
    And(~dev_reg(null(DEV)), Forall(e, Implies(dev_reg(e), And(
        dev_name(e) >= 0, dev_owner(e) != null(dev_owner.result), dev_owner(e) != KERNEL,
        loaded(dev_owner(e)))))),
    cite(("REG-3", A2), ("REG-10", A2), ("MOD-2", K("kernel/module.c"))),
)

ETH_SLOTS = invariant(
    "reg.eth.slots",
    "an eth slot in use belongs to a registered device named after it, and a registered "
    "device named ethN holds slot N",
    And(Forall(i, Implies(eth_used(i), And(dev_reg(eth_dev(i)),
                                           dev_name(eth_dev(i)) == ethname(i))),
               within=(0, MAX_ETH_CARDS)),
        Forall(e, Implies(And(dev_reg(e), dev_name(e) < MAX_ETH_CARDS),
                          And(eth_used(dev_name(e)), eth_dev(dev_name(e)) == e)))),
    cite(("REG-3", K(f"{_NI} register_netdev")), ("REG-11", K(_NI)), ("REG-12", K(_NI))),
)

QUEUE_MAP = invariant(
    "dev.queues.static",
    "each device has DEV_NUMBUFFS distinct transmit queues of its own, and the backlog "
    "belongs to no device",
    And(Forall(e, Implies(e != null(DEV), Forall(p, And(
        q_dev(dev_q(e, p)) == e, q_pri(dev_q(e, p)) == p,
        dev_q(e, p) != null(QUEUE)), within=(0, DEV_NUMBUFFS)))),
        Forall(qv, Implies(q_dev(qv) != null(DEV), And(
            q_pri(qv) >= 0, q_pri(qv) < DEV_NUMBUFFS, dev_q(q_dev(qv), q_pri(qv)) == qv))),
        q_dev(BACKLOG) == null(DEV)),
    cite(("FLD-10", K("include/linux/netdevice.h")), ("FLD-9", K(_NI))),
)

DEV_QUEUES = invariant(
    "dev.queues.ready",
    "a registered device's transmit queues are initialised, and a device's transmit queue "
    "always belongs to the kernel once initialised",
    And(Forall(e, Implies(dev_reg(e), Forall(p, q_init(dev_q(e, p)), within=(0, DEV_NUMBUFFS)))),
        Forall(qv, Implies(And(q_dev(qv) != null(DEV), q_init(qv)), q_owner(qv) == KERNEL))),
    cite(("Q-1", K(_NI)), ("CB-1", K("drivers/net/skeleton.c")), ("FLD-9", K(_NI))),
)

QUEUED_UP = invariant(
    "dev.queues.up",
    "frames wait on a device's transmit queues only while it is registered and up",
    Forall(x, Implies(And(skb_queued(x), q_dev(skb_list(x)) != null(DEV)), And(
        dev_reg(q_dev(skb_list(x))), is_up(q_dev(skb_list(x)))))),
    cite(("CB-3", K(f"{_DEV} dev_close")), ("CB-9", K(_DEV))),
)

FIELDS = invariant(
    "fld.ranges",
    "a registered device's bus fields are in range: irq and dma are unsigned chars, "
    "base_addr an I/O address, mem_start ≤ mem_end when used, if_port ≥ 0",
    Forall(e, Implies(dev_reg(e), And(
        dev_irq(e) >= 0, dev_irq(e) <= 255, dev_dma(e) >= 0, dev_dma(e) <= 255,
        dev_base(e) >= 0, dev_base(e) <= 0xFFFF, dev_if_port(e) >= 0,
        Implies(dev_mem_start(e) != 0, dev_mem_start(e) <= dev_mem_end(e))))),
    cite(("FLD-3", A2), ("FLD-4", A2), ("FLD-2", A2), ("FLD-5", A2), ("FLD-7", A2)),
)

RUNNING_UP = invariant(
    "flg.running.up",
    "IFF_RUNNING is set only while IFF_UP is; only registered devices are up",
    Forall(e, And(Implies(flag(e, IFF_RUNNING), is_up(e)), Implies(is_up(e), dev_reg(e)))),
    cite(("FLG-5", K(_DEV)), ("FLG-2", K(f"{_DEV} dev_open"))),
)

PHASES = invariant(
    "cb.phase",
    "a device is inside open only while down, inside stop or hard_start_xmit only while up, "
    "and inside a callback only while registered",
    Forall(e, And(dev_phase(e) >= 0, dev_phase(e) <= 3,
                  Implies(dev_phase(e) != 0, dev_reg(e)),
                  Implies(dev_phase(e) == 1, Not(is_up(e))),
                  Implies(dev_phase(e) >= 2, is_up(e)))),
    cite(("CB-2", K(f"{_DEV} dev_open")), ("CB-3", K(f"{_DEV} dev_close")),
         ("CB-4", K(f"{_DEV} do_dev_queue_xmit"))),
)

INVARIANTS: tuple[Rule, ...] = (NAMES_UNIQUE, NAMED, ETH_SLOTS, QUEUE_MAP, DEV_QUEUES,
                                QUEUED_UP, FIELDS, RUNNING_UP, PHASES)

# -- driver-side writes of the device structure -------------------------------------------------

UNREGISTERED = obligation(
    "dev.setup.unregistered",
    "a driver fills in the device structure (name, bus fields, methods, ether_setup) before "
    "registering it, never while it is linked",
    (d,), And(d != null(DEV), ~dev_reg(d), dev_phase(d) == 0),
    cite(("REG-12", K(_NI)), ("CB-1", K("drivers/net/skeleton.c")), ("FLD-1", A2)),
    "device {d} is already registered: its structure is the kernel's now")

flags_v = Var("flags", BV16)
NO_UP_BITS = obligation(
    "flg.driver.flags",
    "a driver sets only capability flags (IFF_NOARP, IFF_LOOPBACK, ...), never IFF_UP or "
    "IFF_RUNNING",
    (flags_v,), (flags_v & (IFF_UP | IFF_RUNNING)) == BV_ZERO,
    cite(("FLG-2", K(f"{_DEV} dev_open")), ("FLG-4", K(_NI))),
    "the driver set IFF_UP or IFF_RUNNING in flags {flags}")

irq_v, base_v, dma_v, mem_s, mem_e, port_v, name_v = (
    Var("irq", i.sort), Var("base_addr", i.sort), Var("dma", i.sort), Var("mem_start", i.sort),
    Var("mem_end", i.sort), Var("if_port", i.sort), Var("name", i.sort))
has_init, has_open = Var("has_init", BOOL), Var("has_open", BOOL)

RMEM_ZERO = obligation(
    "fld.rmem.zero", "new drivers leave rmem_start and rmem_end at 0 (obsolete fields)",
    (d,), And(dev_rmem_start(d) == 0, dev_rmem_end(d) == 0),
    cite(("FLD-6", A2)), "device {d} sets the obsolete rmem_start/rmem_end")

NAME_OK = obligation(
    "reg.name.valid",
    "a device name is a real name, blank (\"\" or \"    \": auto-named ethN) — never a NULL "
    "pointer", (name_v,), name_v >= NAME_BLANK,
    cite(("REG-3", A2), ("REG-4", K(_NI))), "the device name pointer is NULL")

DEV_SETUP = operation(
    "dev_setup_fields",
    "the driver fills in its struct device before register_netdev (probe)",
    (c, d, name_v, irq_v, base_v, dma_v, mem_s, mem_e, port_v, flags_v, has_init, has_open),
    (bind(CALLER_LOADED, c), bind(UNREGISTERED, d), bind(NO_UP_BITS, flags_v),
     bind(NAME_OK, name_v)),
    (case("dev_setup_fields.ok", "the fields hold the new values", And(),
          (guarantee("dev.setup.effect", "the device structure holds what the driver wrote",
                     (d,), And(dev_name.post(d) == name_v, dev_irq.post(d) == irq_v,
                               dev_base.post(d) == base_v, dev_dma.post(d) == dma_v,
                               dev_mem_start.post(d) == mem_s, dev_mem_end.post(d) == mem_e,
                               dev_if_port.post(d) == port_v, dev_flags.post(d) == flags_v,
                               dev_has_init.post(d) == has_init,
                               dev_has_open.post(d) == has_open),
                     cite(("FLD-1", A2), ("CB-1", K("drivers/net/skeleton.c")))),),
          tuple(at(s_, d) for s_ in (dev_name, dev_irq, dev_base, dev_dma, dev_mem_start,
                                     dev_mem_end, dev_if_port, dev_flags, dev_has_init,
                                     dev_has_open))),),
    cite(("FLD-1", K("include/linux/netdevice.h")), ("FLD-2", A2), ("CB-1", K(_NI))),
    "dev->name = ...; dev->irq = ...; dev->base_addr = ...; ... (struct device fields)",
)

start_v, tbusy_v, intr_v = Var("start", BOOL), Var("tbusy", BOOL), Var("interrupt", BOOL)

DEV_STATUS = operation(
    "dev_set_status",
    "the driver writes dev->start, dev->tbusy and dev->interrupt",
    (c, d, start_v, tbusy_v, intr_v),
    (bind(CALLER_LOADED, c), bind(DEV_OWNED, c, d)),
    (case("dev_set_status.ok", "the status fields hold the new values", And(),
          (guarantee("dev.status.effect", "start, tbusy and interrupt hold the written values",
                     (d,), And(dev_start.post(d) == start_v, dev_tbusy.post(d) == tbusy_v,
                               dev_interrupt.post(d) == intr_v),
                     cite(("FLD-8", K("include/linux/netdevice.h")),)),),
          (at(dev_start, d), at(dev_tbusy, d), at(dev_interrupt, d))),),
    cite(("FLD-8", K("include/linux/netdevice.h")), ("CB-5", K("drivers/net/skeleton.c"))),
    "dev->start = ...; set_bit(0, &dev->tbusy); dev->interrupt = ...;",
)

ETH_RANGE = obligation(
    "reg.eth.range",
    "a device given to ether_setup under an explicit ethN name has N < 16 (MAX_ETH_CARDS): "
    "2.0.1 records the name in ethdev_index[N] without a bounds check",
    (d,), Not(And(dev_name(d) >= MAX_ETH_CARDS, dev_name(d) < UNIT_CODES)),
    cite(("REG-12", K(f"{_NI} ether_setup")), ("REG-11", K(_NI))),
    "device {d} is named ethN with N ≥ 16: ether_setup would write past ethdev_index[16]")

ETHER_SETUP = operation(
    "ether_setup", "fill in the Ethernet defaults and initialise the transmit queues",
    (c, d),
    (bind(CALLER_LOADED, c), bind(UNREGISTERED, d), bind(ETH_RANGE, d)),
    (case("ether_setup.ok", "MTU 1500, header 14, address 6, tx_queue_len 100, flags "
          "BROADCAST|MULTICAST (overwritten), queues initialised", And(),
          (guarantee("dev.ether_setup.effect",
                     "the Ethernet defaults are set, flags are overwritten with "
                     "IFF_BROADCAST|IFF_MULTICAST and the three transmit queues are initialised "
                     "and owned by the kernel", (d,),
                     And(dev_mtu.post(d) == ETH_DATA_LEN, dev_hhlen.post(d) == ETH_HLEN,
                         dev_addr_len.post(d) == ETH_ALEN,
                         dev_txqlen.post(d) == ETHER_TX_QUEUE_LEN,
                         dev_flags.post(d) == (IFF_BROADCAST | IFF_MULTICAST),
                         *(And(q_init.post(dev_q(d, pp)), q_owner.post(dev_q(d, pp)) == KERNEL)
                           for pp in range(DEV_NUMBUFFS))),
                     cite(("FLD-9", K(f"{_NI} ether_setup")), ("REG-12", K(_NI)))),),
          (at(dev_mtu, d), at(dev_hhlen, d), at(dev_addr_len, d), at(dev_txqlen, d),
           at(dev_flags, d),
           *(at(q_init, dev_q(d, pp)) for pp in range(DEV_NUMBUFFS)),
           *(at(q_owner, dev_q(d, pp)) for pp in range(DEV_NUMBUFFS)))),),
    cite(("FLD-9", K(f"{_NI} ether_setup")), ("REG-12", K(_NI))),
    "void ether_setup(struct device *dev)",
)

# -- registration ------------------------------------------------------------------------------

REG_INIT = obligation(
    "reg.register.init",
    "register_netdev is given a device with an init (probe) function",
    (d,), dev_has_init(d),
    cite(("REG-2", K(f"{_NI} register_netdev")), ("HAZ-2", K(_NI))),
    "device {d} has no init function (2.0.1 returns 0 but registers nothing)")

REG_FRESH = obligation(
    "reg.register.fresh",
    "a device structure is registered once: not while it is already linked",
    (d,), And(d != null(DEV), ~dev_reg(d), dev_phase(d) == 0),
    cite(("REG-7", K(_NI)),), "device {d} is already registered (the list would be corrupted)")

REG_UNIQUE = obligation(
    "reg.register.unique",
    "a driver registers a device only under a name no registered device has (check with "
    "dev_get first)",
    (d,), Or(dev_name(d) < 0, Forall(e, Implies(dev_reg(e), dev_name(e) != dev_name(d)))),
    cite(("REG-7", K(_NI)), ("REG-1", A2), ("HAZ-1", K(_NI))),
    "device {d} was registered under a name that is already taken")

REG_READY = obligation(
    "reg.register.ready",
    "a successful probe leaves valid bus fields and initialised transmit queues (it called "
    "ether_setup or an equivalent)",
    (d,), And(dev_irq(d) >= 0, dev_irq(d) <= 255, dev_dma(d) >= 0, dev_dma(d) <= 255,
              dev_base(d) >= 0, dev_base(d) <= 0xFFFF, dev_if_port(d) >= 0,
              Implies(dev_mem_start(d) != 0, dev_mem_start(d) <= dev_mem_end(d)),
              Forall(p, And(q_init(dev_q(d, p)), q_owner(dev_q(d, p)) == KERNEL),
                     within=(0, DEV_NUMBUFFS))),
    cite(("CB-1", K("drivers/net/skeleton.c")), ("FLD-5", A2), ("FLD-3", A2)),
    "device {d} was probed successfully but its fields or queues are not set up")

_blank = dev_name(d) == NAME_BLANK
_eth_name_after = And(dev_name.post(d) >= 0, dev_name.post(d) < MAX_ETH_CARDS)
PROBE_FAILED = guarantee(
    "reg.register.probe_failed",
    "nothing is linked; a name that was not blank is unchanged, a blank one may now hold an "
    "eth name (2.0 names the device before probing and releases only the slot)", (d,),
    And(Implies(~_blank, dev_name.post(d) == dev_name(d)),
        Implies(_blank, Or(dev_name.post(d) == NAME_BLANK, _eth_name_after))),
    cite(("REG-5", K(_NI)), ("REG-3", K(f"{_NI} register_netdev"))),
)
_taken = Exists(e, And(dev_reg(e), dev_name(e) == dev_name(d)))
_all_slots = Forall(j, eth_used(j), within=(0, MAX_ETH_CARDS))
_LINK = (at(dev_reg, d), at(dev_owner, d))
_link = And(dev_reg.post(d), dev_owner.post(d) == c)

REGISTER = operation(
    "register_netdev",
    "probe the device (init) and link it into dev_base, naming it ethN if its name is blank",
    (c, d, rc, i),
    (bind(CALLER_LOADED, c), bind(REG_INIT, d), bind(REG_FRESH, d), bind(NAME_OK, dev_name(d)),
     bind(REG_UNIQUE, d)),
    (
        case("register_netdev.probe_failed", "init returned non-zero: -EIO, nothing linked "
             "(a blank name may keep the eth name written before the probe)", rc != 0,
             (PROBE_FAILED,), (at(dev_name, d),), ret="-EIO"),
        case("register_netdev.eexist", "the name is taken: -EEXIST, nothing linked (the "
             "conforming kernel's answer; 2.0.1 would corrupt the name space)",
             And(rc == 0, ~_blank, _taken), violates=(bind(REG_UNIQUE, d),), ret="-EEXIST"),
        case("register_netdev.enfile", "blank name and all 16 eth slots taken: -ENFILE",
             And(rc == 0, _blank, _all_slots), ret="-ENFILE"),
        case("register_netdev.ok_named", "the device is linked under its own name (an ethN "
             "name takes slot N)", And(rc == 0, ~_blank, ~_taken),
             (guarantee("reg.register.linked", "the device is registered, owned by the caller; "
                        "an ethN name takes eth slot N", (c, d),
                        And(_link, Implies(And(dev_name(d) >= 0, dev_name(d) < MAX_ETH_CARDS), And(
                            eth_used.post(dev_name(d)), eth_dev.post(dev_name(d)) == d)),
                            Implies(dev_name(d) >= MAX_ETH_CARDS, And(
                                eth_used.post(dev_name(d)) == eth_used(dev_name(d)),
                                eth_dev.post(dev_name(d)) == eth_dev(dev_name(d))))),
                        cite(("REG-6", K(_NI)), ("REG-12", K(_NI)))),),
             (*_LINK, at(eth_used, dev_name(d)), at(eth_dev, dev_name(d))),
             obligations=(bind(REG_READY, d), bind(RMEM_ZERO, d)), ret="0"),
        case("register_netdev.ok_auto", "blank name: named eth<i> after the lowest free slot "
             "i, and linked",
             And(rc == 0, _blank, i >= 0, i < MAX_ETH_CARDS, ~eth_used(i),
                 Forall(j, eth_used(j), within=(0, i))),
             (guarantee("reg.register.autonamed", "the device is named eth<i> for the lowest "
                        "free slot i, takes the slot, and is registered to the caller", (c, d, i),
                        And(_link, dev_name.post(d) == ethname(i), eth_used.post(i),
                            eth_dev.post(i) == d),
                        cite(("REG-3", K(f"{_NI} register_netdev")), ("REG-6", K(_NI)))),),
             (*_LINK, at(dev_name, d), at(eth_used, i), at(eth_dev, i)),
             obligations=(bind(REG_READY, d), bind(RMEM_ZERO, d)), ret="0"),
    ),
    cite(("REG-2", K(f"{_NI} register_netdev")), ("REG-3", A2), ("REG-5", K(_NI)),
         ("REG-6", K(_NI)), ("REG-8", K("net/core/dev.c (2.2) register_netdevice"))),
    "int register_netdev(struct device *dev)",
)

UNREG_REGISTERED = obligation(
    "reg.unregister.registered", "unregister_netdev is given a registered device", (d,),
    dev_reg(d), cite(("REG-9", K(f"{_NI} unregister_netdev")),),
    "device {d} is not registered (unregister_netdev: '...' not found)")

UNREG_OWNER = obligation(
    "reg.unregister.owner",
    "a module unregisters only a device it registered itself — never another device that "
    "uses the name it wanted",
    (c, d), Implies(dev_reg(d), dev_owner(d) == c),
    cite(("REG-10", A2),), "{c} unregistered device {d}, which another module registered")

UNREG_CLOSED = obligation(
    "reg.unregister.closed",
    "a device is closed (down, no callback running) when it is unregistered",
    (d,), Implies(dev_reg(d), And(~is_up(d), dev_phase(d) == 0, ~dev_start(d))),
    cite(("REG-9", K(f"{_NI} unregister_netdev")), ("HAZ-7", K(_NI))),
    "device {d} is still open (ERROR '...' busy and not MOD_IN_USE)")

UNREGISTER = operation(
    "unregister_netdev", "unlink a device from dev_base and free its eth slot", (c, d),
    (bind(CALLER_LOADED, c), bind(UNREG_REGISTERED, d), bind(UNREG_OWNER, c, d),
     bind(UNREG_CLOSED, d)),
    (case("unregister_netdev.not_found", "not registered: a log message, nothing changes",
          ~dev_reg(d), violates=(bind(UNREG_REGISTERED, d),)),
     case("unregister_netdev.ok", "unlinked; its eth slot is free again", dev_reg(d),
          (guarantee("reg.unregister.unlinked", "the device is no longer registered and an "
                     "eth slot it held is free", (d,),
                     And(~dev_reg.post(d), eth_used.post(dev_name(d)) == And(
                         eth_used(dev_name(d)), eth_dev(dev_name(d)) != d)),
                     cite(("REG-9", K(f"{_NI} unregister_netdev")),)),),
          (at(dev_reg, d), at(eth_used, dev_name(d))))),
    cite(("REG-9", K(f"{_NI} unregister_netdev")), ("REG-10", A2)),
    "void unregister_netdev(struct device *dev)",
)

found = Var("found", DEV)
DEV_GET = operation(
    "dev_get", "find a registered device by name", (c, n, found), (),
    (case("dev_get.found", "returns the registered device with that name",
          And(dev_reg(found), dev_name(found) == n), ret="found"),
     case("dev_get.none", "no registered device has the name: returns NULL",
          And(found == null(DEV), Not(Exists(e, And(dev_reg(e), dev_name(e) == n)))),
          ret="NULL")),
    cite(("REG-1", A2), ("REG-1", K(f"{_DEV} dev_get"))),
    "struct device *dev_get(const char *name)",
)

_name_taken = Exists(e, And(dev_reg(e), dev_name(e) == unit_name(fmt, j)))
DEV_ALLOC_NAME = operation(
    "dev_alloc_name",
    "name a device fmt%d with the lowest unit 0..99 no registered device uses (2.2)",
    (c, d, fmt, i),
    (bind(CALLER_LOADED, c), bind(UNREGISTERED, d)),
    (case("dev_alloc_name.ok", "returns unit i, the lowest free one, and names the device",
          And(fmt >= 1, i >= 0, i < 100,
              Not(Exists(e, And(dev_reg(e), dev_name(e) == unit_name(fmt, i)))),
              Forall(j, _name_taken, within=(0, i))),
          (guarantee("reg.alloc_name.effect", "the device is named fmt%d with unit i",
                     (d, fmt, i), dev_name.post(d) == unit_name(fmt, i),
                     cite(("REG-8", K("net/core/dev.c (2.2) dev_alloc_name")),)),),
          (at(dev_name, d),), ret="i"),
     case("dev_alloc_name.enfile", "all 100 units are taken: -ENFILE",
          And(fmt >= 1, Forall(j, _name_taken, within=(0, 100))), ret="-ENFILE")),
    cite(("REG-8", K("net/core/dev.c (2.2) dev_alloc_name")), ("REG-11", K("drivers/net/dummy.c"))),
    "int dev_alloc_name(struct device *dev, const char *name)",
)

# -- open / close -----------------------------------------------------------------------------

KERNEL_SIDE = obligation(
    "cb.kernel.device",
    "the kernel opens, closes and transmits only on registered devices with no callback "
    "already running",
    (d,), And(dev_reg(d), dev_phase(d) == 0),
    cite(("CB-2", K(f"{_DEV} dev_open")), ("CB-3", K(f"{_DEV} dev_close"))),
    "device {d} is not registered or already inside a callback")

DEV_OPEN = operation(
    "dev_open", "ifconfig up: call the driver's open (kernel side)", (d,),
    (bind(KERNEL_SIDE, d),),
    (case("dev_open.enodev", "no open method: -ENODEV", And(~is_up(d), ~dev_has_open(d)),
          ret="-ENODEV"),
     case("dev_open.already_up", "already up: nothing to do", is_up(d), ret="0"),
     case("dev_open.call", "open is called", And(~is_up(d), dev_has_open(d)),
          (guarantee("cb.open.enter", "the device is inside its open callback", (d,),
                     dev_phase.post(d) == 1, cite(("CB-2", K(f"{_DEV} dev_open")),)),),
          (at(dev_phase, d),))),
    cite(("CB-2", K(f"{_DEV} dev_open")), ("FLG-2", K(_DEV))),
    "int dev_open(struct device *dev)",
)

IN_OPEN = obligation("cb.open.inside", "open returns only from an open call", (d,),
                     dev_phase(d) == 1, cite(("CB-2", K(f"{_DEV} dev_open")),),
                     "device {d} returned from open without being opened")

OPEN_STATUS = obligation(
    "cb.open.status",
    "a successful open leaves start = 1, tbusy = 0, interrupt = 0 (loopback-style devices "
    "with IFF_LOOPBACK never set start)",
    (d,), Or(And(dev_start(d), ~dev_tbusy(d), ~dev_interrupt(d)), flag(d, IFF_LOOPBACK)),
    cite(("CB-2", K("drivers/net/skeleton.c net_open")), ("FLG-5", K(_DEV))),
    "open of device {d} returned 0 without setting start=1, tbusy=0, interrupt=0")

OPEN_ERRNO = obligation("cb.open.errno", "a failing open returns a negative errno", (rc,),
                        rc < 0, cite(("CB-2", K("drivers/net/skeleton.c net_open")),),
                        "open returned {rc}, not a negative errno")

OPEN_RETURN = operation(
    "open_return", "the driver's open returns rc to dev_open", (c, d, rc),
    (bind(CALLER_LOADED, c), bind(DEV_OWNED, c, d), bind(IN_OPEN, d)),
    (case("open_return.ok", "rc = 0: dev_open sets IFF_UP|IFF_RUNNING", rc == 0,
          (guarantee("flg.open.up", "IFF_UP and IFF_RUNNING are set; the callback is over",
                     (d,), And(dev_flags.post(d) == (dev_flags(d) | IFF_UP | IFF_RUNNING),
                               dev_phase.post(d) == 0),
                     cite(("FLG-2", K(f"{_DEV} dev_open")), ("CB-2", K(_DEV)))),),
          (at(dev_flags, d), at(dev_phase, d)), obligations=(bind(OPEN_STATUS, d),)),
     case("open_return.fail", "rc < 0: the device stays down; the error is returned",
          rc != 0,
          (guarantee("cb.open.failed", "the callback is over; flags are unchanged", (d,),
                     dev_phase.post(d) == 0, cite(("CB-2", K(f"{_DEV} dev_open")),)),),
          (at(dev_phase, d),), obligations=(bind(OPEN_ERRNO, rc),), ret="rc")),
    cite(("CB-2", K(f"{_DEV} dev_open")),),
    "return from int (*open)(struct device *dev)",
)

DEV_CLOSE = operation(
    "dev_close", "ifconfig down: call the driver's stop if the device is up (kernel side)",
    (d,), (bind(KERNEL_SIDE, d),),
    (case("dev_close.down", "not up: stop is not called; nothing to drain", ~is_up(d)),
     case("dev_close.call", "up: stop is called", is_up(d),
          (guarantee("cb.stop.enter", "the device is inside its stop callback", (d,),
                     dev_phase.post(d) == 2, cite(("CB-3", K(f"{_DEV} dev_close")),)),),
          (at(dev_phase, d),))),
    cite(("CB-3", K(f"{_DEV} dev_close")), ("HAZ-7", K(_DEV))),
    "int dev_close(struct device *dev)",
)

IN_STOP = obligation("cb.stop.inside", "stop returns only from a stop call", (d,),
                     dev_phase(d) == 2, cite(("CB-3", K(f"{_DEV} dev_close")),),
                     "device {d} returned from stop without being stopped")

STOP_STATUS = obligation(
    "cb.stop.status",
    "stop leaves start = 0 (loopback-style devices excepted); tbusy is the driver's: "
    "skeleton.c sets it, the 8390 drivers' ei_close leaves it clear (8390.c:128-132, "
    "NS8390_init 8390.c:774), and a device that is down is never given a frame",
    (d,), Or(~dev_start(d), flag(d, IFF_LOOPBACK)),
    cite(("CB-3", K("drivers/net/skeleton.c net_close")),
         ("CB-3", K("drivers/net/8390.c ei_close")), ("FLG-5", K("net/core/dev.c"))),
    "stop of device {d} did not clear start")

STOP_IRQ = obligation(
    "cb.stop.irq",
    "stop frees the IRQ line open claimed: no action the module requested after its "
    "init_module remains on dev->irq for this device (or with a NULL dev_id). A line claimed "
    "at probe time (ne.c:382, wd.c:256, at1700.c:195) is held until cleanup_module (RES-11)",
    (c, d), Not(Exists(av, And(act_live(av), act_owner(av) == c, act_line(av) == dev_irq(d),
                               ~act_at_load(av),
                               (act_devid(av) == d) | (act_devid(av) == null(DEV))))),
    cite(("CB-3", K("drivers/net/skeleton.c net_close")), ("RES-11", K("drivers/net/skeleton.c")),
         ("RES-11", K("drivers/net/ne.c cleanup_module"))),
    "stop of device {d} left IRQ dev->irq, which open claimed, claimed by {c}")

STOP_DMA = obligation(
    "cb.stop.dma", "stop frees the DMA channel open claimed (a channel claimed at probe time, "
    "as lance.c:545 does, is held until cleanup_module, RES-11)",
    (c, d), Implies(And(dev_dma(d) >= 0, dev_dma(d) < MAX_DMA_CHANNELS),
                    Not(And(dma_locked(dev_dma(d)), dma_owner(dev_dma(d)) == c,
                            ~dma_at_load(dev_dma(d))))),
    cite(("CB-3", K("drivers/net/skeleton.c net_close")), ("RES-11", K("drivers/net/skeleton.c")),
         ("RES-11", K("drivers/net/lance.c lance_probe1"))),
    "stop of device {d} left DMA channel dev->dma, which open claimed, claimed by {c}")

DRAIN = guarantee(
    "cb.close.drain",
    "IFF_UP and IFF_RUNNING are cleared and every transmit queue of the device is emptied "
    "(its frames go back to the kernel, which frees them or leaves them to their owner)",
    (d,),
    And(dev_flags.post(d) == (dev_flags(d) & ~(IFF_UP | IFF_RUNNING)), dev_phase.post(d) == 0,
        Forall(x, skb_queued.post(x) == And(skb_queued(x), q_dev(skb_list(x)) != d)),
        Forall(qv, q_lo.post(qv) == Ite(q_dev(qv) == d, q_hi(qv), q_lo(qv)))),
    cite(("CB-3", K(f"{_DEV} dev_close")), ("FLG-2", K(_DEV))),
)

_ov = Var("ov", DEV)
_others_down = Forall(_ov, Implies(And(dev_reg(_ov), dev_owner(_ov) == c, _ov != d),
                                   Not(is_up(_ov))))
USE_RELEASED = obligation(
    "mod.use.released", "stop undoes open's MOD_INC_USE_COUNT: when the module's last open "
    "device stops, its use count is back to 0, so rmmod can succeed", (c, d),
    Implies(_others_down, mod_use(c) == 0),
    cite(("MOD-3", K("include/linux/module.h")), ("CB-3", K("drivers/net/skeleton.c net_close"))),
    "stop of device {d} left the use count of {c} above 0 with no device of it open")

STOP_RETURN = operation(
    "stop_return", "the driver's stop returns to dev_close (its value is ignored)", (c, d),
    (bind(CALLER_LOADED, c), bind(DEV_OWNED, c, d), bind(IN_STOP, d)),
    (case("stop_return.ok", "the device is down and its queues are drained", And(),
          (DRAIN,), (at(dev_flags, d), at(dev_phase, d), whole(skb_queued), whole(q_lo)),
          obligations=(bind(STOP_STATUS, d), bind(STOP_IRQ, c, d), bind(STOP_DMA, c, d),
                       bind(USE_RELEASED, c, d))),),
    cite(("CB-3", K(f"{_DEV} dev_close")), ("HAZ-7", K(_DEV))),
    "return from int (*stop)(struct device *dev)",
)

_dv = Var("dv", DEV)

UNREGISTERED_BY_OWNER = transition(
    "reg.unregister.owner_only", "a device leaves dev_base only in a call by the module that "
    "registered it", (c,),
    Forall(_dv, Implies(And(dev_reg(_dv), Not(dev_reg.post(_dv))), dev_owner(_dv) == c)),
    UNREG_OWNER.citations, "{c} unregistered a device another module registered")

TRANSITIONS: tuple[Rule, ...] = (UNREGISTERED_BY_OWNER,)

# -- ISA shared memory (FLD-5) ------------------------------------------------------------------

addr_v, len_v = Var("addr", i.sort), Var("n", i.sort)
_window = Exists(e, And(dev_reg(e), dev_owner(e) == c, dev_mem_start(e) <= addr_v,
                        addr_v + len_v <= dev_mem_end(e)))
MEM_WINDOW = obligation(
    "fld.mem.window",
    "a driver reads and writes ISA shared memory (readb, writeb, memcpy_fromio, "
    "memcpy_toio) only inside the mem_start..mem_end window of a device it registered; "
    "while its init_module runs it may probe for the card's memory (wd.c wd_probe1)",
    (c, addr_v, len_v), And(len_v >= 0, Or(mod_phase(c) == 1, _window)),
    cite(("FLD-5", A2), ("FLD-5", K("drivers/net/wd.c wd_probe1"))),
    "{c} touched {n} bytes of ISA memory at {addr}, outside the shared-memory window of "
    "every device it registered")

SHMEM_IO = operation(
    "shmem_io", "the driver reads or writes n bytes of its card's shared memory at addr",
    (c, addr_v, len_v), (bind(CALLER_LOADED, c), bind(MEM_WINDOW, c, addr_v, len_v)),
    (case("shmem_io.ok", "the card's memory changes or is read; no state the spec models "
          "does", And()),),
    cite(("FLD-5", A2), ("FLD-5", K("drivers/net/wd.c wd_probe1"))),
    "readb(addr), writeb(b, addr), memcpy_fromio(to, addr, n), memcpy_toio(addr, from, n)",
)

OPERATIONS: tuple[Operation, ...] = (
    DEV_SETUP, DEV_STATUS, ETHER_SETUP, REGISTER, UNREGISTER, DEV_GET, DEV_ALLOC_NAME,
    DEV_OPEN, OPEN_RETURN, DEV_CLOSE, STOP_RETURN, SHMEM_IO,
)

