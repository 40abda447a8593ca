"""IRQ lines, I/O port regions and DMA channels (api-facts RES)."""

from __future__ import annotations

from netdevspec.spec._build import (
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
)
from netdevspec.spec.common import CALLER_LOADED, a, c, d, n, r
from netdevspec.spec.logic import BOOL, INT, And, Exists, Forall, Implies, Ite, Not, Or, Var, null
from netdevspec.spec.rules import Operation, Rule
from netdevspec.spec.vocabulary import (
    ACT,
    ACT_CASCADE,
    ACT_FPU,
    ACT_TIMER,
    DEV,
    DMA_CASCADE,
    IO_SPACE,
    IO_TABLE_SIZE,
    KERNEL,
    MAX_DMA_CHANNELS,
    NR_IRQS,
    PARTY,
    REGION,
    act_at_load,
    act_devid,
    act_line,
    act_live,
    act_owner,
    act_saint,
    act_shirq,
    dev_dma,
    dma_at_load,
    dma_locked,
    dma_owner,
    io_count,
    io_slot,
    loaded,
    mod_phase,
    reg_from,
    reg_idx,
    reg_live,
    reg_num,
    reg_owner,
)

_IRQ = "arch/i386/kernel/irq.c"
_RES = "kernel/resource.c"
_DMA = "kernel/dma.c"
_SKEL_OPEN = "drivers/net/skeleton.c net_open"
av = Var("av", ACT)
av2 = Var("av2", ACT)
rv = Var("rv", REGION)
rv2 = Var("rv2", REGION)
ch = Var("ch", INT)
irq = Var("irq", INT)
frm = Var("from", INT)
num = Var("num", INT)
shirq = Var("shirq", BOOL)
saint = Var("sa_interrupt", BOOL)
handler = Var("handler", BOOL)
dev_id = Var("dev_id", DEV)

# -- invariants ------------------------------------------------------------------------------------

IRQ_EXCLUSIVE = invariant(
    "res.irq.exclusive",
    "two actions share an IRQ line only if both asked for SA_SHIRQ with the same SA_INTERRUPT "
    "setting and distinct dev_ids",
    Forall((av, av2), Implies(
        And(act_live(av), act_live(av2), av != av2, act_line(av) == act_line(av2)),
        And(act_shirq(av), act_shirq(av2), act_saint(av) == act_saint(av2),
            act_devid(av) != act_devid(av2)))),
    cite(("RES-1", K(f"{_IRQ} setup_x86_irq")), ("RES-3", K(_IRQ))),
)

IRQ_WELLFORMED = invariant(
    "res.irq.wellformed",
    "every installed action is on a line 0..15, has a loaded owner, and a shared one has a "
    "non-NULL dev_id; the kernel holds the timer (0), cascade (2) and FPU (13) lines",
    And(Forall(av, Implies(act_live(av), And(
        act_line(av) >= 0, act_line(av) < NR_IRQS, act_owner(av) != null(PARTY),
        loaded(act_owner(av)), Implies(act_shirq(av), act_devid(av) != null(DEV))))),
        ~act_live(null(ACT)),
        *(And(act_live(k_), act_line(k_) == line, act_owner(k_) == KERNEL, ~act_shirq(k_),
              act_saint(k_), act_devid(k_) == null(DEV))
          for k_, line in ((ACT_TIMER, 0), (ACT_CASCADE, 2), (ACT_FPU, 13)))),
    cite(("RES-1", K(_IRQ)), ("FLD-3", K(f"{_IRQ} init_IRQ")), ("RES-2", K(_IRQ))),
)

REGIONS_DISJOINT = invariant(
    "res.region.exclusive",
    "no I/O port is in two claimed regions",
    Forall((rv, rv2), Implies(And(reg_live(rv), reg_live(rv2), rv != rv2), Or(
        reg_from(rv) + reg_num(rv) <= reg_from(rv2),
        reg_from(rv2) + reg_num(rv2) <= reg_from(rv)))),
    cite(("RES-8", K(f"{_RES} find_gap")), ("RES-9", K(_RES))),
)

