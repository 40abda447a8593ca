"""Boundaries from z3: every case's witness, built as a reference kernel and replayed.

For every case of every operation the prover produces a concrete witness: a state and
arguments that take the case (``Prover.witness``; the few cases that need big states use
the spec's own builders, ``SPEC.witnesses``). :func:`concretise` builds a reference kernel
whose abstraction agrees with the witness wherever the operation's rules look; the test
performs the operation on that kernel, maps the result back with the abstraction and asks
:func:`check_step` which case the kernel took. It must be the witness's case, and the step
must agree with it (guard, guarantees, frame, invariants).

Beyond the default witness of each case, :data:`EDGES` asks for boundary witnesses with
``extra`` conditions (``tail + n == end`` exactly, the 16th eth slot, the last free DMA
channel, a shared line's last action, the 64th I/O table entry, ...).

How each call is made follows tests/refinement/test_refinement.py: calls under
``kernel.running(module)``, callbacks as hooks, the transmit and receive paths split at the
kernel's trace points. Steps whose state before is *inside* a callback (``open_return``,
``stop_return``, ``init_module_return``, ``cleanup_module_return``,
``hard_start_xmit_return``) are replayed by letting the kernel call into the driver and
comparing with the witness inside the hook: the test first undoes, on the built kernel,
what the call's own prologue sets (``dev.phase``, the module's state and use count), the
prologue sets it again, and the hook is where the witness's state holds (a driver body that
raised its use count does so with MOD_INC_USE_COUNT in the hook). ``hard_start_xmit_return``
has no public entry that starts from an arbitrary lent frame, so it enters through the
kernel's own hand-off (``Dev._hand_to_driver``, the tail of 2.0's do_dev_queue_xmit).
Kernel-internal steps (``hard_start_xmit``, ``net_bh``) are replayed by running the bottom
half and ending the step at the right trace event; their witnesses are asked for states in
which the kernel's own scheduling takes that step first (see :data:`SCHEDULE`: these are
facts about 2.0's scheduler, not restrictions of the spec).

The prover's solver is incremental (a witness depends on the queries asked before it), so
all witnesses are asked for once, in a fixed order, whichever tests are selected. The
lists below are therefore tied to the spec and the z3 version: a change to either may move
a default witness into or out of them, and the strict xfails then say so.

Witnesses that the reference cannot hold are listed in :data:`UNREALISABLE` with the
reason (strict xfails: the test fails if another case turns up unrealisable, and if a
listed one becomes realisable); steps where the reference does something the witness's
case does not allow are listed in :data:`DIVERGENT` with the precise divergence (strict
xfails too). Neither the spec nor the reference is "fixed" here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import netdevspec.reference as errno_mod
import pytest
from netdevspec.conformance.checker import StepReport, changes, check_step
from netdevspec.conformance.concretise import (
    Concretisation,
    Unrealisable,
    concretise,
    fmt_prefix,
    interface_name,
)
from netdevspec.model import Prover
from netdevspec.reference import Device, PacketType, SkBuff, SkBuffHead
from netdevspec.reference.kernel import SA_INTERRUPT, SA_SHIRQ
from netdevspec.reference.modules import MOD_LIVE, MOD_UNLOADED, Module
from netdevspec.reference.skbuff import GFP_ATOMIC, GFP_KERNEL
from netdevspec.spec import SPEC, evaluate
from netdevspec.spec import vocabulary as V
from netdevspec.spec.logic import (
    INT,
    And,
    ConcreteState,
    Exists,
    Expr,
    Forall,
    Implies,
    Not,
    Var,
    null,
)
from netdevspec.spec.witnesses import add_device, add_module, initial_state

pytestmark = pytest.mark.slow

Witness = tuple[ConcreteState, ConcreteState | None, dict[str, Any]]


class Divergence(AssertionError):
    """The reference took a step the witness's case does not allow."""


# =========================================================================================
# Witnesses
# =========================================================================================


@functools.cache
def prover() -> Prover:
    """One prover per process: its bounded encoders are built once and reused. Its time
    limit is a backstop far above any witness query, so a loaded machine gets the same
    witnesses."""
    return Prover(SPEC, timeout_ms=60_000)


def param(case_id: str, name: str) -> Var:
    """The operation parameter ``name`` of the case's operation, as a formula variable."""
    op, _ = SPEC.cases[case_id]
    return next(p for p in op.params if p.name == name)


_e, _e2 = Var("e_", V.DEV), Var("e2_", V.DEV)
_av = Var("av_", V.ACT)
_qv = Var("qv_", V.QUEUE)
_j, _ch = Var("j_", INT), Var("ch_", INT)


def _qlen(q: Expr) -> Expr:
    return V.q_hi(q) - V.q_lo(q)


def _device_queues_empty() -> Expr:
    """No frame waits on any device's transmit queues."""
    return Forall(_e, Implies(_e != null(V.DEV),
                              Forall(_j, _qlen(V.dev_q(_e, _j)) == 0, within=(0, 3))))


def _queues_as_built() -> Expr:
    """Every device's transmit queues are initialised (a reference Device's always are),
    and every initialised queue has an owner (a reference queue's None is the kernel)."""
    return And(Forall(_e, Implies(_e != null(V.DEV),
                                  Forall(_j, V.q_init(V.dev_q(_e, _j)), within=(0, 3)))),
               Forall(_qv, Implies(V.q_init(_qv), V.q_owner(_qv) != null(V.PARTY))))


def _schedule_xmit(case_id: str) -> tuple[Expr, ...]:
    d, pri = param(case_id, "d"), param(case_id, "pri")
    # net_bh sends only on a device that is not tbusy, from buffs[0] first.
    return (Not(V.dev_tbusy(d)),
            Forall(_j, _qlen(V.dev_q(d, _j)) == 0, within=(0, pri)))


#: Conditions under which the kernel's own scheduling takes a kernel-internal step first
#: (so that the replay performs exactly the witness's step from the witness's state).
SCHEDULE: dict[str, tuple[Expr, ...]] = {
    "hard_start_xmit.call": _schedule_xmit("hard_start_xmit.call"),
    "hard_start_xmit.empty": _schedule_xmit("hard_start_xmit.empty"),
    # net_bh first sends what waits on idle devices (separate hard_start_xmit steps).
    "net_bh.idle": (_device_queues_empty(),),
    "net_bh.deliver": (_device_queues_empty(),),
    "net_bh.discard": (_device_queues_empty(),),
}


def _state_with(n_regions: int = 0) -> tuple[ConcreteState, str]:
    st = initial_state()
    m = add_module(st, "m0")
    for i in range(n_regions):
        r = f"r{i}"
        st.universe.setdefault("Region", []).append(r)
        for sym, v in ((V.reg_live, True), (V.reg_from, 0x100 + 16 * i), (V.reg_num, 16),
                       (V.reg_owner, m), (V.reg_idx, i)):
            st.set(sym, (r,), v)
        st.set(V.io_slot, (i,), r)
    st.set(V.io_count, (), n_regions)
    return st, m


