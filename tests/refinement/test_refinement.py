"""Refinement: the reference kernel's behaviour satisfies the spec's contracts.

A Hypothesis state machine drives random call sequences (two modules, devices, IRQ
lines, regions, DMA channels, buffers and queues) through the reference kernel. Before
each call it evaluates the operation's caller obligations with the spec's rule objects
and only makes calls that honour them; after each call it maps the kernel to the spec's
state and checks that some case of the operation took place (guard, guarantees and
frame) and that every invariant still holds. The cases reached are collected, and a
test checks that every case is reached by the machine or a fixed scenario. That test runs
them itself if they have not run in its process yet (each runs at most once per process),
so it depends on no test order and passes on any pytest-xdist worker.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import netdevspec.reference as errno_mod
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from netdevspec.conformance.abstraction import Abstraction
from netdevspec.conformance.checker import changes, check_step
from netdevspec.conformance.live import LiveState
from netdevspec.reference import (
    Device,
    Kernel,
    Module,
    PacketType,
    SkBuff,
    SkBuffHead,
    TimerList,
)
from netdevspec.reference.kernel import SA_INTERRUPT, SA_SHIRQ
from netdevspec.spec import SPEC, evaluate

pytestmark = pytest.mark.slow

_ETH = re.compile(r"eth\d+")
REACHED: Counter[str] = Counter()
SKIPPED: Counter[str] = Counter()


def _handler(irq: int, dev_id: object, regs: object) -> None:
    return None


_ERRNO = {getattr(errno_mod, n): n for n in ("EINVAL", "ENOMEM", "EBUSY", "EIO", "ENFILE",
                                             "EEXIST", "ENODEV")}


def _errno(ret: object) -> str | None:
    """A kernel result in the spec cases' notation."""
    if isinstance(ret, bool) or not isinstance(ret, int):
        return None
    if ret == 0:
        return "0"
    return f"-{_ERRNO[-ret]}" if -ret in _ERRNO else None


