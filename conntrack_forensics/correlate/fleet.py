"""Across hosts: which dropped at the same time, and conntrack warnings that are not incidents.

A NAT gateway and its backends, or a node pool behind one load balancer, fill their tables
together. :func:`fleet_windows` joins incidents of different hosts whose spans overlap (or
lie less than the gap apart) into one window, so the report can say "web1, web2 and gw1
dropped together from 02:02 to 02:14".

:func:`conntrack_warnings` summarises ``conntrack_warning`` events (``nf_conntrack:
expectation table full``: a helper such as FTP or SIP ran out of expectation slots) per host
and message; they are reported, never counted as table-full incidents.

Example:
    >>> import conntrack_forensics as cf
    >>> a = cf.analyze("sample_logs/k8s-node-capacity")
    >>> fleet_windows(a.incidents, 300)
    []
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..model import Kind
from ..parsers.classify import UPTIME_PREFIX
from ..times import rfc3339
from .incidents import per_second
from .model import Incident, ref


@dataclass
class FleetWindow:
    """Incidents of several hosts that overlap in time."""

    start: pd.Timestamp
    end: pd.Timestamp
    hosts: list[str]
    incidents: list[str]
    drops_logged: int
    drops_suppressed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"start": rfc3339(self.start), "end": rfc3339(self.end), "hosts": self.hosts,
                "incidents": self.incidents, "drops_logged": self.drops_logged,
                "drops_suppressed": self.drops_suppressed}


@dataclass
class ConntrackWarning:
    """A conntrack complaint that is not a table-full drop, summed per host and message."""

    host: str | None
    message: str
    count: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"host": self.host, "message": self.message, "count": self.count,
                "first": rfc3339(self.first), "last": rfc3339(self.last),
                "sources": self.sources}


def fleet_windows(incidents: Sequence[Incident], gap: float) -> list[FleetWindow]:
    """Windows in which incidents of two or more hosts overlap (or are less than ``gap`` apart).

    Windows are sorted by start; a window of one host is not a fleet event and is left out.
    """
    margin = pd.Timedelta(seconds=gap)
    groups: list[list[Incident]] = []
    end: pd.Timestamp | None = None
    for inc in sorted(incidents, key=lambda i: (i.start, i.host)):
        if groups and end is not None and inc.start <= end + margin:
            groups[-1].append(inc)
            end = max(end, inc.end)
        else:
            groups.append([inc])
            end = inc.end
    out: list[FleetWindow] = []
    for group in groups:
        hosts = sorted({i.host for i in group})
        if len(hosts) < 2:
            continue
        out.append(FleetWindow(
            start=min(i.start for i in group),
            end=max(i.end for i in group),
            hosts=hosts,
            incidents=[i.id for i in group],
            drops_logged=sum(i.drops_logged for i in group),
            drops_suppressed=sum(i.drops_suppressed for i in group),
        ))
    return out


def conntrack_warnings(events: pd.DataFrame) -> list[ConntrackWarning]:
    """``conntrack_warning`` events summed per host and message.

    Duplicates across sources of one host in the same second count once, as drops do.
    """
    rows = events.loc[events["kind"] == Kind.CONNTRACK_WARNING.value]
    if rows.empty:
        return []
    rows = rows.assign(
        _text=rows["message"].str.replace(UPTIME_PREFIX, "", regex=True),
        _host=rows["host"].fillna(""),
    )
    out: list[ConntrackWarning] = []
    for (host, text), grp in rows.groupby(["_host", "_text"], sort=True, dropna=False):
        count = int(per_second(grp).sum())
        times = grp["time"].dropna()
        firsts = grp.drop_duplicates(subset=["source"])
        out.append(ConntrackWarning(
            host=str(host) or None,
            message=str(text),
            count=count,
            first=times.min() if len(times) else None,
            last=times.max() if len(times) else None,
            sources=[ref(r.source, r.line) for r in firsts.itertuples(index=False)],
        ))
    return out
