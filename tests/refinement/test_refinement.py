"""Refinement: the reference kernel's behaviour satisfies the spec's contracts.

A Hypothesis state machine drives random call sequences (two modules, devices, IRQ
lines, regions, DMA channels, buffers and queues) through the reference kernel. Before
each call it evaluates the operation's caller obligations with the spec's rule objects
and only makes calls that honour them; after each call it maps the kernel to the spec's
state and checks that some case of the operation took place (guard, guarantees and
frame) and that every invariant still holds. The cases reached are collected; the
last test checks that every case the machine is built to reach was reached.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import netdevspec.reference as errno_mod
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from netdevspec.conformance.abstraction import Abstraction
from netdevspec.conformance.checker import check_step
from netdevspec.reference import Device, Kernel, Module, SkBuff, SkBuffHead
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
        self.probe_rc = 0
        self.open_rc = 0
        self.open_called = False
        # Devices the modules set up and register; also the dev_id cookies for sharing.
        self.devs = [Device(f"sim{i}") for i in range(3)]
        for d in self.devs:
            self.a.track_device(d)
        self.a.sync()
        self.pre = self.a.state()

    # -- the check every rule goes through ------------------------------------------------
    def step(self, op: str, env: dict[str, Any], call: Callable[[], Any],
             after: Callable[[Any], dict[str, Any]] | None = None, sync_op: str = "") -> Any:
        """Make the call if its obligations hold; then check it against the spec."""
        operation = SPEC.operation(op)
        pre = self.pre
        broken = {u.rule.id for u in operation.obligations
                  if not evaluate(u.formula, pre, None, env)}
        # A branch 2.0 lets through although it breaks an obligation (freeing a free IRQ)
        # is still kernel behaviour to check; any other broken obligation: do not call.
        allowed = {v.rule.id for c in operation.cases for v in c.violates
                   if evaluate(c.guard, pre, None, env)}
        if broken - allowed:
            SKIPPED[f"{op}:{sorted(broken - allowed)[0]}"] += 1
            return None
        ret = call()
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
        report = check_step(SPEC, SPEC.operation(op), self.pre, post, env, returned=returned)
        assert report.agrees, (op, env, report)
        assert report.case is not None
        REACHED[report.case] += 1
        self.pre = post

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

        self.step(op, {"c": m.name, "n": size}, call, lambda s: self.new_buffer(s, "b"))

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

    # -- freeing -----------------------------------------------------------------------------
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
            self.k._fail_budget = 0

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
            # (REG-12); the spec does not model that yet: see the xfail test below.
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
    @rule(pick=st.integers(0, 10**6), dev=st.integers(0, 3), proto=st.sampled_from([0, 0x800]))
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

    @invariant()
    def every_invariant_holds(self) -> None:
        if hasattr(self, "pre"):
            bad = [i.id for i in SPEC.invariants if not evaluate(i.formula, self.pre)]
            assert bad == []


KernelMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("NETDEVSPEC_REFINEMENT_EXAMPLES", "120")),
    stateful_step_count=60, deadline=None, suppress_health_check=list(HealthCheck))
test_kernel_refines_the_spec = KernelMachine.TestCase


def test_fixed_scenario_reaches_the_queue_and_irq_edges() -> None:
    """Deterministic steps for cases random runs reach only sometimes, checked the same way."""
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
    # open and close through the driver's callbacks; a failed probe; receive; a clash
    m.ifconfig_up(dev=1, rc=0)  # registered without an open method: -ENODEV
    m.setup_fields(who=0, dev=2, name="dummy0", irq=0, base=0, dma=0, mem=(0, 0),
                   has_init=True, has_open=True)
    m.ether_setup(who=0, dev=2)
    m.register(who=0, dev=2, rc=0)
    m.ifconfig_up(dev=2, rc=-11)
    m.ifconfig_up(dev=2, rc=0)
    m.ifconfig_up(dev=2, rc=0)  # already up
    m.ifconfig_down(dev=2)
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
                 "skb_set_rx.ok", "request_region.busy", "skb_copy.ok", "skb_clone.ok"):
        assert REACHED[case] > 0, case


@pytest.mark.xfail(strict=True, reason="known divergence: 2.0's ether_setup reserves the eth "
                   "slot of an unregistered ethN device (REG-12); the spec counts only slots "
                   "of registered devices, so a later auto-name picks a different slot")
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


def test_every_targeted_case_was_reached() -> None:
    """Runs after the machine (file order): the cases this machine drives all occurred."""
    targeted = {c for c in SPEC.cases if c.split(".")[0] in {
        "alloc_skb", "dev_alloc_skb", "skb_put", "skb_push", "skb_pull", "skb_reserve",
        "skb_trim", "skb_headroom", "skb_tailroom", "kfree_skb", "dev_kfree_skb",
        "skb_set_free", "skb_clone", "skb_copy", "skb_queue_head_init", "skb_queue_tail",
        "skb_queue_head", "skb_insert", "skb_append", "skb_dequeue", "skb_peek", "skb_unlink",
        "request_irq", "free_irq", "check_region", "request_region", "release_region",
        "request_dma", "free_dma", "mod_inc_use_count", "mod_dec_use_count",
        "dev_setup_fields", "ether_setup", "register_netdev", "unregister_netdev", "dev_get",
        "dev_alloc_name", "dev_set_status", "sys_init_module", "init_module_return",
        "delete_module", "cleanup_module_return", "skb_set_rx", "eth_type_trans",
        "dev_open", "open_return", "dev_close", "stop_return"}}
    # Not reached here yet (see the issue notes): the deferred free needs the transmit
    # path's device lock; a full I/O table, a full eth table and 100 taken unit names need
    # 64, 16 and 100 objects. (netif_rx, net_bh and the transmit path are not driven yet:
    # the reference runs the bottom half and the driver's transmit inside one call, so
    # they need trace points to be observed as the spec's separate steps.)
    not_yet = {"kfree_skb.deferred", "request_region.full", "register_netdev.enfile",
               "dev_alloc_name.enfile"}
    missing = sorted(targeted - not_yet - set(REACHED))
    assert REACHED, "the state machine did not run first"
    assert missing == [], f"cases never reached: {missing}"
