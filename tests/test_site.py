"""The documentation site: built once with `netdevspec docs`, then read as a reader would.

The build is Sphinx with -W (a warning fails it) and makes real runs: it proves every
obligation, checks the reference drivers and every catalogue bug. The first tests read the
HTML it wrote; the browser tests open it in headless Chromium from the system's packages
(``/usr/bin/chromium``, or ``$NETDEVSPEC_CHROMIUM``), driven by Playwright with no browser
download, served over a local HTTP server as a reader's browser would load it:

- every page loads without a console error, page error or failed request;
- every internal link and anchor resolves against the pages as the browser built them;
- every image loads and has a size;
- every rule ID has its entry, and the site's search finds it;
- screenshots of a rule page, the sk_buff picture and the tutorial are written into the
  build (``_screenshots/``) for a person to look at.

Where Chromium or Playwright is missing the browser tests skip and say why, unless
``NETDEVSPEC_REQUIRE_BROWSER=1`` (``.ci/run`` sets it): then they fail, so CI never
passes without them.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from netdevspec.conformance.model_rules import MODEL_RULES
from netdevspec.spec import SPEC

ROOT = Path(__file__).resolve().parents[1]
RULE_IDS = [*SPEC.rules, *(r.id for r in MODEL_RULES)]



@pytest.fixture(scope="module")
def built_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation, built once by `netdevspec docs` (Sphinx with -W: warnings fail)."""
    out = tmp_path_factory.mktemp("docs") / "html"
    p = subprocess.run([sys.executable, "-m", "netdevspec", "docs", str(out), "--source",
                        str(ROOT / "docs")], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"built {out / 'index.html'}" in p.stdout
    return out


# -- the HTML as written ----------------------------------------------------------------------

@pytest.mark.slow
def test_sphinx_docs_build_without_warnings(built_html: Path) -> None:
    for page in ("rules/index", "rules/skb", "rules/drv", "rules/operations", "rules/bugs",
                 "rules/bugs-buffers", "rules/facts", "rules/traceability", "quickstart",
                 "api"):
        assert (built_html / f"{page}.html").exists(), page


@pytest.mark.slow
def test_every_internal_link_anchor_and_picture_of_the_site_resolves(built_html: Path) -> None:
    from netdevspec.linkcheck import check_site

    broken = check_site(built_html)
    assert broken == [], "\n".join(map(str, broken))


@pytest.mark.slow
def test_the_built_entries_show_the_verdicts_of_this_builds_runs(built_html: Path) -> None:
    # The build proved every obligation and checked the reference drivers: the entries
    # carry the verdicts (the bundled spec is all PROVED, the reference drivers conform).
    text = (built_html / "rules" / "skb.html").read_text(encoding="utf-8")
    entry = text.split('id="rule-skb.put.bounds"', 1)[1]
    entry = entry.split('id="rule-skb.clone.readonly"', 1)[0]
    assert "2 PROVED in this build’s run" in entry
    assert "dummy NOT_APPLICABLE; loopback NOT_APPLICABLE; skeleton PASS." in entry
    index = (built_html / "rules" / "index.html").read_text(encoding="utf-8")
    assert " 0 REFUTED, 0 UNKNOWN, 0 VACUOUS;" in index


@pytest.mark.slow
def test_every_bug_page_shows_the_report_that_fails_its_rule(built_html: Path) -> None:
    from netdevspec.reference.buggy import CATALOGUE

    text = "".join(p.read_text(encoding="utf-8")
                   for p in (built_html / "rules").glob("bugs-*.html"))
    assert text.count("it fails the rule the catalogue names.") == len(CATALOGUE)
    assert "does not fail" not in text
    assert "object at 0x" not in text and str(ROOT) not in text  # same on every machine
    assert "FAIL skb.use.alive" in text and "# BUG: already freed" in text


@pytest.mark.slow
def test_the_api_reference_documents_the_public_objects(built_html: Path) -> None:
    text = (built_html / "api.html").read_text(encoding="utf-8")
    for obj in ("conformance.handle.KernelHandle", "conformance.check.CheckReport",
                "conformance.monitor.Finding", "model.Prover", "model.Result", "spec.Rule",
                "spec.Operation", "spec.Case", "spec.Spec"):
        assert f'id="netdevspec.{obj}"' in text, obj
    # Members too, with their docstrings: a handle function and a report's method.
    assert 'id="netdevspec.conformance.handle.KernelHandle.request_irq"' in text
    assert 'id="netdevspec.conformance.check.CheckReport.exit_code"' in text


# -- in a browser -----------------------------------------------------------------------------

def _chromium() -> str:
    return os.environ.get("NETDEVSPEC_CHROMIUM") or shutil.which("chromium") or \
        "/usr/bin/chromium"


def _browser_or_skip() -> Any:
    """Playwright's sync API, or a skip (a failure where CI requires the browser)."""
    why = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        why = "Playwright is not installed (pip install playwright; no browser download)"
        sync_playwright = None
    if not why and not Path(_chromium()).is_file():
        why = (f"no Chromium at {_chromium()} (apt-get install chromium, or set "
               "NETDEVSPEC_CHROMIUM to its path)")
    if why:
        if os.environ.get("NETDEVSPEC_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the browser tests cannot run: {why}; CI requires them "
                        "(NETDEVSPEC_REQUIRE_BROWSER=1): .ci/run installs both")
        pytest.skip(f"the browser tests cannot run: {why}")
    return sync_playwright


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(built_html: Path) -> Iterator[str]:
    """The built site served on a free local port (as a reader's browser loads it)."""
    handler = functools.partial(_Quiet, directory=str(built_html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Any]:
    sync_playwright = _browser_or_skip()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=_chromium(), headless=True)
        try:
            yield b
        finally:
            b.close()


_PAGE_FACTS = """() => ({
  ids: Array.from(document.querySelectorAll('[id]'), e => e.id),
  links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
  images: Array.from(document.images, i => ({src: i.currentSrc || i.src,
      complete: i.complete, width: i.naturalWidth, height: i.naturalHeight,
      shown: i.getBoundingClientRect().width})),
})"""


@pytest.fixture(scope="module")
def visited(browser: Any, site: str, built_html: Path) -> dict[str, dict[str, Any]]:
    """Every page of the site as the browser loaded it: its ids, links, images and the
    console errors, page errors and failed requests it caused."""
    pages = sorted(p.relative_to(built_html).as_posix() for p in built_html.rglob("*.html")
                   if "_static" not in p.parts and "_sources" not in p.parts)
    out: dict[str, dict[str, Any]] = {}
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    # A request the next navigation cuts short (the icon, when the page itself is loaded
    # already) is aborted by this test, not failed by the site.
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}: {r.failure}")
            if r.failure != "net::ERR_ABORTED" else None)
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    for rel in pages:
        errors.clear()
        page.goto(site + rel, wait_until="load")
        facts = page.evaluate(_PAGE_FACTS)
        facts["errors"] = list(errors)
        out[site + rel] = facts
    page.close()
    return out


