"""Pictures for the documentation, drawn from the spec and the reference, never by hand.

- :func:`skb_steps` runs buffer operations on the reference kernel and records each
  buffer's real geometry; :func:`skb_layout_svg` draws head, data, tail and end (with
  headroom, data and tailroom) before and after each operation.
- :func:`phase_machine` reads a phase symbol's transitions (``mod.phase``,
  ``dev.phase``) off the spec's operations: a case whose guard or caller obligations
  say ``phase(x) = a`` and whose guarantees say ``phase′(x) = b`` is an edge a → b;
  :func:`state_svg` draws the machine.

The SVG is written by hand here on purpose: the drawings are boxes, arrows and text, and
a plain generator needs no system binary (Graphviz), no plotting stack and no network,
and gives byte-identical output on every build.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from netdevspec.spec import Spec
from netdevspec.spec.formula import And, Eq, Expr, Lit, Read, StateSym

__all__ = ["Geometry", "PhaseMachine", "figures", "phase_machine", "skb_layout_svg",
           "skb_steps", "state_svg"]

_FONT = 'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12"'


@dataclass(frozen=True)
class Geometry:
    """An sk_buff's pointers after a call, relative to ``head`` (so ``head`` is 0)."""

    call: str
    head: int
    data: int
    tail: int
    end: int


def skb_steps() -> list[Geometry]:
    """Run a transmit buffer's life on the reference kernel; the geometry after each call."""
    from netdevspec.reference.kernel import Kernel

    k = Kernel.pc()
    skb = k.alloc_skb(64)
    assert skb is not None  # a fresh PC has memory to spare
    out: list[Geometry] = []

    def record(call: str) -> None:
        h = skb.head
        out.append(Geometry(call, 0, skb.data - h, skb.tail - h, skb.end - h))

    steps: list[tuple[str, Callable[[], object]]] = [
        ("skb_reserve(skb, 16)", lambda: k.skb_reserve(skb, 16)),
        ("skb_put(skb, 30)", lambda: k.skb_put(skb, 30)),
        ("skb_push(skb, 14)", lambda: k.skb_push(skb, 14)),
        ("skb_pull(skb, 14)", lambda: k.skb_pull(skb, 14)),
        ("skb_trim(skb, 20)", lambda: k.skb_trim(skb, 20)),
    ]
    record("alloc_skb(64)")
    for call, do in steps:
        do()
        record(call)
    k.kfree_skb(skb, 0)
    return out