def _io_table_63() -> Witness:
    """request_region.ok filling the 64th (last) entry of the I/O table."""
    st, m = _state_with(63)
    st.universe["Region"].append("r63")
    return st, None, {"c": m, "from": 0x3000, "num": 8, "r": "r63"}


def _eth_slots_15() -> Witness:
    """register_netdev.ok_auto taking eth15, the last free slot."""
    st, m = _state_with()
    for s in range(V.MAX_ETH_CARDS - 1):
        add_device(st, f"d{s}", owner=m, name=s, registered=True)
    add_device(st, "d15")
    return st, None, {"c": m, "d": "d15", "rc": 0, "i": 15}


def _units_99() -> Witness:
    """dev_alloc_name.ok giving the last unit, 99."""
    st, m = _state_with()
    for u in range(99):
        add_device(st, f"d{u}", owner=m, name=1000 + u, registered=True)
    add_device(st, "d99")
    return st, None, {"c": m, "d": "d99", "fmt": 1, "i": 99}


def _backlog(n: int) -> Witness:
    """netif_rx with ``n`` frames already on the backlog (300: the last one queued; 301:
    the first one dropped)."""
    st, m = _state_with()
    add_device(st, "d0", owner=m, name=0, registered=True)
    for i in range(n + 1):
        b, k = f"b{i}", f"k{i}"
        st.universe.setdefault("Skb", []).append(b)
        st.universe.setdefault("Blk", []).append(k)
        for sym, v in ((V.skb_ever, True), (V.skb_alive, True), (V.skb_head, 100 * i),
                       (V.skb_data, 100 * i + 16), (V.skb_tail, 100 * i + 36),
                       (V.skb_end, 100 * i + 80), (V.skb_len, 20), (V.skb_blk, k),
                       (V.skb_dev, "d0"), (V.skb_proto, 0x800)):
            st.set(sym, (b,), v)
        for sym, v in ((V.blk_live, True), (V.blk_refs, 1), (V.blk_head, 100 * i),
                       (V.blk_end, 100 * i + 80)):
            st.set(sym, (k,), v)
        st.set(V.blk_at, (k, 0), b)
        if i < n:  # on the backlog, the kernel's
            for sym, v in ((V.skb_owner, "kernel"), (V.skb_free, 1), (V.skb_queued, True),
                           (V.skb_list, "backlog"), (V.skb_pos, i)):
                st.set(sym, (b,), v)
            st.set(V.q_at, ("backlog", i), b)
        else:  # the new frame, the driver's
            st.set(V.skb_owner, (b,), m)
            st.set(V.skb_free, (b,), 2)
    st.set(V.q_hi, ("backlog",), n)
    return st, None, {"c": m, "b": f"b{n}"}


@dataclass(frozen=True)
class Probe:
    """One witness to replay: the case, and extra conditions or a builder for its state."""

    label: str
    case: str
    extra: tuple[Expr, ...] = ()
    build: Callable[[], Witness] | None = None

    def witness(self) -> Witness:
        """The witness: built, or found by z3 (re-checked by the concrete interpreter).

        The prover's solver is incremental, so the state z3 returns for a query depends on
        the queries before it: every witness comes from :func:`_witnesses`, which asks for
        all of them once in a fixed order, so a test sees the same witness whichever tests
        run and in whatever order.
        """
        got = _witnesses()[self.label]
        if isinstance(got, BaseException):
            raise got
        return got

    def find(self) -> Witness:
        """Ask for the witness now (only :func:`_witnesses` calls this)."""
        if self.build is not None:
            pre, post, env = self.build()
            _validate(self.case, pre, env)
            return pre, post, env
        w = prover().witness(self.case, (*SCHEDULE.get(self.case, ()), *self.extra))
        return w.pre, w.post, w.env


@functools.cache
def _witnesses() -> dict[str, Witness | BaseException]:
    """Every probe's witness, found in one fixed order: the cases in spec order, then
    :data:`EDGES`."""
    out: dict[str, Witness | BaseException] = {}
    for probe in (*(_default(c) for c in SPEC.cases), *EDGES):
        try:
            out[probe.label] = probe.find()
        except Exception as exc:  # reported by the test that replays it
            out[probe.label] = exc
    return out


def _validate(case_id: str, pre: ConcreteState, env: dict[str, Any]) -> None:
    """A built witness state satisfies the invariants, the guard and the obligations."""
    op, c = SPEC.cases[case_id]
    bad = [i.id for i in SPEC.invariants if not evaluate(i.formula, pre)]
    assert bad == [], f"the built state breaks {bad}"
    assert evaluate(c.guard, pre, None, env), "the built state does not enable the case"
    broken = [u.rule.id for u in c.assumed(op) if not evaluate(u.formula, pre, None, env)]
    assert broken == [], f"the built state breaks the obligations {broken}"


def _default(case_id: str) -> Probe:
    build = SPEC.witnesses.get(case_id)
    return Probe(case_id, case_id, build=build)