REGION_TABLE = invariant(
    "res.region.table",
    "claimed regions are non-empty ranges of the 64K port space with a loaded owner, and "
    "fill exactly the first io.count of the 64 table entries",
    And(io_count() >= 0, io_count() <= IO_TABLE_SIZE, ~reg_live(null(REGION)),
        Forall(n, And(reg_live(io_slot(n)), reg_idx(io_slot(n)) == n), within=(0, io_count())),
        Forall(rv, Implies(reg_live(rv), And(
            reg_num(rv) >= 1, reg_from(rv) >= 0, reg_from(rv) + reg_num(rv) <= IO_SPACE,
            reg_owner(rv) != null(PARTY), loaded(reg_owner(rv)),
            reg_idx(rv) >= 0, reg_idx(rv) < io_count(), io_slot(reg_idx(rv)) == rv)))),
    cite(("RES-9", K(f"{_RES} request_region")), ("RES-10", K(_RES))),
)

DMA_OWNED = invariant(
    "res.dma.exclusive",
    "a DMA channel is claimed by one loaded owner or by nobody; channel 4 (cascade) is "
    "always the kernel's",
    And(dma_locked(DMA_CASCADE), dma_owner(DMA_CASCADE) == KERNEL,
        Forall(ch, And(Implies(dma_locked(ch), And(dma_owner(ch) != null(PARTY),
                                                  loaded(dma_owner(ch)))),
                       Implies(~dma_locked(ch), dma_owner(ch) == null(PARTY))),
               within=(0, MAX_DMA_CHANNELS))),
    cite(("RES-6", K(f"{_DMA} request_dma")), ("FLD-4", K(_DMA))),
)

INVARIANTS: tuple[Rule, ...] = (IRQ_EXCLUSIVE, IRQ_WELLFORMED, REGIONS_DISJOINT, REGION_TABLE,
                                DMA_OWNED)

# -- IRQ -----------------------------------------------------------------------------------------

SHARE_DEVID = obligation(
    "res.irq.request.dev_id",
    "a claim with SA_SHIRQ passes a non-NULL dev_id that no action on the line already uses, "
    "so free_irq can tell the sharers apart",
    (irq, shirq, dev_id),
    Implies(shirq, And(dev_id != null(DEV), Not(Exists(av, And(
        act_live(av), act_line(av) == irq, act_devid(av) == dev_id)))))
    ,
    cite(("RES-3", K(_IRQ)), ("RES-2", K(f"{_IRQ} free_irq")), ("HAZ-6", K(_IRQ))),
    "request_irq({irq}, SA_SHIRQ) with a NULL or duplicate dev_id {dev_id}")

_on_line = And(act_live(av), act_line(av) == irq)
_conflict = Exists(av, And(_on_line, Not(And(act_shirq(av), shirq))))
_mode = Exists(av, And(_on_line, act_saint(av) != saint))

OWN_TWICE = obligation(
    "res.irq.request.held", "a module requests a line it already holds only to share it: "
    "both its claim and the new one use SA_SHIRQ", (c, irq, shirq),
    Forall(av, Implies(And(act_live(av), act_line(av) == irq, act_owner(av) == c),
                       And(shirq, act_shirq(av)))),
    cite(("RES-3", K("arch/i386/kernel/irq.c setup_x86_irq")),
         ("RES-1", K("arch/i386/kernel/irq.c request_irq"))),
    "{c} requested IRQ {irq} again without sharing it")

