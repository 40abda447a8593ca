"""Writing a benchmark's figures into docs/benchmarks.md (one helper for every benchmark).

Each benchmark owns a block of the page between a start and an end marker (HTML
comments); :func:`write_block` replaces that block with the new figures, or appends the
section (its introduction, then the block) when the page does not have it yet.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DOC", "write_block"]

#: The page the figures go to.
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_block(start: str, end: str, body: str, intro: str, path: Path = DOC) -> None:
    """Put ``body`` between the markers ``start`` and ``end`` of ``path``."""
    text = path.read_text(encoding="utf-8")
    block = f"{start}\n\n{body}\n\n{end}"
    at = text.find(start)
    if at < 0:
        text = text.rstrip("\n") + "\n\n" + intro + "\n" + block + "\n"
    else:
        stop = text.find(end, at)
        stop = at + len(start) if stop < 0 else stop + len(end)
        text = text[:at] + block + text[stop:]
    path.write_text(text, encoding="utf-8")
