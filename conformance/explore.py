"""Scenarios that reach a driver's paths: a stateful generator of harness steps.

:func:`scenarios` is a Hypothesis strategy of step lists (:class:`~.harness.Step`) built
the way a state machine is run: it keeps a small model of the environment (which
instances are loaded, which devices are up, which cards sit where) and at each step
draws one of the actions *enabled* in that state, with weights that favour what makes a
run meaningful (traffic on a device that is up, its interrupts, the clock moving on).
Every draw goes through Hypothesis, so a failing scenario still shrinks, and what comes
out is an ordinary step list: it runs, records, replays and renders as a program like
any fixed scenario.

What a run may contain:

* the machine, chosen before anything is loaded: cards re-jumpered or added
  (``plug``), a card that is slow, stuck, garbles receive lengths, has a small ring or
  does not answer (``card_behaves``), a rival holding a line, ports, a channel or a name;
* up to ``instances`` driver instances, each loaded with insmod parameters drawn from
  the parameters the driver declares and the machine's wiring: the right card, the
  probe, a line or a port that does not match, a busy DMA channel;
* ifconfig up/down, rmmod at any point (also while up);
* frames sent of every length class (0, runts, 60, odd, 1514, oversize), at every
  priority, socket-owned (``free=False``: the clone path) or not;
* frames received of every length class, in bursts past the card's ring;
* interrupts from the cards, spurious ones and ones on a shared line;
* the clock advancing (past a transmit timeout), allocation failures at a chosen point.

The model is an approximation (it cannot know whether a probe found a card); an action
whose precondition turned out false is a harmless no-op of the harness.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hypothesis import strategies as st
from netdevspec.conformance.harness import CARDS, MAX_CARDS, MAX_FRAME, Step, step
from netdevspec.reference import ETH_DATA_LEN, ETH_HLEN, ETH_ZLEN
from netdevspec.spec import SPEC
from netdevspec.spec.rules import Rule, RuleKind, Spec

__all__ = ["ENVIRONMENT_OPS", "FRAME_SIZES", "REACHED_BY", "WIRED_PARAMS", "never_reached",
           "scenarios", "where_checked"]

#: A full Ethernet frame, header included (1514).
ETH_FRAME_LEN = ETH_HLEN + ETH_DATA_LEN

#: The insmod parameters the generator knows how to draw from the machine's wiring.
WIRED_PARAMS = ("io", "irq", "dma")
#: Frame lengths worth trying, the commonest first (what a failing example shrinks to):
#: a minimum frame, nothing, runts, a header alone, odd lengths, full and oversize.
FRAME_SIZES = (ETH_ZLEN, 0, 1, ETH_HLEN - 1, ETH_HLEN, ETH_HLEN + 1, ETH_ZLEN - 1,
               ETH_ZLEN + 1, ETH_FRAME_LEN - 1, ETH_FRAME_LEN, ETH_FRAME_LEN + 1, 1600,
               3598, 3599, MAX_FRAME)
#: Clock steps: one tick, around skeleton.c's 5-tick transmit timeout, and long waits.
_TICKS = (1, 4, 5, 6, 10, 30, 100)
#: Ports where no card is (a probe there finds nothing) and one the driver must refuse.
_EMPTY_PORT = 0x280
_BAD_PORT = 0x100
#: A line no card uses, and DMA channels: the default, another, and the busy cascade.
_IDLE_LINE = 7
_DMAS = (3, 1, 4)

#: How an instance's insmod parameters are drawn, the meaningful ways most often: the
#: right card's port and line, the driver's defaults, the probe; then a line no card
#: uses, a port with no card, a port the driver must refuse, another DMA channel.
_WIRINGS = ("match",) * 4 + ("default",) * 3 + ("probe",) * 2 + (
    "wrong_irq", "wrong_io", "bad_io", "dma")

_sizes = st.one_of(st.sampled_from(FRAME_SIZES), st.integers(0, MAX_FRAME))


@dataclass
class _World:
    """What the generator knows of the environment so far."""

    instances: int
    declared: frozenset[str]
    cards: list[tuple[int, int]] = field(default_factory=lambda: [(b, q) for b, q, _ in CARDS])
    loaded: set[int] = field(default_factory=set)
    up: set[int] = field(default_factory=set)
    #: A card was made slow or stuck: the clock matters now (the transmit timeout).
    slow: bool = False
    rival: bool = False


def _insmod(draw: st.DrawFn, w: _World, i: int) -> Step:
    """insmod of instance ``i``, with parameters from the wiring (matching mostly)."""
    args: dict[str, int] = {"i": i}
    if w.declared & set(WIRED_PARAMS):
        how = draw(st.sampled_from(_WIRINGS))
        base, line = w.cards[draw(st.integers(0, len(w.cards) - 1))]
        chosen: dict[str, int] = {}
        if how == "match":
            chosen = {"io": base, "irq": line}
        elif how == "probe":
            chosen = {"io": 0, "irq": min(w.cards)[1]}
        elif how == "wrong_irq":
            chosen = {"io": base, "irq": draw(st.sampled_from((_IDLE_LINE, 2, 0, 15)))}
        elif how == "wrong_io":
            chosen = {"io": _EMPTY_PORT}
        elif how == "bad_io":
            chosen = {"io": _BAD_PORT}
        elif how == "dma":
            chosen = {"io": base, "irq": line, "dma": draw(st.sampled_from(_DMAS))}
        args.update({k: v for k, v in chosen.items() if k in w.declared})
        if how in ("wrong_io", "bad_io") and "io" in w.declared:
            return step("insmod", **args)  # the probe fails: nothing is loaded
    w.loaded.add(i)
    return step("insmod", **args)


def _setup(draw: st.DrawFn, w: _World) -> Step:
    """A change to the machine before anything is loaded."""
    kind = draw(st.sampled_from(("card_behaves", "plug", "rival_claims")))
    if kind == "plug":
        card = draw(st.integers(0, min(len(w.cards), MAX_CARDS - 1)))
        base = draw(st.sampled_from((0x340, 0x300, 0x320, 0x360, 0x200, 0x240)))
        line = draw(st.sampled_from((10, 5, 9, 11, 12, 15, 3)))
        taken = {b for n, (b, _) in enumerate(w.cards) if n != card}
        if base not in taken:
            if card == len(w.cards):
                w.cards.append((base, line))
            else:
                w.cards[card] = (base, line)
        return step("plug", card=card, base=base, irq=line)
    if kind == "rival_claims":
        w.rival = True
        return step("rival_claims", what=draw(st.sampled_from(
            ("irq", "ports", "dma", "name", "shared_irq"))))
    return _behaviour(draw, w)


def _behaviour(draw: st.DrawFn, w: _World) -> Step:
    mode = draw(st.sampled_from(("stuck", "slow", "ring", "rx_errors", "dead", "normal")))
    w.slow = w.slow or mode in ("slow", "stuck")
    return step("card_behaves", card=draw(st.integers(0, len(w.cards) - 1)), mode=mode,
                k=draw(st.sampled_from((3, 1, 6, 20, 0))))


def _action(draw: st.DrawFn, w: _World) -> Step:
    """One step enabled in ``w``'s state, drawn with weights; ``w`` is updated."""
    free = [i for i in range(w.instances) if i not in w.loaded]
    loaded = sorted(w.loaded)
    up = sorted(w.up)
    choices: list[tuple[str, int]] = []
    if up:
        choices += [("xmit", 12), ("rx", 6), ("tick", 8 if w.slow else 3), ("tx_done", 2),
                    ("card_behaves", 1)]
    if loaded:
        choices += [("up", 3 if len(up) < len(loaded) else 1), ("down", 1), ("rmmod", 1),
                    ("multicast", 1), ("ifreq", 1)]
    if free:
        choices += [("insmod", 2 if loaded else 6)]
    choices += [("interrupt", 1), ("fail_alloc", 1), ("card_behaves", 1), ("tick", 1),
                ("rx", 1)]
    kind = draw(st.sampled_from([k for k, n in choices for _ in range(n)]))
    card = st.integers(0, len(w.cards) - 1)
    any_loaded = st.sampled_from(loaded) if loaded else st.just(0)
    if kind == "insmod":
        return _insmod(draw, w, draw(st.sampled_from(free)))
    if kind == "up":
        i = draw(any_loaded)
        w.up.add(i)
        return step("up", i=i)
    if kind == "down":
        i = draw(any_loaded)
        w.up.discard(i)
        return step("down", i=i)
    if kind == "rmmod":
        i = draw(any_loaded)
        close = draw(st.booleans()) if i in w.up else True
        if close:
            w.up.discard(i)
            w.loaded.discard(i)
        return step("rmmod", i=i, close=close)
    if kind == "xmit":
        return step("xmit", i=draw(st.sampled_from(up)), pri=draw(st.integers(0, 2)),
                    count=draw(st.sampled_from((1, 2, 3, 8))), size=draw(_sizes),
                    free=draw(st.booleans()))
    if kind == "rx":
        burst = draw(st.booleans())
        count = draw(st.sampled_from((1, 2, 3, 20, 0, 40)) if burst else
                     st.sampled_from((1, 2, 3, 0)))
        return step("rx", card=draw(card), count=count, size=draw(_sizes), burst=burst)
    if kind == "tx_done":
        return step("tx_done", card=draw(card))
    if kind == "tick":
        return step("tick", n=draw(st.sampled_from(_TICKS)))
    if kind == "interrupt":
        lines = sorted({q for _, q in w.cards} | {_IDLE_LINE})
        return step("interrupt", line=draw(st.sampled_from(lines)))
    if kind == "multicast":
        return step("multicast", i=draw(any_loaded), count=draw(st.integers(0, 6)))
    if kind == "ifreq":
        return step("ifreq", i=draw(any_loaded), what=draw(st.sampled_from(
            ("stats", "mac", "config", "mtu", "private"))))
    if kind == "fail_alloc":
        return step("fail_alloc", n=draw(st.integers(1, 2)), after=draw(st.sampled_from(
            (0, 1, 2, 3, 5))))
    return _behaviour(draw, w)


