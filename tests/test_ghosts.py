"""Ghost state follows the spec's own moves (positions, dense slot tables, name codes)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from netdevspec.conformance.ghosts import NameCodes, QueueGhost, SlotTable
from netdevspec.spec.vocabulary import NAME_BLANK, NAME_NULL


def test_name_codes() -> None:
    n = NameCodes()
    assert [n.code("eth0"), n.code("eth15"), n.code("eth16")] == [0, 15, 16]
    assert n.code("") == n.code("    ") == NAME_BLANK
    assert n.code(None) == NAME_NULL
    assert n.code("dummy0") == 1000 and n.code("dummy7") == 1007
    assert n.code("plip1") == 2001  # the next prefix seen gets the next format code
    assert n.code("lo") >= 10**6 and n.code("lo") == n.code("lo")
    assert NameCodes.eth_slot(3) == 3 and NameCodes.eth_slot(1003) is None


def test_queue_ghost_moves() -> None:
    g = QueueGhost()
    g.reset("q")
    g.grew_at_front("q")
    g.grew_at_front("q")
    g.shrank_at_front("q")
    assert g.first("q") == -1
    g.emptied("q", 3)
    assert g.first("q") == 2


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 9)), max_size=60))
def test_slot_table_stays_dense_and_consistent(ops: list[tuple[bool, int]]) -> None:
    t = SlotTable()
    live: set[int] = set()
    for add, item in ops:
        if add and item not in live:
            t.add("k", item)
            live.add(item)
        elif not add and item in live:
            t.remove("k", item)
            live.discard(item)
        items = t.items("k")
        assert sorted(items) == sorted(live)
        assert all(t.slot(x) == i for i, x in enumerate(items))
