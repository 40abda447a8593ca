"""The facts the rules rest on (``facts.toml``): each api-facts item in our words, with sources.

A rule's citation names an item (``SKB-4``) and a source (``[K] include/linux/skbuff.h
skb_put``); :data:`FACTS` says what the item states, which article section it belongs to,
and where each 2.0.1 source is (file and line, linked to the public copy of 2.0.1).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from netdevspec.errors import SpecError

__all__ = ["FACTS", "Fact", "Facts", "Section", "SourceRef", "load_facts"]


@dataclass(frozen=True)
class SourceRef:
    """One source of a fact: ``A1``, ``A2``, or a file (and function) of a kernel tree."""

    key: str
    path: str = ""
    function: str = ""

    @classmethod
    def parse(cls, text: str) -> SourceRef:
        """``"K net/core/dev.c dev_close"`` -> key K, path, function."""
        key, _, rest = text.partition(" ")
        path, _, function = rest.partition(" ")
        return cls(key, path, function)

    @property
    def where(self) -> str:
        """``path function`` (the key of :attr:`Facts.lines`), empty for the article."""
        return f"{self.path} {self.function}".strip()


@dataclass(frozen=True)
class Section:
    """A section of the article (its text survives in A1 or A2, or is lost)."""

    id: str
    title: str
    source: str


@dataclass(frozen=True)
class Fact:
    """One api-facts item, paraphrased, with the article's words where it has them."""

    id: str
    title: str
    section: str
    text: str
    sources: tuple[SourceRef, ...]
    quote: str = ""


@dataclass(frozen=True)
class Facts:
    """Every fact, the article's sections, the source keys and the 2.0.1 line table."""

    facts: Mapping[str, Fact]
    sections: tuple[Section, ...]
    sources: Mapping[str, Mapping[str, str]]
    lines: Mapping[str, int]

    def url(self, ref: SourceRef) -> str:
        """A link to the source: the 2.0.1 file at the function's line, or the article."""
        base = self.sources[ref.key]["url"]
        if ref.key != "K" or not ref.path:
            return base
        line = self.lines.get(ref.where)
        return f"{base}/{ref.path}" + (f"#L{line}" if line else "")


def load_facts(text: str | None = None) -> Facts:
    """Read and check ``facts.toml`` (or ``text``): every section and source key must exist."""
    if text is None:
        text = resources.files("netdevspec.spec").joinpath("facts.toml").read_text(
            encoding="utf-8")
    data = tomllib.loads(text)
    sections = tuple(Section(s["id"], s["title"], s["source"]) for s in data["section"])
    known_sections = {s.id for s in sections}
    facts: dict[str, Fact] = {}
    for f in data["fact"]:
        fact = Fact(f["id"], f["title"], f["section"], f["text"],
                    tuple(SourceRef.parse(s) for s in f["sources"]), f.get("quote", ""))
        if fact.id in facts:
            raise SpecError(f"facts.toml lists {fact.id} twice", "each item has one entry",
                            "merge the two entries")
        if fact.section not in known_sections:
            raise SpecError(f"fact {fact.id} names the unknown article section "
                            f"{fact.section!r}", "the matrix groups facts by section",
                            f"use one of {', '.join(sorted(known_sections))}")
        for ref in fact.sources:
            if ref.key not in data["source"]:
                raise SpecError(f"fact {fact.id} names the unknown source key {ref.key!r}",
                                "every source key is described under [source.*]",
                                f"use one of {', '.join(sorted(data['source']))}")
        facts[fact.id] = fact
    return Facts(facts, sections, data["source"], data.get("lines", {}))


#: The facts of the bundled ``facts.toml``.
FACTS = load_facts()