@pytest.mark.slow
def test_every_page_loads_without_a_console_error(visited: dict[str, dict[str, Any]]) -> None:
    assert len(visited) > 20
    bad = {url: v["errors"] for url, v in visited.items() if v["errors"]}
    assert bad == {}


@pytest.mark.slow
def test_every_internal_link_and_anchor_resolves_in_the_browser(
        visited: dict[str, dict[str, Any]], site: str, built_html: Path) -> None:
    broken = []
    for url, v in visited.items():
        for link in v["links"]:
            if not link.startswith(site):
                continue  # external: not followed (nothing here needs the network)
            target, _, frag = link.partition("#")
            file = built_html / unquote(urlsplit(target).path).lstrip("/")
            if file.is_dir():
                file = file / "index.html"
            if not file.exists():
                broken.append(f"{url}: {link}: no such file")
                continue
            key = target if target.endswith(".html") else urljoin(target, "index.html")
            if frag and key in visited and unquote(frag) not in visited[key]["ids"]:
                broken.append(f"{url}: {link}: no element with that id")
    assert broken == []


@pytest.mark.slow
def test_every_image_loads_and_has_a_size(visited: dict[str, dict[str, Any]]) -> None:
    images = [(url, i) for url, v in visited.items() for i in v["images"]]
    assert any("skb-geometry.svg" in i["src"] for _, i in images)
    bad = [f"{url}: {i}" for url, i in images
           if not (i["complete"] and i["width"] > 0 and i["height"] > 0 and i["shown"] > 0)]
    assert bad == []


@pytest.mark.slow
def test_every_rule_id_has_its_entry(visited: dict[str, dict[str, Any]]) -> None:
    ids = {i for v in visited.values() for i in v["ids"]}
    missing = [rid for rid in RULE_IDS if f"rule-{rid}" not in ids]
    assert missing == []


_SEARCH_ALL = """(ids) => ids.filter(id => {
  const hits = Search._performSearch(...Search._parseQuery(id));
  return !hits.some(h => h[2] === '#rule-' + id);
})"""


@pytest.mark.slow
def test_the_sites_search_finds_every_rule_id(browser: Any, site: str) -> None:
    page = browser.new_page()
    try:
        # As a reader searches: the query in the box's URL, the results rendered.
        page.goto(site + "search.html?q=skb.put.bounds", wait_until="load")
        first = page.locator("ul.search li a").first
        first.wait_for(timeout=30_000)
        assert first.get_attribute("href").endswith("rules/skb.html#rule-skb.put.bounds")
        # Every other ID through the same query function the page just used.
        page.wait_for_function("Search.hasIndex()", timeout=30_000)
        assert page.evaluate(_SEARCH_ALL, RULE_IDS) == []
    finally:
        page.close()


@pytest.mark.slow
def test_screenshots_for_a_person_to_look_at(browser: Any, site: str, built_html: Path) -> None:
    shots = built_html / "_screenshots"
    shots.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(site + "rules/skb.html#rule-skb.put.bounds", wait_until="load")
        page.evaluate("document.getElementById('rule-skb.put.bounds').scrollIntoView()")
        page.screenshot(path=str(shots / "rule-page.png"))
        page.goto(site + "rules/skb.html", wait_until="load")
        page.locator("img[src$='skb-geometry.svg']").screenshot(path=str(shots / "skb.png"))
        page.goto(site + "tutorial.html", wait_until="load")
        page.screenshot(path=str(shots / "tutorial.png"), full_page=True)
    finally:
        page.close()
    for name in ("rule-page.png", "skb.png", "tutorial.png"):
        data = (shots / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5_000, name


def test_without_a_browser_the_tests_skip_and_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETDEVSPEC_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("NETDEVSPEC_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no Chromium at /nonexistent/chromium "
                       r"\(apt-get install chromium, or set NETDEVSPEC_CHROMIUM"):
        _browser_or_skip()
    monkeypatch.setenv("NETDEVSPEC_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match=r"CI requires them "
                       r"\(NETDEVSPEC_REQUIRE_BROWSER=1\): .ci/run installs both"):
        _browser_or_skip()
