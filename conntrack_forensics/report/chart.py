"""Charts of drops over time, drawn with matplotlib (Agg), embedded as inline SVG.

Labels carry evidence text (a trigger command, a host, a module name), which is never
matplotlib math text: ``$2_$`` in a command is shown as typed, not parsed (every text of a
chart is made with matplotlib's ``text.parse_math`` off).
"""

from __future__ import annotations

import io
import re
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
        for text in ax.legend(fontsize="small").get_texts():
            text.set_parse_math(False)
    ax.figure.autofmt_xdate()
    return ax


def incident_svg(incident: Incident) -> str:
    """A self-contained SVG chart of one incident (deterministic output).

    Logged drops per second, with the trigger, the module loads, the boots and the recovery
    marked by vertical lines and named in a legend; marks too far from the drops to fit (a
    boot-time module load days earlier) are named in the legend with an arrow instead. Element
    ids are prefixed per incident, so several charts can share one page; the same incident
    gives the same bytes.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    # the rc stays in force while the figure is built and drawn: ticks are made when drawn
    with matplotlib.rc_context({"text.parse_math": False, "svg.hashsalt": incident.id,
                                "svg.fonttype": "none"}):
        return _incident_svg(incident)


def _incident_svg(incident: Incident) -> str:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    marks = _incident_marks(incident)
    lo, hi, shown, off = _chart_range(incident, marks)
    fig = Figure(figsize=(9, 3.0), dpi=96)
    ax = fig.add_subplot(1, 1, 1)
    _draw_drop_bars(ax, incident)
    for style_key, group in _group_marks(shown):
        style = _MARK_STYLES[style_key]
        for n, (t, _label) in enumerate(group):
            ax.axvline(_naive(t), color=style["color"], linestyle=style["linestyle"],
                       linewidth=style["linewidth"], zorder=3,
                       label=_legend_label(style_key, group) if n == 0 else None)
    for t0, t1, label in _trigger_spans(incident, lo, hi):
        ax.axvspan(_naive(t0), _naive(t1), color=_MARK_STYLES["trigger"]["color"], alpha=0.12,
                   zorder=1, label=label)
    ax.set_xlim(_naive(lo), _naive(hi))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("drops logged / s")
    ax.set_xlabel(f"time (UTC), {lo.strftime('%Y-%m-%d')}"
                  + (f" to {hi.strftime('%Y-%m-%d')}" if hi.date() != lo.date() else ""))
    _format_time_axis(ax, (hi - lo).total_seconds())
    ax.grid(axis="y", color="#d0d7de", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{incident.host}: conntrack drops logged per second", fontsize="medium",
                 loc="left")
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda k: labels[k] != _BARS)
    handles, labels = [handles[k] for k in order], [labels[k] for k in order]
    for side, note in off:
        handles.append(Line2D([], [], color="#57606a", linestyle="none",
                              marker="<" if side == "before" else ">", markersize=5))
        labels.append(note)
    longest = max((len(x) for x in labels), default=0)
    ncol = 1 if longest > 60 else 2 if longest > 38 else 3
    if handles:
        fig.legend(handles, labels, loc="lower left", ncol=ncol, fontsize="small",
                   frameon=False, bbox_to_anchor=(0.06, 0.0))
    rows = -(-len(handles) // ncol)
    fig.set_size_inches(9, 2.6 + 0.22 * rows)
    fig.tight_layout(rect=(0, (0.22 * rows + 0.05) / (2.6 + 0.22 * rows), 1, 1))
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return _prefix_ids(text[text.index("<svg"):], incident.id)


def _prefix_ids(svg: str, key: str) -> str:
    """Make the SVG's element ids unique to this chart, so charts can share one page."""
    prefix = "c-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key)
    svg = re.sub(r'\bid="', f'id="{prefix}-', svg)
    svg = re.sub(r'(\b(?:xlink:)?href="#)', rf"\g<1>{prefix}-", svg)
    return re.sub(r"url\(#", f"url(#{prefix}-", svg)


#: Line styles of the marks on an incident chart.
_MARK_STYLES: dict[str, dict[str, Any]] = {
    "trigger": {"color": "#cf222e", "linestyle": "--", "linewidth": 1.6},
    "module_load": {"color": "#8250df", "linestyle": ":", "linewidth": 1.6},
    "boot": {"color": "#57606a", "linestyle": "-", "linewidth": 1.2},
    "recovery": {"color": "#1a7f37", "linestyle": "-.", "linewidth": 1.8},
}
_BARS = "drops logged per second"
#: Marks within this much of the drops (or of the incident's length) widen the chart.
_MARK_REACH = pd.Timedelta(minutes=10)


def _naive(t: pd.Timestamp) -> Any:
    return pd.Timestamp(t).tz_convert("UTC").tz_localize(None).floor("us").to_pydatetime()


def _clock(t: pd.Timestamp) -> str:
    return pd.Timestamp(t).tz_convert("UTC").strftime("%H:%M:%S")


