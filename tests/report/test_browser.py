"""The HTML postmortem in a real browser: Debian's headless Chromium driven by Playwright.

It must show every section in order and the chart, log no console error, make no request
beyond the file itself, render in dark mode, open an evidence line on click and in print. Full
page screenshots (light and dark) are kept in ``tests/report/artifacts/`` (not in git) and
named at the end of the run.

Only a missing ``/usr/bin/chromium`` skips it (``.ci/run`` installs Debian's ``chromium``);
Playwright's own browser downloads are never used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import conntrack_forensics as cf
from conntrack_forensics.report.postmortem import INCIDENT_SECTIONS
from tests.conftest import SAMPLES

from .conftest import SCENARIOS, WRITTEN, analyze_case
from .test_postmortem_cases import expected_outline

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} missing: install Debian's chromium (apt-get install chromium), as "
           ".ci/run does, to run the browser test")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1200, "height": 900}, offline=True)
        try:
            yield context
        finally:
            context.close()


class _Page:
    """A page on one report file, failing on any request but that file and on console errors."""

    def __init__(self, context: Any, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        self.page.goto(self.url, wait_until="load")

    def _route(self, route: Any) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def check_clean(self) -> None:
        assert self.requests == [self.url], f"requests beyond the file: {self.requests}"
        assert not self.errors, f"console errors: {self.errors}"


def _write(analysis: cf.Analysis, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "postmortem.html"
    analysis.to_html(path)
    return path


def _outline(page: Any) -> list[tuple[int, str]]:
    """The report's section headings (level, text), each checked visible, in page order."""
    headings = page.locator("main h2, main section.incident h3")
    got = []
    for k in range(headings.count()):
        h = headings.nth(k)
        level, text = int(h.evaluate("e => e.tagName")[1]), h.inner_text().strip()
        if level == 2 or text in INCIDENT_SECTIONS:
            assert h.is_visible(), text
            got.append((level, text))
    return got


def _background(page: Any) -> str:
    return str(page.evaluate("getComputedStyle(document.querySelector('main')).backgroundColor"))


def _screenshot(page: Any, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    WRITTEN.append(path)


def test_seed_report_in_chromium(browser: Any, artifacts: Path, tmp_path: Path) -> None:
    analysis = cf.analyze(SAMPLES / "bogon-nat-listing")
    view = _Page(browser, _write(analysis, tmp_path))
    page = view.page

    # every section heading, visible, in order
    ids = [i.id for i in analysis.incidents]
    assert _outline(page) == expected_outline(ids)
    tops = [page.locator(f"#{s}").bounding_box()["y"] for s in
            ("summary", "impact", ids[0], "action-items", "lessons", "timeline", "evidence")]
    assert tops == sorted(tops)

    # the chart is drawn, with its legend
    chart = page.locator("figure.chart svg").first
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150
    legend = chart.evaluate("e => e.textContent")
    for label in ("drops logged per second", "trigger: iptables -t nat -L", "module loads",
                  "boot", "recovery: reboot"):
        assert label in legend

    # an evidence line opens on click
    details = page.locator("section.incident details.src").first
    assert details.get_attribute("open") is None
    assert not details.locator("pre").is_visible()
    details.locator("summary").click()
    assert details.get_attribute("open") is not None
    assert details.locator("pre").is_visible()
    assert details.locator("pre").inner_text().strip()

    # a command block is one selectable <pre><code>
    cmd = page.locator("pre.cmd code").first
    assert "sysctl" in page.locator("pre.cmd code").all_inner_texts()[1]
    assert cmd.evaluate("e => getComputedStyle(e).userSelect") != "none"

    _screenshot(page, artifacts / "postmortem-light.png")
    light = _background(page)

    page.emulate_media(color_scheme="dark")
    dark = _background(page)
    assert dark != light
    text_colour = page.evaluate("getComputedStyle(document.querySelector('main')).color")
    assert text_colour != dark
    _screenshot(page, artifacts / "postmortem-dark.png")

    # printed: evidence lines shown without a click, no contents bar, nothing wider than A4
    page.emulate_media(media="print", color_scheme="light")
    closed = page.locator("section.incident details.src:not([open])").first
    assert closed.locator("pre").is_visible()
    assert not page.locator("nav.toc").is_visible()
    page.set_viewport_size({"width": 700, "height": 900})
    assert _overflow(page) <= 0
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 800, "height": 900})
    assert _overflow(page) <= 0
    view.check_clean()


def _overflow(page: Any) -> int:
    """Pixels the page is wider than the window (tables must wrap, not overflow)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_fleet_report_in_chromium(browser: Any, artifacts: Path, tmp_path: Path) -> None:
    analysis = analyze_case(SCENARIOS / "two-hosts-two-zones", tmp_path)
    view = _Page(browser, _write(analysis, tmp_path / "out"))
    page = view.page
    assert page.locator("#fleet").is_visible()
    charts = page.locator("figure.chart svg")
    assert charts.count() == 2
    for k in range(2):
        box = charts.nth(k).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150
    # nothing wider than the page
    assert _overflow(page) <= 0
    _screenshot(page, artifacts / "postmortem-fleet-light.png")
    view.check_clean()


def test_redacted_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    """A report shared outside the team reads as the plain one: the same sections and chart,
    no error, nothing wider than the page, and none of the seed's names in the rendered text."""
    analysis = cf.analyze(SAMPLES / "bogon-nat-listing", redact_key="browser-check")
    view = _Page(browser, _write(analysis, tmp_path))
    page = view.page
    assert _outline(page) == expected_outline([i.id for i in analysis.incidents])
    chart = page.locator("figure.chart svg").first
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150
    legend = chart.evaluate("e => e.textContent")
    assert "trigger: iptables -t nat -L" in legend  # the command stays readable
    text = page.evaluate("document.body.innerText") + legend
    # the seed's host name, all over the plain report (title, ids, evidence lines), is gone
    plain = _Page(browser, _write(cf.analyze(SAMPLES / "bogon-nat-listing"), tmp_path / "plain"))
    assert "bogon" in plain.page.evaluate("document.body.innerText")
    assert "bogon" not in text.lower()
    assert "host-" in text
    assert _overflow(page) <= 0
    view.check_clean()