REQUEST_IRQ = operation(
    "request_irq", "claim an IRQ line for a handler", (c, irq, handler, shirq, saint, dev_id, a),
    (bind(CALLER_LOADED, c), bind(SHARE_DEVID, irq, shirq, dev_id),
     bind(OWN_TWICE, c, irq, shirq)),
    (case("request_irq.einval", "line > 15 (or < 0) or no handler: -EINVAL",
          Or(irq < 0, irq >= NR_IRQS, ~handler), ret="-EINVAL"),
     case("request_irq.enomem", "no memory for the action: -ENOMEM",
          And(irq >= 0, irq < NR_IRQS, handler), ret="-ENOMEM"),
     case("request_irq.ebusy", "the line is held without SA_SHIRQ on both sides: -EBUSY",
          And(irq >= 0, irq < NR_IRQS, handler, _conflict), ret="-EBUSY"),
     case("request_irq.mismatch", "shared, but SA_INTERRUPT differs: -EBUSY",
          And(irq >= 0, irq < NR_IRQS, handler, Not(_conflict), _mode), ret="-EBUSY"),
     case("request_irq.ok", "the action a is installed (the line may now be shared)",
          And(irq >= 0, irq < NR_IRQS, handler, Not(_conflict), Not(_mode),
              a != null(ACT), ~act_live(a)),
          (guarantee("res.irq.installed", "action a is live on the line, owned by the caller, "
                     "with the flags and dev_id given, and marked as a probe-time claim when "
                     "the caller's init_module is running", (c, a),
                     And(act_live.post(a), act_line.post(a) == irq, act_owner.post(a) == c,
                         act_devid.post(a) == dev_id, act_shirq.post(a) == shirq,
                         act_saint.post(a) == saint, act_at_load.post(a) == (mod_phase(c) == 1)),
                     cite(("RES-1", K(f"{_IRQ} request_irq")),
                          ("RES-11", K("drivers/net/ne.c ne_probe1")))),),
          tuple(at(s_, a) for s_ in (act_live, act_line, act_owner, act_devid, act_shirq,
                                     act_saint, act_at_load)), ret="0")),
    cite(("RES-1", K(f"{_IRQ} request_irq")), ("RES-3", K(_IRQ))),
    "int request_irq(unsigned int irq, void (*handler)(int, void *, struct pt_regs *), "
    "unsigned long flags, const char *device, void *dev_id)",
)

FREE_HELD = obligation(
    "res.irq.free.held", "free_irq names a line 0..15 with an action for that dev_id",
    (irq, dev_id), And(irq >= 0, irq < NR_IRQS,
                       Exists(av, And(_on_line, act_devid(av) == dev_id))),
    cite(("RES-2", K(f"{_IRQ} free_irq")),), "free_irq({irq}) of a line that is not held "
    "(Trying to free free IRQ)")
FREE_OWN = obligation(
    "res.irq.free.owner", "a module frees only an IRQ action it requested itself",
    (c, irq, dev_id), Not(Exists(av, And(_on_line, act_devid(av) == dev_id, act_owner(av) != c))),
    cite(("RES-2", K(f"{_IRQ} free_irq")), ("HAZ-6", K(_IRQ))),
    "{c} freed IRQ {irq}, which another module holds")

_its_dma = dev_dma(dev_id)
_kept = And(dma_at_load(ch), mod_phase(c) != 3)
_kept_its = And(dma_at_load(_its_dma), mod_phase(c) != 3)
DMA_FIRST = obligation(
    "res.order.dma_first", "a driver releases its DMA channel before its IRQ line: the "
    "channel of the device the action belongs to (any channel the caller holds, for a "
    "NULL dev_id) is no longer the caller's. A channel claimed at probe time is held until "
    "cleanup_module, after the IRQ line stop frees (lance.c:545, 1116), and is released "
    "first there", (c, dev_id),
    Ite(dev_id == null(DEV),
        Forall(ch, Implies(And(dma_locked(ch), Not(_kept)), dma_owner(ch) != c),
               within=(0, MAX_DMA_CHANNELS)),
        Implies(And(_its_dma >= 0, _its_dma < MAX_DMA_CHANNELS, Not(_kept_its)),
                Or(~dma_locked(_its_dma), dma_owner(_its_dma) != c))),
    cite(("RES-5", K(f"{_DMA} (header comment)")), ("RES-5", K(_SKEL_OPEN)),
         ("RES-11", K("drivers/net/lance.c lance_close"))),
    "{c} freed the IRQ of {dev_id} while still holding its DMA channel")

FREE_IRQ = operation(
    "free_irq", "release an IRQ action (the first one on the line with this dev_id)",
    (c, irq, dev_id, a),
    (bind(CALLER_LOADED, c), bind(FREE_HELD, irq, dev_id), bind(FREE_OWN, c, irq, dev_id),
     bind(DMA_FIRST, c, dev_id)),
    (case("free_irq.bad_line", "line out of range: a log message, nothing changes",
          Or(irq < 0, irq >= NR_IRQS), violates=(bind(FREE_HELD, irq, dev_id),)),
     case("free_irq.not_held", "no action with that dev_id: Trying to free free IRQ",
          And(irq >= 0, irq < NR_IRQS, Not(Exists(av, And(_on_line, act_devid(av) == dev_id)))),
          violates=(bind(FREE_HELD, irq, dev_id),)),
     case("free_irq.ok", "the action a is removed",
          And(irq >= 0, irq < NR_IRQS, act_live(a), act_line(a) == irq, act_devid(a) == dev_id),
          (guarantee("res.irq.removed", "the action is no longer installed", (a,),
                     ~act_live.post(a), cite(("RES-2", K(f"{_IRQ} free_irq")),)),),
          (at(act_live, a),))),
    cite(("RES-2", K(f"{_IRQ} free_irq")),),
    "void free_irq(unsigned int irq, void *dev_id)",
)