def _edges() -> list[Probe]:
    p = param

    put_b, put_n = p("skb_put.ok", "b"), p("skb_put.ok", "n")
    push_b, push_n = p("skb_push.ok", "b"), p("skb_push.ok", "n")
    pull_b, pull_n = p("skb_pull.ok", "b"), p("skb_pull.ok", "n")
    res_b, res_n = p("skb_reserve.ok", "b"), p("skb_reserve.ok", "n")
    trim_b, trim_n = p("skb_trim.shrink", "b"), p("skb_trim.shrink", "n")
    dma_ch = p("request_dma.ok", "ch")
    fi_a, fi_irq = p("free_irq.ok", "a"), p("free_irq.ok", "irq")
    ri_irq, ri_sh = p("request_irq.ok", "irq"), p("request_irq.ok", "shirq")
    xq_b, xq_d = p("dev_queue_xmit.queue", "b"), p("dev_queue_xmit.queue", "d")
    xq_pri = p("dev_queue_xmit.queue", "pri")
    xd_d, xd_pri = p("dev_queue_xmit.drop", "d"), p("dev_queue_xmit.drop", "pri")
    xdk_b = p("dev_queue_xmit.drop_kept", "b")
    hx_d, hx_b = p("hard_start_xmit.call", "d"), p("hard_start_xmit.call", "b")
    tint_d, tint_b = p("dev_tint.send", "d"), p("dev_tint.send", "b")
    imr_m, cmr_m = p("init_module_return.fail", "m"), p("cleanup_module_return.ok", "m")
    cl_b = p("skb_clone.ok", "b")
    kf_b = p("kfree_skb.ok", "b")
    rr_r = p("release_region.ok", "r")
    ul_b = p("skb_unlink.ok", "b")
    ins_b = p("skb_insert.ok", "b")
    app_b = p("skb_append.ok", "b")
    tint_pri = p("dev_tint.send", "pri")
    dec_m = p("mod_dec_use_count.ok", "m")
    peek_q, deq_q = p("skb_peek.ok", "q"), p("skb_peek.empty", "q")
    tail_q, tail_e = p("skb_peek_tail.ok", "q"), p("skb_peek_tail.empty", "q")
    qt_q, qh_q = p("skb_queue_tail.ok", "q"), p("skb_queue_head.ok", "q")
    dq_q, dqe_q = p("skb_dequeue.ok", "q"), p("skb_dequeue.empty", "q")
    unf_d, dti_t = p("unregister_netdev.not_found", "d"), p("del_timer.idle", "t")
    ett_d = p("eth_type_trans.ok", "d")
    return [
        Probe("skb_put.ok@tail+n==end", "skb_put.ok",
              (V.skb_tail(put_b) + put_n == V.skb_end(put_b), put_n > 0)),
        Probe("skb_push.ok@data-n==head", "skb_push.ok",
              (V.skb_data(push_b) - push_n == V.skb_head(push_b), push_n > 0)),
        Probe("skb_pull.ok@n==len", "skb_pull.ok", (pull_n == V.skb_len(pull_b), pull_n > 0)),
        Probe("skb_reserve.ok@tail+n==end", "skb_reserve.ok",
              (V.skb_tail(res_b) + res_n == V.skb_end(res_b), res_n > 0)),
        Probe("skb_trim.shrink@n==len-1", "skb_trim.shrink",
              (trim_n == V.skb_len(trim_b) - 1,)),
        Probe("skb_trim.noop@n==len", "skb_trim.noop",
              (p("skb_trim.noop", "n") == V.skb_len(p("skb_trim.noop", "b")),)),
        Probe("register_netdev.ok_auto@eth15", "register_netdev.ok_auto", build=_eth_slots_15),
        Probe("dev_alloc_name.ok@unit99", "dev_alloc_name.ok", build=_units_99),
        Probe("request_dma.ok@last-free-channel", "request_dma.ok",
              (Forall(_ch, (_ch == dma_ch) | V.dma_locked(_ch), within=(0, 8)),)),
        Probe("free_irq.ok@shared-line-last-action", "free_irq.ok",
              (V.act_shirq(fi_a),
               Not(Exists(_av, And(_av != fi_a, V.act_live(_av), V.act_line(_av) == fi_irq))))),
        Probe("free_irq.ok@shared-line-one-of-two", "free_irq.ok",
              (V.act_shirq(fi_a),
               Exists(_av, And(_av != fi_a, V.act_live(_av), V.act_line(_av) == fi_irq)))),
        Probe("request_irq.ok@joins-shared-line", "request_irq.ok",
              (ri_sh, Exists(_av, And(V.act_live(_av), V.act_line(_av) == ri_irq)))),
        Probe("request_region.ok@64th-entry", "request_region.ok", build=_io_table_63),
        Probe("dev_queue_xmit.queue@qlen==tx_queue_len", "dev_queue_xmit.queue",
              (_qlen(V.dev_q(xq_d, xq_pri)) == V.dev_txqlen(xq_d), V.dev_txqlen(xq_d) > 0,
               V.skb_lock(xq_b) == 0)),
        Probe("dev_queue_xmit.queue@unlocked-frame", "dev_queue_xmit.queue",
              (V.skb_lock(xq_b) == 0,)),
        Probe("dev_queue_xmit.queue@locked-frame", "dev_queue_xmit.queue",
              (V.skb_lock(xq_b) > 0,)),
        # A locked frame over the limit is dropped too; dev_kfree_skb only unlocks it
        # once (this edge showed the spec queueing it, as no 2.0 kernel does).
        Probe("dev_queue_xmit.drop_kept@locked-frame-over-limit", "dev_queue_xmit.drop_kept",
              (V.skb_lock(xdk_b) > 1,)),
        Probe("dev_queue_xmit.drop@qlen==tx_queue_len+1", "dev_queue_xmit.drop",
              (_qlen(V.dev_q(xd_d, xd_pri)) == V.dev_txqlen(xd_d) + 1,)),
        Probe("netif_rx.queued@backlog==300", "netif_rx.queued", build=lambda: _backlog(300)),
        Probe("netif_rx.dropped@backlog==301", "netif_rx.dropped",
              build=lambda: _backlog(301)),
        Probe("dev_tint.send@pri2", "dev_tint.send",
              (tint_pri == 2, V.skb_dev(tint_b) == tint_d)),
        Probe("dev_tint.send@frame-for-d", "dev_tint.send", (V.skb_dev(tint_b) == tint_d,)),
        Probe("hard_start_xmit.call@frame-for-d", "hard_start_xmit.call",
              (V.skb_dev(hx_b) == hx_d,)),
        Probe("hard_start_xmit.call@frame-for-no-device", "hard_start_xmit.call",
              (V.skb_dev(hx_b) == null(V.DEV),)),
        # An empty backlog ends dropping mode before the frame is looked at (this edge
        # showed the spec dropping it).
        Probe("netif_rx.queued@dropping-empty-backlog", "netif_rx.queued",
              (V.rx_dropping(), _qlen(V.BACKLOG) == 0)),
        Probe("netif_rx.dropped@dropping-nonempty-backlog", "netif_rx.dropped",
              (V.rx_dropping(), _qlen(V.BACKLOG) > 0)),
        Probe("skb_clone.ok@third-reference", "skb_clone.ok",
              (V.blk_refs(V.skb_blk(cl_b)) == 2,)),
        Probe("kfree_skb.ok@first-of-three-references", "kfree_skb.ok",
              (V.blk_refs(V.skb_blk(kf_b)) == 3, V.skb_ref(kf_b) == 0)),
        Probe("release_region.ok@first-of-three-slots", "release_region.ok",
              (V.io_count() == 3, V.reg_idx(rr_r) == 0)),
        Probe("skb_unlink.ok@middle-of-three", "skb_unlink.ok",
              (_qlen(V.skb_list(ul_b)) == 3, V.skb_pos(ul_b) == V.q_lo(V.skb_list(ul_b)) + 1)),
        Probe("skb_insert.ok@before-head", "skb_insert.ok",
              (V.skb_pos(ins_b) == V.q_lo(V.skb_list(ins_b)), _qlen(V.skb_list(ins_b)) == 2)),
        Probe("skb_append.ok@after-tail", "skb_append.ok",
              (V.skb_pos(app_b) == V.q_hi(V.skb_list(app_b)) - 1,
               _qlen(V.skb_list(app_b)) == 2)),
        Probe("mod_dec_use_count.ok@to-zero", "mod_dec_use_count.ok",
              (V.mod_use(dec_m) == 1, V.mod_phase(dec_m) == 2)),
        # Non-NULL objects where the spec's obligations hold on the NULL entity's fields
        # (its queue.init/queue.owner, its hard_header_len): the reference needs objects.
        Probe("skb_peek.ok@queue", "skb_peek.ok", (peek_q != null(V.QUEUE),)),
        Probe("skb_peek.empty@queue", "skb_peek.empty", (deq_q != null(V.QUEUE),)),
        Probe("skb_peek_tail.ok@queue", "skb_peek_tail.ok", (tail_q != null(V.QUEUE),)),
        Probe("skb_peek_tail.empty@queue", "skb_peek_tail.empty", (tail_e != null(V.QUEUE),)),
        Probe("skb_queue_tail.ok@queue", "skb_queue_tail.ok", (qt_q != null(V.QUEUE),)),
        Probe("skb_queue_head.ok@queue", "skb_queue_head.ok", (qh_q != null(V.QUEUE),)),
        Probe("skb_dequeue.ok@queue", "skb_dequeue.ok", (dq_q != null(V.QUEUE),)),
        Probe("skb_dequeue.empty@queue", "skb_dequeue.empty", (dqe_q != null(V.QUEUE),)),
        Probe("unregister_netdev.not_found@device", "unregister_netdev.not_found",
              (unf_d != null(V.DEV),)),
        Probe("del_timer.idle@timer", "del_timer.idle", (dti_t != null(V.TIMER),)),
        Probe("eth_type_trans.ok@device", "eth_type_trans.ok", (ett_d != null(V.DEV),)),
        Probe("init_module_return.fail@use1", "init_module_return.fail",
              (_queues_as_built(), V.mod_use(imr_m) == 1)),
        Probe("init_module_return.fail@raised-use", "init_module_return.fail",
              (_queues_as_built(), V.mod_use(imr_m) > 1)),
        Probe("cleanup_module_return.ok@use0", "cleanup_module_return.ok",
              (_queues_as_built(), V.mod_use(cmr_m) == 0)),
        Probe("cleanup_module_return.ok@raised-use", "cleanup_module_return.ok",
              (_queues_as_built(), V.mod_use(cmr_m) > 0)),
    ]