class KernelMachine(RuleBasedStateMachine):
    """Random sequences of API calls by two modules, each checked against the spec."""

    @initialize()
    def boot(self) -> None:
        self.k = Kernel()
        self.a = Abstraction(self.k)
        self.mods = [Module("m0", init_module=lambda: 0), Module("m1", init_module=lambda: 0)]
        for m in self.mods:
            assert self.k.insmod(m) == 0
            self.a.track_module(m)
        self.m2 = Module("m2")
        self.a.track_module(self.m2)
        self.skbs: list[SkBuff] = []
        self.queues: list[SkBuffHead] = []
        self.timers: list[TimerList] = []
        self.timer_serial = 0
        self.probe_rc = 0
        self.open_rc = 0
        self.open_called = False
        # Devices the modules set up and register; also the dev_id cookies for sharing.
        self.devs = [Device(f"sim{i}") for i in range(3)]
        for d in self.devs:
            self.a.track_device(d)
        # The transmit and receive paths run several spec steps inside one kernel call;
        # the kernel's trace points split them (on_trace).
        self.pending: tuple[str, dict[str, Any]] | None = None
        self.xmit_mode = "free"
        self.held: list[SkBuff] = []
        self.k.tracer = self.on_trace
        self.live = LiveState(self.k, self.a.names)
        # A kernel protocol for ARP frames keeps what it is given (net_bh.deliver); frames
        # of other protocols find no handler and are freed (net_bh.discard).
        self.delivered: list[SkBuff] = []
        self.k.dev_add_pack(PacketType(0x806, lambda s, d, pt: self.delivered.append(s)))
        self.step_invariants = True
        self.a.sync()
        self.pre = self.a.state()
        self.every_invariant_holds()

    # -- the check every rule goes through ------------------------------------------------
    def step(self, op: str, env: dict[str, Any], call: Callable[[], Any],
             after: Callable[[Any], dict[str, Any]] | None = None, sync_op: str = "") -> Any:
        """Make the call if its obligations hold; then check it against the spec."""
        operation = SPEC.operation(op)
        pre = self.pre
        broken = {u.rule.id for u in operation.obligations
                  if not evaluate(u.formula, pre, None, env)}
        # The conformance monitor reads the kernel live, with objects for names: it must
        # find the same obligations broken.
        live_env = {k: self.a.resolve(v) for k, v in env.items()}
        assert broken == {u.rule.id for u in operation.obligations
                          if not evaluate(u.formula, self.live, None, live_env)}, (op, env)
        # A branch 2.0 lets through although it breaks an obligation (freeing a free IRQ)
        # is still kernel behaviour to check; any other broken obligation: do not call.
        allowed = {v.rule.id for c in operation.cases for v in c.violates
                   if evaluate(c.guard, pre, None, env)}
        if broken - allowed:
            SKIPPED[f"{op}:{sorted(broken - allowed)[0]}"] += 1
            return None
        ret = call()
        if op in ("request_irq", "request_dma") and ret == 0:
            # The monitor keeps this ghost as each claim returns; so does this machine.
            self.live.claimed(op, env["irq" if op == "request_irq" else "ch"],
                              self.a.resolve(env["c"]))
        full = dict(env)
        if after is not None:
            full.update(after(ret))
        self.checkpoint(op, full, _errno(ret), sync_op)
        return ret

    def checkpoint(self, op: str, env: dict[str, Any], returned: str | None = None,
                   sync_op: str = "") -> None:
        """Check the step from the last checkpoint to now as ``op``; this is the new start."""
        self.a.sync(sync_op or op)
        post = self.a.state()
        report = check_step(SPEC, SPEC.operation(op), self.pre, post, env, returned=returned,
                            check_invariants=self.step_invariants)
        assert report.agrees, (op, env, report)
        assert report.case is not None
        REACHED[report.case] += 1
        self.pre = post

    def traced(self, op: str, env: dict[str, Any], call: Callable[[], Any]) -> bool:
        """Make a call that may run several spec steps, split at the kernel's trace points.

        The first step is ``op`` (it ends at the first trace point, or when the call
        returns); the steps after it are the kernel's own, named by the trace events.
        False when the call's obligations do not hold (it is not made).
        """
        operation = SPEC.operation(op)
        broken = [u.rule.id for u in operation.obligations
                  if not evaluate(u.formula, self.pre, None, env)]
        if broken:
            SKIPPED[f"{op}:{broken[0]}"] += 1
            return False
        assert self.pending is None
        self.pending = (op, env)
        call()
        if self.pending is not None:  # no trace point: the call was one step
            self.pending = None
            self.checkpoint(op, env)
        else:
            self.settled()
        return True

    def settled(self) -> None:
        """Nothing changed since the last step (between two of the kernel's steps)."""
        self.a.sync()
        post = self.a.state()
        assert changes(self.pre, post, SPEC) == []
        self.pre = post

    def take_pending(self, *ops: str) -> tuple[str, dict[str, Any]] | None:
        """The call in progress, if it is one of ``ops``; the first step ends here."""
        p = self.pending
        if p is None or p[0] not in ops:
            return None
        self.pending = None
        return p

    def on_trace(self, event: str, f: dict[str, Any]) -> None:
        """The kernel reached a step boundary: check the step that just ended."""
        a = self.a
        if event in ("xmit.queued", "xmit.dropped"):
            p = self.take_pending("dev_queue_xmit")
            assert p is not None, event
            self.checkpoint(*p)
        elif event == "xmit.lend":
            skb, dev, pri = f["skb"], f["dev"], f["pri"]
            a.lent(dev, skb)
            self.live.xmit[dev] = skb
            p = self.take_pending("dev_tint")
            if p is not None:  # the driver's dev_tint sends its first frame
                self.checkpoint("dev_tint", {**p[1], "pri": pri, "b": a.skb(skb)})
            else:
                self.checkpoint("hard_start_xmit", {"d": a.dev(dev), "pri": pri,
                                                    "b": a.skb(skb)})
        elif event == "xmit.idle":
            dev = f["dev"]
            if self.pending is None and dev.flags & 0x1 and dev.registered:
                self.checkpoint("hard_start_xmit", {"d": a.dev(dev), "pri": f["pri"],
                                                    "b": None})
        elif event == "xmit.return":
            dev = f["dev"]
            self.checkpoint("hard_start_xmit_return", {"c": dev.owner.name, "d": a.dev(dev),
                                                       "rc": f["rc"]})
        elif event == "bh.begin":  # the call that marked the bottom half is over
            p = self.take_pending("netif_rx", "dev_tint", "dev_queue_xmit")
            if p is not None:
                self.checkpoint(*p)
            else:
                self.settled()
        elif event == "bh.delivered":
            self.checkpoint("net_bh", {"b": a.skb(f["skb"])})
        elif event == "bh.end":
            self.checkpoint("net_bh", {"b": None})

    def new_buffer(self, s: SkBuff | None, key: str) -> dict[str, Any]:
        """The kernel's choices for a new buffer: its name, its data area and address."""
        if s is None:
            return {key: None, "k": None, "h": 0}
        self.skbs.append(s)
        self.a.track_skb(s)
        return {key: self.a.skb(s), "k": self.a.area(s), "h": s.area.head}

    def module(self, i: int) -> Module:
        return self.mods[i % len(self.mods)]

    def owned(self, m: Module) -> list[SkBuff]:
        return [s for s in self.skbs if s.alive and s.owner is m]

    # -- allocation ---------------------------------------------------------------------------
    @rule(who=st.integers(0, 1), size=st.integers(0, 64), dev=st.booleans(),
          fail=st.sampled_from([False, False, False, True]))
    def alloc(self, who: int, size: int, dev: bool, fail: bool) -> None:
        m = self.module(who)
        op = "dev_alloc_skb" if dev else "alloc_skb"
        if fail:
            self.k.fail_next_alloc()

        def call() -> SkBuff | None:
            with self.k.running(m):
                return self.k.dev_alloc_skb(size) if dev else self.k.alloc_skb(size)

        self.step(op, {"c": m.name, "n": size, "atomic": True, "in_irq": False}, call,
                  lambda s: self.new_buffer(s, "b"))

    # -- geometry ---------------------------------------------------------------------------
    def geometry(self, pick: int, n: int, op: str) -> None:
        live = [s for s in self.skbs if s.alive and s.owner is not None]
        if not live:
            return
        s = live[pick % len(live)]
        m = s.owner
        assert m is not None
        env: dict[str, Any] = {"c": m.name, "b": self.a.skb(s), "n": n}
        fn = getattr(self.k, op)

        def call() -> Any:
            with self.k.running(m):
                if op in ("skb_headroom", "skb_tailroom"):
                    return fn(s)
                return fn(s, n)

        if op in ("skb_headroom", "skb_tailroom"):
            env.pop("n")
        # The spec's guard checks the value the kernel returned (never one computed here).
        returns = op in ("skb_put", "skb_push", "skb_headroom", "skb_tailroom")
        self.step(op, env, call, (lambda r: {"ret": r}) if returns else None)

    _live = precondition(lambda self: any(s.alive and s.owner for s in self.skbs))

    @_live
    @rule(pick=st.integers(0, 10**6), n=st.integers(0, 12))
    def put(self, pick: int, n: int) -> None:
        self.geometry(pick, n, "skb_put")

    @_live
    @rule(pick=st.integers(0, 10**6), n=st.integers(0, 12))
    def push(self, pick: int, n: int) -> None:
        self.geometry(pick, n, "skb_push")

    @_live
    @rule(pick=st.integers(0, 10**6), n=st.integers(0, 12))
    def pull(self, pick: int, n: int) -> None:
        self.geometry(pick, n, "skb_pull")

    @_live
    @rule(pick=st.integers(0, 10**6), n=st.integers(0, 12))
    def reserve(self, pick: int, n: int) -> None:
        self.geometry(pick, n, "skb_reserve")

    @_live
    @rule(pick=st.integers(0, 10**6), n=st.integers(0, 12),
          op=st.sampled_from(["skb_trim", "skb_headroom", "skb_tailroom"]))
    def measure(self, pick: int, n: int, op: str) -> None:
        self.geometry(pick, n, op)

    @_live
    @rule(pick=st.integers(0, 10**6), how=st.sampled_from(["skb_write", "skb_read",
                                                            "skb_data"]))
    def data(self, pick: int, how: str) -> None:
        """The owner copies bytes into or out of its buffer (skb_data: a direct write of
        its bytes, as a driver's mirror reports one)."""
        write = how != "skb_read"
        live = [s for s in self.skbs if s.alive and s.owner is not None]
        if not live:
            return
        s = live[pick % len(live)]
        m = s.owner
        assert m is not None

        def call() -> None:
            with self.k.running(m):
                if write:
                    self.k.skb_write(s, s.head, b"\x5a")
                else:
                    self.k.skb_read(s, s.head, 1)

        env: dict[str, Any] = {"c": m.name, "b": self.a.skb(s)}
        if how != "skb_data":
            env.update(addr=s.head, n=1)
        self.step(how, env, call)

    # -- freeing -----------------------------------------------------------------------------
    def lock(self, pick: int) -> None:
        """The owner device-locks its buffer (a fixed step: dev_kfree_skb then unlocks it)."""
        live = [s for s in self.skbs if s.alive and s.owner is not None and s.list is None]
        s = live[pick % len(live)]
        m = s.owner
        assert m is not None

        def call() -> None:
            with self.k.running(m):
                self.k.skb_device_lock(s)

        self.step("skb_device_lock", {"c": m.name, "b": self.a.skb(s)}, call)

    @precondition(lambda self: any(s.alive for s in self.skbs))
    @rule(pick=st.integers(0, 10**6), dev=st.booleans(), flag=st.sampled_from([0, 1]))
    def free(self, pick: int, dev: bool, flag: int) -> None:
        live = [s for s in self.skbs if s.alive and s.owner is not None and s.list is None]
        if not live:
            return
        s = live[pick % len(live)]
        m = s.owner
        assert m is not None
        name = self.a.skb(s)
        if dev:
            def set_flag() -> None:
                with self.k.running(m):
                    s.free = flag
            self.step("skb_set_free", {"c": m.name, "b": name, "n": flag}, set_flag)

        def call() -> None:
            with self.k.running(m):
                if dev:
                    self.k.dev_kfree_skb(s)
                else:
                    self.k.kfree_skb(s)

        self.step("dev_kfree_skb" if dev else "kfree_skb", {"c": m.name, "b": name}, call)

    # -- clones and copies -----------------------------------------------------------------
    @precondition(lambda self: any(s.alive for s in self.skbs))
    @rule(pick=st.integers(0, 10**6), copy=st.booleans(), fail=st.booleans())
    def clone(self, pick: int, copy: bool, fail: bool) -> None:
        live = [s for s in self.skbs if s.alive and s.owner is not None]
        if not live:
            return
        s = live[pick % len(live)]
        m = s.owner
        assert m is not None
        if fail:
            self.k.fail_next_alloc()

        def call() -> SkBuff | None:
            with self.k.running(m):
                return self.k.skb_copy(s) if copy else self.k.skb_clone(s)

        self.step("skb_copy" if copy else "skb_clone", {"c": m.name, "b": self.a.skb(s)},
                  call, lambda n: self.new_buffer(n, "b2"))

    # -- queues -------------------------------------------------------------------------------
    @precondition(lambda self: len(self.queues) < 3)
    @rule(who=st.integers(0, 1))
    def new_queue(self, who: int) -> None:
        m = self.module(who)
        head = SkBuffHead(None, f"mq{len(self.queues)}")
        qname = self.a.track_queue(head)

        def call() -> None:
            with self.k.running(m):
                self.k.skb_queue_head_init(head)
            self.a.reinit(head)
            self.queues.append(head)

        self.step("skb_queue_head_init", {"c": m.name, "q": qname}, call)

    @precondition(lambda self: bool(self.queues))
    @rule(qi=st.integers(0, 10**6), pick=st.integers(0, 10**6),
          op=st.sampled_from(["skb_queue_tail", "skb_queue_head", "skb_insert", "skb_append"]))
    def enqueue(self, qi: int, pick: int, op: str) -> None:
        head = self.queues[qi % len(self.queues)]
        m = head.owner
        if m is None:
            return
        free = [s for s in self.owned(m) if s.list is None]
        if not free:
            return
        s = free[pick % len(free)]
        env: dict[str, Any] = {"c": m.name}
        anchors = list(head)
        if op in ("skb_insert", "skb_append"):
            if not anchors:
                return
            old = anchors[pick % len(anchors)]
            env.update(b=self.a.skb(old), b2=self.a.skb(s))

            def call() -> None:
                with self.k.running(m):
                    getattr(self.k, op)(old, s)
        else:
            env.update(q=self.a.queue(head), b=self.a.skb(s))

            def call() -> None:
                with self.k.running(m):
                    getattr(self.k, op)(head, s)

        self.step(op, env, call)

    @precondition(lambda self: bool(self.queues))
    @rule(qi=st.integers(0, 10**6), peek=st.booleans())
    def dequeue(self, qi: int, peek: bool) -> None:
        head = self.queues[qi % len(self.queues)]
        m = head.owner
        if m is None:
            return
        first = next(iter(head), None)

        def call() -> SkBuff | None:
            with self.k.running(m):
                return self.k.skb_peek(head) if peek else self.k.skb_dequeue(head)

        self.step("skb_peek" if peek else "skb_dequeue",
                  {"c": m.name, "q": self.a.queue(head), "b": self.a.skb(first)}, call)

    @precondition(lambda self: bool(self.queues))
    @rule(qi=st.integers(0, 10**6))
    def peek_tail(self, qi: int) -> None:
        head = self.queues[qi % len(self.queues)]
        m = head.owner
        if m is None:
            return
        last = list(head)[-1] if head.qlen else None

        def call() -> SkBuff | None:
            with self.k.running(m):
                return self.k.skb_peek_tail(head)

        self.step("skb_peek_tail", {"c": m.name, "q": self.a.queue(head),
                                    "b": self.a.skb(last)}, call)

    # -- ISA shared memory -----------------------------------------------------------------------
    @rule(who=st.integers(0, 1), off=st.integers(0, 0x2100), write=st.booleans())
    def shmem(self, who: int, off: int, write: bool) -> None:
        """A module reads or writes a byte of shared memory near its device's window."""
        m = self.module(who)
        base = next((d.mem_start for d in self.devs
                     if d.registered and d.owner is m and d.mem_end > d.mem_start), 0xD0000)
        addr = base + off

        def call() -> int | None:
            with self.k.running(m):
                return self.k.writeb(0x5A, addr) if write else self.k.readb(addr)

        self.step("shmem_io", {"c": m.name, "addr": addr, "n": 1}, call)

    # -- kernel timers ---------------------------------------------------------------------------
    @rule(who=st.integers(0, 1), pick=st.integers(0, 10**6),
          op=st.sampled_from(["init_timer", "add_timer", "del_timer"]))
    def timer(self, who: int, pick: int, op: str) -> None:
        """A module initialises, adds or deletes a timer (a new one, or one it made)."""
        m = self.module(who)
        if pick % 3 == 0 or not self.timers:
            self.timers.append(TimerList(0, 0, lambda data: None))
        t = self.timers[pick % len(self.timers)]
        if op == "add_timer" and not t.pending:
            # Distinct, increasing expiry times: each expiry step runs exactly one timer.
            self.timer_serial += 1
            t.expires = self.k.jiffies + self.timer_serial

        def call() -> int | None:
            with self.k.running(m):
                return getattr(self.k, op)(t)

        self.step(op, {"c": m.name, "t": self.a.timer(t)}, call)

    @precondition(lambda self: any(t.pending for t in self.timers))
    @rule()
    def expire(self) -> None:
        """The clock reaches the first pending timer: the timer bottom half runs it."""
        t = self.k.timer.timers[0]
        self.k.tick(t.expires - self.k.jiffies)
        self.checkpoint("run_timer_list", {"t": self.a.timer(t)})

    @precondition(lambda self: any(s.alive for s in self.skbs))
    @rule(pick=st.integers(0, 10**6))
    def unlink(self, pick: int) -> None:
        live = [s for s in self.skbs if s.alive and s.owner is not None]
        if not live:
            return
        s = live[pick % len(live)]
        m = s.owner
        assert m is not None

        def call() -> None:
            with self.k.running(m):
                self.k.skb_unlink(s)

        self.step("skb_unlink", {"c": m.name, "b": self.a.skb(s)}, call)

    # -- resources ----------------------------------------------------------------------------
    @rule(who=st.integers(0, 1), irq=st.sampled_from([-1, 5, 5, 9, 16]), shirq=st.booleans(),
          saint=st.booleans(), handler=st.sampled_from([True, True, False]),
          fail=st.sampled_from([False, False, True]), dev=st.integers(0, 3))
    def request_irq(self, who: int, irq: int, shirq: bool, saint: bool, handler: bool,
                    fail: bool, dev: int) -> None:
        self._request_irq(who, irq, shirq, saint, handler, fail, dev)

    def _request_irq(self, who: int, irq: int, shirq: bool, saint: bool, handler: bool,
                     fail: bool, dev: int) -> None:
        m = self.module(who)
        dev_id = self.devs[dev] if dev < len(self.devs) else None
        flags = (SA_SHIRQ if shirq else 0) | (SA_INTERRUPT if saint else 0)
        if fail:
            self.k.fail_next_alloc()
        before = set(map(id, self.k.irq_actions(irq))) if 0 <= irq < 16 else set()

        def call() -> int:
            with self.k.running(m):
                return self.k.request_irq(irq, _handler if handler else None, flags,
                                          m.name, dev_id)

        def after(rc: int) -> dict[str, Any]:
            new = [x for x in (self.k.irq_actions(irq) if 0 <= irq < 16 else ())
                   if id(x) not in before]
            return {"a": self.a.action(new[0]) if new else None}

        env = {"c": m.name, "irq": irq, "handler": handler, "shirq": shirq,
               "sa_interrupt": saint, "dev_id": self.a.dev(dev_id)}
        self.step("request_irq", env, call, after)
        if fail:
            self.k.alloc_fails = None
            self.k.fail_next_alloc(0)

    @rule(who=st.integers(0, 1), irq=st.sampled_from([-1, 5, 5, 9, 16]), dev=st.integers(0, 3))
    def free_irq(self, who: int, irq: int, dev: int) -> None:
        self._free_irq(who, irq, dev)

    def _free_irq(self, who: int, irq: int, dev: int) -> None:
        m = self.module(who)
        dev_id = self.devs[dev] if dev < len(self.devs) else None
        acts = [x for x in self.k.irq_actions(irq) if x.dev_id is dev_id] if 0 <= irq < 16 else []

        def call() -> None:
            with self.k.running(m):
                self.k.free_irq(irq, dev_id)

        env = {"c": m.name, "irq": irq, "dev_id": self.a.dev(dev_id),
               "a": self.a.action(acts[0]) if acts else None}
        self.step("free_irq", env, call)

    @precondition(lambda self: any(a.owner is not None for line in (5, 9)
                                   for a in self.k.irq_actions(line)))
    @rule(pick=st.integers(0, 10**6), again=st.booleans(), shirq=st.booleans(),
          saint=st.booleans(), dev=st.integers(0, 3))
    def held_line(self, pick: int, again: bool, shirq: bool, saint: bool, dev: int) -> None:
        """Free an action a module holds (by its own module), or request its line again."""
        acts = [a for line in (5, 9) for a in self.k.irq_actions(line) if a.owner is not None]
        act = acts[pick % len(acts)]
        if again:
            self._request_irq(self.mods.index(act.owner), act.line, shirq, saint, True, False,
                              dev)
        else:
            devs = [*self.devs, None]
            self._free_irq(self.mods.index(act.owner), act.line,
                           devs.index(act.dev_id) if act.dev_id in devs else len(self.devs))

    @precondition(lambda self: any(r.owner is not None for r in self.k.regions))
    @rule(pick=st.integers(0, 10**6))
    def release_held(self, pick: int) -> None:
        """A module releases exactly a region it holds."""
        held = [r for r in self.k.regions if r.owner is not None]
        r = held[pick % len(held)]
        assert r.owner is not None
        self._regions(self.mods.index(r.owner), r.start, r.num, "release_region")

    @rule(who=st.integers(0, 1), start=st.sampled_from([0x200, 0x280, 0x300, 0x310]),
          num=st.sampled_from([0, 8, 16, 32]),
          op=st.sampled_from(["check_region", "request_region", "release_region"]))
    def regions(self, who: int, start: int, num: int, op: str) -> None:
        self._regions(who, start, num, op)

    def _regions(self, who: int, start: int, num: int, op: str) -> None:
        m = self.module(who)
        exact = [r for r in self.k.regions if r.start == start and r.num == num]

        def call() -> Any:
            with self.k.running(m):
                if op == "request_region":
                    return self.k.request_region(start, num, m.name)
                return getattr(self.k, op)(start, num)

        def after(_: Any) -> dict[str, Any]:
            if op == "request_region":
                new = [r for r in self.k.regions if r.start == start and r.num == num
                       and r.owner is m]
                return {"r": self.a.region(new[0]) if new else None}
            return {}

        env: dict[str, Any] = {"c": m.name, "from": start, "num": num}
        if op == "release_region":
            env["r"] = self.a.region(exact[0]) if exact else None
        elif op == "request_region":
            env["r"] = None
        self.step(op, env, call, after)

    @rule(who=st.integers(0, 1), ch=st.integers(-1, 8), free=st.booleans())
    def dma(self, who: int, ch: int, free: bool) -> None:
        m = self.module(who)

        def call() -> Any:
            with self.k.running(m):
                return self.k.free_dma(ch) if free else self.k.request_dma(ch, m.name)

        self.step("free_dma" if free else "request_dma", {"c": m.name, "ch": ch}, call)

    @rule(who=st.integers(0, 1), port=st.sampled_from([0x200, 0x284, 0x300, 0x30F, 0x310]),
          write=st.booleans())
    def port_io(self, who: int, port: int, write: bool) -> None:
        """A module reads or writes a port (no card answers: reads give 0xff)."""
        m = self.module(who)

        def call() -> None:
            with self.k.running(m):
                if write:
                    self.k.outb(0, port)
                else:
                    self.k.inb(port)

        self.step("port_io", {"c": m.name, "port": port}, call)

    # -- devices ------------------------------------------------------------------------------
    def device(self, i: int) -> Device:
        return self.devs[i % len(self.devs)]

    @rule(who=st.integers(0, 1), dev=st.integers(0, 2),
          name=st.sampled_from(["", "    ", "eth0", "eth1", "eth15", "dummy0", "dummy1", "lo"]),
          irq=st.sampled_from([0, 5, 9, 255]), base=st.sampled_from([0, 0x300, 0xFFFF]),
          dma=st.sampled_from([0, 3, 255]), mem=st.sampled_from([(0, 0), (0xD0000, 0xD3FFF)]),
          has_init=st.sampled_from([True, True, False]), has_open=st.booleans())
    def setup_fields(self, who: int, dev: int, name: str, irq: int, base: int, dma: int,
                     mem: tuple[int, int], has_init: bool, has_open: bool) -> None:
        m, d = self.module(who), self.device(dev)

        def call() -> None:
            with self.k.running(m):
                d.name, d.irq, d.base_addr, d.dma = name, irq, base, dma
                d.mem_start, d.mem_end = mem
                d.init = self._probe if has_init else None
                d.open = self._open if has_open else None

        env = {"c": m.name, "d": self.a.dev(d), "name": self.a.names.code(name), "irq": irq,
               "base_addr": base, "dma": dma, "mem_start": mem[0], "mem_end": mem[1],
               "if_port": d.if_port, "flags": d.flags & 0xFFFF, "has_init": has_init,
               "has_open": has_open}
        self.step("dev_setup_fields", env, call)

    def _probe(self, dev: Device) -> int:
        return self.probe_rc

    def _open(self, dev: Device) -> int:
        return 0

    @rule(who=st.integers(0, 1), dev=st.integers(0, 2))
    def ether_setup(self, who: int, dev: int) -> None:
        m, d = self.module(who), self.device(dev)
        if _ETH.fullmatch(d.name) and not d.registered:
            # 2.0's ether_setup reserves the slot of an ethN name before registration
            # (REG-12); the spec does not model that (decision.eth.reservation): see the
            # xfail test below.
            return

        def call() -> None:
            with self.k.running(m):
                self.k.ether_setup(d)

        self.step("ether_setup", {"c": m.name, "d": self.a.dev(d)}, call)

    @rule(who=st.integers(0, 1), dev=st.integers(0, 2),
          rc=st.sampled_from([0, 0, 0, -19]))
    def register(self, who: int, dev: int, rc: int) -> None:
        m, d = self.module(who), self.device(dev)
        self.probe_rc = rc

        def call() -> int:
            with self.k.running(m):
                return self.k.register_netdev(d)

        def after(r: int) -> dict[str, Any]:
            code = self.a.names.code(d.name)
            return {"i": code if r == 0 and 0 <= code < 16 else 0}

        self.step("register_netdev", {"c": m.name, "d": self.a.dev(d), "rc": rc}, call, after)

    @rule(who=st.integers(0, 1), dev=st.integers(0, 2))
    def unregister(self, who: int, dev: int) -> None:
        m, d = self.module(who), self.device(dev)

        def call() -> None:
            with self.k.running(m):
                self.k.unregister_netdev(d)

        self.step("unregister_netdev", {"c": m.name, "d": self.a.dev(d)}, call)

    @rule(who=st.integers(0, 1),
          name=st.sampled_from(["eth0", "eth1", "dummy0", "dummy1", "lo", "nothere"]))
    def dev_get(self, who: int, name: str) -> None:
        m = self.module(who)
        found: list[Device | None] = []

        def call() -> None:
            with self.k.running(m):
                found.append(self.k.dev_get(name))

        self.step("dev_get", {"c": m.name, "n": self.a.names.code(name),
                              "found": self.a.dev(self.k.dev_get(name))}, call)

    @rule(who=st.integers(0, 1), dev=st.integers(0, 2))
    def alloc_name(self, who: int, dev: int) -> None:
        m, d = self.module(who), self.device(dev)

        def call() -> int:
            with self.k.running(m):
                return self.k.dev_alloc_name(d, "dummy%d")

        self.step("dev_alloc_name", {"c": m.name, "d": self.a.dev(d),
                                     "fmt": self.a.names.prefix("dummy")}, call,
                  lambda r: {"i": r if r >= 0 else 0})

    @rule(dev=st.integers(0, 2), start=st.booleans(), tbusy=st.booleans(),
          interrupt=st.booleans())
    def status(self, dev: int, start: bool, tbusy: bool, interrupt: bool) -> None:
        d = self.device(dev)
        if not d.registered or d.owner is None:
            return
        m = d.owner

        def call() -> None:
            with self.k.running(m):
                d.start, d.tbusy, d.interrupt = int(start), int(tbusy), int(interrupt)

        self.step("dev_set_status", {"c": m.name, "d": self.a.dev(d), "start": start,
                                     "tbusy": tbusy, "interrupt": interrupt}, call)

    # -- receive ------------------------------------------------------------------------------
    @_live
    @rule(pick=st.integers(0, 10**6), dev=st.integers(0, 3),
          proto=st.sampled_from([0, 0x800, 0x806]))
    def set_rx(self, pick: int, dev: int, proto: int) -> None:
        live = [s for s in self.skbs if s.alive and s.owner is not None]
        if not live:
            return
        s = live[pick % len(live)]
        m = s.owner
        assert m is not None
        d = self.devs[dev] if dev < len(self.devs) else None

        def call() -> None:
            with self.k.running(m):
                s.dev, s.protocol = d, proto

        self.step("skb_set_rx", {"c": m.name, "b": self.a.skb(s), "dev": self.a.dev(d),
                                 "protocol": proto}, call)

    @_live
    @rule(pick=st.integers(0, 10**6), dev=st.integers(0, 2))
    def eth_type_trans(self, pick: int, dev: int) -> None:
        live = [s for s in self.skbs if s.alive and s.owner is not None]
        if not live:
            return
        s = live[pick % len(live)]
        m, d = s.owner, self.device(dev)
        assert m is not None

        def call() -> int:
            with self.k.running(m):
                return self.k.eth_type_trans(s, d)

        self.step("eth_type_trans", {"c": m.name, "b": self.a.skb(s), "d": self.a.dev(d)},
                  call, lambda r: {"ret": r})

    # -- transmit and receive -----------------------------------------------------------------
    def _xmit_cb(self, skb: SkBuff, dev: Device) -> int:
        """The driver's hard_start_xmit: free the frame, keep it, or answer busy."""
        m = dev.owner
        assert m is not None
        env = {"c": m.name, "b": self.a.skb(skb)}
        mode = self.xmit_mode
        if mode in ("free", "kfree"):
            def free() -> None:
                with self.k.running(m):
                    (self.k.dev_kfree_skb if mode == "free" else self.k.kfree_skb)(skb)
            self.step("dev_kfree_skb" if mode == "free" else "kfree_skb", env, free)
            return 0
        if mode == "keep":
            self.held.append(skb)
            return 0
        if not dev.tbusy:
            def busy() -> None:
                dev.tbusy = 1
            self.step("dev_set_status", {"c": m.name, "d": self.a.dev(dev),
                                         "start": bool(dev.start), "tbusy": True,
                                         "interrupt": bool(dev.interrupt)}, busy)
        return 1

    @rule(who=st.integers(0, 1), dev=st.integers(0, 2), pri=st.integers(0, 2),
          size=st.integers(14, 40),
          mode=st.sampled_from(["free", "free", "keep", "busy", "kfree"]),
          flag=st.sampled_from([1, 1, 0, None]))
    def transmit(self, who: int, dev: int, pri: int, size: int, mode: str,
                 flag: int | None = 1) -> None:
        """A protocol module sends a frame: alloc, fill, dev_queue_xmit (which may lend a
        frame to the driver's hard_start_xmit and take its return)."""
        m, d = self.module(who), self.device(dev)
        if not d.registered or not d.flags & 0x1:
            return
        d.hard_start_xmit = self._xmit_cb
        self.xmit_mode = mode

        def alloc() -> SkBuff | None:
            with self.k.running(m):
                return self.k.alloc_skb(size)

        s = self.step("alloc_skb", {"c": m.name, "n": size, "atomic": True, "in_irq": False},
                      alloc,
                      lambda s: self.new_buffer(s, "b"))
        if s is None:
            return
        s.arp = 1  # the protocol layer built the link header
        if flag is not None:  # 1: free it once sent; 0: the socket keeps it (TCP)
            def set_flag() -> None:
                with self.k.running(m):
                    s.free = flag
            self.step("skb_set_free", {"c": m.name, "b": self.a.skb(s), "n": flag}, set_flag)

        def call() -> None:
            with self.k.running(m):
                self.k.dev_queue_xmit(s, d, pri)

        self.traced("dev_queue_xmit", {"c": m.name, "b": self.a.skb(s), "d": self.a.dev(d),
                                       "pri": pri}, call)

    @precondition(lambda self: any(s.alive for s in self.held))
    @rule(pick=st.integers(0, 10**6))
    def tx_done(self, pick: int) -> None:
        """The driver frees a frame it accepted, as its transmit-complete path does."""
        held = [s for s in self.held if s.alive and s.owner is not None and s.list is None]
        if not held:
            return
        s = held[pick % len(held)]
        self.held.remove(s)
        m = s.owner
        assert m is not None

        def call() -> None:
            with self.k.running(m):
                self.k.dev_kfree_skb(s)

        self.step("dev_kfree_skb", {"c": m.name, "b": self.a.skb(s)}, call)

    @rule(dev=st.integers(0, 2), mode=st.sampled_from(["free", "busy", "keep"]),
          clear=st.booleans())
    def tint(self, dev: int, mode: str, clear: bool) -> None:
        """The driver's transmit-complete interrupt: clear tbusy, then dev_tint."""
        d = self.device(dev)
        if not d.registered or d.owner is None:
            return
        m = d.owner
        self.xmit_mode = mode
        if d.hard_start_xmit is None:
            d.hard_start_xmit = self._xmit_cb
        if clear and d.tbusy:
            def unbusy() -> None:
                with self.k.running(m):
                    d.tbusy = 0
            self.step("dev_set_status", {"c": m.name, "d": self.a.dev(d),
                                         "start": bool(d.start), "tbusy": False,
                                         "interrupt": bool(d.interrupt)}, unbusy)

        def call() -> None:
            with self.k.running(m):
                self.k.dev_tint(d)

        self.traced("dev_tint", {"c": m.name, "d": self.a.dev(d), "pri": 0, "b": None}, call)

    @_live
    @rule(pick=st.integers(0, 10**6))
    def receive(self, pick: int) -> None:
        """The driver passes a received frame up; the bottom half then delivers it."""
        live = [s for s in self.skbs if s.alive and s.owner is not None and s.list is None]
        if not live:
            return
        s = live[pick % len(live)]
        m = s.owner
        assert m is not None
        self.netif_rx(m, s)

    def netif_rx(self, m: Module, s: SkBuff) -> bool:
        def call() -> None:
            with self.k.running(m):
                self.k.netif_rx(s)

        return self.traced("netif_rx", {"c": m.name, "b": self.a.skb(s)}, call)

    # -- open / close through the driver's callbacks -----------------------------------------
    def _open_cb(self, dev: Device) -> int:
        """The driver's open: the kernel's call is checked at entry, the body as the field
        writes it makes; the return is checked after dev_open returns."""
        m = dev.owner
        assert m is not None
        self.open_called = True
        env = {"c": m.name, "d": self.a.dev(dev)}
        self.checkpoint("dev_open", {"d": env["d"]})
        dev.start, dev.tbusy, dev.interrupt = 1, 0, 0
        self.checkpoint("dev_set_status", {**env, "start": True, "tbusy": False,
                                           "interrupt": False})
        return self.open_rc

    def _stop_cb(self, dev: Device) -> int:
        m = dev.owner
        assert m is not None
        env = {"c": m.name, "d": self.a.dev(dev)}
        self.checkpoint("dev_close", {"d": env["d"]})
        dev.start, dev.tbusy = 0, 1
        self.checkpoint("dev_set_status", {**env, "start": False, "tbusy": True,
                                           "interrupt": bool(dev.interrupt)})
        return 0

    @rule(dev=st.integers(0, 2), rc=st.sampled_from([0, 0, -11]))
    def ifconfig_up(self, dev: int, rc: int) -> None:
        d = self.device(dev)
        if not d.registered or d.owner is None:
            return
        env = {"d": self.a.dev(d)}
        if not all(evaluate(u.formula, self.pre, None, env)
                   for u in SPEC.operation("dev_open").obligations):
            return
        self.open_rc = rc
        self.open_called = False
        d.open = self._open_cb if d.open is not None else None
        got = self.k.dev_open(d)
        if self.open_called:
            assert d.owner is not None
            self.checkpoint("open_return", {"c": d.owner.name, "d": env["d"], "rc": rc})
        else:  # no open method, or already up: dev_open returned without calling it
            self.checkpoint("dev_open", env, _errno(got))

    @rule(dev=st.integers(0, 2))
    def ifconfig_down(self, dev: int) -> None:
        d = self.device(dev)
        if not d.registered or d.owner is None:
            return
        env = {"d": self.a.dev(d)}
        if not all(evaluate(u.formula, self.pre, None, env)
                   for u in SPEC.operation("dev_close").obligations):
            return
        d.stop = self._stop_cb
        was_up = bool(d.flags & 0x1)
        self.k.dev_close(d)
        if was_up:
            assert d.owner is not None
            self.checkpoint("stop_return", {"c": d.owner.name, "d": env["d"]})
        else:
            self.checkpoint("dev_close", env)

    # -- modules ------------------------------------------------------------------------------
    @rule(rc=st.sampled_from([0, 0, -5]))
    def insmod(self, rc: int) -> None:
        """insmod of a third module: the load and init_module's return, each checked."""
        m = self.m2
        env = {"m": m.name}
        if not all(evaluate(u.formula, self.pre, None, env)
                   for u in SPEC.operation("sys_init_module").obligations):
            return

        def init() -> int:
            self.checkpoint("sys_init_module", env)  # now inside init_module
            return rc

        m.init_module = init
        got = self.k.insmod(m)
        self.checkpoint("init_module_return", {**env, "rc": rc}, _errno(got))

    @rule()
    def rmmod(self) -> None:
        """rmmod of the third module (it holds nothing, so its duties are met)."""
        m = self.m2
        env = {"m": m.name}
        if not all(evaluate(u.formula, self.pre, None, env)
                   for u in SPEC.operation("delete_module").obligations):
            return
        if any(m.holdings().values()):
            return
        m.cleanup_module = lambda: self.checkpoint("delete_module", env)
        got = self.k.rmmod(m.name)
        if got == 0:
            self.checkpoint("cleanup_module_return", env)
        else:
            self.checkpoint("delete_module", env, _errno(got))

    @rule(who=st.integers(0, 2), inc=st.booleans())
    def use_count(self, who: int, inc: bool) -> None:
        m = [*self.mods, self.m2][who]

        def call() -> None:
            if inc:
                self.k.mod_inc_use_count(m)
            else:
                self.k.mod_dec_use_count(m)

        self.step("mod_inc_use_count" if inc else "mod_dec_use_count", {"m": m.name}, call)

    def rx_burst(self, n: int) -> None:
        """A driver passes ``n`` frames up within one interrupt: the backlog fills past 300
        before the bottom half runs, and netif_rx starts dropping."""
        m = self.module(0)
        d = next((d for d in self.devs if d.registered), None)
        assert d is not None
        # Each step is still checked against its case (guard, guarantees, frame); the
        # invariants, which the proofs show every case preserves, are evaluated whole at
        # the end, because evaluating them after each of 1,200 steps over 300 buffers
        # costs minutes.
        self.step_invariants = False
        try:
            self._rx_burst(m, d, n)
        finally:
            self.step_invariants = True
        self.every_invariant_holds()

    def _rx_burst(self, m: Module, d: Device, n: int) -> None:
        with self.k.running(m):
            for _ in range(n):
                s = self.step("alloc_skb", {"c": m.name, "n": 20, "atomic": True,
                                            "in_irq": False}, lambda: self.k.alloc_skb(20),
                              lambda s: self.new_buffer(s, "b"))
                assert s is not None

                def fields(s: SkBuff = s) -> None:
                    s.dev, s.protocol = d, 0x800
                self.step("skb_set_rx", {"c": m.name, "b": self.a.skb(s),
                                         "dev": self.a.dev(d), "protocol": 0x800}, fields)
                assert self.netif_rx(m, s)

    @invariant()
    def every_invariant_holds(self) -> None:
        if hasattr(self, "pre"):
            bad = [i.id for i in SPEC.invariants if not evaluate(i.formula, self.pre)]
            assert bad == []
            for d in self.devs:
                self.live.see_device(d)
            with self.live.still():
                assert [i.id for i in SPEC.invariants
                        if not evaluate(i.formula, self.live)] == []
            # A check that failed inside a callback was caught by the kernel (a driver
            # bug must not stop it); it must still fail the test.
            raised = [x.message for x in self.k.misuse if x.kind == "callback_raised"]
            assert raised == []