# -- I/O regions -------------------------------------------------------------------------------

_overlap = Exists(rv, And(reg_live(rv), reg_from(rv) < frm + num, frm < reg_from(rv) + reg_num(rv)))

CHECK_REGION = operation(
    "check_region", "is a port range free? (pure)", (c, frm, num),
    (bind(CALLER_LOADED, c),),
    (case("check_region.busy", "overlaps a claimed region, or is empty/wraps: -EBUSY",
          Or(num < 1, _overlap), ret="-EBUSY"),
     case("check_region.free", "free: 0", And(num >= 1, Not(_overlap)), ret="0")),
    cite(("RES-8", K(f"{_RES} check_region")),),
    "int check_region(unsigned int from, unsigned int extent)",
)

RANGE_OK = obligation(
    "res.region.range", "a requested region is a non-empty range inside the 64K port space",
    (frm, num), And(frm >= 0, num >= 1, frm + num <= IO_SPACE),
    cite(("RES-8", K(_RES)), ("RES-9", K(_RES))), "region {from}+{num} is empty or out of range")
REQ_FREE = obligation(
    "res.region.request.free",
    "a driver requests only a free range (it checked with check_region first): 2.0 silently "
    "ignores a clash, leaving the driver using ports it does not own",
    (frm, num), Not(_overlap),
    cite(("RES-9", K(f"{_RES} request_region")), ("HAZ-4", K(_RES)), ("RES-8", K(_RES))),
    "request_region({from}, {num}) overlaps a claimed region")

REQUEST_REGION = operation(
    "request_region", "claim a port range (void in 2.0: a clash or a full table is ignored)",
    (c, frm, num, r),
    (bind(CALLER_LOADED, c), bind(RANGE_OK, frm, num), bind(REQ_FREE, frm, num)),
    (case("request_region.busy", "overlaps: silently nothing", _overlap,
          violates=(bind(REQ_FREE, frm, num),)),
     case("request_region.full", "the 64-entry table is full: a warning, nothing claimed",
          And(Not(_overlap), io_count() >= IO_TABLE_SIZE)),
     case("request_region.ok", "the region r is claimed by the caller",
          And(Not(_overlap), io_count() < IO_TABLE_SIZE, r != null(REGION), ~reg_live(r)),
          (guarantee("res.region.claimed", "region r covers the range, is owned by the caller "
                     "and takes the next table entry", (c, r),
                     And(reg_live.post(r), reg_from.post(r) == frm, reg_num.post(r) == num,
                         reg_owner.post(r) == c, reg_idx.post(r) == io_count(),
                         io_slot.post(io_count()) == r, io_count.post() == io_count() + 1),
                     cite(("RES-9", K(f"{_RES} request_region")),)),),
          (*(at(s_, r) for s_ in (reg_live, reg_from, reg_num, reg_owner, reg_idx)),
           at(io_slot, io_count()), at(io_count)))),
    cite(("RES-9", K(f"{_RES} request_region")),),
    "void request_region(unsigned int from, unsigned int extent, const char *name)",
)

_exact = Exists(rv, And(reg_live(rv), reg_from(rv) == frm, reg_num(rv) == num))
REL_HELD = obligation(
    "res.region.release.held",
    "release_region names exactly the extent of a claimed region",
    (frm, num), _exact, cite(("RES-10", K(f"{_RES} release_region")),),
    "release_region({from}, {num}) matches no claimed region (silently ignored)")
REL_OWN = obligation(
    "res.region.release.owner", "a module releases only a region it claimed",
    (c, frm, num), Not(Exists(rv, And(reg_live(rv), reg_from(rv) == frm, reg_num(rv) == num,
                                      reg_owner(rv) != c))),
    cite(("RES-10", K(_RES)), ("HAZ-6", K(_RES))),
    "{c} released region {from}+{num}, which another module claimed")