EDGES = _edges()

#: Default witnesses the reference cannot hold where the operation looks, and why.
UNREALISABLE: dict[str, str] = {
    "unregister_netdev.not_found":
        "z3's witness unregisters the NULL device (the spec's obligations hold "
        "on its arbitrary fields); the reference needs a device object (see "
        "unregister_netdev.not_found@device)",
    "del_timer.idle": "z3's witness deletes the NULL timer; the reference needs a timer "
        "object (see del_timer.idle@timer)",
}

_LOCKED_QUEUE = (
    "a frame that is already device-locked (lock L > 0, e.g. one a driver was lent and "
    "passes on) is queued with lock L - 1: the reference, like 2.0's dev_queue_xmit, locks "
    "only an unlocked frame and then unlocks the frame it queues; dev_queue_xmit.queue does "
    "not have skb.lock(b) in its frame (the spec keeps L)")
_LOCKED_OVER = (
    "a device-locked frame (lock L > 0) sent to a queue already over tx_queue_len: the "
    "spec's guards send it to dev_queue_xmit.queue (the drop cases require skb.lock(b) = 0) "
    "and queue it; the reference, like 2.0, drops it (dev_kfree_skb: lock L - 1, and the "
    "frame, still locked, goes to the kernel), so it is not queued and its lock changes")
_XMIT_DEV = (
    "the kernel sets skb.dev = d again on the frame it takes from d's queue (2.0's "
    "do_dev_queue_xmit on the dev_tint path); the witness's frame on d's queue has "
    "skb.dev ≠ d, and skb.dev(b) is not in the case's frame. Every reachable state has "
    "skb.dev = d for frames on d's queues (dev_queue_xmit.queue sets it and nothing else "
    "can change it while the kernel owns the frame), but no invariant says so, so the "
    "prover's states include ones where the write is visible")
_RX_DROPPING = (
    "with dropping mode on and the backlog empty, the reference (as 2.0's netif_rx: "
    "'if (!backlog_size) dropping = 0') leaves dropping mode and queues the frame; the "
    "spec's netif_rx.dropped takes any arrival while rx.dropping holds (the spec ends "
    "dropping mode only in net_bh.idle)")
_MOD_USE = (
    "a module whose init_module (cleanup_module) raised its use count: after the failed "
    "load (the unload) the reference keeps use_count U - 1 (U) on the unloaded module, so "
    "mod.use′ ≠ 0 with mod.phase′ = 0; the spec's guarantee says mod.use′ = 0 (and the "
    "invariant mod.state requires it)")

#: Steps where the reference does what the witness's case does not allow (label → why).
DIVERGENT: dict[str, str] = {
}

#: Cases whose witness may enable another case too; the kernel may take either.
AMBIGUOUS: dict[str, str] = {}

#: Arguments the witness's case pins down, which the kernel's choice must equal.
EXACT: dict[str, tuple[str, ...]] = {
    "register_netdev.ok_auto": ("i",), "dev_alloc_name.ok": ("i",),
    "dev_get.found": ("found",), "dev_get.none": ("found",),
    "skb_dequeue.ok": ("b",), "skb_dequeue.empty": ("b",),
    "skb_peek.ok": ("b",), "skb_peek.empty": ("b",),
    "skb_peek_tail.ok": ("b",), "skb_peek_tail.empty": ("b",),
    "hard_start_xmit.call": ("pri", "b"), "hard_start_xmit.empty": ("pri",),
    "dev_tint.send": ("pri", "b"), "net_bh.deliver": ("b",), "net_bh.discard": ("b",),
    "free_irq.ok": ("a",), "release_region.ok": ("r",),
    "skb_put.ok": ("ret",), "skb_push.ok": ("ret",), "skb_headroom.ok": ("ret",),
    "skb_tailroom.ok": ("ret",),
}

# =========================================================================================
# Replaying one witness
# =========================================================================================

_ERRNO = {getattr(errno_mod, n): n for n in ("EINVAL", "ENOMEM", "EBUSY", "EIO", "ENFILE",
                                             "EEXIST", "ENODEV")}


def _errno(ret: object) -> str | None:
    """A kernel result in the spec cases' notation (as test_refinement.py)."""
    if isinstance(ret, bool) or not isinstance(ret, int):
        return None
    if ret == 0:
        return "0"
    return f"-{_ERRNO[-ret]}" if -ret in _ERRNO else None


def _handler(irq: int, dev_id: object, regs: object) -> None:
    return None


