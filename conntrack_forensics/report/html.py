"""The self-contained HTML postmortem (inline CSS and SVG chart, no script, no network)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from .templating import environment

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..correlate.model import Incident


def render_html(analysis: Analysis) -> str:
    """The full HTML postmortem."""
    from .chart import incident_svg
    from .postmortem import build

    charts = {inc.id: Markup(incident_svg(inc)) for inc in analysis.incidents}
    return environment(True).get_template("postmortem.html.j2").render(
        pm=build(analysis), charts=charts
    )


def render_summary(analysis: Analysis) -> str:
    """A compact HTML summary for notebooks."""
    return environment(True).get_template("summary.html.j2").render(
        a=analysis, data=analysis.to_dict()
    )


def render_incident_card(incident: Incident) -> str:
    """One incident as a compact HTML card for notebooks."""
    return environment(True).get_template("incident_card.html.j2").render(
        inc=incident.to_dict()
    )
