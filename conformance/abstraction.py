"""The abstraction function: a reference kernel's state as the spec's concrete state.

:class:`Abstraction` reads a :class:`netdevspec.reference.Kernel` and produces a
:class:`~netdevspec.spec.logic.ConcreteState` over the spec's vocabulary, so the spec's
own rule objects can be evaluated on it. Objects get stable names (modules by name, the
kernel ``"kernel"``, buffers ``b<id>``, devices ``d<n>``, ...). The ghosts the kernel does
not keep (queue positions, the dense slot tables) are advanced by :meth:`sync`, which the
caller runs after every operation, naming the operation when the move depends on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from netdevspec.conformance.ghosts import NameCodes, QueueGhost, SlotTable
from netdevspec.reference import Device, Kernel, SkBuff, SkBuffHead
from netdevspec.reference.modules import MOD_CLEANING_UP, MOD_INITIALIZING, MOD_LIVE, Module
from netdevspec.spec import vocabulary as V
from netdevspec.spec.logic import ConcreteState

__all__ = ["Abstraction"]

_PHASE = {MOD_INITIALIZING: 1, MOD_LIVE: 2, MOD_CLEANING_UP: 3}
# Operations that put a buffer at the head of a queue or *before* an element: the spec
# moves the elements in front of it down one position.
_FRONT_INSERTS = {"skb_insert", "skb_queue_head", "hard_start_xmit_return"}
_KERNEL_LINES = {0: "timer", 2: "cascade", 13: "fpu"}


def _at_load(owner: Module | None) -> bool:
    """Whether a claim made now by ``owner`` is made while its init_module runs."""
    return owner is not None and owner.state == MOD_INITIALIZING


class Abstraction:
    """Maps one reference kernel to spec states. Tell it about new objects with
    :meth:`track_device` and :meth:`track_queue`; buffers are found through the kernel."""

    def __init__(self, kernel: Kernel):
        self.k = kernel
        self.names = NameCodes()
        self.lo = QueueGhost()
        self.refs = SlotTable()
        self.table = SlotTable()
        self._devs: dict[int, tuple[str, Device]] = {}
        self._queues: dict[int, tuple[str, SkBuffHead]] = {}
        self._acts: dict[int, str] = {}
        self._regions: dict[int, str] = {}
        self._skbs: dict[int, SkBuff] = {}
        self._areas: dict[int, str] = {}
        self._contents: dict[int, list[int]] = {}
        self._modules: dict[str, Module] = {}
        self._xmit: dict[int, SkBuff] = {}
        # What the spec's state still holds after an object moves on: a buffer's last queue
        # and position, and queue/area slots outside the live range. A kernel forgets them;
        # the spec leaves them unchanged, so the abstraction remembers the last live values.
        self._mem_at: dict[tuple[str, int], str | None] = {}
        self._mem_blk: dict[tuple[str, int], str | None] = {}
        self._mem_where: dict[int, tuple[str, int]] = {}
        self._dead_regions: dict[int, Any] = {}
        self._mem_slot: dict[int, int] = {}
        self._mem_io: dict[int, str] = {}
        self._mem_owner: dict[int, str] = {}
        self._mem_eth: dict[int, str | None] = {}
        self._mem_ref: dict[int, int] = {}
        self._all_acts: dict[int, Any] = {}
        # Ghosts act.at_load and dma.at_load: whether each IRQ action, and the last claim of
        # each DMA channel, was made while its module's init_module ran (a freed claim keeps
        # its last value, as in the spec's state).
        self._act_load: dict[int, bool] = {}
        self._timers: dict[int, tuple[str, Any]] = {}
        self._dma_claim: dict[int, Any] = {}
        self._dma_load: dict[int, bool] = {}
        self.track_queue(kernel.backlog, "backlog")
        self.sync()

    # -- naming ----------------------------------------------------------------------------
    def track_device(self, dev: Device) -> str:
        """Name a device (``d0``, ``d1``, ...) and its three transmit queues."""
        hit = self._devs.get(id(dev))
        if hit is None:
            name = f"d{len(self._devs)}"
            self._devs[id(dev)] = hit = (name, dev)
            for p, head in enumerate(dev.buffs):
                self.track_queue(head, f"{name}.q{p}")
        return hit[0]

    def track_queue(self, head: SkBuffHead, name: str | None = None) -> str:
        """Name a queue head (``q0``, ...) and start its ghost position at 0."""
        hit = self._queues.get(id(head))
        if hit is None:
            hit = (name or f"q{len(self._queues)}", head)
            self._queues[id(head)] = hit
            self.lo.reset(id(head))
            self._contents[id(head)] = [s.id for s in head]
        return hit[0]

    def track_module(self, module: Module) -> str:
        """Make a module part of the state (it is named by its name)."""
        self._modules[module.name] = module
        return module.name

    def track_skb(self, skb: SkBuff) -> str:
        """Make a buffer part of the state (done automatically for buffers seen on queues)."""
        if skb.id not in self._skbs:
            self._skbs[skb.id] = skb
            if skb.alive:
                self.refs.add(self.area(skb), skb.id)
        return f"b{skb.id}"

    def area(self, skb: SkBuff) -> str:
        """The name of a buffer's data area (named after the first buffer seen using it)."""
        return self._areas.setdefault(id(skb.area), f"k{skb.id}")

    def region(self, r: object) -> str:
        """A claimed region's name (``r0``, ...)."""
        self._dead_regions.setdefault(id(r), r)
        return self._regions.setdefault(id(r), f"r{len(self._regions)}")

    def action(self, act: Any) -> str:
        """An IRQ action's name: the kernel's own lines by name, others ``a0``, ..."""
        self._all_acts.setdefault(id(act), act)
        self._act_load.setdefault(id(act), _at_load(act.owner))
        hit = self._acts.get(id(act))
        if hit is None:
            kname = _KERNEL_LINES.get(act.line) if act.owner is None else None
            hit = self._acts[id(act)] = kname or f"a{len(self._acts)}"
        return hit

    def timer(self, t: Any) -> str | None:
        """A kernel timer's name (``t0``, ...); None for NULL."""
        if t is None:
            return None
        hit = self._timers.get(id(t))
        if hit is None:
            hit = self._timers[id(t)] = (f"t{len(self._timers)}", t)
        return hit[0]

    def party(self, m: Module | None) -> str:
        """A module's name, or ``"kernel"``."""
        if m is None:
            return "kernel"
        self._modules.setdefault(m.name, m)
        return m.name

    def dev(self, d: Device | None) -> str | None:
        """A device's name, or None."""
        return None if d is None else self.track_device(d)

    def queue(self, h: SkBuffHead | None) -> str | None:
        """A queue's name, or None."""
        return None if h is None else self.track_queue(h)

    def skb(self, s: SkBuff | None) -> str | None:
        """A buffer's name, or None."""
        return None if s is None else self.track_skb(s)

    def resolve(self, name: Any) -> Any:
        """The reference object a spec value names (the inverse of the naming functions):
        a module, device, buffer, queue, data area, IRQ action or region; the constants
        ``"kernel"``, ``"backlog"``, ``"timer"``, ``"cascade"``, ``"fpu"`` and anything
        that is not a name (ints, None) come back unchanged."""
        if not isinstance(name, str) or name in ("kernel", "backlog", "timer", "cascade",
                                                 "fpu"):
            return name
        if name in self._modules:
            return self._modules[name]
        for table in (self._devs, self._queues):
            for n, obj in table.values():
                if n == name:
                    return obj
        if name.startswith("b") and name[1:].isdigit():
            return self._skbs.get(int(name[1:]), name)
        if name.startswith("k") and name[1:].isdigit():
            s = self._skbs.get(int(name[1:]))
            return name if s is None else s.area
        for tname, t in self._timers.values():
            if tname == name:
                return t
        for table2, objs in ((self._acts, self._all_acts), (self._regions, self._dead_regions)):
            for oid, n in table2.items():
                if n == name:
                    return objs[oid]
        return name

    # -- ghosts -------------------------------------------------------------------------------
    def sync(self, op: str = "") -> None:
        """Advance the ghosts to the kernel's current state; ``op`` is the operation that ran
        (it decides where a buffer put into the middle of a queue leaves the others)."""
        for s in list(self._skbs.values()):
            if not s.alive and s.id in self.refs.where:
                self.refs.remove(self.area(s), s.id)
        for s in list(self._skbs.values()):
            if s.alive and s.id not in self.refs.where:
                self.refs.add(self.area(s), s.id)
        live = {id(r): r for r in self.k.regions}
        for rid in [r for r in self.table.where if r not in live]:
            self.table.remove("io", rid)
        for rid, r in live.items():
            if rid not in self.table.where:
                self.table.add("io", rid)
                self.region(r)
        for qid, (_, head) in self._queues.items():
            new = [s.id for s in head]
            for s in head:
                self.track_skb(s)
            old = self._contents.get(qid, [])
            if new != old:
                self._move(qid, old, new, op)
            self._contents[qid] = new
        for line in range(V.NR_IRQS):
            for a in self.k.irq_actions(line):
                self.action(a)
        for ch in range(V.MAX_DMA_CHANNELS):
            claim = self.k.dma_claim(ch)
            if claim is not None and self._dma_claim.get(ch) is not claim:
                self._dma_claim[ch] = claim
                self._dma_load[ch] = _at_load(claim.owner)

    def _move(self, qid: int, old: list[int], new: list[int], op: str) -> None:
        if not new and old and len(old) > 1:
            self.lo.emptied(qid, len(old))
        elif len(new) == len(old) + 1:
            i = next((j for j, (x, y) in enumerate(zip(old, new, strict=False)) if x != y),
                     len(old))
            # At the head, or before an element (skb_insert): the others move down one. On
            # an empty queue only the operation tells a head insert from a tail append.
            front = op in _FRONT_INSERTS if (not old or 0 < i < len(old)) else i == 0
            if front:
                self.lo.grew_at_front(qid)
        elif len(new) == len(old) - 1:
            # Dequeued or unlinked anywhere: the spec moves the elements before it up one.
            self.lo.shrank_at_front(qid)

    def reinit(self, head: SkBuffHead) -> None:
        """``skb_queue_head_init`` ran on ``head``: empty, at position 0."""
        self.track_queue(head)
        self.lo.reset(id(head))
        self._contents[id(head)] = [s.id for s in head]

    # -- the snapshot -----------------------------------------------------------------------
    def state(self) -> ConcreteState:
        """The kernel's state now, over the spec's vocabulary (call :meth:`sync` first)."""
        k = self.k
        st = ConcreteState()
        put = st.set
        uni: dict[str, list[Any]] = {}
        parties = ["kernel", *sorted(self._modules)]
        for m in k.modules.values():
            if m.name not in self._modules:
                self._modules[m.name] = m
                parties.append(m.name)
        uni["Party"] = parties
        for name in parties[1:]:
            m = self._modules[name]
            put(V.mod_phase, (name,), _PHASE.get(m.state, 0))
            put(V.mod_use, (name,), m.use_count)
        # devices
        uni["Dev"] = []
        uni["Queue"] = ["backlog"]
        for name, d in self._devs.values():
            uni["Dev"].append(name)
            a = (name,)
            put(V.dev_reg, a, bool(d.registered))
            if d.registered:
                self._mem_owner[id(d)] = self.party(d.owner)
            put(V.dev_owner, a, self._mem_owner.get(id(d)))
            put(V.dev_name, a, self.names.code(d.name))
            put(V.dev_has_init, a, d.init is not None)
            put(V.dev_has_open, a, d.open is not None)
            for sym, val in ((V.dev_irq, d.irq), (V.dev_base, d.base_addr),
                             (V.dev_mem_start, d.mem_start), (V.dev_mem_end, d.mem_end),
                             (V.dev_rmem_start, d.rmem_start), (V.dev_rmem_end, d.rmem_end),
                             (V.dev_dma, d.dma), (V.dev_if_port, d.if_port),
                             (V.dev_mtu, d.mtu), (V.dev_txqlen, d.tx_queue_len),
                             (V.dev_hhlen, d.hard_header_len), (V.dev_addr_len, d.addr_len)):
                put(sym, a, int(val))
            put(V.dev_flags, a, d.flags & 0xFFFF)
            put(V.dev_start, a, bool(d.start))
            put(V.dev_tbusy, a, bool(d.tbusy))
            put(V.dev_interrupt, a, bool(d.interrupt))
            put(V.dev_phase, a, d.phase)
            put(V.dev_xmit_pri, a, d.xmit_pri)
            put(V.dev_xmit_skb, a, self.skb(self._xmit.get(id(d))))
            for p, head in enumerate(d.buffs):
                put(V.dev_q, (name, p), self.track_queue(head))
        for i, holder in enumerate(k.ethdev_index):
            # 2.0's ether_setup takes an ethN slot already while probing; in the spec a slot
            # belongs to a registered device. Both agree on every registered device.
            held = holder is not None and holder.registered
            put(V.eth_used, (i,), held)
            if held:
                self._mem_eth[i] = self.dev(holder)
            put(V.eth_dev, (i,), self._mem_eth.get(i))
        # queues
        dev_of = {id(h): (nm, p) for nm, d in self._devs.values() for p, h in enumerate(d.buffs)}
        for qid, (qname, head) in self._queues.items():
            if qname not in uni["Queue"]:
                uni["Queue"].append(qname)
            a = (qname,)
            lo = self.lo.first(qid)
            put(V.q_init, a, True)
            put(V.q_owner, a, self.party(head.owner))
            put(V.q_lo, a, lo)
            put(V.q_hi, a, lo + head.qlen)
            for j, s in enumerate(head):
                self._mem_at[(qname, lo + j)] = self.skb(s)
            owner_dev = dev_of.get(qid)
            put(V.q_dev, a, owner_dev[0] if owner_dev else None)
            put(V.q_pri, a, owner_dev[1] if owner_dev else 0)
        for (qname, i), sname in self._mem_at.items():
            put(V.q_at, (qname, i), sname)
        # buffers and data areas
        uni["Skb"], uni["Blk"] = [], []
        pos: dict[int, tuple[str, int]] = {}
        for qid, (qname, head) in self._queues.items():
            lo = self.lo.first(qid)
            for j, s in enumerate(head):
                pos[s.id] = (qname, lo + j)
        areas: dict[str, SkBuff] = {}
        for s in self._skbs.values():
            bn = f"b{s.id}"
            uni["Skb"].append(bn)
            a = (bn,)
            kn = self.area(s)
            areas.setdefault(kn, s)
            put(V.skb_ever, a, True)
            put(V.skb_alive, a, s.alive)
            for sym, val in ((V.skb_head, s.head), (V.skb_data, s.data), (V.skb_tail, s.tail),
                             (V.skb_end, s.end), (V.skb_len, s.len), (V.skb_free, s.free),
                             (V.skb_lock, s.lock), (V.skb_proto, s.protocol)):
                put(sym, a, int(val))
            put(V.skb_owner, a, self.party(s.owner))
            where = pos.get(s.id)
            put(V.skb_queued, a, where is not None)
            if where is not None:
                self._mem_where[s.id] = where
            last = self._mem_where.get(s.id)
            put(V.skb_list, a, last[0] if last else None)
            put(V.skb_pos, a, last[1] if last else 0)
            put(V.skb_dev, a, self.dev(s.dev))
            put(V.skb_blk, a, kn)
            if s.id in self.refs.where:
                self._mem_ref[s.id] = self.refs.slot(s.id)
            put(V.skb_ref, a, self._mem_ref.get(s.id, 0))
        for kn, s in areas.items():
            uni["Blk"].append(kn)
            members = self.refs.items(kn)
            put(V.blk_live, (kn,), bool(members))
            put(V.blk_refs, (kn,), len(members))
            put(V.blk_head, (kn,), s.area.head)
            put(V.blk_end, (kn,), s.area.head + s.area.size)
            for i, sid in enumerate(members):
                self._mem_blk[(kn, i)] = f"b{sid}"
        for (kn, i), sname in self._mem_blk.items():
            put(V.blk_at, (kn, i), sname)
        # IRQ actions (a freed one keeps its last fields, as in the spec's state)
        uni["Act"] = ["timer", "cascade", "fpu"]
        installed = {id(act) for line in range(V.NR_IRQS) for act in k.irq_actions(line)}
        for aid, act in self._all_acts.items():
            an = self.action(act)
            if an not in uni["Act"]:
                uni["Act"].append(an)
            a = (an,)
            put(V.act_live, a, aid in installed)
            put(V.act_line, a, act.line)
            put(V.act_owner, a, self.party(act.owner))
            put(V.act_devid, a, self.dev(act.dev_id) if isinstance(act.dev_id, Device)
                else None)
            put(V.act_shirq, a, bool(act.flags & _SA_SHIRQ))
            put(V.act_saint, a, bool(act.flags & _SA_INTERRUPT))
            put(V.act_at_load, a, self._act_load.get(aid, False))
        # regions (a released one keeps its last fields and slot, as in the spec's state)
        uni["Region"] = []
        live_regions = {id(r) for r in k.regions}
        for rid, rn in self._regions.items():
            uni["Region"].append(rn)
            r = self._dead_regions[rid]
            put(V.reg_live, (rn,), rid in live_regions)
            put(V.reg_from, (rn,), r.start)
            put(V.reg_num, (rn,), r.num)
            put(V.reg_owner, (rn,), self.party(r.owner))
            if rid in self.table.where:
                self._mem_slot[rid] = self.table.slot(rid)
            put(V.reg_idx, (rn,), self._mem_slot.get(rid, 0))
        slots = self.table.items("io")
        put(V.io_count, (), len(slots))
        for slot_no, slot_rid in enumerate(slots):
            assert isinstance(slot_rid, int)
            self._mem_io[slot_no] = self._regions[slot_rid]
        for slot_no, rn in self._mem_io.items():
            put(V.io_slot, (slot_no,), rn)
        # DMA
        for ch in range(V.MAX_DMA_CHANNELS):
            claim = k.dma_claim(ch)
            put(V.dma_locked, (ch,), claim is not None)
            put(V.dma_owner, (ch,), None if claim is None else self.party(claim.owner))
            put(V.dma_at_load, (ch,), self._dma_load.get(ch, False))
        # kernel timers (a timer off the list keeps its last owner, as in the spec's state)
        uni["Timer"] = []
        for tname, t in self._timers.values():
            uni["Timer"].append(tname)
            put(V.tmr_pending, (tname,), bool(t.pending))
            # The kernel's own timers (owner None) are the kernel's; a timer never added has
            # no owner yet.
            put(V.tmr_owner, (tname,), self.party(t.owner) if t.owner is not None or t.pending
                else None)
        put(V.rx_dropping, (), k.rx_dropping)
        st.universe = {s: list(dict.fromkeys(v)) for s, v in uni.items()}
        # Entities never seen are absent; their symbols read as the spec's defaults.
        return st

    def lent(self, dev: Device, skb: SkBuff | None) -> None:
        """Record (or clear) the frame the kernel handed to ``dev.hard_start_xmit``."""
        if skb is None:
            self._xmit.pop(id(dev), None)
        else:
            self._xmit[id(dev)] = skb
            self.track_skb(skb)

    def names_of(self, objs: Iterable[object]) -> list[str | None]:
        """Spec names for a mix of reference objects (for building call environments)."""
        out: list[str | None] = []
        for o in objs:
            if isinstance(o, SkBuff):
                out.append(self.skb(o))
            elif isinstance(o, Device):
                out.append(self.dev(o))
            elif isinstance(o, SkBuffHead):
                out.append(self.queue(o))
            elif isinstance(o, Module) or o is None:
                out.append(self.party(o) if o is not None else None)
            else:
                raise TypeError(f"no spec entity for {type(o).__name__}")
        return out


from netdevspec.reference.kernel import SA_INTERRUPT as _SA_INTERRUPT  # noqa: E402
from netdevspec.reference.kernel import SA_SHIRQ as _SA_SHIRQ  # noqa: E402