class Replay:
    """One witness, built as a kernel; the operation's step is checked between
    :meth:`begin` (the witness's state, compared) and :meth:`end` (the kernel's result)."""

    def __init__(self, case_id: str, w: Witness):
        self.case_id = case_id
        self.op, self.case = SPEC.cases[case_id]
        self.w_pre, self.w_post, self.w_env = w
        self.conc: Concretisation = concretise(self.w_pre, SPEC)
        self.k = self.conc.kernel
        self.a = self.conc.abstraction
        self.env = self.conc.env(self.op, self.w_env)
        self.pre: ConcreteState | None = None
        self.post: ConcreteState | None = None
        self.report: StepReport | None = None
        self.final_env: dict[str, Any] = {}
        self.compared = 0
        #: What a hook raised: the kernel catches driver exceptions (callback_raised), so
        #: they are kept here and raised again when the replay is over.
        self.errors: list[BaseException] = []

    # -- the witness's objects ------------------------------------------------------------
    def arg(self, name: str, null_ok: bool = False) -> Any:
        """The reference object (or value) of the witness's argument ``name``.

        A NULL object is passed on only where the kernel function takes one (``null_ok``);
        elsewhere the call cannot be made on the reference (2.0 would dereference NULL):
        :class:`Unrealisable`, since the spec let it through on the NULL entity's fields.
        """
        p = next(x for x in self.op.params if x.name == name)
        v = self.w_env[name]
        if p.sort.name not in ("Party", "Dev", "Skb", "Blk", "Queue", "Act", "Region",
                               "Timer"):
            return v
        if v is None and not null_ok and p.sort.name != "Party":
            raise Unrealisable(
                f"{self.op.name} with {name} = NULL: the reference's function needs a "
                f"{p.sort.name} object (2.0 would dereference NULL); the spec's obligations "
                "hold on the NULL entity's arbitrary fields")
        return self.conc.obj(p.sort.name, v)

    def at(self, sym: Any, *args: Any) -> Any:
        """A value of the witness's state before the step."""
        return self.w_pre.get(sym, tuple(args))

    @contextmanager
    def caller(self, key: str = "c") -> Iterator[None]:
        """Run as the module the witness's ``c`` (or ``m``) names."""
        with self.k.running(self.arg(key)):
            yield

    def devices(self) -> list[Device]:
        return list(self.conc.objects["Dev"].values())

    # -- the step ----------------------------------------------------------------------
    def begin(self) -> None:
        """The kernel is in the witness's state now: compare, and start the step here."""
        try:
            cmp = self.conc.check(self.w_pre, self.op, self.w_env, self.w_post)
        except Unrealisable as exc:
            self.errors.append(exc)
            raise
        self.compared = len(cmp.read)
        self.pre = self.a.state()

    def end(self, outputs: dict[str, Any] | None = None, returned: str | None = None) -> None:
        """The step is over (only the first end counts: later steps are the kernel's own)."""
        if self.errors:
            raise self.errors[0]
        if self.report is not None:
            return
        assert self.pre is not None, "the step ended before the witness's state was reached"
        self.a.sync(self.op.name)
        self.post = self.a.state()
        self.final_env = {**self.env, **(outputs or {})}
        self.report = check_step(SPEC, self.op, self.pre, self.post, self.final_env,
                                 returned=returned)

    def keep_frames(self) -> None:
        """Every device's hard_start_xmit accepts and keeps frames (steps after the one
        replayed are not checked)."""
        for d in self.devices():
            d.hard_start_xmit = lambda skb, dev: 0

    def new_buffer(self, s: SkBuff | None, key: str, area: bool = True) -> dict[str, Any]:
        """The kernel's choices for a new buffer (as test_refinement.py's new_buffer)."""
        if s is None:
            return {key: None, "k": None, "h": 0} if area else {key: None}
        name = self.a.track_skb(s)
        return {key: name, "k": self.a.area(s), "h": s.area.head} if area else {key: name}


Replayer = Callable[[Replay], None]
REPLAY: dict[str, Replayer] = {}


def replays(*ops: str) -> Callable[[Replayer], Replayer]:
    def deco(fn: Replayer) -> Replayer:
        for op in ops:
            REPLAY[op] = fn
        return fn
    return deco


def _simple(r: Replay, fn: Callable[[], Any], outputs: Callable[[Any], dict[str, Any]]
            | None = None, errno: bool = False) -> None:
    r.begin()
    with r.caller():
        ret = fn()
    r.end(outputs(ret) if outputs else None, _errno(ret) if errno else None)


# -- buffers ------------------------------------------------------------------------------
@contextmanager
def _context(r: Replay) -> Iterator[None]:
    """Interrupt context (2.0's intr_count), when the witness's ``in_irq`` says so."""
    irq = bool(r.w_env.get("in_irq", False))
    r.k.intr_count += irq
    try:
        yield
    finally:
        r.k.intr_count -= irq


@replays("alloc_skb", "dev_alloc_skb")
def _alloc(r: Replay) -> None:
    if r.case_id.endswith(".fail"):
        r.k.fail_next_alloc()
    n = r.arg("n")
    if r.op.name == "alloc_skb":
        prio = GFP_ATOMIC if r.w_env.get("atomic", True) else GFP_KERNEL

        def call() -> SkBuff | None:
            with _context(r):
                return r.k.alloc_skb(n, prio)
    else:
        def call() -> SkBuff | None:
            with _context(r):
                return r.k.dev_alloc_skb(n)
    _simple(r, call, lambda s: r.new_buffer(s, "b"))


@replays("skb_data")
def _skb_data(r: Replay) -> None:
    s = r.arg("b")
    _simple(r, lambda: r.k.skb_read(s, s.data, max(s.len, 0)))


@replays("skb_write", "skb_read")
def _skb_copy_bytes(r: Replay) -> None:
    s, addr, n = r.arg("b"), r.arg("addr"), r.arg("n")
    if r.op.name == "skb_write":
        _simple(r, lambda: r.k.skb_write(s, addr, bytes(n)))
    else:
        _simple(r, lambda: r.k.skb_read(s, addr, n))


@replays("skb_clone", "skb_copy")
def _clone(r: Replay) -> None:
    if r.case_id.endswith(".fail"):
        r.k.fail_next_alloc()
    fn = getattr(r.k, r.op.name)
    _simple(r, lambda: fn(r.arg("b")),
            lambda s: r.new_buffer(s, "b2", area=r.op.name == "skb_copy"))


@replays("skb_reserve", "skb_put", "skb_push", "skb_pull", "skb_trim")
def _geometry(r: Replay) -> None:
    fn = getattr(r.k, r.op.name)
    returns = r.op.name in ("skb_put", "skb_push")
    _simple(r, lambda: fn(r.arg("b"), r.arg("n")), (lambda v: {"ret": v}) if returns else None)


@replays("skb_headroom", "skb_tailroom")
def _room(r: Replay) -> None:
    fn = getattr(r.k, r.op.name)
    _simple(r, lambda: fn(r.arg("b")), lambda v: {"ret": v})


@replays("kfree_skb", "dev_kfree_skb")
def _free(r: Replay) -> None:
    fn = getattr(r.k, r.op.name)
    _simple(r, lambda: fn(r.arg("b")))


@replays("skb_set_free")
def _set_free(r: Replay) -> None:
    s = r.arg("b")

    def call() -> None:
        s.free = r.arg("n")
    _simple(r, call)


@replays("skb_set_rx")
def _set_rx(r: Replay) -> None:
    s = r.arg("b")

    def call() -> None:
        s.dev, s.protocol = r.arg("dev", null_ok=True), r.arg("protocol")
    _simple(r, call)


@replays("eth_type_trans")
def _eth_type_trans(r: Replay) -> None:
    _simple(r, lambda: r.k.eth_type_trans(r.arg("b"), r.arg("d")), lambda v: {"ret": v})


# -- queues -------------------------------------------------------------------------------
@replays("skb_queue_head_init")
def _queue_init(r: Replay) -> None:
    q = r.w_env["q"]
    head = r.conc.objects["Queue"].get(q)
    fresh = head is None
    if head is None:  # a queue never initialised: it exists in the kernel from this call on
        head = SkBuffHead(None, str(q))
    r.begin()
    qname = r.a.track_queue(head)
    with r.caller():
        r.k.skb_queue_head_init(head)
    r.a.reinit(head)
    r.end({"q": qname})
    assert fresh or qname == r.env["q"]


