"""The self-contained HTML postmortem (inline CSS and SVG chart, no script, no network)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from .templating import environment

if TYPE_CHECKING:
    from .subject import Analyzed


def render_html(analysis: Analyzed) -> str:
    """The full HTML postmortem."""
    from .chart import incident_svg
    from .postmortem import build

    charts = {inc.id: Markup(incident_svg(inc)) for inc in analysis.incidents}
    return environment(True).get_template("postmortem.html.j2").render(
        pm=build(analysis), charts=charts
    )
