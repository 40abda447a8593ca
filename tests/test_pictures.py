"""The pictures are drawn from real states and from the spec's operations."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from netdevspec.spec import SPEC
from netdevspec.spec.vocabulary import dev_phase, mod_phase

from netdevspec import pictures


def test_the_buffer_picture_shows_the_reference_kernels_geometry() -> None:
    steps = pictures.skb_steps()
    assert all(g.head <= g.data <= g.tail <= g.end == 64 for g in steps)  # skb.geometry
    got = [(g.call.split("(")[0], g.data, g.tail) for g in steps]
    assert got == [("alloc_skb", 0, 0), ("skb_reserve", 16, 16), ("skb_put", 16, 46),
                   ("skb_push", 2, 46), ("skb_pull", 16, 46), ("skb_trim", 16, 36)]


def test_the_module_life_is_read_off_the_operations() -> None:
    m = pictures.phase_machine(SPEC, mod_phase)
    assert m.states == {0: "not loaded", 1: "init_module running", 2: "live",
                        3: "cleanup_module running"}
    assert m.edges == {(0, 1): ["sys_init_module.call"], (1, 2): ["init_module_return.ok"],
                       (1, 0): ["init_module_return.fail"], (2, 3): ["delete_module.call"],
                       (3, 0): ["cleanup_module_return.ok"]}


def test_every_device_phase_is_entered_from_idle_and_left_back_to_it() -> None:
    m = pictures.phase_machine(SPEC, dev_phase)
    for s in set(m.states) - {0}:
        assert m.edges.get((0, s)) and m.edges.get((s, 0)), m.states[s]


def test_every_picture_is_well_formed_svg_with_a_size_and_a_title() -> None:
    for name, svg in pictures.figures(SPEC).items():
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
        assert root.get("viewBox") and root.get("width"), name
        assert root.find("{http://www.w3.org/2000/svg}title") is not None, name
