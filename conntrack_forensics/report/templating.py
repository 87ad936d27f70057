"""The jinja2 environment shared by the Markdown and HTML reporters (templates beside it).

HTML templates (``*.html.j2``) are autoescaped: every string from the evidence is escaped
unless a view-model method built it as :class:`markupsafe.Markup` from escaped parts. Markdown
has no autoescape, so the Markdown template passes every string from the evidence through
:func:`md_text` (prose, escaped) or :func:`md_code` (a code span), both table-safe with
``cell=True``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..times import rfc3339

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
#: Characters that start Markdown inline syntax anywhere: emphasis, links, raw HTML, code,
#: GFM strikethrough and table cells, math on GitHub and GitLab.
_INLINE = re.compile(r"([\\`*\[\]<>|~$])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
#: What makes a line a block (heading, quote, list item, thematic break, setext underline).
_BLOCK_START = re.compile(r"^([#>+=-])")
_ORDERED_START = re.compile(r"^(\d+)([.)])")


def md_text(value: Any, cell: bool = False, start: bool = True) -> str:
    r"""Plain text for Markdown prose or a table cell: no markup from the evidence survives.

    Backtick spans in the text (the reports quote commands that way) stay code spans; a
    ``|`` is escaped in both (GFM table cells unescape it, even inside code).

    Args:
        value: the text (``None`` gives an empty string).
        cell: the text goes into a table cell.
        start: the text starts a line, where ``#``, ``>``, ``-`` ... would start a block.

    >>> print(md_text("<b>x</b> a_b *c* [d](e) `f|g`", cell=True))
    \<b\>x\</b\> a_b \*c\* \[d\](e) `f\|g`
    """
    text = re.sub(r"\s*[\r\n]\s*", " ", str(value if value is not None else ""))
    if start:
        text = text.lstrip()
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        out.append(md_code(m.group(1), cell=cell))
        pos = m.end()
    out.append(_escape(text[pos:]))
    result = "".join(out)
    if start:
        result = _ORDERED_START.sub(r"\1\\\2", _BLOCK_START.sub(r"\\\1", result))
    return result


def _escape(text: str) -> str:
    text = _INLINE.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    return _UNDERSCORE.sub(r"\\_", text)


def md_code(value: Any, cell: bool = False) -> str:
    r"""``value`` as one Markdown code span (any backticks inside it kept), or ``—`` if empty.

    >>> print(md_code("a`b|c", cell=True))
    ``a`b\|c``
    """
    text = " ".join(str(value if value is not None else "").split())
    if not text:
        return "—"
    if cell:
        text = text.replace("|", "\\|")
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(lines: list[str], info: str = "sh") -> str:
    """A fenced code block of ``lines`` (the fence longer than any backtick run inside)."""
    body = "\n".join(str(x).replace("\r", "") for x in lines)
    longest = max((len(r) for r in re.findall(r"`{3,}|~{3,}", body)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def _md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return md_text(value, cell=True)


def _stamp(value: Any) -> Markup:
    """An RFC 3339 time for an HTML table cell, allowed to wrap after the date."""
    if value is None:
        return Markup("—")
    text = str(value)
    date, sep, clock = text.partition("T")
    if not sep:
        return escape(text)
    return Markup('<span class="nw">{}T</span><wbr><span class="nw">{}</span>').format(date, clock)


def _wbr(value: Any, after: str = "_") -> Markup:
    """Text for HTML with line-break opportunities after each ``after``."""
    return Markup(after + "<wbr>").join(escape(p) for p in str(value).split(after))


def _num(value: Any) -> str:
    return "—" if value is None else f"{value:,}"


@functools.cache
def environment(autoescape: bool) -> jinja2.Environment:
    """A jinja2 environment over ``report/templates`` (HTML autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conntrack_forensics", "report/templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["rfc3339"] = lambda t: rfc3339(t) or "—"
    env.filters["md"] = _md_cell
    env.filters["mdtext"] = md_text
    env.filters["mdcode"] = md_code
    env.filters["mdcell"] = lambda v: md_code(v, cell=True)
    env.filters["fence"] = md_fence
    env.filters["num"] = _num
    env.filters["ts"] = _stamp
    env.filters["wbr"] = _wbr
    return env
