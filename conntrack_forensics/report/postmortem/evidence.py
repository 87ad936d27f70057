"""The evidence a postmortem cites: every ``path:line``, its anchor and its original line.

:class:`Evidence` records which lines the report shows, looks up what they said in
``analysis.events`` and renders references for HTML (linked, opening on the original line) and
Markdown (code spans), relative to the common root of the inputs.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup, escape

from ...correlate.model import ref as make_ref
from ..templating import md_code, md_text

if TYPE_CHECKING:
    from ..subject import Analyzed


_REF = re.compile(r"^(?P<path>.*):(?P<line>\d+)$")


class Evidence:
    """The sources a report cites: display names, anchors, original lines, links in text."""

    def __init__(self, analysis: Analyzed, data: dict[str, Any]) -> None:
        paths = sorted({str(i["path"]) for i in data["inputs"]}
                       | {str(s) for s in analysis.events["source"].dropna().unique()})
        self.root = _common_root(str(i["path"]) for i in data["inputs"])
        self._paths = paths
        alternation = "|".join(re.escape(p) for p in sorted(paths, key=len, reverse=True))
        self._in_text = (re.compile(rf"(?:{alternation})(?::\d+)?(?![\w./-])")
                         if paths else None)
        self._lines: dict[str, str] = {}
        self._cited: dict[str, None] = {}
        self._occurrences: dict[str, int] = {}
        self._events = analysis.events

    # which lines the report cites, and what they said
    def cite(self, ref: str | None) -> None:
        """Record that the report shows ``ref``."""
        if ref:
            self._cited.setdefault(ref, None)

    def cite_text(self, text: str | None) -> None:
        """Record the references inside a sentence."""
        for m in self._refs_in(text or ""):
            if _REF.match(m.group(0)):
                self.cite(m.group(0))

    def resolve(self) -> None:
        """Look up the original line of every cited reference in the events."""
        wanted: dict[str, set[int]] = {}
        for r in self._cited:
            m = _REF.match(r)
            if m:
                wanted.setdefault(m["path"], set()).add(int(m["line"]))
        if not wanted:
            return
        ev = self._events
        rows = ev.loc[ev["source"].isin(list(wanted)), ["source", "line", "evidence", "message"]]
        for source, line, evidence, message in rows.itertuples(index=False, name=None):
            if pd.isna(line) or int(line) not in wanted.get(source, ()):
                continue
            key = make_ref(source, line)
            if key in self._lines:
                continue
            text = evidence if isinstance(evidence, str) else message
            if isinstance(text, str):
                self._lines[key] = text

    @property
    def cited(self) -> list[tuple[str, str, str | None]]:
        """``(anchor, ref, original line)`` of every cited reference, by path and line."""
        def order(r: str) -> tuple[str, int]:
            m = _REF.match(r)
            return (m["path"], int(m["line"])) if m else (r, 0)
        return [(self.anchor(r), r, self._lines.get(r))
                for r in sorted(self._cited, key=order)]

    def line(self, ref: str | None) -> str | None:
        """The original line behind ``ref``, when the evidence has it."""
        return self._lines.get(ref) if ref else None

    def display(self, ref: str) -> str:
        """``ref`` relative to the common root of the inputs."""
        if self.root and ref.startswith(self.root + "/"):
            return ref[len(self.root) + 1:]
        return ref

    @staticmethod
    def anchor(ref: str) -> str:
        """A stable HTML id for ``ref``: ``ev-messages-57-1a2b3c4d``."""
        tail = ref.rsplit("/", 1)[-1].replace("!", "")
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", tail).strip("-")[:40] or "src"
        return f"ev-{slug}-{hashlib.sha1(ref.encode()).hexdigest()[:8]}"

    # HTML
    def path(self, ref: str | None) -> Markup:
        """``ref`` for display, with line-break opportunities after each ``/``."""
        if not ref:
            return Markup("—")
        parts = self.display(ref).split("/")
        return Markup("/<wbr>").join(escape(p) for p in parts)

    def src(self, ref: str | None) -> Markup:
        """``path:line`` with its own id, opening on the original line (``<details>``)."""
        if not ref:
            return Markup("—")
        n = self._occurrences.get(ref, 0) + 1
        self._occurrences[ref] = n
        anchor = f"{self.anchor(ref)}-{n}"
        line = self.line(ref)
        label = self.path(ref)
        if line is None:
            return Markup('<span class="src" id="{}" title="{}">{}</span>').format(
                anchor, ref, label)
        return Markup(
            '<details class="src" id="{}"><summary title="{}">{}</summary>'
            '<pre><code>{}</code></pre>'
            '<a class="src-all" href="#{}">all cited lines</a></details>'
        ).format(anchor, ref, label, line, self.anchor(ref))

    def text(self, text: str | None) -> Markup:
        """A sentence: escaped, backtick spans as code, references linked to the evidence."""
        text = text or ""
        out: list[Markup] = []
        pos = 0
        for m in self._refs_in(text):
            out.append(_html_code_spans(text[pos:m.start()]))
            r = m.group(0)
            if r in self._cited:
                out.append(Markup('<a class="ref" href="#{}" title="{}">{}</a>').format(
                    self.anchor(r), r, self.path(r)))
            else:
                out.append(Markup('<code class="path" title="{}">{}</code>').format(
                    r, self.path(r)))
            pos = m.end()
        out.append(_html_code_spans(text[pos:]))
        return Markup("").join(out)

    # Markdown
    def md(self, text: str | None, cell: bool = False, start: bool = True) -> str:
        """A sentence for Markdown: escaped, backtick spans kept, references as code."""
        text = text or ""
        out: list[str] = []
        pos = 0
        for m in self._refs_in(text):
            out.append(md_text(text[pos:m.start()], cell=cell, start=start and not out))
            out.append(md_code(self.display(m.group(0)), cell=cell))
            pos = m.end()
        out.append(md_text(text[pos:], cell=cell, start=start and not out))
        return "".join(out)

    def md_ref(self, ref: str | None, cell: bool = True) -> str:
        """``path:line`` as Markdown code."""
        return md_code(self.display(ref), cell=cell) if ref else "—"

    def _refs_in(self, text: str) -> Iterator[re.Match[str]]:
        if self._in_text is None or not text:
            return iter(())
        return self._in_text.finditer(text)


def _common_root(paths: Iterable[str]) -> str:
    dirs = [posixpath.dirname(p.split("!", 1)[0]) for p in paths if p and p != "-"]
    if not dirs:
        return ""
    try:
        root = posixpath.commonpath(dirs)
    except ValueError:
        return ""
    return "" if root in ("", "/", ".") else root


_BACKTICKS = re.compile(r"`([^`\n]+)`")


def _html_code_spans(text: str) -> Markup:
    out: list[Markup] = []
    pos = 0
    for m in _BACKTICKS.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup("<code>{}</code>").format(m.group(1)))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)