@replays("skb_queue_tail", "skb_queue_head")
def _enqueue(r: Replay) -> None:
    fn = getattr(r.k, r.op.name)
    _simple(r, lambda: fn(r.arg("q"), r.arg("b")))


@replays("skb_dequeue", "skb_peek", "skb_peek_tail")
def _dequeue(r: Replay) -> None:
    fn = getattr(r.k, r.op.name)
    _simple(r, lambda: fn(r.arg("q")), lambda s: {"b": r.a.skb(s)})


@replays("skb_unlink")
def _unlink(r: Replay) -> None:
    _simple(r, lambda: r.k.skb_unlink(r.arg("b")))


@replays("skb_insert", "skb_append")
def _insert(r: Replay) -> None:
    fn = getattr(r.k, r.op.name)
    _simple(r, lambda: fn(r.arg("b"), r.arg("b2")))


@replays("skb_device_lock")
def _skb_lock(r: Replay) -> None:
    _simple(r, lambda: r.k.skb_device_lock(r.arg("b")))


@replays("shmem_io")
def _shmem(r: Replay) -> None:
    _simple(r, lambda: r.k.memcpy_fromio(r.arg("addr"), r.arg("n")))


# -- kernel timers ------------------------------------------------------------------------
@replays("init_timer", "add_timer", "del_timer")
def _timer(r: Replay) -> None:
    fn = getattr(r.k, r.op.name)
    _simple(r, lambda: fn(r.arg("t")))


@replays("run_timer_list")
def _run_timer(r: Replay) -> None:
    t = r.arg("t")
    r.begin()
    if t.pending:  # the clock reaches it first
        r.k.timer.timers.remove(t)
        r.k.timer.timers.insert(0, t)
        t.expires = r.k.jiffies + 1
    r.k.tick(1)
    r.end(None, None)


# -- resources ----------------------------------------------------------------------------
@replays("request_irq")
def _request_irq(r: Replay) -> None:
    irq = r.arg("irq")
    flags = (SA_SHIRQ if r.arg("shirq") else 0) | (SA_INTERRUPT if r.arg("sa_interrupt") else 0)
    if r.case_id == "request_irq.enomem":
        r.k.fail_next_alloc()
    before = {id(x) for x in r.k.irq_actions(irq)} if 0 <= irq < 16 else set()
    m = r.arg("c")

    def after(rc: int) -> dict[str, Any]:
        new = [x for x in (r.k.irq_actions(irq) if 0 <= irq < 16 else ())
               if id(x) not in before]
        return {"a": r.a.action(new[0]) if new else None}

    _simple(r, lambda: r.k.request_irq(irq, _handler if r.arg("handler") else None, flags,
                                       m.name, r.arg("dev_id", null_ok=True)), after, errno=True)


@replays("free_irq")
def _free_irq(r: Replay) -> None:
    irq, dev_id = r.arg("irq"), r.arg("dev_id", null_ok=True)
    acts = [x for x in r.k.irq_actions(irq) if x.dev_id is dev_id] if 0 <= irq < 16 else []
    a = r.a.action(acts[0]) if acts else None
    _simple(r, lambda: r.k.free_irq(irq, dev_id), lambda _: {"a": a})


@replays("check_region")
def _check_region(r: Replay) -> None:
    _simple(r, lambda: r.k.check_region(r.arg("from"), r.arg("num")), errno=True)


@replays("request_region")
def _request_region(r: Replay) -> None:
    start, num, m = r.arg("from"), r.arg("num"), r.arg("c")

    def after(_: Any) -> dict[str, Any]:
        new = [x for x in r.k.regions if x.start == start and x.num == num and x.owner is m]
        return {"r": r.a.region(new[0]) if new else None}

    _simple(r, lambda: r.k.request_region(start, num, m.name), after)


@replays("release_region")
def _release_region(r: Replay) -> None:
    start, num = r.arg("from"), r.arg("num")
    exact = [x for x in r.k.regions if x.start == start and x.num == num]
    rn = r.a.region(exact[0]) if exact else None
    _simple(r, lambda: r.k.release_region(start, num), lambda _: {"r": rn})


@replays("request_dma", "free_dma")
def _dma(r: Replay) -> None:
    ch, m = r.arg("ch"), r.arg("c")
    if r.op.name == "request_dma":
        _simple(r, lambda: r.k.request_dma(ch, m.name), errno=True)
    else:
        _simple(r, lambda: r.k.free_dma(ch))


@replays("port_io")
def _port_io(r: Replay) -> None:
    _simple(r, lambda: r.k.inb(r.arg("port")))


# -- devices ------------------------------------------------------------------------------
@replays("dev_setup_fields")
def _setup_fields(r: Replay) -> None:
    d = r.arg("d")
    name = r.conc.interface_name(r.arg("name"))

    def call() -> None:
        d.name = name
        d.irq, d.base_addr, d.dma = r.arg("irq"), r.arg("base_addr"), r.arg("dma")
        d.mem_start, d.mem_end = r.arg("mem_start"), r.arg("mem_end")
        d.if_port, d.flags = r.arg("if_port"), r.arg("flags")
        d.init = (lambda dev: 0) if r.arg("has_init") else None
        d.open = (lambda dev: 0) if r.arg("has_open") else None
    _simple(r, call)


@replays("dev_set_status")
def _set_status(r: Replay) -> None:
    d = r.arg("d")

    def call() -> None:
        d.start, d.tbusy = int(r.arg("start")), int(r.arg("tbusy"))
        d.interrupt = int(r.arg("interrupt"))
    _simple(r, call)


@replays("ether_setup")
def _ether_setup(r: Replay) -> None:
    _simple(r, lambda: r.k.ether_setup(r.arg("d")))


@replays("register_netdev")
def _register(r: Replay) -> None:
    d, rc = r.arg("d"), r.arg("rc")
    d.init = lambda dev: rc

    def after(ret: int) -> dict[str, Any]:
        code = r.a.names.code(d.name)
        return {"i": code if ret == 0 and 0 <= code < 16 else r.w_env["i"]}

    _simple(r, lambda: r.k.register_netdev(d), after, errno=True)


@replays("unregister_netdev")
def _unregister(r: Replay) -> None:
    _simple(r, lambda: r.k.unregister_netdev(r.arg("d")))


@replays("dev_get")
def _dev_get(r: Replay) -> None:
    name = r.conc.interface_name(r.arg("n"))
    _simple(r, lambda: r.k.dev_get(name), lambda found: {"found": r.a.dev(found)})


@replays("dev_alloc_name")
def _alloc_name(r: Replay) -> None:
    fmt = r.conc.name_format(r.arg("fmt"))
    _simple(r, lambda: r.k.dev_alloc_name(r.arg("d"), fmt),
            lambda i: {"i": i if i >= 0 else r.w_env["i"]})


@replays("dev_open")
def _dev_open(r: Replay) -> None:
    d = r.arg("d")

    def opened(dev: Device) -> int:  # the kernel calls open: dev_open's step ends here
        r.end()
        return 0

    if d.open is not None:
        d.open = opened
    r.begin()
    got = r.k.dev_open(d)
    r.end(returned=_errno(got))


