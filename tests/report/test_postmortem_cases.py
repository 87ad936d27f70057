"""The HTML and Markdown postmortems of every bundled case: structure, tables, links, no HTML
from the evidence in the Markdown.

The Markdown is parsed with markdown-it-py as CommonMark plus GFM tables (what GitHub, GitLab
and Confluence's Markdown import read); the HTML with the standard library's parser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from conntrack_forensics.report.postmortem import INCIDENT_SECTIONS, section_headings

from .conftest import CASES, analyze_case


@pytest.fixture(scope="module", params=CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def report(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    analysis = analyze_case(request.param, tmp_path_factory.mktemp("case"))
    return {"analysis": analysis, "ids": [i.id for i in analysis.incidents],
            "md": analysis.to_markdown(), "html": analysis.to_html()}


def expected_outline(ids: list[str]) -> list[tuple[int, str]]:
    """The level-2 headings and the incidents' level-3 sections, in order."""
    flat = section_headings(len(ids))
    out: list[tuple[int, str]] = []
    k = 0
    for title in flat:
        if title in INCIDENT_SECTIONS:
            if title == INCIDENT_SECTIONS[0]:
                out.append((2, f"Analysis: {ids[k]}"))
                k += 1
            out.append((3, title))
        else:
            out.append((2, title))
    return out


def _keep(level: int, text: str) -> bool:
    return level == 2 or (level == 3 and text in INCIDENT_SECTIONS)


# --- Markdown ------------------------------------------------------------------------------

MD = MarkdownIt("commonmark").enable("table")


def _inline_text(tok: Token) -> str:
    return "".join(c.content for c in (tok.children or []) if c.type in ("text", "code_inline"))


def _cells(line: str) -> int:
    """Cells of one GFM table row: pipes not escaped by a backslash separate them."""
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return len(re.split(r"(?<!\\)\|", text))


def test_markdown_sections_in_order(report: dict[str, Any]) -> None:
    tokens = MD.parse(report["md"])
    got = []
    for k, tok in enumerate(tokens):
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            text = _inline_text(tokens[k + 1])
            if _keep(level, text):
                got.append((level, text))
    assert got == expected_outline(report["ids"])
    # the generator line a later run recognises (parsers/own_output.py) renders as nothing
    assert report["md"].startswith("[//]: # (generator: conntrack-forensics ")
    assert tokens[0].tag == "h1"


def test_markdown_tables_are_rectangular(report: dict[str, Any]) -> None:
    md = report["md"]
    lines = md.split("\n")
    tokens = MD.parse(md)
    covered: set[int] = set()
    tables = 0
    for k, tok in enumerate(tokens):
        if tok.type == "table_open":
            tables += 1
            assert tok.map is not None
            start, end = tok.map
            covered.update(range(start, end))
            header = _cells(lines[start])
            for n in range(start, end):
                assert _cells(lines[n]) == header, f"line {n + 1}: {lines[n]!r}"
        if tok.type == "tr_open":
            # the parser pads or cuts rows to the header; count what the row held
            cells = 0
            for t in tokens[k + 1:]:
                if t.type == "tr_close":
                    break
                cells += t.type in ("th_open", "td_open")
            assert cells >= 1
    assert tables >= 3  # inputs, diagnostics or a note, cited lines ...
    stray = [n + 1 for n, line in enumerate(lines) if line.startswith("|") and n not in covered]
    assert not stray, f"table rows outside any table: lines {stray}"


def test_markdown_has_no_raw_html(report: dict[str, Any]) -> None:
    tokens = MD.parse(report["md"])
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert "html_block" not in kinds and "html_inline" not in kinds
    tags = _Tags()
    tags.feed(MD.render(report["md"]))
    assert not tags.names & {"script", "img", "iframe", "style", "a"}


def test_markdown_commands_are_fenced(report: dict[str, Any]) -> None:
    tokens = MD.parse(report["md"])
    fences = [t for t in tokens if t.type == "fence" and t.info == "sh"]
    commands = [c for i in report["analysis"].incidents for r in i.recommendations
                for c in r.commands]
    for c in commands:
        assert any(c in f.content.split("\n") for f in fences), c


# --- HTML ----------------------------------------------------------------------------------

class _Tags(HTMLParser):
    """Tag names, ids, same-document links, headings and attributes of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.names: set[str] = set()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.headings: list[tuple[int, str]] = []
        self._heading: tuple[int, list[str]] | None = None
        self.metas: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        for name, value in attrs:
            self.attrs.append((tag, name, value))
            if name == "id" and value is not None:
                self.ids.append(value)
            if name in ("href", "src", "xlink:href", "action") and value is not None:
                self.links.append(value)
        if tag == "meta":
            self.metas.append(dict(attrs))
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading = (int(tag[1]), [])

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag == f"h{self._heading[0]}":
            self.headings.append((self._heading[0], "".join(self._heading[1]).strip()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._heading[1].append(data)


def _page(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def test_html_sections_in_order(report: dict[str, Any]) -> None:
    page = _page(report["html"])
    got = [(level, text) for level, text in page.headings if _keep(level, text)]
    assert got == expected_outline(report["ids"])


def test_html_links_resolve_and_ids_are_unique(report: dict[str, Any]) -> None:
    page = _page(report["html"])
    dupes = {i for i in page.ids if page.ids.count(i) > 1}
    assert not dupes
    ids = set(page.ids)
    for link in page.links:
        assert link.startswith("#"), f"link out of the document: {link}"
        assert link[1:] in ids, f"dangling link {link}"


def test_html_is_strict_and_scriptless(report: dict[str, Any]) -> None:
    html = report["html"]
    page = _page(html)
    (csp,) = [m for m in page.metas if (m.get("http-equiv") or "").lower()
              == "content-security-policy"]
    policy = csp["content"] or ""
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert not page.names & {"script", "iframe", "object", "embed", "link", "img", "form"}
    assert not [a for a in page.attrs if a[1].startswith("on")]
    assert "@media print" in html and "prefers-color-scheme: dark" in html


def test_html_every_source_opens_on_its_line(report: dict[str, Any]) -> None:
    html = report["html"]
    analysis = report["analysis"]
    for inc in analysis.incidents:
        for entry in inc.timeline:
            assert f'title="{entry.source}"' in html.replace("&#34;", '"')
    shown = html.count('<details class="src"')
    assert shown >= sum(len(i.timeline) for i in analysis.incidents)


def test_reports_are_deterministic(report: dict[str, Any]) -> None:
    a = report["analysis"]
    assert a.to_html() == report["html"]
    assert a.to_markdown() == report["md"]