def scenarios(max_steps: int = 20, instances: int = 2,
              params: Mapping[str, int] | None = None) -> st.SearchStrategy[list[Step]]:
    """Scenarios for a driver that declares the insmod parameters ``params`` (names;
    those in :data:`WIRED_PARAMS` are drawn from the machine's wiring), loading up to
    ``instances`` instances: the machine, then instance 0 loaded (and most often up),
    then up to ``max_steps`` actions enabled in the state reached."""
    declared = frozenset(params or ())

    @st.composite
    def build(draw: st.DrawFn) -> list[Step]:
        w = _World(instances, declared)
        out = [_setup(draw, w) for _ in range(draw(st.sampled_from((0, 0, 0, 0, 1, 2))))]
        out.append(_insmod(draw, w, 0))
        if draw(st.integers(0, 9)) < 8:
            w.up.add(0)
            out.append(step("up", i=0))
        out += [_action(draw, w) for _ in range(draw(st.integers(min(3, max_steps),
                                                                  max_steps)))]
        return out

    return build()


# -- what would reach a rule ------------------------------------------------------------------
#: The spec operations a driver does not call through its handle, and what makes them
#: happen in a scenario: the kernel's calls into the driver (and the return the driver
#: gives), the driver's writes to fields the spec treats as operations, and the calls
#: only the kernel or the environment makes. tests/conformance/test_explore.py checks
#: that every such operation of the spec is here.
REACHED_BY: dict[str, str] = {
    "open_return": "the kernel opening a device (step up) and the driver's open returning",
    "stop_return": "the kernel closing a device (step down or rmmod) and the driver's stop "
                   "returning",
    "hard_start_xmit_return": "the kernel handing the driver a frame (step xmit) and "
                              "hard_start_xmit returning",
    "init_module_return": "insmod (step insmod) and the driver's init_module returning",
    "cleanup_module_return": "rmmod (step rmmod) and the driver's cleanup_module returning",
    "dev_setup_fields": "the driver writing its device's fields",
    "dev_set_status": "the driver writing its device's start, interrupt or tbusy",
    "skb_set_free": "the driver writing a buffer's free flag",
    "skb_set_rx": "the driver writing a received buffer's dev, protocol or pkt_type",
    "dev_get": "a call of dev_get",
    "skb_data": "the driver writing a buffer's fields or bytes directly, not through a "
                "kernel function",
}
#: Operations whose caller is the kernel or the environment (the harness), never the
#: driver: rules checked only there cannot be reached by a driver through its handle.
ENVIRONMENT_OPS: dict[str, str] = {
    "dev_open": "up", "dev_close": "down", "dev_queue_xmit": "xmit",
    "hard_start_xmit": "xmit", "net_bh": "rx", "sys_init_module": "insmod",
    "delete_module": "rmmod", "run_timer_list": "tick",
}