def skb_layout_svg(steps: Sequence[Geometry], scale: int = 7) -> str:
    """The geometry of each step as one row: headroom, data, tailroom, with the pointers."""
    left, row_h, bar_h, char_w = 190, 70, 22, 7.5
    width = left + max(g.end for g in steps) * scale + 70
    height = 30 + row_h * len(steps)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" {_FONT}>',
           "<title>sk_buff geometry before and after each buffer operation</title>",
           '<rect width="100%" height="100%" fill="white"/>']
    for i, g in enumerate(steps):
        y = 30 + i * row_h

        def x(v: int) -> int:
            return left + v * scale

        out.append(f'<text x="8" y="{y + bar_h - 6}" font-weight="bold">{escape(g.call)}</text>')
        parts = [(g.head, g.data, "#dbe9f6", "headroom"), (g.data, g.tail, "#2b6cb0", "data"),
                 (g.tail, g.end, "#eef3e2", "tailroom")]
        for lo, hi, colour, name in parts:
            if hi <= lo:
                continue
            out.append(f'<rect x="{x(lo)}" y="{y}" width="{(hi - lo) * scale}" '
                       f'height="{bar_h}" fill="{colour}" stroke="#333"/>')
            label = f"{name} {hi - lo}" if len(f"{name} {hi - lo}") * char_w < (hi - lo) * scale \
                else str(hi - lo) if len(str(hi - lo)) * char_w < (hi - lo) * scale else ""
            ink = "white" if name == "data" else "#333"
            if label:
                out.append(f'<text x="{(x(lo) + x(hi)) // 2}" y="{y + bar_h - 7}" '
                           f'text-anchor="middle" fill="{ink}">{label}</text>')
        # Pointer labels below the bar; a label that would overlap the one before it
        # goes one line lower.
        placed: list[tuple[float, float, int]] = []
        for name, v in (("head", g.head), ("data", g.data), ("tail", g.tail), ("end", g.end)):
            text = f"{name}={v}"
            x0, x1 = x(v) + 3, x(v) + 3 + len(text) * char_w
            line = 0
            while any(line == ln and x0 < b and a < x1 for a, b, ln in placed):
                line += 1
            placed.append((x0, x1, line))
            out.append(f'<line x1="{x(v)}" y1="{y}" x2="{x(v)}" y2="{y + bar_h + 4}" '
                       'stroke="#c53030" stroke-width="2"/>')
            out.append(f'<text x="{x0}" y="{y + bar_h + 14 + 12 * line}" fill="#c53030">'
                       f"{text}</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class PhaseMachine:
    """The states of a phase symbol and the cases that move between them."""

    symbol: str
    states: dict[int, str]
    edges: dict[tuple[int, int], list[str]]


def _conjuncts(e: Expr) -> list[Expr]:
    if isinstance(e, And):
        return [c for a in e.args for c in _conjuncts(a)]
    return [e]


def _values(e: Expr, sym: StateSym, post: bool) -> set[int]:
    out = set()
    for c in _conjuncts(e):
        if not isinstance(c, Eq):
            continue
        a, b = c.left, c.right
        if isinstance(b, Read):
            a, b = b, a
        if isinstance(a, Read) and a.sym is sym and a.post is post and isinstance(b, Lit):
            out.add(int(b.value))
    return out


def phase_machine(spec: Spec, sym: StateSym) -> PhaseMachine:
    """The transitions of ``sym`` (an Int phase), read off the operations' cases.

    State names come from the symbol's documentation (``"0 idle, 1 inside open, ..."``).
    """
    states = {int(n): name.strip() for n, name in re.findall(r"(\d+) ([^,]+)", sym.doc)}
    edges: dict[tuple[int, int], list[str]] = defaultdict(list)
    for op in spec.operations:
        for c in op.cases:
            after: set[int] = set()
            for u in c.guarantees:
                after |= _values(u.formula, sym, True)
            if not after:
                continue
            before = _values(c.guard, sym, False)
            for u in c.assumed(op):
                before |= _values(u.formula, sym, False)
            for a in before:
                for b in after:
                    if a != b:
                        edges[(a, b)].append(c.id)
    return PhaseMachine(sym.name, states, dict(edges))


def state_svg(m: PhaseMachine, title: str) -> str:
    """The machine drawn as states in a row; forward moves above, backward moves below."""
    box_w = max(len(f"{k}: {v}") for k, v in m.states.items()) * 8 + 24
    gap, box_h = box_w + 60, 36
    n = len(m.states)
    order = sorted(m.states)
    pos = {s: 40 + i * gap for i, s in enumerate(order)}
    fwd = [(k, v) for k, v in sorted(m.edges.items()) if order.index(k[0]) < order.index(k[1])]
    back = [(k, v) for k, v in sorted(m.edges.items()) if order.index(k[0]) > order.index(k[1])]

    def lifts(edges: list[tuple[tuple[int, int], list[str]]]) -> list[int]:
        out, h = [], 10
        for _, cases in edges:
            h += 16 * len(cases) + 26
            out.append(h)
        return out

    up, down = lifts(fwd), lifts(back)
    top = 40 + (up[-1] if up else 0) + 10  # an arc's apex is `lift` away from the boxes
    height = top + box_h + (down[-1] if down else 0) + 30
    longest = max((len(c) for cases in m.edges.values() for c in cases), default=0)
    width = 40 + (n - 1) * gap + box_w // 2 + 16 + longest * 8  # room for the last labels
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" {_FONT}>',
           f"<title>{escape(title)}</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
           'fill="#2b6cb0"/></marker></defs>',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="20" font-weight="bold">{escape(title)}</text>']
    for s in order:
        out.append(f'<rect x="{pos[s]}" y="{top}" width="{box_w}" height="{box_h}" rx="10" '
                   'fill="#f7fafc" stroke="#333"/>')
        out.append(f'<text x="{pos[s] + box_w // 2}" y="{top + 23}" text-anchor="middle">'
                   f"{s}: {escape(m.states[s])}</text>")

    def arc(edges: list[tuple[tuple[int, int], list[str]]], above: bool) -> None:
        for ((a, b), cases), lift in zip(edges, up if above else down, strict=True):
            x1, x2 = pos[a] + box_w // 2, pos[b] + box_w // 2
            x1 += 12 if above else -12
            x2 += 12 if above else -12
            lift = lift * 4 // 3  # the curve's apex is 3/4 of the way to its control points
            y0 = top if above else top + box_h
            yc = y0 - lift if above else y0 + lift
            out.append(f'<path d="M{x1},{y0} C{x1},{yc} {x2},{yc} {x2},{y0}" fill="none" '
                       'stroke="#2b6cb0" stroke-width="1.5" marker-end="url(#arrow)"/>')
            ymid = (y0 + 3 * yc) // 4
            for j, cid in enumerate(cases):
                # Forward: above the arc's apex. Backward: beside the arc where it leaves
                # its state, which no other arc crosses (they all converge on the left).
                tx, anchor = ((x1 + x2) // 2, "middle") if above else (x1 + 8, "start")
                ty = ymid - 16 * (len(cases) - j) + 12 if above else y0 + 18 + 16 * j
                out.append(f'<text x="{tx}" y="{ty}" text-anchor="{anchor}" '
                           f'fill="#1a365d">{escape(cid)}</text>')

    arc(fwd, True)
    arc(back, False)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def figures(spec: Spec) -> dict[str, str]:
    """Every generated picture, by file name."""
    from netdevspec.spec.vocabulary import dev_phase, mod_phase

    return {
        "skb-geometry.svg": skb_layout_svg(skb_steps()),
        "module-phases.svg": state_svg(phase_machine(spec, mod_phase),
                                       "mod.phase: a module's life"),
        "device-phases.svg": state_svg(phase_machine(spec, dev_phase),
                                       "dev.phase: a device inside its callbacks"),
    }