def _incident_marks(incident: Incident) -> list[tuple[str, pd.Timestamp, str]]:
    """``(kind, time, label)`` of the trigger, module loads, boots and the recovery."""
    marks: list[tuple[str, pd.Timestamp, str]] = []
    trig = incident.trigger
    if trig is not None and trig.time is not None:
        marks.append(("trigger", trig.time, trig.command))
    seen: set[tuple[str | None, pd.Timestamp]] = set()
    for m in incident.module_loads:
        if m.time is None or (m.module, m.time.floor("min")) in seen:
            continue
        seen.add((m.module, m.time.floor("min")))
        marks.append(("module_load", m.time, m.module or "a module"))
    boots: list[pd.Timestamp] = []
    for e in incident.timeline:
        if e.kind == "boot" and e.time is not None:
            if all(abs((e.time - b).total_seconds()) > 120 for b in boots):
                boots.append(e.time)
                marks.append(("boot", e.time, "boot"))
    rec = incident.recovery
    if rec is not None and rec.time is not None:
        marks.append(("recovery", rec.time, rec.kind))
    return sorted(marks, key=lambda m: (m[1], m[0]))


def _chart_range(
    incident: Incident, marks: list[tuple[str, pd.Timestamp, str]]
) -> tuple[pd.Timestamp, pd.Timestamp, list[tuple[str, pd.Timestamp, str]],
           list[tuple[str, str]]]:
    """The time range to draw, the marks inside it, and ``(side, note)`` for those outside."""
    reach = max(_MARK_REACH, incident.end - incident.start)
    lo, hi = incident.start, incident.end
    shown: list[tuple[str, pd.Timestamp, str]] = []
    outside: dict[tuple[str, str], list[tuple[pd.Timestamp, str]]] = {}
    for kind, t, label in marks:
        if incident.start - reach <= t <= incident.end + reach:
            shown.append((kind, t, label))
            lo, hi = min(lo, t), max(hi, t)
        else:
            side = "before" if t < incident.start else "after"
            outside.setdefault((side, kind), []).append((t, label))
    notes: list[tuple[str, str]] = []
    for (side, kind), group in sorted(outside.items(), key=lambda kv: (kv[0][0] == "after",
                                                                         list(_MARK_STYLES)
                                                                         .index(kv[0][1]))):
        t = max(x for x, _l in group) if side == "before" else min(x for x, _l in group)
        delta = (incident.start - t) if side == "before" else (t - incident.end)
        hours = delta.total_seconds() / 3600
        span = f"{hours:.1f} h" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} min"
        names = ", ".join(dict.fromkeys(lbl for _x, lbl in group))
        what = {"trigger": "trigger", "module_load": f"module loads: {names}",
                "boot": "boot", "recovery": f"recovery: {names}"}[kind]
        where = "before the first drop" if side == "before" else "after the last drop"
        notes.append((side, f"{what} ({t.tz_convert('UTC').strftime('%Y-%m-%d %H:%M')}, "
                            f"{span} {where})"))
    pad = max(pd.Timedelta(seconds=2), (hi - lo) * 0.03)
    return lo - pad, hi + pad, shown, notes


def _group_marks(
    marks: list[tuple[str, pd.Timestamp, str]]
) -> list[tuple[str, list[tuple[pd.Timestamp, str]]]]:
    out: list[tuple[str, list[tuple[pd.Timestamp, str]]]] = []
    for key in _MARK_STYLES:
        group = [(t, label) for kind, t, label in marks if kind == key]
        if group:
            out.append((key, group))
    return out


def _legend_label(kind: str, group: list[tuple[pd.Timestamp, str]]) -> str:
    t, label = group[0]
    if kind == "trigger":
        command = label if len(label) <= 40 else label[:39] + "…"
        return f"trigger: {command} ({_clock(t)})"
    if kind == "module_load":
        names = list(dict.fromkeys(lbl for _t, lbl in group))
        listed = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        return f"module load{'s' if len(group) > 1 else ''}: {listed}"
    if kind == "boot":
        return "boot (" + ", ".join(_clock(x) for x, _l in group[:3]) + ")"
    return f"recovery: {label} ({_clock(t)})"


def _trigger_spans(
    incident: Incident, lo: pd.Timestamp, hi: pd.Timestamp
) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    """The bounds of an untimed trigger, where they overlap the chart."""
    trig = incident.trigger
    if trig is None or trig.time is not None:
        return []
    a = trig.not_before if trig.not_before is not None else lo
    b = trig.not_after if trig.not_after is not None else hi
    a, b = max(a, lo), min(b, hi)
    if a >= b:
        return []
    return [(a, b, "trigger: untimed, within these bounds")]


def _draw_drop_bars(ax: Any, incident: Incident) -> None:
    s = incident.drops_per_second
    if len(s):
        x = pd.DatetimeIndex(s.index).tz_convert("UTC").tz_localize(None)
        ax.bar(x, s.to_numpy(), width=1 / 86400, align="edge", color="#0969da",
               label=_BARS, zorder=2)


def _format_time_axis(ax: Any, seconds: float) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    fmt = "%H:%M:%S" if seconds < 2 * 86400 else "%m-%d %H:%M"
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))  # type: ignore[no-untyped-call]