def where_checked(spec: Spec = SPEC) -> dict[str, list[tuple[str, str]]]:
    """Rule ID -> the (operation, case) pairs whose call checks it (case "" for the
    operation's own obligations), from the spec's operations."""
    out: dict[str, list[tuple[str, str]]] = {}
    for op in spec.operations:
        for u in op.obligations:
            out.setdefault(u.rule.id, []).append((op.name, ""))
        for c in op.cases:
            for u in (*c.obligations, *c.violates):
                if (op.name, c.id) not in out.setdefault(u.rule.id, []):
                    out[u.rule.id].append((op.name, c.id))
    return out


def never_reached(rule: Rule, driver_calls: frozenset[str],
                  checked: Mapping[str, list[tuple[str, str]]]) -> str:
    """Why ``rule`` was never evaluated, and what would reach it: the sentence a report
    gives a NOT_APPLICABLE rule. ``driver_calls`` are the operations a driver reaches by
    calling a kernel function of its handle."""
    if rule.kind is RuleKind.INVARIANT:
        return ("never reached: it is checked on the objects the driver's calls touch and "
                "at the end of a scenario, and no run got that far")
    if rule.kind is RuleKind.DUTY:
        return "never reached: no run unloaded the driver (step rmmod)"
    at = checked.get(rule.id, [])
    if not at:
        return "never reached: no run exercised it"
    called: list[str] = []
    environment: list[str] = []
    other: list[str] = []
    for op, case in at:
        name = f"{op} (case {case})" if case else op
        if op in driver_calls:
            called.append(name)
        elif op in ENVIRONMENT_OPS:
            environment.append(f"{name} (step {ENVIRONMENT_OPS[op]})")
        else:
            other.append(f"{REACHED_BY.get(op, op)}" + (f" (case {case})" if case else ""))
    parts = []
    if called:
        parts.append(f"the driver never called {_listed(called)}")
    if environment:
        parts.append(f"it is checked only when the kernel or the environment calls "
                     f"{_listed(environment)}, never the driver")
    if other:
        parts.append(f"no run had {_listed(other, ';')}")
    return "never reached: " + "; ".join(parts)


def _listed(items: list[str], sep: str = ",") -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 2:
        return " or ".join(items)
    return f"{sep} ".join(items[:-1]) + f"{sep} or {items[-1]}"