@replays("dev_close")
def _dev_close(r: Replay) -> None:
    d = r.arg("d")

    def stopping(dev: Device) -> int:
        r.end()
        return 0

    d.stop = stopping
    r.begin()
    r.k.dev_close(d)
    r.end()


@replays("open_return")
def _open_return(r: Replay) -> None:
    d, rc = r.arg("d"), r.arg("rc")
    had_open = r.at(V.dev_has_open, r.w_env["d"])
    d.phase = 0  # dev_open's prologue sets it when it calls open

    def body(dev: Device) -> int:
        if not had_open:  # the witness's driver has no open method now
            dev.open = None
        r.begin()
        return int(rc)

    d.open = body
    r.k.dev_open(d)
    r.end()


@replays("stop_return")
def _stop_return(r: Replay) -> None:
    d = r.arg("d")
    d.phase = 0  # dev_close's prologue sets it when it calls stop

    def body(dev: Device) -> int:
        r.begin()
        return 0

    d.stop = body
    r.k.dev_close(d)
    r.end()


# -- transmit and receive -------------------------------------------------------------------
@replays("dev_queue_xmit")
def _dev_queue_xmit(r: Replay) -> None:
    s, d, pri = r.arg("b"), r.arg("d"), r.arg("pri")
    r.keep_frames()

    def tracer(event: str, f: dict[str, Any]) -> None:
        if event in ("xmit.queued", "xmit.dropped", "bh.begin"):
            r.end()

    r.k.tracer = tracer
    r.begin()
    with r.caller():
        r.k.dev_queue_xmit(s, d, pri)
    r.end()


@replays("hard_start_xmit")
def _hard_start_xmit(r: Replay) -> None:
    d = r.arg("d")
    r.keep_frames()
    r.k.dev_base.remove(d)  # the bottom half visits the devices in list order: d first
    r.k.dev_base.insert(0, d)
    dn = r.env["d"]
    want = r.arg("pri")

    def tracer(event: str, f: dict[str, Any]) -> None:
        if f.get("dev") is not d:
            return
        if event == "xmit.idle" and f["pri"] == want:
            r.end({"d": dn, "pri": f["pri"], "b": None})
        elif event == "xmit.lend":
            r.a.lent(d, f["skb"])
            r.end({"d": dn, "pri": f["pri"], "b": r.a.skb(f["skb"])})

    r.k.tracer = tracer
    r.begin()
    r.k.net_bh()


@replays("hard_start_xmit_return")
def _xmit_return(r: Replay) -> None:
    d, rc = r.arg("d"), r.arg("rc")
    dn = r.w_env["d"]
    skb = r.conc.obj("Skb", r.at(V.dev_xmit_skb, dn))
    holder = skb.owner

    def body(frame: SkBuff, dev: Device) -> int:
        # The kernel handed the frame to the driver; the witness's state is after the
        # driver's body, which left the frame with its witness holder.
        r.k.skbuff._give(frame, holder)
        r.begin()
        return int(rc)

    d.hard_start_xmit = body
    # The step starts inside hard_start_xmit, which no public call can enter at an
    # arbitrary state: run the kernel's own hand-off (2.0's do_dev_queue_xmit tail), the
    # lend (phase 3, xmit_pri) it performs matching the witness's state.
    r.k.dev._hand_to_driver(skb, d, r.at(V.dev_xmit_pri, dn))
    r.end()


@replays("dev_tint")
def _dev_tint(r: Replay) -> None:
    d = r.arg("d")
    r.keep_frames()

    def tracer(event: str, f: dict[str, Any]) -> None:
        if event == "xmit.lend" and f["dev"] is d:
            r.a.lent(d, f["skb"])
            r.end({"pri": f["pri"], "b": r.a.skb(f["skb"])})

    r.k.tracer = tracer
    r.begin()
    with r.caller():
        r.k.dev_tint(d)
    r.end()


@replays("netif_rx")
def _netif_rx(r: Replay) -> None:
    def tracer(event: str, f: dict[str, Any]) -> None:
        if event == "bh.begin":  # netif_rx is over; the bottom half is the kernel's
            r.end()

    r.k.tracer = tracer
    r.begin()
    with r.caller():
        r.k.netif_rx(r.arg("b"))
    r.end()


@replays("net_bh")
def _net_bh(r: Replay) -> None:
    r.keep_frames()
    kept: list[SkBuff] = []
    b = r.w_env["b"]
    if r.case_id == "net_bh.deliver" and b is not None:
        proto = r.at(V.skb_proto, b)
        r.k.dev_add_pack(PacketType(proto, lambda s, dev, pt: kept.append(s)))

    def tracer(event: str, f: dict[str, Any]) -> None:
        if event == "bh.delivered":
            r.end({"b": r.a.skb(f["skb"])})
        elif event == "bh.end":
            r.end({"b": None})

    r.k.tracer = tracer
    r.begin()
    r.k.net_bh()


# -- modules ------------------------------------------------------------------------------
@replays("sys_init_module")
def _insmod(r: Replay) -> None:
    m = r.arg("m")

    def init() -> int:
        r.end()
        return 0

    m.init_module = init
    r.begin()
    r.k.insmod(m)


@replays("init_module_return")
def _init_return(r: Replay) -> None:
    m, rc = r.arg("m"), r.arg("rc")
    use = r.at(V.mod_use, r.w_env["m"])
    # insmod's prologue loads the module and sets its use count to 1
    m.state, m.use_count = MOD_UNLOADED, 0
    del r.k.modules[m.name]

    def init() -> int:
        for _ in range(use - 1):  # the witness's init_module raised its use count
            r.k.mod_inc_use_count(m)
        r.begin()
        return int(rc)

    m.init_module = init
    got = r.k.insmod(m)
    r.end(returned=_errno(got))


@replays("mod_inc_use_count", "mod_dec_use_count")
def _use_count(r: Replay) -> None:
    fn = getattr(r.k, r.op.name)
    r.begin()
    fn(r.arg("m"))
    r.end()


@replays("delete_module")
def _rmmod(r: Replay) -> None:
    m = r.arg("m")
    m.cleanup_module = lambda: r.end()
    r.begin()
    got = r.k.rmmod(m.name)
    r.end(returned=_errno(got))


@replays("cleanup_module_return")
def _cleanup_return(r: Replay) -> None:
    m = r.arg("m")
    use = r.at(V.mod_use, r.w_env["m"])
    m.state, m.use_count = MOD_LIVE, 0  # rmmod's prologue: live, unused, then cleaning up

    def cleanup() -> None:
        for _ in range(use):  # the witness's cleanup_module raised its use count
            r.k.mod_inc_use_count(m)
        r.begin()

    m.cleanup_module = cleanup
    r.k.rmmod(m.name)
    r.end()


# =========================================================================================
# The tests
# =========================================================================================


