"""Concrete states: the boot state, and witnesses for branches that need many objects.

The prover finds most witnesses itself with a small bounded search. A few branches can
only be taken in a large state (all 16 eth slots in use, all 64 I/O table entries, all
100 units of a name); for those, the builders below construct the state. The prover
checks every one with the concrete interpreter (invariants, guard, obligations,
guarantees) exactly as it checks z3's witnesses, so a wrong builder is reported, not
trusted.
"""

from __future__ import annotations

from typing import Any

from netdevspec.spec.logic import ConcreteState, StateSym
from netdevspec.spec.vocabulary import (
    DEV_NUMBUFFS,
    DMA_CASCADE,
    IO_TABLE_SIZE,
    MAX_ETH_CARDS,
    NAME_BLANK,
    act_line,
    act_live,
    act_owner,
    act_saint,
    dev_has_init,
    dev_name,
    dev_owner,
    dev_q,
    dev_reg,
    dma_locked,
    dma_owner,
    eth_dev,
    eth_used,
    io_count,
    io_slot,
    mod_phase,
    q_dev,
    q_init,
    q_owner,
    q_pri,
    reg_from,
    reg_idx,
    reg_live,
    reg_num,
    reg_owner,
)

__all__ = ["WITNESSES", "Builder", "add_device", "add_module", "initial_state"]

Builder = tuple[ConcreteState, ConcreteState, dict[str, Any]]


def _put(st: ConcreteState, sym: StateSym, args: tuple[Any, ...], value: Any) -> None:
    st.set(sym, args, value)


def _member(st: ConcreteState, sort: str, name: str) -> None:
    st.universe.setdefault(sort, []).append(name)


def initial_state() -> ConcreteState:
    """The state after boot, as the spec's initial condition describes it."""
    st = ConcreteState()
    _member(st, "Party", "kernel")
    _member(st, "Queue", "backlog")
    for act, line in (("timer", 0), ("cascade", 2), ("fpu", 13)):
        _member(st, "Act", act)
        _put(st, act_live, (act,), True)
        _put(st, act_line, (act,), line)
        _put(st, act_owner, (act,), "kernel")
        _put(st, act_saint, (act,), True)
    _put(st, dma_locked, (DMA_CASCADE,), True)
    _put(st, dma_owner, (DMA_CASCADE,), "kernel")
    _put(st, q_init, ("backlog",), True)
    _put(st, q_owner, ("backlog",), "kernel")
    return st


def add_module(st: ConcreteState, name: str, phase: int = 2) -> str:
    """A loaded module (phase 2 = live)."""
    _member(st, "Party", name)
    _put(st, mod_phase, (name,), phase)
    return name


def add_device(st: ConcreteState, d: str, *, owner: str | None = None, name: int = NAME_BLANK,
               registered: bool = False, queues_ready: bool = True) -> str:
    """A device with its three transmit queues (initialised if ``queues_ready``)."""
    _member(st, "Dev", d)
    _put(st, dev_name, (d,), name)
    _put(st, dev_has_init, (d,), True)
    for p in range(DEV_NUMBUFFS):
        q = f"{d}.q{p}"
        _member(st, "Queue", q)
        _put(st, dev_q, (d, p), q)
        _put(st, q_dev, (q,), d)
        _put(st, q_pri, (q,), p)
        if queues_ready:
            _put(st, q_init, (q,), True)
            _put(st, q_owner, (q,), "kernel")
    if registered:
        _put(st, dev_reg, (d,), True)
        _put(st, dev_owner, (d,), owner)
        if 0 <= name < MAX_ETH_CARDS:
            _put(st, eth_used, (name,), True)
            _put(st, eth_dev, (name,), d)
    return d


def eth_table_full() -> Builder:
    """register_netdev.enfile: sixteen eth devices registered, a seventeenth with a blank name."""
    st = initial_state()
    m = add_module(st, "m0")
    for n in range(MAX_ETH_CARDS):
        add_device(st, f"d{n}", owner=m, name=n, registered=True)
    d = add_device(st, "d16")
    return st, st.copy(), {"c": m, "d": d, "rc": 0, "i": 0}


def unit_names_full() -> Builder:
    """dev_alloc_name.enfile: units 0..99 of one format all taken."""
    st = initial_state()
    m = add_module(st, "m0")
    for u in range(100):
        add_device(st, f"d{u}", owner=m, name=1000 + u, registered=True)
    d = add_device(st, "d100")
    return st, st.copy(), {"c": m, "d": d, "fmt": 1, "i": 0}


def io_table_full() -> Builder:
    """request_region.full: all 64 entries of the I/O table in use."""
    st = initial_state()
    m = add_module(st, "m0")
    for n in range(IO_TABLE_SIZE):
        r = f"r{n}"
        _member(st, "Region", r)
        _put(st, reg_live, (r,), True)
        _put(st, reg_from, (r,), 0x100 + 16 * n)
        _put(st, reg_num, (r,), 16)
        _put(st, reg_owner, (r,), m)
        _put(st, reg_idx, (r,), n)
        _put(st, io_slot, (n,), r)
    _put(st, io_count, (), IO_TABLE_SIZE)
    return st, st.copy(), {"c": m, "from": 0x3000, "num": 8, "r": None}


WITNESSES = {
    "register_netdev.enfile": eth_table_full,
    "dev_alloc_name.enfile": unit_names_full,
    "request_region.full": io_table_full,
}
