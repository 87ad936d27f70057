"""Charts of drops over time, drawn with matplotlib (Agg), embedded as inline SVG."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from ..correlate.model import Incident


def plot_drops(incidents: Sequence[Incident], ax: Any = None) -> Any:
    """Plot logged drops per second of each incident; returns the axis."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    if ax is None:
        _fig, ax = plt.subplots(figsize=(9, 3))
    for inc in incidents:
        s = inc.drops_per_second
        if len(s):
            x = pd.DatetimeIndex(s.index).tz_convert("UTC").tz_localize(None)
            ax.bar(x, s.to_numpy(), width=1 / 86400, align="edge", label=inc.id)
    ax.set_ylabel("drops logged per second")
    ax.set_xlabel("time (UTC)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M:%S"))  # type: ignore[no-untyped-call]
    if len(incidents) > 1:
        ax.legend(fontsize="small")
    ax.figure.autofmt_xdate()
    return ax


def incident_svg(incident: Incident) -> str:
    """A self-contained SVG chart of one incident (deterministic output)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 2.8), dpi=96)
    ax = fig.add_subplot(1, 1, 1)
    plot_drops([incident], ax=ax)
    ax.set_title(f"{incident.host}: logged conntrack drops per second", fontsize="medium")
    fig.tight_layout()
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": incident.id, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]