_last = io_slot(io_count() - 1)
RELEASE_REGION = operation(
    "release_region", "release a port range (exact extent only)", (c, frm, num, r),
    (bind(CALLER_LOADED, c), bind(REL_HELD, frm, num), bind(REL_OWN, c, frm, num)),
    (case("release_region.nomatch", "no region has exactly this extent: nothing happens",
          Not(_exact), violates=(bind(REL_HELD, frm, num),)),
     case("release_region.ok", "region r is released",
          And(reg_live(r), reg_from(r) == frm, reg_num(r) == num),
          (guarantee("res.region.released", "the region is no longer claimed; the table stays "
                     "dense (its last entry moves into the freed one)", (r,),
                     And(~reg_live.post(r), io_count.post() == io_count() - 1,
                         # the slot past the new count is garbage unless another moves in
                         Implies(_last != r, And(io_slot.post(reg_idx(r)) == _last,
                                                 reg_idx.post(_last) == reg_idx(r)))),
                     cite(("RES-10", K(f"{_RES} release_region")),)),),
          (at(reg_live, r), at(io_count), at(io_slot, reg_idx(r)), at(reg_idx, _last)))),
    cite(("RES-10", K(f"{_RES} release_region")),),
    "void release_region(unsigned int from, unsigned int extent)",
)

# -- DMA ----------------------------------------------------------------------------------------

IRQ_FIRST = obligation(
    "res.order.irq_first", "in open, a driver claims its IRQ line before its DMA channel (so "
    "that a failed DMA claim has only the IRQ to give back); a probe may claim a jumpered or "
    "autoprobed DMA channel on its own, before the IRQ that open claims (lance.c:545, 622)",
    (c,), Implies(mod_phase(c) != 1, Exists(av, And(act_live(av), act_owner(av) == c))),
    cite(("RES-5", K(f"{_DMA} (header comment)")), ("RES-5", K(_SKEL_OPEN)),
         ("RES-11", K("drivers/net/lance.c lance_probe1"))),
    "{c} requested a DMA channel while holding no IRQ line")

REQUEST_DMA = operation(
    "request_dma", "claim a DMA channel", (c, ch),
    (bind(CALLER_LOADED, c), bind(IRQ_FIRST, c)),
    (case("request_dma.einval", "channel ≥ 8 (or < 0): -EINVAL",
          Or(ch < 0, ch >= MAX_DMA_CHANNELS), ret="-EINVAL"),
     case("request_dma.ebusy", "already claimed (channel 4 always is): -EBUSY",
          And(ch >= 0, ch < MAX_DMA_CHANNELS, dma_locked(ch)), ret="-EBUSY"),
     case("request_dma.ok", "the channel is claimed by the caller",
          And(ch >= 0, ch < MAX_DMA_CHANNELS, ~dma_locked(ch)),
          (guarantee("res.dma.claimed", "the channel is locked and owned by the caller, and "
                     "marked as a probe-time claim when the caller's init_module is running",
                     (c, ch), And(dma_locked.post(ch), dma_owner.post(ch) == c,
                                  dma_at_load.post(ch) == (mod_phase(c) == 1)),
                     cite(("RES-6", K(f"{_DMA} request_dma")),
                          ("RES-11", K("drivers/net/lance.c lance_probe1")))),),
          (at(dma_locked, ch), at(dma_owner, ch), at(dma_at_load, ch)), ret="0")),
    cite(("RES-6", K(f"{_DMA} request_dma")), ("FLD-4", K(_DMA)), ("HAZ-5", K(_DMA))),
    "int request_dma(unsigned int dmanr, const char *device_id)",
)

DMA_HELD = obligation(
    "res.dma.free.held", "free_dma names a claimed channel 0..7", (ch,),
    And(ch >= 0, ch < MAX_DMA_CHANNELS, dma_locked(ch)),
    cite(("RES-7", K(f"{_DMA} free_dma")),), "free_dma({ch}) of a free or invalid channel")
DMA_OWN = obligation(
    "res.dma.free.owner", "a module frees only a DMA channel it claimed", (c, ch),
    Implies(And(ch >= 0, ch < MAX_DMA_CHANNELS, dma_locked(ch)), dma_owner(ch) == c),
    cite(("RES-7", K(f"{_DMA} free_dma")), ("HAZ-6", K(_DMA))),
    "{c} freed DMA channel {ch}, which it does not own")

