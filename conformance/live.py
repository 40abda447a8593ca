"""The reference kernel's state, read on demand as the spec's vocabulary.

:class:`LiveState` answers ``sym(*args)`` by looking at the kernel's objects at the moment
of the question. It builds no snapshot, so evaluating an obligation about one buffer costs
the same with ten live buffers or a hundred thousand. :func:`netdevspec.spec.evaluate`
accepts it wherever it takes a :class:`~netdevspec.spec.logic.ConcreteState`.

Entities are the kernel's own objects: a :class:`~netdevspec.reference.SkBuff` is a
``Skb``, a :class:`~netdevspec.reference.Device` a ``Dev``, and so on. The spec's named
constants are the strings ``"kernel"`` (the kernel party), ``"backlog"`` (the receive
queue) and ``"timer"``/``"cascade"``/``"fpu"`` (the kernel's own IRQ actions). ``None``
is NULL.

The spec numbers queue positions, data-area references and I/O table slots with ghost
counters that only differences and order matter for. Here they are normalised: a queue's
first element is at position 0 and a data area's references are numbered in
allocation order. Any formula evaluated on one state gives the same answer with that
numbering. (Comparing two states position by position needs the ghost-keeping
:class:`~netdevspec.conformance.abstraction.Abstraction` instead.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from netdevspec.conformance.ghosts import NameCodes
from netdevspec.reference import Device, Kernel, Module, SkBuff, SkBuffHead
from netdevspec.reference.kernel import SA_INTERRUPT, SA_SHIRQ, IrqAction, Region, TimerList
from netdevspec.reference.modules import MOD_CLEANING_UP, MOD_INITIALIZING, MOD_LIVE
from netdevspec.spec.logic import Sort, StateSym
from netdevspec.spec.vocabulary import MAX_ETH_CARDS, NR_IRQS

__all__ = ["KERNEL_ACTIONS", "LiveState"]

_PHASE = {MOD_INITIALIZING: 1, MOD_LIVE: 2, MOD_CLEANING_UP: 3}
_KERNEL_LINES = {0: "timer", 2: "cascade", 13: "fpu"}
#: The names the kernel's own IRQ actions have in the live state.
KERNEL_ACTIONS = frozenset(_KERNEL_LINES.values())

Getter = Callable[[tuple[Any, ...]], Any]


class LiveState:
    """The kernel's current state over the spec's vocabulary, computed per question.

    ``names`` turns interface names into the spec's integer codes. ``xmit`` maps each
    device to the frame the kernel last lent to its ``hard_start_xmit`` (the kernel keeps
    no pointer to it; a monitor that sees the lend records it here). ``devices`` holds
    devices the caller has seen that may not be registered (registered ones are found in
    the device list).
    """

    def __init__(self, kernel: Kernel, names: NameCodes | None = None) -> None:
        self.k = kernel
        self.names = names if names is not None else NameCodes()
        self.xmit: dict[Device, SkBuff] = {}
        self.devices: dict[Device, None] = {}
        self._dev_of_queue: dict[int, tuple[Device, int]] = {}
        self._last_owner: dict[Device, Any] = {}
        self._cache: dict[str, Any] | None = None
        #: Ghost (act.at_load, dma.at_load): the IRQ actions and DMA claims made while
        #: their module's init_module ran, by id, each kept with its object so the id
        #: stays its own. :meth:`claimed` records them as the calls return.
        self._at_load: dict[int, tuple[object, bool]] = {}
        self._get: dict[str, Getter] = self._getters()

    # -- value conventions -----------------------------------------------------------------
    @staticmethod
    def party(m: Module | None) -> Any:
        """A buffer's, queue's or claim's owner as a spec value (``"kernel"`` for None)."""
        return "kernel" if m is None else m

    def queue(self, head: SkBuffHead | None) -> Any:
        """A queue as a spec value (the backlog is the constant ``"backlog"``)."""
        if head is None:
            return None
        return "backlog" if head is self.k.backlog else head

    def _head(self, q: Any) -> SkBuffHead | None:
        if q == "backlog":
            return self.k.backlog
        return q if isinstance(q, SkBuffHead) else None

    def see_device(self, dev: Device) -> None:
        """Make an unregistered device known (for quantifiers over devices)."""
        if dev not in self.devices:
            self.devices[dev] = None
            for p, head in enumerate(dev.buffs):
                self._dev_of_queue[id(head)] = (dev, p)

    def claimed(self, call: str, number: object, module: Module | None) -> None:
        """``module``'s ``request_irq(number, ...)`` or ``request_dma(number, ...)`` just
        returned 0: remember whether the claim was made while the module's init_module ran
        (the ghost act.at_load / dma.at_load)."""
        if not isinstance(number, int) or isinstance(number, bool):
            return
        claim: object = None
        if call == "request_irq" and 0 <= number < NR_IRQS:
            acts = self.k.irq_actions(number)
            claim = acts[-1] if acts else None  # request_irq appends the new action
        elif call == "request_dma":
            claim = self.k.dma_claim(number) if 0 <= number < 8 else None
        if claim is not None:
            self._at_load[id(claim)] = (claim, isinstance(module, Module)
                                        and module.state == MOD_INITIALIZING)

    def _claimed_at_load(self, claim: object) -> bool:
        hit = self._at_load.get(id(claim))
        return hit is not None and hit[0] is claim and hit[1]

    # -- the ConcreteState interface ----------------------------------------------------------
    def get(self, sym: StateSym, args: tuple[Any, ...]) -> Any:
        """The value of ``sym(*args)`` now."""
        return self._get[sym.name](args)

    def entities(self, sort: Sort) -> list[Any]:
        """The entities of ``sort``, NULL first (see the module docstring for what each is)."""
        k = self.k
        name = sort.name
        out: list[Any]
        if name == "Party":
            out = ["kernel", *k.modules.values()]
        elif name == "Dev":
            for d in k.dev_base:
                self.see_device(d)
            out = list(self.devices)
        elif name == "Skb":
            out = list(self._buffers())
        elif name == "Blk":
            out = list({id(s.area): s.area for s in self._buffers()}.values())
        elif name == "Queue":
            out = list(self._queues())
        elif name == "Act":
            out = [self._act(a) for line in range(NR_IRQS) for a in k.irq_actions(line)]
        elif name == "Region":
            out = list(k.regions)
        elif name == "Timer":
            out = list(k.timer.timers)  # the pending ones: a timer off the list is idle
        else:
            out = []
        return [None, *out]

    @contextmanager
    def still(self) -> Iterator[None]:
        """Within the block the kernel does not change: lists of buffers and of a data
        area's references are computed once (for evaluating many formulas at one moment)."""
        self._cache = {}
        try:
            yield
        finally:
            self._cache = None

    def _buffers(self) -> Iterable[SkBuff]:
        if self._cache is not None:
            hit = self._cache.get("buffers")
            if hit is None:
                hit = self._cache["buffers"] = list(self._collect_buffers())
            return hit  # type: ignore[no-any-return,unused-ignore]
        return self._collect_buffers()

    def _collect_buffers(self) -> Iterable[SkBuff]:
        # Every live buffer, plus the frames lent to drivers (freed ones keep their last
        # values, as in the spec's state).
        seen = dict(self.k.live_skbs)
        for s in self.xmit.values():
            seen.setdefault(s.id, s)
        return seen.values()

    def _queues(self) -> Iterable[Any]:
        qs: list[Any] = ["backlog"]
        for d in self.entities_devices():
            qs += d.buffs
        for m in self.k.modules.values():
            qs += m.queues
        return dict.fromkeys(qs)

    def entities_devices(self) -> list[Device]:
        """Every device known (registered or seen)."""
        for d in self.k.dev_base:
            self.see_device(d)
        return list(self.devices)

    def _act(self, a: IrqAction) -> Any:
        if a.owner is None and a.line in _KERNEL_LINES and a.dev_id is None:
            return _KERNEL_LINES[a.line]
        return a

    def _action(self, a: Any) -> IrqAction | None:
        if isinstance(a, str):
            line = next(n for n, v in _KERNEL_LINES.items() if v == a)
            return next((x for x in self.k.irq_actions(line) if x.owner is None), None)
        return a if isinstance(a, IrqAction) else None

    # -- the symbols ------------------------------------------------------------------------
    def _getters(self) -> dict[str, Getter]:
        k = self.k

        def dev_owner(a: tuple[Any, ...]) -> Any:
            d: Device | None = a[0]
            if d is None:
                return None
            if d.registered:
                self._last_owner[d] = self.party(d.owner)
            return self._last_owner.get(d)

        def dev_q(a: tuple[Any, ...]) -> Any:
            d, p = a
            if d is None or not 0 <= p < len(d.buffs):
                return None
            self.see_device(d)
            return d.buffs[p]

        def skb_pos(a: tuple[Any, ...]) -> int:
            s: SkBuff | None = a[0]
            if s is None or s.list is None:
                return 0
            return next(i for i, x in enumerate(s.list) if x is s)

        def sharing(area: Any) -> list[SkBuff]:
            if self._cache is not None:
                areas = self._cache.get("areas")
                if areas is None:
                    areas = self._cache["areas"] = {}
                    for s in sorted(self._buffers(), key=lambda s: s.id):
                        if s.alive:
                            areas.setdefault(id(s.area), []).append(s)
                return areas.get(id(area), [])  # type: ignore[no-any-return]
            return sorted((s for s in self._buffers() if s.area is area and s.alive),
                          key=lambda s: s.id)

        def q_at(a: tuple[Any, ...]) -> Any:
            head = self._head(a[0])
            if head is None or not 0 <= a[1] < head.qlen:
                return None
            return next(s for i, s in enumerate(head) if i == a[1])

        def q_dev(a: tuple[Any, ...]) -> Any:
            head = self._head(a[0])
            self.entities_devices()
            hit = None if head is None else self._dev_of_queue.get(id(head))
            return None if hit is None else hit[0]

        def q_pri(a: tuple[Any, ...]) -> int:
            head = self._head(a[0])
            self.entities_devices()
            hit = None if head is None else self._dev_of_queue.get(id(head))
            return 0 if hit is None else hit[1]

        def q_init(a: tuple[Any, ...]) -> bool:
            head = self._head(a[0])
            if head is None:
                return False
            if head is k.backlog or head.owner is not None:
                return True
            self.entities_devices()
            return id(head) in self._dev_of_queue

        def eth_holder(i: int) -> Device | None:
            if not 0 <= i < MAX_ETH_CARDS:
                return None
            d = k.ethdev_index[i]
            return d if d is not None and d.registered else None

        def region_of(a: tuple[Any, ...]) -> Region | None:
            r = a[0]
            return r if isinstance(r, Region) else None

        def live_region(r: Region | None) -> bool:
            return r is not None and any(x is r for x in k.regions)

        def dma(ch: int) -> Any:
            return k.dma_claim(ch) if 0 <= ch < 8 else None

        def mod(a: tuple[Any, ...]) -> Module | None:
            m = a[0]
            return m if isinstance(m, Module) else None

        def act(a: tuple[Any, ...]) -> IrqAction | None:
            return self._action(a[0])

        def act_live(a: tuple[Any, ...]) -> bool:
            x = self._action(a[0])
            return x is not None and any(y is x for y in k.irq_actions(x.line))

        def field(attr: str, conv: Callable[[Any], Any] = int, default: Any = 0) -> Getter:
            def get(a: tuple[Any, ...]) -> Any:
                o = a[0]
                return default if o is None else conv(getattr(o, attr))
            return get

        return {
            "mod.phase": lambda a: 0 if mod(a) is None else _PHASE.get(mod(a).state, 0),  # type: ignore[union-attr]
            "mod.use": lambda a: 0 if mod(a) is None else mod(a).use_count,  # type: ignore[union-attr]
            "dev.registered": field("registered", bool, False),
            "dev.owner": dev_owner,
            "dev.name": lambda a: -2 if a[0] is None else self.names.code(a[0].name),
            "dev.has_init": lambda a: a[0] is not None and a[0].init is not None,
            "dev.has_open": lambda a: a[0] is not None and a[0].open is not None,
            "dev.irq": field("irq"),
            "dev.base_addr": field("base_addr"),
            "dev.mem_start": field("mem_start"),
            "dev.mem_end": field("mem_end"),
            "dev.rmem_start": field("rmem_start"),
            "dev.rmem_end": field("rmem_end"),
            "dev.dma": field("dma"),
            "dev.if_port": field("if_port"),
            "dev.flags": lambda a: 0 if a[0] is None else a[0].flags & 0xFFFF,
            "dev.start": field("start", bool, False),
            "dev.tbusy": field("tbusy", bool, False),
            "dev.interrupt": field("interrupt", bool, False),
            "dev.mtu": field("mtu"),
            "dev.tx_queue_len": field("tx_queue_len"),
            "dev.hard_header_len": field("hard_header_len"),
            "dev.addr_len": field("addr_len"),
            "dev.phase": field("phase"),
            "dev.xmit_skb": lambda a: self.xmit.get(a[0]),
            "dev.xmit_pri": field("xmit_pri"),
            "dev.q": dev_q,
            "eth.used": lambda a: eth_holder(a[0]) is not None,
            "eth.dev": lambda a: eth_holder(a[0]),
            "act.live": act_live,
            "act.line": lambda a: 0 if act(a) is None else act(a).line,  # type: ignore[union-attr]
            "act.owner": lambda a: None if act(a) is None else self.party(act(a).owner),  # type: ignore[union-attr]
            "act.dev_id": lambda a: None if act(a) is None else act(a).dev_id,  # type: ignore[union-attr]
            "act.shirq": lambda a: act(a) is not None and bool(act(a).flags & SA_SHIRQ),  # type: ignore[union-attr]
            "act.sa_interrupt": lambda a: (act(a) is not None
                                           and bool(act(a).flags & SA_INTERRUPT)),  # type: ignore[union-attr]
            "act.at_load": lambda a: act(a) is not None and self._claimed_at_load(act(a)),
            "region.live": lambda a: live_region(region_of(a)),
            "region.from": lambda a: 0 if region_of(a) is None else region_of(a).start,  # type: ignore[union-attr]
            "region.num": lambda a: 0 if region_of(a) is None else region_of(a).num,  # type: ignore[union-attr]
            "region.owner": lambda a: (None if region_of(a) is None
                                       else self.party(region_of(a).owner)),  # type: ignore[union-attr]
            "region.slot": lambda a: next((i for i, r in enumerate(k.regions)
                                           if r is a[0]), 0),
            "io.count": lambda a: len(k.regions),
            "io.slot": lambda a: k.regions[a[0]] if 0 <= a[0] < len(k.regions) else None,
            "dma.locked": lambda a: dma(a[0]) is not None,
            "dma.owner": lambda a: None if dma(a[0]) is None else self.party(dma(a[0]).owner),
            "dma.at_load": lambda a: dma(a[0]) is not None and self._claimed_at_load(dma(a[0])),
            "skb.allocated": lambda a: a[0] is not None,
            "skb.alive": field("alive", bool, False),
            "skb.head": field("head"),
            "skb.data": field("data"),
            "skb.tail": field("tail"),
            "skb.end": field("end"),
            "skb.len": field("len"),
            "skb.owner": lambda a: None if a[0] is None else self.party(a[0].owner),
            "skb.free": field("free"),
            "skb.lock": field("lock"),
            "skb.queued": lambda a: a[0] is not None and a[0].list is not None,
            "skb.list": lambda a: None if a[0] is None else self.queue(a[0].list),
            "skb.pos": skb_pos,
            "skb.dev": lambda a: None if a[0] is None else a[0].dev,
            "skb.protocol": field("protocol"),
            "skb.block": lambda a: None if a[0] is None else a[0].area,
            "skb.ref": lambda a: (0 if a[0] is None else
                                  next((i for i, s in enumerate(sharing(a[0].area))
                                        if s is a[0]), 0)),
            "blk.live": lambda a: a[0] is not None and a[0].refs > 0,
            "blk.refs": lambda a: 0 if a[0] is None else a[0].refs,
            "blk.head": lambda a: 0 if a[0] is None else a[0].head,
            "blk.end": lambda a: 0 if a[0] is None else a[0].head + a[0].size,
            "blk.at": lambda a: (None if a[0] is None or not 0 <= a[1] < len(sharing(a[0]))
                                 else sharing(a[0])[a[1]]),
            "queue.init": q_init,
            "queue.owner": lambda a: (None if self._head(a[0]) is None
                                      else self.party(self._head(a[0]).owner)),  # type: ignore[union-attr]
            "queue.lo": lambda a: 0,
            "queue.hi": lambda a: 0 if self._head(a[0]) is None else self._head(a[0]).qlen,  # type: ignore[union-attr]
            "queue.at": q_at,
            "queue.dev": q_dev,
            "queue.pri": q_pri,
            "timer.pending": lambda a: isinstance(a[0], TimerList) and a[0].pending,
            "timer.owner": lambda a: a[0].owner if isinstance(a[0], TimerList) else None,
            "rx.dropping": lambda a: k.rx_dropping,
        }
