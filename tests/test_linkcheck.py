"""The browser-free link check finds missing files, missing anchors and unsized pictures."""

from __future__ import annotations

from pathlib import Path

from netdevspec.linkcheck import check_site


def test_check_site_reports_each_kind_of_broken_link(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_text('<h1 id="top">B</h1><a name="old">x</a>',
                                             encoding="utf-8")
    (tmp_path / "ok.svg").write_text('<svg viewBox="0 0 1 1"></svg>', encoding="utf-8")
    (tmp_path / "bare.svg").write_text("<svg></svg>", encoding="utf-8")
    (tmp_path / "a.html").write_text(
        '<a href="sub/b.html#top">ok</a><a href="sub/b.html#old">ok</a>'
        '<a href="#here" id="here">ok</a><a href="https://example.org/x#y">external</a>'
        '<a href="sub/b.html#gone">1</a><a href="c.html">2</a>'
        '<img src="ok.svg"><img src="bare.svg"><img src="none.png">', encoding="utf-8")
    got = sorted(str(b) for b in check_site(tmp_path))
    assert got == [
        "a.html: bare.svg: the SVG has no viewBox or width",
        "a.html: c.html: no such file in the site",
        "a.html: none.png: no such file in the site",
        "a.html: sub/b.html#gone: the page has no such anchor",
    ]