def replay(probe: Probe) -> Replay:
    """Find the witness, build it, perform the step and check it; raises
    :class:`Unrealisable` or :class:`Divergence`, or fails an assertion."""
    w = probe.witness()
    op, _ = SPEC.cases[probe.case]
    assert op.name in REPLAY, f"no replay for the operation {op.name}: add one"
    r = Replay(probe.case, w)
    REPLAY[op.name](r)
    if r.errors:
        raise r.errors[0]
    raised = [x.message for x in r.k.misuse if x.kind == "callback_raised"]
    assert raised == [], raised
    rep = r.report
    assert rep is not None, "the kernel never completed the step"
    assert r.pre is not None and r.post is not None
    if not rep.agrees:
        diff = [f"{s}{a}: {x!r} -> {y!r}" for s, a, x, y in changes(r.pre, r.post, SPEC)]
        raise Divergence(f"{probe.label}: the reference's step does not agree with the spec: "
                         f"case taken {rep.case}; problems {list(rep.problems)}; broken "
                         f"invariants {list(rep.broken_invariants)}; the kernel changed "
                         f"{diff}; arguments {r.final_env}")
    if rep.case != probe.case:
        guard = SPEC.cases[rep.case][1].guard
        assert probe.case in AMBIGUOUS, (
            f"{probe.label}: the kernel took {rep.case}, not the witness's case "
            f"(its guard {'holds' if evaluate(guard, r.pre, None, r.final_env) else 'fails'} "
            "in the built state)")
    for name in EXACT.get(probe.case, ()):
        assert r.final_env[name] == r.env[name], (
            f"{probe.label}: the kernel chose {name} = {r.final_env[name]!r}, the witness's "
            f"case pins {r.env[name]!r}")
    return r


def _marks(label: str) -> list[pytest.MarkDecorator]:
    if label in UNREALISABLE:
        return [pytest.mark.xfail(raises=Unrealisable, strict=True,
                                  reason=f"unrealisable: {UNREALISABLE[label]}")]
    if label in DIVERGENT:
        return [pytest.mark.xfail(raises=Divergence, strict=True,
                                  reason=f"divergence: {DIVERGENT[label]}")]
    return []


@pytest.mark.parametrize("case_id", [pytest.param(c, marks=_marks(c)) for c in SPEC.cases])
def test_case_witness_replays_on_the_reference(case_id: str) -> None:
    """z3's witness for the case (or the spec's builder), built and replayed: the kernel
    takes the case and the step agrees with it."""
    replay(_default(case_id))


@pytest.mark.parametrize("probe", [pytest.param(p, marks=_marks(p.label), id=p.label)
                                   for p in EDGES])
def test_edge_witness_replays_on_the_reference(probe: Probe) -> None:
    """A boundary witness (extra conditions, or a big built state), replayed the same way."""
    replay(probe)


def test_the_lists_name_real_cases() -> None:
    """Every listed case or probe exists, and every operation has a replay."""
    labels = {*SPEC.cases, *(p.label for p in EDGES)}
    for name in (*UNREALISABLE, *DIVERGENT, *AMBIGUOUS, *EXACT, *SCHEDULE):
        assert name in labels, name
    assert {op.name for op in SPEC.operations} <= set(REPLAY)


def test_concretise_refuses_to_pass_off_a_different_state() -> None:
    """A state the built kernel does not hold where the operation looks is reported, with
    the location and the reason, never replayed."""
    op, _ = SPEC.cases["skb_put.ok"]
    w = prover().witness("skb_put.ok")
    conc = concretise(w.pre, SPEC)
    b = conc.obj("Skb", w.env["b"])
    b.tail += 1  # the kernel's buffer is no longer the witness's
    b.len += 1
    with pytest.raises(Unrealisable, match=r"skb\.tail\(b\d+\) is \d+ in the spec state but"):
        conc.check(w.pre, op, w.env, w.post)


def test_module_queues_and_unused_modules_are_built_exactly() -> None:
    """A hand-made state: a module's initialised queue holding two buffers that share a
    data area, a free eth slot's ghost, a dead region; the abstraction reads it back."""
    st = initial_state()
    m = add_module(st, "m0")
    add_module(st, "m1", phase=0)
    add_device(st, "d0", owner=m, name=3, registered=True)
    st.universe["Queue"].append("q9")
    for sym, v in ((V.q_init, True), (V.q_owner, m), (V.q_lo, -2), (V.q_hi, 0)):
        st.set(sym, ("q9",), v)
    st.universe["Skb"] = ["b0", "b1"]
    st.universe["Blk"] = ["k0"]
    for i, bn in enumerate(("b0", "b1")):
        for sym, v in ((V.skb_ever, True), (V.skb_alive, True), (V.skb_head, 10),
                       (V.skb_data, 12), (V.skb_tail, 15), (V.skb_end, 30), (V.skb_len, 3),
                       (V.skb_owner, m), (V.skb_free, 1), (V.skb_queued, True),
                       (V.skb_list, "q9"), (V.skb_pos, i - 2), (V.skb_blk, "k0"),
                       (V.skb_ref, 1 - i)):
            st.set(sym, (bn,), v)
        st.set(V.q_at, ("q9", i - 2), bn)
        st.set(V.blk_at, ("k0", 1 - i), bn)
    for sym, v in ((V.blk_live, True), (V.blk_refs, 2), (V.blk_head, 10), (V.blk_end, 30)):
        st.set(sym, ("k0",), v)
    st.universe["Region"] = ["r0"]
    for sym, v in ((V.reg_from, 0x300), (V.reg_num, 8), (V.reg_owner, m), (V.reg_idx, 5)):
        st.set(sym, ("r0",), v)
    assert [i.id for i in SPEC.invariants if not evaluate(i.formula, st)] == []
    conc = concretise(st, SPEC)
    got = conc.abstraction.state()
    q9, b0, b1 = conc.name("Queue", "q9"), conc.name("Skb", "b0"), conc.name("Skb", "b1")
    assert got.get(V.q_lo, (q9,)) == -2 and got.get(V.q_hi, (q9,)) == 0
    assert [got.get(V.q_at, (q9, p)) for p in (-2, -1)] == [b0, b1]
    k0 = conc.name("Blk", "k0")
    assert [got.get(V.blk_at, (k0, i)) for i in (0, 1)] == [b1, b0]
    assert got.get(V.reg_idx, (conc.name("Region", "r0"),)) == 5
    assert got.get(V.mod_phase, ("m1",)) == 0 and conc.obj("Party", "m1").state == MOD_UNLOADED
    assert conc.kernel.dev_get("eth3") is conc.obj("Dev", "d0")
    head = conc.obj("Queue", "q9")
    assert list(head) == [conc.obj("Skb", "b0"), conc.obj("Skb", "b1")]
    assert isinstance(conc.obj("Party", "m0"), Module)
    assert conc.approximations == []


def test_interface_names_map_back_to_their_codes() -> None:
    """The names the concretiser writes read back as the same spec codes."""
    st = initial_state()
    conc = concretise(st, SPEC)
    for code in (V.NAME_NULL, V.NAME_BLANK, 0, 15, 16, 999, 1000, 1099, 2005, 27_042):
        assert conc.abstraction.names.code(conc.interface_name(code)) == code
    assert conc.name_format(1) == "nda%d" and conc.name_format(0) == "eth%d"
    assert len({fmt_prefix(f) for f in range(1000)}) == 1000
    with pytest.raises(ValueError):
        interface_name(-3)

