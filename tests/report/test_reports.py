"""Reports: deterministic JSON in the contract's shape, self-contained escaped HTML, Markdown."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

import conntrack_forensics as cf

LINES = [
    "Apr 27 00:03:21 bogon kernel: nf_conntrack version 0.5.0 (16384 buckets, 65536 max)",
    "Apr 27 00:03:27 bogon kernel: nf_conntrack: table full, dropping packet.",
    "Apr 27 00:03:27 bogon <script>alert(1)</script>: nf_conntrack: table full, dropping packet.",
    "Apr 27 00:03:28 bogon kernel: last message repeated 3 times",
]


def _analysis(tmp_path: Path) -> cf.Analysis:
    (tmp_path / "root").mkdir(parents=True)
    (tmp_path / "root" / ".bash_history").write_text(
        "#1493222601\niptables -t nat -L # <b>bold</b>\n")
    (tmp_path / "messages").write_text("\n".join(LINES) + "\n")
    return cf.analyze(tmp_path, tz="Asia/Shanghai")


def test_json_shape(tmp_path: Path) -> None:
    data = json.loads(_analysis(tmp_path).to_json())
    assert data["schema"] == "conntrack-forensics/postmortem/v1"
    assert data["generator"] == f"conntrack-forensics {cf.__version__}"
    assert set(data) >= {"inputs", "settings", "hosts", "incidents", "diagnostics"}
    assert set(data["settings"]) >= {"tz", "tz_source", "year", "year_source", "gap_seconds"}
    (inc,) = data["incidents"]
    for key in ("id", "host", "start", "end", "drops_logged", "drops_suppressed",
                "peak_drops_per_second", "conntrack_max", "conntrack_buckets", "module_loads",
                "trigger", "candidates", "cause", "recovery", "recommendations", "timeline"):
        assert key in inc
    assert inc["id"] == "bogon-20170426T160327Z"
    assert inc["drops_logged"] == 4  # the <script> line comes from program "<script>..."
    assert set(inc["trigger"]) >= {"time", "command", "user", "source", "confidence", "reasons"}
    assert inc["module_loads"][0]["evidence"] == LINES[0]
    for rec in inc["recommendations"]:
        assert rec["id"] and rec["text"] and rec["commands"]
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$")
    for entry in inc["timeline"]:
        assert stamp.match(entry["time"]) and ":" in entry["source"]
    assert data["inputs"][0] == {**data["inputs"][0], "records": data["inputs"][0]["records"]}


def test_json_is_deterministic(tmp_path: Path) -> None:
    a = _analysis(tmp_path / "a")
    b = _analysis(tmp_path / "b")
    norm = [x.to_json().replace(str(tmp_path / "a"), "X").replace(str(tmp_path / "b"), "X")
            for x in (a, b)]
    assert norm[0] == norm[1]
    assert a.to_json() == a.to_json()


def test_html_self_contained_and_escaped(tmp_path: Path) -> None:
    html = _analysis(tmp_path).to_html()
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html  # the chart is inline
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert "<script>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "iptables -t nat -L" in html


def test_html_chart_deterministic(tmp_path: Path) -> None:
    a = _analysis(tmp_path)
    assert a.to_html() == a.to_html()


def test_markdown(tmp_path: Path) -> None:
    md = _analysis(tmp_path).to_markdown()
    first, title = md.split("\n\n", 2)[:2]
    assert first.startswith("[//]: # (generator: conntrack-forensics ")  # renders as nothing
    assert title == "# Postmortem: conntrack table full on bogon"
    assert "| bogon | bogon-20170426T160327Z | 2017-04-26T16:03:27Z |" in md
    assert "`iptables -t nat -L # <b>bold</b>`" in md
    for heading in ("## Summary", "## Impact", "### Trigger", "### Root cause", "### Detection",
                    "### Resolution and recovery", "## Action items", "## Lessons",
                    "## Timeline", "## Evidence"):
        assert f"\n{heading}\n" in md, heading


def test_writes_to_path(tmp_path: Path) -> None:
    a = _analysis(tmp_path / "in")
    text = a.to_markdown(tmp_path / "pm.md")
    assert (tmp_path / "pm.md").read_text() == text


def test_notebook_reprs(tmp_path: Path) -> None:
    a = _analysis(tmp_path)
    assert repr(a).startswith("<Analysis ") and "1 incident" in repr(a)
    assert "<table" in a._repr_html_()
    inc = a.incidents[0]
    assert repr(inc) == "<Incident bogon 2017-04-26T16:03:27Z 4 drops cause=module_autoload>"
    bundle = inc._repr_mimebundle_()
    assert "text/html" in bundle and bundle["text/plain"] == repr(inc)


# --- evidence that tries to inject markup -------------------------------------------------

HOSTILE = '"><img src=x onerror=alert(2)>'


def _hostile(tmp_path: Path) -> cf.Analysis:
    root = tmp_path / "case"
    (root / "root").mkdir(parents=True)
    (root / "root" / ".bash_history").write_text(
        f"#1493222601\niptables -t nat -L {HOSTILE} <script>alert(3)</script>\n"
        "#1493222700\necho '`a|b`' **bold** [x](http://example.com) <b>x</b> | tee /tmp/x\n")
    # a file name carries markup too
    (root / f"messages{HOSTILE}").write_text("\n".join(LINES) + "\n")
    return cf.analyze(root, tz="Asia/Shanghai")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def test_html_escapes_markup_from_the_evidence(tmp_path: Path) -> None:
    html = _hostile(tmp_path).to_html()
    page = _parse(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert not [a for a in page.attrs if a.startswith("on")]
    text = "".join(page.text)
    # shown, as text: the command and the file name
    assert "<script>alert(3)</script>" in text
    assert text.count(HOSTILE) >= 3
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def test_markdown_keeps_markup_from_the_evidence_inert(tmp_path: Path) -> None:
    md_text = _hostile(tmp_path).to_markdown()
    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(md_text)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert "html_inline" not in kinds and "html_block" not in kinds
    assert "link_open" not in kinds and "strong_open" in kinds  # ours only: **labels**
    page = _parse(parser.render(md_text))
    assert "script" not in page.tags and "img" not in page.tags and "a" not in page.tags
    text = "".join(page.text)
    assert "<script>alert(3)</script>" in text and HOSTILE in text
    assert "**bold** [x](http://example.com) <b>x</b>" in text


def test_html_has_a_strict_content_security_policy(tmp_path: Path) -> None:
    html = _analysis(tmp_path).to_html()
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert m and m.group(1).startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert "script-src" not in m.group(1)


def test_hostile_reports_keep_their_structure(tmp_path: Path) -> None:
    from .test_postmortem_cases import test_html_links_resolve_and_ids_are_unique as links
    from .test_postmortem_cases import test_html_sections_in_order as html_sections
    from .test_postmortem_cases import test_markdown_sections_in_order as md_sections
    from .test_postmortem_cases import test_markdown_tables_are_rectangular as tables

    a = _hostile(tmp_path)
    report = {"analysis": a, "ids": [i.id for i in a.incidents], "md": a.to_markdown(),
              "html": a.to_html()}
    assert "`a\\|b`" in report["md"]
    for check in (tables, md_sections, html_sections, links):
        check(report)