MACHINE_SETTINGS = settings(
    max_examples=int(os.environ.get("NETDEVSPEC_REFINEMENT_EXAMPLES", "120")),
    stateful_step_count=60, deadline=None, suppress_health_check=list(HealthCheck))

#: The cases each run (the machine, each fixed scenario) reached, by its name. Each runs at
#: most once per process: test_every_case_was_reached reuses what ran before it.
RUNS: dict[str, Counter[str]] = {}


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    """Run ``fn`` at most once per process, recording the cases it reached in RUNS."""
    @functools.wraps(fn)
    def run() -> None:
        if fn.__name__ not in RUNS:
            before = REACHED.copy()
            fn()
            RUNS[fn.__name__] = REACHED - before
    REACHING.append(run)
    return run


REACHING: list[Callable[[], None]] = []


@_once
def test_kernel_refines_the_spec() -> None:
    run_state_machine_as_test(KernelMachine, settings=MACHINE_SETTINGS)


@_once
def test_fixed_scenario_reaches_the_queue_and_irq_edges() -> None:
    """Deterministic steps for cases random runs reach only sometimes, checked the same way."""
    start = REACHED.copy()
    m = KernelMachine()
    m.boot()
    for _ in range(4):
        m.alloc(who=0, size=64, dev=False, fail=False)
    m.new_queue(who=0)
    m.enqueue(qi=0, pick=0, op="skb_queue_tail")
    m.enqueue(qi=0, pick=0, op="skb_queue_head")
    m.enqueue(qi=0, pick=0, op="skb_insert")
    m.enqueue(qi=0, pick=1, op="skb_append")
    m.dequeue(qi=0, peek=True)
    m.peek_tail(qi=0)
    m.unlink(pick=2)
    m.dequeue(qi=0, peek=False)
    m.request_irq(who=0, irq=5, shirq=False, saint=False, handler=True, fail=False, dev=0)
    m.request_irq(who=1, irq=5, shirq=True, saint=False, handler=True, fail=False, dev=1)
    m.request_irq(who=0, irq=9, shirq=True, saint=False, handler=True, fail=False, dev=0)
    m.request_irq(who=1, irq=9, shirq=True, saint=True, handler=True, fail=False, dev=1)
    m.free_irq(who=0, irq=5, dev=0)
    # registration: a named device, a lookup, a clash, an auto-name, an unregister
    m.setup_fields(who=0, dev=0, name="eth0", irq=5, base=0x300, dma=3, mem=(0, 0),
                   has_init=True, has_open=True)
    m.ether_setup(who=0, dev=0)
    m.register(who=0, dev=0, rc=0)
    m.dev_get(who=1, name="eth0")
    m.setup_fields(who=1, dev=1, name="eth0", irq=0, base=0, dma=0, mem=(0, 0),
                   has_init=True, has_open=False)
    m.ether_setup(who=1, dev=1)
    m.register(who=1, dev=1, rc=0)
    m.setup_fields(who=1, dev=1, name="", irq=0, base=0, dma=0, mem=(0, 0),
                   has_init=True, has_open=False)
    m.register(who=1, dev=1, rc=0)
    m.unregister(who=0, dev=0)
    # DMA, a trim that shrinks, and a module's whole life (failed load, load, busy, unload)
    m.dma(who=0, ch=3, free=False)
    m.dma(who=0, ch=3, free=True)
    m.alloc(who=0, size=64, dev=False, fail=False)
    m.put(pick=len(m.skbs) - 1, n=10)
    m.measure(pick=len([s for s in m.skbs if s.alive and s.owner]) - 1, n=4, op="skb_trim")
    m.pull(pick=len([s for s in m.skbs if s.alive and s.owner]) - 1, n=2)
    # open and close through the driver's callbacks; a failed probe; receive; a clash
    m.ifconfig_up(dev=1, rc=0)  # registered without an open method: -ENODEV
    m.setup_fields(who=0, dev=2, name="dummy0", irq=0, base=0, dma=0,
                   mem=(0xD0000, 0xD2000), has_init=True, has_open=True)
    m.ether_setup(who=0, dev=2)
    m.register(who=0, dev=2, rc=0)
    m.shmem(who=0, off=0x10, write=True)  # inside its window
    m.shmem(who=0, off=0x2000, write=False)  # past it: the obligation fails, not called
    m.ifconfig_up(dev=2, rc=-11)
    m.ifconfig_up(dev=2, rc=0)
    m.ifconfig_up(dev=2, rc=0)  # already up
    m.ifconfig_down(dev=2)
    m.ifconfig_down(dev=2)  # already down
    m.setup_fields(who=0, dev=0, name="dummy1", irq=0, base=0, dma=0, mem=(0, 0),
                   has_init=True, has_open=False)
    m.register(who=0, dev=0, rc=-19)
    m.alloc(who=0, size=64, dev=True, fail=False)
    m.set_rx(pick=len([s for s in m.skbs if s.alive and s.owner]) - 1, dev=2, proto=0x800)
    m.clone(pick=len([s for s in m.skbs if s.alive and s.owner]) - 1, copy=True, fail=False)
    m.clone(pick=0, copy=False, fail=False)
    m.regions(who=0, start=0x280, num=8, op="request_region")
    m.regions(who=1, start=0x280, num=8, op="request_region")
    m.insmod(rc=-5)
    m.insmod(rc=0)
    m.use_count(who=2, inc=True)
    m.rmmod()
    m.use_count(who=2, inc=False)
    m.rmmod()
    m.teardown()
    for case in ("skb_queue_tail.ok", "skb_queue_head.ok", "skb_insert.ok", "skb_append.ok",
                 "skb_peek.ok", "skb_unlink.ok", "skb_dequeue.ok", "request_irq.ebusy",
                 "request_irq.mismatch", "free_irq.ok", "register_netdev.ok_named",
                 "dev_get.found", "register_netdev.eexist", "register_netdev.ok_auto",
                 "unregister_netdev.ok", "free_dma.ok", "skb_trim.shrink",
                 "init_module_return.fail", "init_module_return.ok", "delete_module.busy",
                 "delete_module.call", "cleanup_module_return.ok", "dev_open.enodev",
                 "open_return.fail", "dev_open.call", "open_return.ok", "dev_open.already_up",
                 "dev_close.call", "stop_return.ok", "register_netdev.probe_failed",
                 "skb_set_rx.ok", "request_region.busy", "skb_copy.ok", "skb_clone.ok",
                 "skb_pull.ok", "dev_close.down"):
        assert REACHED[case] > start[case], case


