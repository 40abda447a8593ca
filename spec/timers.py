"""Kernel timers: init_timer, add_timer, del_timer and their expiry (kernel/sched.c).

A driver's timer (``atp.c``'s ``atp_timer``, a transmit watchdog) is a ``struct
timer_list`` it owns; ``add_timer`` puts it on the kernel's list, from which the timer
bottom half takes it when it expires and calls its function, or ``del_timer`` takes it
back. The spec does not model ``expires`` or ``jiffies``: any pending timer may expire
at any moment, which is what a driver must be ready for.
"""

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
)
from netdevspec.spec.common import CALLER_LOADED, c
from netdevspec.spec.logic import And, Forall, Implies, Var, null
from netdevspec.spec.rules import Operation, Rule
from netdevspec.spec.vocabulary import TIMER, loaded, tmr_owner, tmr_pending

_SCHED = "kernel/sched.c"
_TIMERH = "include/linux/timer.h"
t = Var("t", TIMER)
tv = Var("tv", TIMER)

PENDING_OWNED = invariant(
    "timer.pending.owned",
    "a pending timer belongs to a loaded module (or the kernel): no timer outlives the code "
    "it would call; NULL is never pending",
    And(~tmr_pending(null(TIMER)),
        Forall(tv, Implies(tmr_pending(tv), And(tmr_owner(tv) != null(tmr_owner.result),
                                                  loaded(tmr_owner(tv)))))),
    cite(("MOD-2", K("kernel/module.c")), ("CB-5", K(f"{_SCHED} run_timer_list"))),
)

INVARIANTS: tuple[Rule, ...] = (PENDING_OWNED,)

IDLE = obligation(
    "timer.add.idle",
    "a timer is added (or re-initialised) only when it is not pending: del_timer it first, "
    "as atp.c:252-255 does (2.0.1's add_timer links a pending timer twice and corrupts the "
    "list, sched.c:529-551)",
    (t,), And(t != null(TIMER), ~tmr_pending(t)),
    cite(("CB-5", K(f"{_SCHED} add_timer")), ("CB-5", K("drivers/net/atp.c atp_probe1"))),
    "timer {t} is already pending: add_timer (or init_timer) would corrupt the timer list")

OWN = obligation(
    "timer.del.owner", "a module deletes only a timer it added itself",
    (c, t), Implies(tmr_pending(t), tmr_owner(t) == c),
    cite(("CB-5", K(f"{_SCHED} del_timer")), ("MOD-2", K("kernel/module.c"))),
    "{c} deleted timer {t}, which another module added")

INIT_TIMER = operation(
    "init_timer", "mark a timer as on no list (next = prev = NULL)", (c, t),
    (bind(CALLER_LOADED, c), bind(IDLE, t)),
    (case("init_timer.ok", "an idle timer stays idle; nothing the spec models changes",
          ~tmr_pending(t)),),
    cite(("CB-5", K(f"{_TIMERH} init_timer")),),
    "void init_timer(struct timer_list *timer)",
)

ADD_TIMER = operation(
    "add_timer", "put a timer on the kernel's list (it runs once expires has come)", (c, t),
    (bind(CALLER_LOADED, c), bind(IDLE, t)),
    (case("add_timer.twice", "already pending: 2.0.1 corrupts the list; the reference "
          "ignores the call", tmr_pending(t), violates=(bind(IDLE, t),)),
     case("add_timer.ok", "the timer is pending, owned by the caller", ~tmr_pending(t),
          (guarantee("timer.add.effect", "the timer is pending and the caller's", (c, t),
                     And(tmr_pending.post(t), tmr_owner.post(t) == c),
                     cite(("CB-5", K(f"{_SCHED} add_timer")),)),),
          (at(tmr_pending, t), at(tmr_owner, t)))),
    cite(("CB-5", K(f"{_SCHED} add_timer")),),
    "void add_timer(struct timer_list *timer)",
)

_off = guarantee("timer.off.effect", "the timer is no longer pending", (t,),
                 ~tmr_pending.post(t), cite(("CB-5", K(f"{_SCHED} del_timer")),))

DEL_TIMER = operation(
    "del_timer", "take a timer off the list: 1 if it was pending, else 0", (c, t),
    (bind(CALLER_LOADED, c), bind(OWN, c, t)),
    (case("del_timer.idle", "not pending: 0, nothing changes", ~tmr_pending(t), ret="0"),
     case("del_timer.ok", "pending: taken off the list, 1", tmr_pending(t), (_off,),
          (at(tmr_pending, t),), ret="1")),
    cite(("CB-5", K(f"{_SCHED} del_timer")),),
    "int del_timer(struct timer_list *timer)",
)

RUN_TIMER = operation(
    "run_timer_list", "the timer bottom half takes an expired timer off the list and calls "
    "its function as its owner's code (kernel side)", (t,), (),
    (case("run_timer_list.expire", "a pending timer expires: off the list first",
          tmr_pending(t), (_off,), (at(tmr_pending, t),)),),
    cite(("CB-5", K(f"{_SCHED} run_timer_list")),),
    "static inline void run_timer_list(void)",
)

OPERATIONS: tuple[Operation, ...] = (INIT_TIMER, ADD_TIMER, DEL_TIMER, RUN_TIMER)