FREE_DMA = operation(
    "free_dma", "release a DMA channel", (c, ch),
    (bind(CALLER_LOADED, c), bind(DMA_HELD, ch), bind(DMA_OWN, c, ch)),
    (case("free_dma.bad", "channel ≥ 8: Trying to free DMA, nothing changes",
          Or(ch < 0, ch >= MAX_DMA_CHANNELS), violates=(bind(DMA_HELD, ch),)),
     case("free_dma.not_held", "not claimed: Trying to free free DMA",
          And(ch >= 0, ch < MAX_DMA_CHANNELS, ~dma_locked(ch)), violates=(bind(DMA_HELD, ch),)),
     case("free_dma.ok", "the channel is free again",
          And(ch >= 0, ch < MAX_DMA_CHANNELS, dma_locked(ch)),
          (guarantee("res.dma.released", "the channel is unlocked and has no owner", (ch,),
                     And(~dma_locked.post(ch), dma_owner.post(ch) == null(PARTY)),
                     cite(("RES-7", K(f"{_DMA} free_dma")),)),),
          (at(dma_locked, ch), at(dma_owner, ch)))),
    cite(("RES-7", K(f"{_DMA} free_dma")),),
    "void free_dma(unsigned int dmanr)",
)

# -- port I/O ------------------------------------------------------------------------------------

port = Var("port", INT)
_covers = And(reg_live(rv), reg_from(rv) <= port, port < reg_from(rv) + reg_num(rv))
PORT_CLAIMED = obligation(
    "res.port.claimed", "a driver touches only ports of a region it claimed; while its "
    "init_module runs (probing) it may also read and write ports no region covers, after "
    "check_region has found them free", (c, port),
    Or(Exists(rv, And(_covers, reg_owner(rv) == c)),
       And(mod_phase(c) == 1, Not(Exists(rv, _covers)))),
    cite(("RES-8", K(f"{_RES} check_region")), ("RES-11", K(_SKEL_OPEN))),
    "{c} accessed port {port}, outside every region it claimed")

PORT_IO = operation(
    "port_io", "a driver reads or writes an I/O port (inb, outb, inw, outw, insw, outsw, ...)",
    (c, port), (bind(CALLER_LOADED, c), bind(PORT_CLAIMED, c, port)),
    (case("port_io.ok", "the card sees the access; the kernel's state does not change",
          And()),),
    cite(("RES-8", K(_RES)), ("RES-11", K(_SKEL_OPEN))),
    "unsigned char inb(unsigned short port) / void outb(unsigned char value, unsigned short port)",
)

OPERATIONS: tuple[Operation, ...] = (REQUEST_IRQ, FREE_IRQ, CHECK_REGION, REQUEST_REGION,
                                     RELEASE_REGION, REQUEST_DMA, FREE_DMA, PORT_IO)

# -- transitions: who may act ------------------------------------------------------------------

IRQ_RELEASED_BY_OWNER = transition(
    "res.irq.release.owner", "an IRQ action disappears only in a call by the module that "
    "requested it", (c,),
    Forall(av, Implies(And(act_live(av), Not(act_live.post(av))), act_owner(av) == c)),
    cite(("RES-2", K(f"{_IRQ} free_irq")), ("HAZ-6", K(_IRQ))),
    "{c} removed an IRQ action another module requested")

_chv = Var("chv", INT)

REGION_RELEASED_BY_OWNER = transition(
    "res.region.release.owner_only", "an I/O region leaves the table only in a call by the module "
    "that requested it", (c,),
    Forall(rv, Implies(And(reg_live(rv), Not(reg_live.post(rv))), reg_owner(rv) == c)),
    REL_OWN.citations, "{c} released an I/O region another module requested")

DMA_FREED_BY_OWNER = transition(
    "res.dma.free.owner_only", "a DMA channel is freed only in a call by the party that "
    "claimed it", (c,),
    Forall(_chv, Implies(And(dma_locked(_chv), Not(dma_locked.post(_chv))),
                         dma_owner(_chv) == c), within=(0, MAX_DMA_CHANNELS)),
    DMA_OWN.citations, "{c} freed a DMA channel another party claimed")

TRANSITIONS: tuple[Rule, ...] = (IRQ_RELEASED_BY_OWNER, REGION_RELEASED_BY_OWNER,
                                 DMA_FREED_BY_OWNER)

del d