@_once
def test_fixed_scenario_transmit_and_receive() -> None:
    """The transmit path (queue, lend, return, drop, dev_tint) and the receive path
    (netif_rx, the bottom half, dropping mode), split into the spec's steps at the kernel's
    trace points."""
    start = REACHED.copy()
    m = KernelMachine()
    m.boot()
    # dummy5 keeps tx_queue_len 0 (no ether_setup): a second waiting frame is dropped
    m.setup_fields(who=1, dev=1, name="dummy5", irq=0, base=0, dma=0, mem=(0, 0),
                   has_init=True, has_open=True)
    m.register(who=1, dev=1, rc=0)
    m.ifconfig_up(dev=1, rc=0)
    m.setup_fields(who=0, dev=2, name="dummy6", irq=0, base=0, dma=0, mem=(0, 0),
                   has_init=True, has_open=True)
    m.ether_setup(who=0, dev=2)
    m.register(who=0, dev=2, rc=0)
    m.ifconfig_up(dev=2, rc=0)
    # accepted and freed; busy (requeued); dropped (freed, or kept by its socket);
    # accepted and kept, then freed; a deferred kfree_skb; dev_tint with and without frames
    m.transmit(who=0, dev=1, pri=0, size=20, mode="free")
    m.transmit(who=0, dev=1, pri=1, size=20, mode="busy")
    m.transmit(who=0, dev=1, pri=1, size=20, mode="busy")
    m.transmit(who=0, dev=1, pri=1, size=20, mode="busy", flag=0)
    m.transmit(who=0, dev=2, pri=2, size=20, mode="keep")
    m.tx_done(pick=0)
    m.transmit(who=0, dev=2, pri=0, size=20, mode="kfree")
    m.tint(dev=1, mode="free", clear=True)
    m.tint(dev=1, mode="free", clear=True)
    # receive: one frame, then a burst past the backlog limit (dropping mode, then over)
    m.alloc(who=0, size=64, dev=True, fail=False)
    m.set_rx(pick=len([s for s in m.skbs if s.alive and s.owner]) - 1, dev=2, proto=0x800)
    m.receive(pick=len([s for s in m.skbs if s.alive and s.owner and s.list is None]) - 1)
    m.alloc(who=0, size=64, dev=True, fail=False)
    m.set_rx(pick=len([s for s in m.skbs if s.alive and s.owner]) - 1, dev=2, proto=0x806)
    m.receive(pick=len([s for s in m.skbs if s.alive and s.owner and s.list is None]) - 1)
    assert len(m.delivered) == 1
    m.alloc(who=1, size=64, dev=False, fail=False)
    m.free(pick=0, dev=True, flag=0)  # a buffer its owner keeps: dev_kfree_skb unlocks only
    m.rx_burst(303)
    m.ifconfig_down(dev=1)
    m.every_invariant_holds()
    m.teardown()
    for case in ("dev_queue_xmit.queue", "dev_queue_xmit.drop", "dev_queue_xmit.drop_kept",
                 "hard_start_xmit.call", "hard_start_xmit.empty",
                 "hard_start_xmit_return.accepted", "hard_start_xmit_return.busy",
                 "kfree_skb.deferred", "dev_tint.send", "dev_tint.idle", "netif_rx.queued",
                 "netif_rx.dropped", "net_bh.discard", "net_bh.deliver", "net_bh.idle",
                 "dev_kfree_skb.keep"):
        assert REACHED[case] > start[case], case


