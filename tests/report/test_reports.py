"""Reports: deterministic JSON in the contract's shape, self-contained escaped HTML, Markdown."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
    assert md.startswith("# Conntrack postmortem: bogon\n\n")
    assert "| bogon-20170426T160327Z | bogon | 2017-04-26T16:03:27Z |" in md
    assert "`iptables -t nat -L # <b>bold</b>`" in md


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
