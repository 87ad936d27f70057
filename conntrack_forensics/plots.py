"""Plots for notebooks: drops per host over time, and what happened on a host, kind by kind.

Each function draws on a matplotlib ``Axes`` (on a new figure when ``ax`` is ``None``) and
returns it; none calls ``plt.show``. Times are drawn as UTC on matplotlib's date axis, the same
axis :func:`plot_drops` uses, so the three can share an x axis
(``plt.subplots(3, sharex=True)``). Host names and other evidence text in titles and tick labels
are shown as they are, never parsed as matplotlib math text (``parse_math=False``).

Example:
    >>> import conntrack_forensics as cf
    >>> analysis = cf.analyze("sample_logs/bogon-nat-listing")
    >>> plot_host_heatmap(analysis).get_title()
    'conntrack drops logged per 1min'
    >>> [t.get_text() for t in plot_event_strip(analysis, kinds=["command", "boot"])
    ...  .get_yticklabels()]
    ['command', 'boot']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .correlate.incidents import per_second
from .correlate.view import UNKNOWN_HOST
from .model import KINDS, Kind
from .report.chart import plot_drops

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["KIND_COLORS", "MAX_BINS", "drops_per_bin", "plot_drops", "plot_event_strip",
           "plot_host_heatmap"]

#: One colour per event kind, the same in every plot (matplotlib's tab10/tab20 colours).
KIND_COLORS: dict[str, str] = {
    Kind.BOOT.value: "#ff7f0e",
    Kind.SHUTDOWN.value: "#bcbd22",
    Kind.LOGIN.value: "#aec7e8",
    Kind.COMMAND.value: "#1f77b4",
    Kind.SERVICE.value: "#17becf",
    Kind.SYSCTL.value: "#2ca02c",
    Kind.MODULE_LOAD.value: "#9467bd",
    Kind.CONNTRACK_DROP.value: "#d62728",
    Kind.RATELIMIT_SUPPRESSED.value: "#ff9896",
    Kind.CONNTRACK_WARNING.value: "#e377c2",
    Kind.SNAPSHOT.value: "#8c564b",
    Kind.MESSAGE.value: "#7f7f7f",
    Kind.BACKGROUND.value: "#c7c7c7",
}
#: Kinds the strip leaves out unless asked for: ordinary lines, alone or counted.
_QUIET = frozenset({Kind.MESSAGE.value, Kind.BACKGROUND.value})
#: Row order of the event strip, top to bottom: the story of an incident.
STRIP_ORDER: tuple[str, ...] = tuple(KIND_COLORS)
#: The most time bins a heatmap draws; past it, a coarser ``freq`` or ``start``/``end`` is needed.
MAX_BINS = 5000

TimeArg = str | pd.Timestamp | None


def _events(events_or_analysis: Any) -> pd.DataFrame:
    """The events frame of an ``Analysis`` or ``LoadResult``, or the frame itself."""
    events = getattr(events_or_analysis, "events", events_or_analysis)
    if not isinstance(events, pd.DataFrame):
        raise TypeError("expected an events DataFrame, an Analysis or a LoadResult, not "
                        f"{type(events_or_analysis).__name__}")
    return events


def _utc(t: TimeArg) -> pd.Timestamp | None:
    """A bound given as text or a timestamp, in UTC (naive times are taken as UTC)."""
    if t is None:
        return None
    ts = pd.Timestamp(t)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _step(freq: str) -> pd.Timedelta:
    try:
        step = pd.Timedelta(freq)
    except ValueError:
        step = pd.NaT
    if pd.isna(step) or step <= pd.Timedelta(0):
        raise ValueError(f"freq must be a fixed positive duration such as '10s', '1min', "
                         f"'1h' or '1D', not {freq!r}")
    return step


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _fig, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _date_axis(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_xlabel("time (UTC)")


def _num(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """UTC times as matplotlib date numbers (what :func:`plot_drops` draws on)."""
    import matplotlib.dates as mdates

    naive = pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None)
    days = mdates.date2num(naive.to_pydatetime())  # type: ignore[no-untyped-call]
    return np.asarray(days, dtype="float64")


def drops_per_bin(
    events_or_analysis: Any,
    freq: str = "1min",
    *,
    start: TimeArg = None,
    end: TimeArg = None,
    max_bins: int = MAX_BINS,
) -> pd.DataFrame:
    """Logged drops per host (rows) and time bin (columns): the numbers the heatmap draws.

    Drops are counted as incidents count them (CONTRACT section 5): per host and second the
    largest count any one source shows, ``last message repeated N times`` included, then
    summed per bin. Every host of the events has a row, in name order (drops of events with
    no host go to ``unknown``); columns are the bins' starts (UTC) from the first drop's bin
    to the last one's, or from ``start`` to ``end`` when given. Drops without a time are left
    out.

    Args:
        events_or_analysis: an events DataFrame, an ``Analysis`` or a ``LoadResult``.
        freq: bin width, a fixed duration (``"10s"``, ``"1min"``, ``"1h"``, ``"1D"``).
        start: first time shown (text such as ``"2017-04-26T16:00Z"`` or a Timestamp).
        end: time shown up to (excluded).
        max_bins: refuse (``ValueError``) to build more bins than this.

    Example:
        >>> import conntrack_forensics as cf
        >>> analysis = cf.analyze("sample_logs/bogon-nat-listing")
        >>> m = drops_per_bin(analysis, "1min")
        >>> int(m.to_numpy().sum()) == analysis.incidents[0].drops_logged
        True
    """
    events = _events(events_or_analysis)
    step = _step(freq)
    lo, hi = _utc(start), _utc(end)
    hosts = events["host"].astype("string").fillna(UNKNOWN_HOST)
    drops = events.loc[(events["kind"] == Kind.CONNTRACK_DROP.value) & events["time"].notna()]
    if lo is not None:
        drops = drops.loc[drops["time"] >= lo]
    if hi is not None:
        drops = drops.loc[drops["time"] < hi]
    rows = sorted({str(h) for h in events["host"].dropna().unique()}
                  | {str(h) for h in hosts.loc[drops.index].unique()})
    per_host: dict[str, pd.Series] = {}
    for host, grp in drops.groupby(hosts.loc[drops.index], sort=True):
        dps = per_second(grp)
        per_host[str(host)] = dps.groupby(pd.DatetimeIndex(dps.index).floor(step)).sum()
    firsts = [s.index.min() for s in per_host.values() if len(s)]
    lasts = [s.index.max() for s in per_host.values() if len(s)]
    first = lo.floor(step) if lo is not None else (min(firsts) if firsts else None)
    last = (hi - pd.Timedelta(1, "ns")).floor(step) if hi is not None else \
        (max(lasts) if lasts else None)
    if first is None or last is None or last < first:
        bins = pd.DatetimeIndex([], tz="UTC")
    else:
        n = int((last - first) / step) + 1
        if n > max_bins:
            raise ValueError(f"{n:,} bins of {freq} from {first} to {last}: pass a coarser "
                             f"freq, start/end, or a larger max_bins (now {max_bins:,})")
        bins = pd.date_range(first, periods=n, freq=step)
    frame = pd.DataFrame(0, index=pd.Index(rows, name="host"), columns=bins, dtype="int64")
    for host, series in per_host.items():
        series = series.loc[series.index.isin(bins)]
        frame.loc[host, series.index] = series.to_numpy()
    frame.columns.name = "time"
    return frame


def plot_host_heatmap(
    events_or_analysis: Any,
    freq: str = "1min",
    ax: Axes | None = None,
    *,
    start: TimeArg = None,
    end: TimeArg = None,
    log: bool = False,
    cmap: str = "YlOrRd",
    colorbar: bool = True,
    max_bins: int = MAX_BINS,
) -> Axes:
    """Hosts × time bins, coloured by the drops logged in each bin (blank: none).

    The counts are :func:`drops_per_bin`'s, deduplicated across sources like the incidents'
    ``drops_logged``; one row per host of the events, so hosts that did not drop show too.

    Args:
        events_or_analysis: an events DataFrame, an ``Analysis`` or a ``LoadResult``.
        freq: bin width, a fixed duration (``"10s"``, ``"1min"``, ``"1h"``, ``"1D"``).
        ax: the axes to draw on; a new figure when ``None``.
        start: first time shown (text or a Timestamp; UTC when naive).
        end: time shown up to, excluded.
        log: colour on a logarithmic scale (bursts of very different sizes).
        cmap: a matplotlib colour map name.
        colorbar: add a colour bar labelled "drops logged".
        max_bins: refuse (``ValueError``) to draw more bins than this.

    Example:
        >>> import conntrack_forensics as cf
        >>> ax = plot_host_heatmap(cf.analyze("sample_logs/bogon-nat-listing"), freq="10s")
        >>> ax.get_title(), ax.get_ylabel(), [t.get_text() for t in ax.get_yticklabels()]
        ('conntrack drops logged per 10s', 'host', ['bogon'])
    """
    matrix = drops_per_bin(events_or_analysis, freq, start=start, end=end, max_bins=max_bins)
    ax = _axes(ax, (9, 1.2 + 0.4 * max(len(matrix), 1)))
    step = _step(freq)
    values = matrix.to_numpy()
    bins = pd.DatetimeIndex(matrix.columns)
    if values.size and values.max() > 0:
        from matplotlib.colors import LogNorm, Normalize

        edges = _num(bins.append(pd.DatetimeIndex([bins[-1] + step])))
        data = np.ma.masked_equal(values, 0)
        norm = LogNorm(vmin=1, vmax=values.max()) if log else Normalize(vmin=0, vmax=values.max())
        mesh = ax.pcolormesh(edges, np.arange(len(matrix) + 1), data, cmap=cmap, norm=norm,
                             shading="flat")
        if colorbar:
            ax.figure.colorbar(mesh, ax=ax, label="drops logged", pad=0.01)
    elif len(bins):
        edges = _num(pd.DatetimeIndex([bins[0], bins[-1] + step]))
        ax.set_xlim(float(edges[0]), float(edges[-1]))
    ax.set_yticks(np.arange(len(matrix)) + 0.5, labels=[str(h) for h in matrix.index],
                  parse_math=False)
    ax.set_ylim(len(matrix), 0)
    ax.set_ylabel("host")
    ax.set_title(f"conntrack drops logged per {freq}", parse_math=False)
    if len(matrix.columns):
        _date_axis(ax)
    else:
        ax.set_xlabel("time (UTC)")
    return ax


def plot_event_strip(
    events: Any,
    host: str | None = None,
    kinds: Sequence[str] | None = None,
    ax: Axes | None = None,
    *,
    start: TimeArg = None,
    end: TimeArg = None,
) -> Axes:
    """One row per event kind, a tick per event at its time, coloured by :data:`KIND_COLORS`.

    Without ``kinds``, every kind present except plain ``message`` and ``background`` is
    drawn, in the order of an incident's story (boot, login, command, service, sysctl,
    module_load, drops, snapshot); with ``kinds``, exactly those rows in that order, empty
    ones included. Events without a time (an untimestamped history) have no place on the
    axis and are left out.

    Args:
        events: an events DataFrame, an ``Analysis`` or a ``LoadResult``.
        host: only this host's events; all hosts when ``None``.
        kinds: the kinds to draw (``Kind`` values), top to bottom.
        ax: the axes to draw on; a new figure when ``None``.
        start: first time shown (text or a Timestamp; UTC when naive).
        end: time shown up to, excluded.

    Example:
        >>> import conntrack_forensics as cf
        >>> ax = plot_event_strip(cf.analyze("sample_logs/bogon-nat-listing"), host="bogon")
        >>> ax.get_title()
        'events on bogon'
        >>> [t.get_text() for t in ax.get_yticklabels()][:3]
        ['boot', 'shutdown', 'login']
    """
    ev = _events(events)
    if kinds is not None:
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown event kind(s) {', '.join(map(str, unknown))}: choose "
                             f"from {', '.join(KINDS)}")
    if host is not None:
        ev = ev.loc[ev["host"] == host]
    ev = ev.loc[ev["time"].notna()]
    lo, hi = _utc(start), _utc(end)
    if lo is not None:
        ev = ev.loc[ev["time"] >= lo]
    if hi is not None:
        ev = ev.loc[ev["time"] < hi]
    present = set(ev["kind"].astype(str).unique())
    rows = list(kinds) if kinds is not None else [
        k for k in STRIP_ORDER if k in present and k not in _QUIET]
    ax = _axes(ax, (9, 1.2 + 0.35 * max(len(rows), 1)))
    kind_col = ev["kind"].astype(str)
    positions = [_num(ev.loc[kind_col == k, "time"]) for k in rows]
    if rows and any(len(p) for p in positions):
        ax.eventplot(positions, lineoffsets=[float(i) for i in range(len(rows))], linelengths=0.7,
                     linewidths=1.0, colors=[KIND_COLORS[k] for k in rows])
        _date_axis(ax)
    else:
        ax.set_xlabel("time (UTC)")
    ax.set_yticks(np.arange(len(rows)), labels=rows, parse_math=False)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_ylabel("kind")
    hosts = ev["host"].dropna().nunique()
    where = host if host is not None else (
        str(ev["host"].dropna().iloc[0]) if hosts == 1 else f"{hosts} hosts")
    ax.set_title(f"events on {where}", parse_math=False)
    return ax
