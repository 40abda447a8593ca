"""Module loading, the use count and the end-of-life duties (api-facts MOD)."""

from __future__ import annotations

from netdevspec.spec._build import (
    K,
    at,
    bind,
    case,
    cite,
    duty,
    guarantee,
    invariant,
    obligation,
    operation,
)
from netdevspec.spec.common import m, n, rc
from netdevspec.spec.logic import And, Forall, Implies, Ite, Not, Var, null
from netdevspec.spec.rules import Operation, Rule
from netdevspec.spec.vocabulary import (
    ACT,
    BLK,
    DEV,
    KERNEL,
    MAX_DMA_CHANNELS,
    PARTY,
    QUEUE,
    REGION,
    SKB,
    TIMER,
    act_live,
    act_owner,
    dev_owner,
    dev_reg,
    dma_locked,
    dma_owner,
    mod_phase,
    mod_use,
    q_init,
    q_owner,
    qlen,
    reg_live,
    reg_owner,
    skb_alive,
    skb_owner,
    tmr_owner,
    tmr_pending,
)

_MOD = "kernel/module.c"
_MODH = "include/linux/module.h"
mv = Var("mv", PARTY)
dv = Var("dv", DEV)
av = Var("av", ACT)
rv = Var("rv", REGION)
bv = Var("bv", SKB)
qv = Var("qv", QUEUE)
tv = Var("tv", TIMER)
chv = Var("chv", n.sort)

MODULES = invariant(
    "mod.state",
    "a module's phase is 0..3 and its use count ≥ 0 (0 when not loaded, ≥ 1 while "
    "init_module runs); NULL and the kernel are never loaded modules",
    And(mod_phase(null(PARTY)) == 0, mod_phase(KERNEL) == 0,
        Forall(mv, And(mod_phase(mv) >= 0, mod_phase(mv) <= 3, mod_use(mv) >= 0,
                       Implies(mod_phase(mv) == 0, mod_use(mv) == 0),
                       Implies(mod_phase(mv) == 1, mod_use(mv) >= 1)))),
    cite(("MOD-3", K(_MODH)), ("MOD-1", K(_MOD))),
)

INVARIANTS: tuple[Rule, ...] = (MODULES,)

_cite_exit = cite(("MOD-2", K(_MOD)), ("RES-11", K("drivers/net/skeleton.c cleanup_module")))
EXIT_DEVICES = duty(
    "mod.exit.devices", "a module that goes away has unregistered every device it registered",
    (m,), Forall(dv, Implies(dev_reg(dv), dev_owner(dv) != m)),
    cite(("MOD-2", K(_MOD)), ("REG-9", K("drivers/net/net_init.c"))),
    "module {m} left a registered device behind")
EXIT_IRQS = duty(
    "mod.exit.irqs", "a module that goes away has freed every IRQ it requested", (m,),
    Forall(av, Implies(act_live(av), act_owner(av) != m)), _cite_exit,
    "module {m} left an IRQ line claimed")
EXIT_REGIONS = duty(
    "mod.exit.regions", "a module that goes away has released every I/O region it claimed",
    (m,), Forall(rv, Implies(reg_live(rv), reg_owner(rv) != m)), _cite_exit,
    "module {m} left an I/O region claimed (a later insmod will fail to probe)")
EXIT_DMA = duty(
    "mod.exit.dma", "a module that goes away has freed every DMA channel it claimed", (m,),
    Forall(chv, Implies(dma_locked(chv), dma_owner(chv) != m), within=(0, MAX_DMA_CHANNELS)),
    _cite_exit, "module {m} left a DMA channel claimed")
EXIT_BUFFERS = duty(
    "mod.exit.buffers", "a module that goes away holds no buffer: every one it accepted from "
    "hard_start_xmit or allocated was freed or handed on", (m,),
    Forall(bv, Implies(skb_alive(bv), skb_owner(bv) != m)),
    cite(("CB-4", K("net/core/dev.c")), ("SKB-12", K("net/core/skbuff.c")), ("MOD-2", K(_MOD))),
    "module {m} leaked a buffer")
EXIT_QUEUES = duty(
    "mod.exit.queues", "a module that goes away leaves none of its queues holding buffers",
    (m,), Forall(qv, Implies(And(q_init(qv), q_owner(qv) == m), qlen(qv) == 0)),
    cite(("Q-5", K("include/linux/skbuff.h")), ("MOD-2", K(_MOD))),
    "module {m} left buffers on its own queue")
EXIT_TIMERS = duty(
    "mod.exit.timers", "a module that goes away has no kernel timer pending: each one it "
    "added has run or was deleted (del_timer), or it would call unloaded code", (m,),
    Forall(tv, Implies(tmr_pending(tv), tmr_owner(tv) != m)),
    cite(("MOD-2", K(_MOD)), ("CB-5", K("kernel/sched.c run_timer_list"))),
    "module {m} left a kernel timer pending")
DUTIES = (EXIT_DEVICES, EXIT_IRQS, EXIT_REGIONS, EXIT_DMA, EXIT_BUFFERS, EXIT_QUEUES,
          EXIT_TIMERS)

FRESH = obligation(
    "mod.load.fresh", "insmod loads a module that is not loaded", (m,),
    And(m != null(PARTY), m != KERNEL, mod_phase(m) == 0), cite(("MOD-1", K(_MOD)),),
    "module {m} is already loaded")

