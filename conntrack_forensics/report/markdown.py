"""The Markdown postmortem, for writeups and tickets (CommonMark with GFM tables)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .templating import environment

if TYPE_CHECKING:
    from .subject import Analyzed

_FENCE = re.compile(r"^(`{3,}|~{3,})")
_BLOCK = re.compile(r"^(#{1,6} |\| |- |\d+\. |`{3,}|~{3,})")


def render_markdown(analysis: Analyzed) -> str:
    """The analysis as a Markdown document."""
    from .postmortem import build

    text = environment(False).get_template("postmortem.md.j2").render(pm=build(analysis))
    return tidy(text)


def tidy(text: str) -> str:
    """One blank line between blocks: before each heading and after each table or list.

    Lines inside fenced code blocks are left alone.
    """
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        if fence is not None:
            out.append(line)
            if line.startswith(fence) and line.strip() == line.strip()[0] * len(line.strip()):
                fence = None
            continue
        m = _FENCE.match(line)
        blank = not line.strip()
        if blank:
            if out and out[-1] == "":
                continue
            out.append("")
            continue
        if out and out[-1] != "":
            prev = out[-1]
            heading = line.startswith("#")
            leaves = (prev.startswith("|") and not line.startswith("|")) or (
                prev.startswith("#"))
            if heading or leaves or (m and not _BLOCK.match(prev)):
                out.append("")
        out.append(line)
        if m:
            fence = m.group(1)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out).lstrip("\n") + "\n"
