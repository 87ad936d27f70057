"""The Markdown postmortem, for writeups and tickets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .templating import environment

if TYPE_CHECKING:
    from ..analysis import Analysis


def render_markdown(analysis: Analysis) -> str:
    """The analysis as a Markdown document."""
    return environment(False).get_template("postmortem.md.j2").render(
        a=analysis, data=analysis.to_dict()
    )