@_once
def test_fixed_scenario_full_tables() -> None:
    """The branches that need big states: the 64-entry I/O table full, all 16 eth slots
    taken, all 100 units of a name format taken. Each step is checked against its case;
    the invariants are evaluated whole at the end of each filling."""
    start = REACHED.copy()
    m = KernelMachine()
    m.boot()
    m.step_invariants = False
    for i in range(65):  # the 65th finds the table full
        m._regions(0, 0x1000 + 16 * i, 8, "request_region")
    m.every_invariant_holds()
    base = len(m.devs)
    m.devs += [Device("") for _ in range(17 + 100)]
    for d in m.devs[base:]:
        m.a.track_device(d)
    m.a.sync()
    m.pre = m.a.state()
    for i in range(17):  # blank names: eth0..eth15, then -ENFILE
        m.setup_fields(who=1, dev=base + i, name="", irq=0, base=0, dma=0, mem=(0, 0),
                       has_init=True, has_open=False)
        m.register(who=1, dev=base + i, rc=0)
    m.every_invariant_holds()
    for i in range(100):  # dummy0..dummy99, then dev_alloc_name finds no unit
        d = base + 17 + i
        m.setup_fields(who=0, dev=d, name=f"dummy{i}", irq=0, base=0, dma=0, mem=(0, 0),
                       has_init=True, has_open=False)
        m.register(who=0, dev=d, rc=0)
    m.alloc_name(who=1, dev=base + 16)
    m.step_invariants = True
    m.every_invariant_holds()
    m.teardown()
    for case in ("request_region.full", "register_netdev.enfile", "dev_alloc_name.enfile"):
        assert REACHED[case] > start[case], case


