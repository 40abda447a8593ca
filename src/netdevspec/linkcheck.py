"""A browser-free check of a built HTML site: every internal link, anchor and image resolves.

:func:`check_site` reads every ``.html`` file under a folder with the standard library's
HTML parser and reports each ``href`` or ``src`` that points inside the site but at a file
that does not exist or an anchor (``#id``) the target page does not define, and each
``<img>`` whose picture is missing or, for an SVG, has no size. External links
(``https:``, ``mailto:``) are not fetched: nothing here needs the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["Broken", "check_site"]


@dataclass(frozen=True)
class Broken:
    """A link that does not resolve: the page it is on, the link and why."""

    page: str
    link: str
    why: str

    def __str__(self) -> str:
        return f"{self.page}: {self.link}: {self.why}"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v is not None}
        for key in ("id", "name"):
            if key in a and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        if tag == "a" and "href" in a:
            self.links.append((tag, a["href"]))
        elif tag in ("img", "script") and "src" in a:
            self.links.append((tag, a["src"]))
        elif tag == "link" and "href" in a:
            self.links.append((tag, a["href"]))


_SVG_SIZE = re.compile(r"<svg\b[^>]*\b(viewBox|width)=", re.S)


def check_site(root: Path) -> list[Broken]:
    """Every internal link, anchor and image of the HTML under ``root`` that does not resolve."""
    pages: dict[Path, _Page] = {}
    for path in sorted(root.rglob("*.html")):
        p = _Page()
        p.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = p
    broken: list[Broken] = []
    for path, page in pages.items():
        rel = path.relative_to(root.resolve()).as_posix()
        for tag, url in page.links:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith("//"):
                continue  # external: not fetched
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.exists():
                broken.append(Broken(rel, url, "no such file in the site"))
                continue
            if target.is_dir():
                target = target / "index.html"
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    broken.append(Broken(rel, url, "the page has no such anchor"))
            if tag == "img" and target.suffix == ".svg" and not _SVG_SIZE.search(
                    target.read_text(encoding="utf-8")):
                broken.append(Broken(rel, url, "the SVG has no viewBox or width"))
            if tag == "img" and target.stat().st_size == 0:
                broken.append(Broken(rel, url, "the picture is empty"))
    return broken
