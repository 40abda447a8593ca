"""Code written out in a Markdown page stays equal to the part of the file its marker names."""

from __future__ import annotations

from pathlib import Path

import pytest

from netdevspec import mdcode
from netdevspec.errors import UsageError

SOURCE = '''"""A module."""

import os


def first(x: int) -> int:
    return x + 1


class K:
    def method(self) -> str:
        return "m"
'''


def _page(tmp_path: Path, body: str) -> Path:
    (tmp_path / "code.py").write_text(SOURCE, encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(body, encoding="utf-8")
    return page


def test_a_block_that_differs_from_its_part_is_stale_and_is_rewritten(tmp_path: Path) -> None:
    page = _page(tmp_path, 'Text.\n\n<!-- include: code.py {"pyobject": "K.method", '
                 '"dedent": 4} -->\n```python\ndef method(self):\n```\n\nMore.\n\n'
                 '<!-- include: code.py {"start-after": "import os", "end-before": "class K"}'
                 ' -->\n```python\ndef first(x: int) -> int:\n    return x + 1\n```\n')
    assert mdcode.stale(page) == [f'{page}:3: the block differs from code.py '
                                  '{"pyobject": "K.method", "dedent": 4}']
    assert mdcode.write(page) == 1
    assert mdcode.stale(page) == []
    text = page.read_text(encoding="utf-8")
    assert '```python\ndef method(self) -> str:\n    return "m"\n```\n\nMore.' in text
    assert mdcode.write(page) == 0


def test_a_marker_that_selects_nothing_says_so(tmp_path: Path) -> None:
    page = _page(tmp_path, '<!-- include: code.py {"pyobject": "nothere"} -->\n```python\n```\n')
    with pytest.raises(UsageError, match=r"line 1: the include marker selects nothing in "
                       r"code.py: .*nothere.*Fix: fix the options, or the file"):
        mdcode.stale(page)
    gone = _page(tmp_path, "<!-- include: missing.py -->\n```python\n```\n")
    with pytest.raises(UsageError, match=r"line 1: the include marker names missing.py, which "
                       r"is not a file beside the page"):
        mdcode.stale(gone)
    bad = _page(tmp_path, "<!-- include: code.py {pyobject: first} -->\n```python\n```\n")
    with pytest.raises(UsageError, match=r"line 1: the include marker's options are not JSON"):
        mdcode.stale(bad)


def test_the_command_rewrites_pages_and_refuses_no_arguments(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = _page(tmp_path, "<!-- include: code.py {\"pyobject\": \"first\"} -->\n```python\n```\n")
    assert mdcode.main([str(page)]) == 0
    assert capsys.readouterr().out == f"{page}: 1 block rewritten\n"
    assert mdcode.main([]) == 2