@_once
def test_fixed_scenario_error_branches() -> None:
    """Every error and no-op branch, deterministically (random runs reach them too, but
    which ones depends on the draw): failed allocations, empty queues, bad lines and
    channels, unknown names and regions."""
    start = REACHED.copy()
    m = KernelMachine()
    m.boot()
    m.alloc(who=0, size=32, dev=False, fail=True)
    m.alloc(who=0, size=32, dev=True, fail=True)
    m.alloc(who=0, size=32, dev=False, fail=False)
    last = len(m.skbs) - 1
    m.reserve(pick=last, n=4)
    m.put(pick=last, n=20)
    m.push(pick=last, n=2)
    m.pull(pick=last, n=40)  # more than len: NULL
    m.measure(pick=last, n=0, op="skb_headroom")
    m.measure(pick=last, n=0, op="skb_tailroom")
    m.measure(pick=last, n=40, op="skb_trim")  # longer than len: nothing
    m.eth_type_trans(pick=last, dev=0)
    m.clone(pick=last, copy=False, fail=True)
    m.clone(pick=last, copy=True, fail=True)
    m.unlink(pick=last)  # on no queue
    m.data(pick=last, how="skb_data")
    m.data(pick=last, how="skb_write")
    m.data(pick=last, how="skb_read")
    m.alloc(who=0, size=16, dev=False, fail=False)
    last_live = len([s for s in m.skbs if s.alive and s.owner and s.list is None]) - 1
    m.lock(pick=last_live)
    m.free(pick=last_live, dev=True, flag=1)  # unlocked and freed
    m.timer(who=0, pick=0, op="init_timer")
    m.timer(who=0, pick=1, op="add_timer")
    m.timer(who=0, pick=1, op="add_timer")  # pending: add_timer.twice
    m.timer(who=0, pick=1, op="del_timer")
    m.timer(who=0, pick=1, op="del_timer")  # idle: 0
    m.timer(who=0, pick=1, op="add_timer")
    m.expire()
    m.new_queue(who=0)
    m.dequeue(qi=0, peek=True)
    m.peek_tail(qi=0)
    m.dequeue(qi=0, peek=False)
    m.free(pick=last, dev=False, flag=0)
    m.request_irq(who=0, irq=16, shirq=False, saint=False, handler=True, fail=False, dev=0)
    m.request_irq(who=0, irq=9, shirq=False, saint=False, handler=True, fail=True, dev=0)
    m.free_irq(who=0, irq=16, dev=0)
    m.free_irq(who=0, irq=9, dev=0)
    m.request_irq(who=0, irq=5, shirq=False, saint=False, handler=True, fail=False, dev=0)
    m.request_irq(who=1, irq=9, shirq=False, saint=False, handler=True, fail=False, dev=1)
    m.dma(who=0, ch=8, free=False)
    m.dma(who=0, ch=3, free=False)
    m.dma(who=1, ch=3, free=False)
    m.dma(who=0, ch=8, free=True)
    m.dma(who=0, ch=5, free=True)
    m.regions(who=0, start=0x300, num=16, op="check_region")
    m.regions(who=0, start=0x300, num=16, op="request_region")
    m.regions(who=1, start=0x300, num=8, op="check_region")
    m.regions(who=0, start=0x300, num=8, op="release_region")
    m.regions(who=0, start=0x300, num=16, op="release_region")
    m.regions(who=0, start=0x280, num=8, op="request_region")
    m.port_io(who=0, port=0x284, write=True)
    m.dev_get(who=0, name="nothere")
    m.unregister(who=0, dev=0)
    m.alloc_name(who=0, dev=0)
    m.teardown()
    for case in ("alloc_skb.fail", "dev_alloc_skb.fail", "skb_reserve.ok", "skb_push.ok",
                 "skb_pull.null", "skb_headroom.ok", "skb_tailroom.ok", "skb_trim.noop",
                 "eth_type_trans.ok", "skb_clone.fail", "skb_copy.fail", "skb_unlink.noop",
                 "skb_peek.empty", "skb_dequeue.empty", "kfree_skb.ok", "request_irq.einval",
                 "request_irq.enomem", "free_irq.bad_line", "free_irq.not_held",
                 "request_dma.einval", "request_dma.ebusy", "free_dma.bad",
                 "free_dma.not_held", "check_region.free", "check_region.busy",
                 "release_region.nomatch", "release_region.ok", "dev_get.none",
                 "unregister_netdev.not_found", "dev_alloc_name.ok", "port_io.ok",
                 "skb_data.ok", "skb_write.ok", "skb_read.ok", "init_timer.ok",
                 "add_timer.ok", "add_timer.twice", "del_timer.ok", "del_timer.idle",
                 "run_timer_list.expire", "skb_peek_tail.empty", "skb_device_lock.ok"):
        assert REACHED[case] > start[case], case