SYS_INIT = operation(
    "sys_init_module", "insmod: the kernel loads the module and calls init_module", (m,),
    (bind(FRESH, m),),
    (case("sys_init_module.call", "init_module runs", And(),
          (guarantee("mod.load.enter", "the module is loaded and initialising; the kernel "
                     "holds one use count while init_module runs", (m,),
                     And(mod_phase.post(m) == 1, mod_use.post(m) == 1),
                     cite(("MOD-1", K(_MOD)),)),),
          (at(mod_phase, m), at(mod_use, m))),),
    cite(("MOD-1", K(f"{_MOD} sys_init_module")),), "insmod module.o",
)

IN_PHASE = {
    ph: obligation(f"mod.phase.{name}", f"{what} returns only while the module is in it", (m,),
                   mod_phase(m) == ph, cite(("MOD-1", K(_MOD)), ("MOD-2", K(_MOD))),
                   f"module {{m}} returned from {what} out of turn")
    for ph, name, what in ((1, "init", "init_module"), (3, "cleanup", "cleanup_module"))
}

INIT_RETURN = operation(
    "init_module_return", "init_module returns rc (any non-zero becomes -EBUSY for insmod)",
    (m, rc), (bind(IN_PHASE[1], m),),
    (case("init_module_return.ok", "rc = 0: the module is live", rc == 0,
          (guarantee("mod.load.live", "the module is live and the kernel's use count from "
                     "init is dropped", (m,),
                     And(mod_phase.post(m) == 2, mod_use.post(m) == mod_use(m) - 1),
                     cite(("MOD-1", K(_MOD)),)),), (at(mod_phase, m), at(mod_use, m))),
     case("init_module_return.fail", "rc ≠ 0: the module is unloaded again; it must have "
          "released everything it claimed", rc != 0,
          (guarantee("mod.load.failed", "the module is gone", (m,),
                     And(mod_phase.post(m) == 0, mod_use.post(m) == 0),
                     cite(("MOD-1", K(_MOD)),)),),
          (at(mod_phase, m), at(mod_use, m)), obligations=tuple(bind(x, m) for x in DUTIES),
          ret="-EBUSY")),
    cite(("MOD-1", K(f"{_MOD} sys_init_module")),), "return from int init_module(void)",
)

LIVE = obligation("mod.use.live", "MOD_INC/DEC_USE_COUNT are used by a loaded module", (m,),
                  And(m != KERNEL, m != null(PARTY), mod_phase(m) != 0),
                  cite(("MOD-3", K(_MODH)),), "module {m} changed its use count while not loaded")
BALANCED = obligation(
    "mod.use.balanced", "MOD_DEC_USE_COUNT balances a MOD_INC_USE_COUNT of the module's own: "
    "it never takes the count below 0, nor the count the kernel holds while init_module runs",
    (m,), mod_use(m) >= Ite(mod_phase(m) == 1, 2, 1), cite(("MOD-3", K(_MODH)),),
    "module {m} decremented a use count of 0")

MOD_INC = operation(
    "mod_inc_use_count", "MOD_INC_USE_COUNT (in open)", (m,), (bind(LIVE, m),),
    (case("mod_inc_use_count.ok", "the count grows by one", And(),
          (guarantee("mod.use.inc", "use' = use + 1", (m,), mod_use.post(m) == mod_use(m) + 1,
                     cite(("MOD-3", K(_MODH)),)),), (at(mod_use, m),)),),
    cite(("MOD-3", K(_MODH)),), "MOD_INC_USE_COUNT;",
)
MOD_DEC = operation(
    "mod_dec_use_count", "MOD_DEC_USE_COUNT (in stop)", (m,), (bind(LIVE, m), bind(BALANCED, m)),
    (case("mod_dec_use_count.ok", "the count shrinks by one", And(),
          (guarantee("mod.use.dec", "use' = use − 1", (m,), mod_use.post(m) == mod_use(m) - 1,
                     cite(("MOD-3", K(_MODH)),)),), (at(mod_use, m),)),),
    cite(("MOD-3", K(_MODH)),), "MOD_DEC_USE_COUNT;",
)

LIVE_FOR_RMMOD = obligation("mod.unload.live", "rmmod names a live module", (m,),
                            And(m != KERNEL, mod_phase(m) == 2), cite(("MOD-2", K(_MOD)),),
                            "rmmod of module {m}, which is not live")
DELETE = operation(
    "delete_module", "rmmod: refused while in use, else cleanup_module runs", (m,),
    (bind(LIVE_FOR_RMMOD, m),),
    (case("delete_module.busy", "use count > 0: -EBUSY", mod_use(m) > 0, ret="-EBUSY"),
     case("delete_module.call", "use count 0: cleanup_module runs", mod_use(m) == 0,
          (guarantee("mod.unload.enter", "the module is in cleanup", (m,),
                     mod_phase.post(m) == 3, cite(("MOD-2", K(f"{_MOD} sys_delete_module")),)),),
          (at(mod_phase, m),))),
    cite(("MOD-2", K(f"{_MOD} sys_delete_module")), ("MOD-3", K(_MODH))), "rmmod module",
)

CLEANUP_RETURN = operation(
    "cleanup_module_return", "cleanup_module returns; the module is gone", (m,),
    (bind(IN_PHASE[3], m), *(bind(x, m) for x in DUTIES)),
    (case("cleanup_module_return.ok", "the module is unloaded", And(),
          (guarantee("mod.unload.done", "the module is not loaded", (m,),
                     And(mod_phase.post(m) == 0, mod_use.post(m) == 0),
                     cite(("MOD-2", K(_MOD)),)),), (at(mod_phase, m), at(mod_use, m))),),
    cite(("MOD-2", K(f"{_MOD} sys_delete_module")),), "return from void cleanup_module(void)",
)

OPERATIONS: tuple[Operation, ...] = (SYS_INIT, INIT_RETURN, MOD_INC, MOD_DEC, DELETE,
                                     CLEANUP_RETURN)

del BLK, Not
