"""Code shown in a Markdown page, written out in the page and kept equal to a tested file.

A page read on GitHub or in an editor shows no ``literalinclude``: the code must be in
the page. So each code block that shows part of a tested file is written out, after a
marker (an HTML comment, which GitHub, editors' previews and MyST all hide) naming the
file and the part, in ``literalinclude``'s own options::

    <!-- include: tutorial/tiny.py {"pyobject": "Tiny.tiny_stop", "dedent": 4} -->
    ```python
    def tiny_stop(self, dev: Device) -> int:
        ...
    ```

:func:`stale` lists the blocks that differ from what the marker selects (the tests fail
on any), and ``python -m netdevspec.mdcode PAGE...`` rewrites them. The part is cut by
Sphinx's own ``literalinclude`` reader, so a marker means exactly what the directive
would mean.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Block", "blocks", "expected", "main", "stale", "write"]

_MARKER = re.compile(r"^<!-- include: (?P<path>\S+)(?: (?P<opts>\{[^\n]*\}))? -->\n"
                     r"(?P<fence>`{3,})(?P<lang>[\w-]*)\n(?P<body>.*?)^(?P=fence)$",
                     re.M | re.S)


@dataclass(frozen=True)
class Block:
    """A code block of a page that shows part of a file: where, what it selects, its text."""

    line: int
    path: str
    options: dict[str, Any]
    language: str
    text: str
    #: The block's body as a span of the page's text (for rewriting it).
    span: tuple[int, int]


def blocks(page_text: str) -> list[Block]:
    """The page's marked code blocks, in order.

    Raises :class:`~netdevspec.errors.UsageError` for a marker whose options are not a
    JSON object.
    """
    from netdevspec.errors import UsageError

    out = []
    for m in _MARKER.finditer(page_text):
        line = page_text.count("\n", 0, m.start()) + 1
        try:
            opts = json.loads(m.group("opts") or "{}")
        except json.JSONDecodeError as e:
            raise UsageError(f"line {line}: the include marker's options are not JSON: {e}",
                             "the options are literalinclude's, as a JSON object",
                             'write e.g. {"pyobject": "Tiny.init_module", "dedent": 4}') from e
        if not isinstance(opts, dict):
            raise UsageError(f"line {line}: the include marker's options are not a JSON object",
                             "the options are literalinclude's, by name",
                             'write e.g. {"start-after": "import x"}')
        out.append(Block(line, m.group("path"), opts, m.group("lang"), m.group("body"),
                         m.span("body")))
    return out


def expected(block: Block, page_dir: Path) -> str:
    """What the block must show: the part of its file the marker selects, as
    ``literalinclude`` would show it, without blank lines at either end (a rendered
    block drops them too) and ending in a newline."""
    from sphinx.config import Config
    from sphinx.directives.code import LiteralIncludeReader

    from netdevspec.errors import UsageError

    path = page_dir / block.path
    if not path.is_file():
        raise UsageError(f"line {block.line}: the include marker names {block.path}, which "
                         f"is not a file beside the page ({path})",
                         "the block must show a file the tests run",
                         "fix the path, relative to the page's folder")
    config = Config()
    config.source_encoding = "utf-8"
    try:
        text, _ = LiteralIncludeReader(str(path), dict(block.options), config).read()
    except ValueError as e:  # a pyobject or start-after that is not in the file
        raise UsageError(f"line {block.line}: the include marker selects nothing in "
                         f"{block.path}: {e}", "its options must name a part of the file",
                         "fix the options, or the file") from e
    return text.strip("\n") + "\n"


def stale(page: Path) -> list[str]:
    """Each marked block of ``page`` that differs from its file, as ``page:line: why``."""
    text = page.read_text(encoding="utf-8")
    return [f"{page}:{b.line}: the block differs from {b.path} {json.dumps(b.options)}"
            for b in blocks(text) if b.text != expected(b, page.parent)]


def write(page: Path) -> int:
    """Rewrite ``page``'s marked blocks from their files; returns how many changed."""
    text = page.read_text(encoding="utf-8")
    changed = 0
    for b in reversed(blocks(text)):
        want = expected(b, page.parent)
        if b.text != want:
            text = text[:b.span[0]] + want + text[b.span[1]:]
            changed += 1
    if changed:
        page.write_text(text, encoding="utf-8")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m netdevspec.mdcode PAGE...``: rewrite each page's marked blocks."""
    from netdevspec.errors import NetdevspecError

    pages = list(sys.argv[1:] if argv is None else argv)
    if not pages:
        print("usage: python -m netdevspec.mdcode PAGE.md...", file=sys.stderr)
        return 2
    try:
        for p in pages:
            n = write(Path(p))
            print(f"{p}: {n} block{'s' if n != 1 else ''} rewritten")
    except NetdevspecError as e:
        print(f"netdevspec.mdcode: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