@pytest.mark.xfail(strict=True, reason="recorded divergence (decision.eth.reservation): "
                   "2.0's ether_setup reserves the eth slot of an unregistered ethN device "
                   "(REG-12); the spec counts only slots of registered devices, so a later "
                   "auto-name picks a different slot")
def test_ether_setup_slot_reservation_agrees_with_the_spec() -> None:
    m = KernelMachine()
    m.boot()
    m.setup_fields(who=0, dev=0, name="eth0", irq=0, base=0, dma=0, mem=(0, 0),
                   has_init=True, has_open=False)
    m.k.ether_setup(m.devs[0])  # the reservation itself (the machine's rule skips it)
    m.a.sync("ether_setup")
    m.pre = m.a.state()
    m.setup_fields(who=0, dev=2, name="", irq=0, base=0, dma=0, mem=(0, 0),
                   has_init=True, has_open=False)
    m.register(who=0, dev=2, rc=0)


def test_every_case_was_reached() -> None:
    """Every case of every operation in the spec occurred and agreed, in the machine or a
    fixed scenario (run here unless this process ran them already). With
    NETDEVSPEC_REFINEMENT_REPORT=FILE, the counts are written to FILE."""
    for run in REACHING:
        run()
    reached = sum(RUNS.values(), Counter())
    report = {"cases": {c: reached.get(c, 0) for c in sorted(SPEC.cases)},
              "skipped_calls": dict(sorted(SKIPPED.items())),
              "examples": MACHINE_SETTINGS.max_examples}
    out = os.environ.get("NETDEVSPEC_REFINEMENT_REPORT")
    if out:
        Path(out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    missing = [c for c, n in report["cases"].items() if n == 0]
    assert missing == [], f"cases never reached: {missing}"
