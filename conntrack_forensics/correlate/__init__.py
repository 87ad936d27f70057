"""The correlator: from an events table to explained incidents.

In: the events table (CONTRACT section 3).
Out: :class:`.Incident` objects, one per burst of "table full" drops on one host, with counts,
table size, ranked trigger candidates, cause, recovery, recommendations and timeline.

Bursts and counts in :mod:`.incidents`, triggers in :mod:`.triggers` (rules in
:mod:`.knowledge`), cause and recovery in :mod:`.outcome`, advice in :mod:`.remedies`, the
story in :mod:`.timeline`; hosts that dropped together in :mod:`.fleet`.

Example:
    >>> from conntrack_forensics import load
    >>> from conntrack_forensics.correlate import correlate
    >>> incidents = correlate(load("sample_logs/bogon-nat-listing").events)
    >>> incidents[0].cause
    'module_autoload'
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from ..events.copies import SAME_LOAD, one_per_event
from ..model import Kind
from ..parsers.classify import CONNTRACK_MODULES
from . import outcome, remedies, timeline, triggers
from .explain import explanation
from .identity import Identities
from .incidents import bursts, count, table_fill, table_size
from .model import (
    Candidate,
    Incident,
    ModuleLoad,
    Recommendation,
    Recovery,
    TimelineEntry,
    evidence_text,
    ref,
)
from .reload import CONFIG_PROGRAMS
from .view import HostView, host_views

DEFAULT_GAP = 300


def correlate(
    events: pd.DataFrame, gap: float = DEFAULT_GAP, host: str | None = None
) -> list[Incident]:
    """Find and explain every incident, sorted by start time then host.

    Args:
        events: the events table from :func:`conntrack_forensics.load`.
        gap: longest quiet spell, in seconds, inside one incident.
        host: only this host's incidents.
    """
    # untimed commands (history without timestamps) and configuration files (what a
    # ``sysctl -p`` applied, :mod:`.reload`) are kept beside the timed events
    timed = events.loc[events["time"].notna() | (events["kind"] == Kind.COMMAND.value)
                       | events["program"].isin(CONFIG_PROGRAMS).fillna(False)]
    out: list[Incident] = []
    for name, view in host_views(timed).items():
        if host is not None and name != host:
            continue
        ids = Identities.from_events(events.loc[events["host"] == name])
        for burst in bursts(view, gap):
            out.append(_explain(view, burst, gap, ids))
    out.sort(key=lambda i: (i.start, i.host))
    return out


def _explain(view: HostView, burst: pd.DataFrame, gap: float, ids: Identities) -> Incident:
    # an incident starts and ends on drop lines, each timed by its earliest copy (kern.log
    # stamps the journal's 10:00:00.998 as :01); its summaries only add to the counts
    counts = count(burst)
    start, end = counts.first_drop, counts.last_drop
    cmax, buckets = table_size(view, start)
    fill, fill_time, fill_source = table_fill(view, start, end)
    kernel = view.kernel_version(start)
    ev = view.events
    boot = view.boot_start(start)
    loads = ev.loc[(ev["kind"] == Kind.MODULE_LOAD.value) & (ev["time"] <= end)
                   & ((ev["time"] >= boot) if boot is not None else True)]
    module_loads = [
        ModuleLoad(r.time, r.module if isinstance(r.module, str) else None,
                   ref(r.source, r.line), evidence_text(r))
        for r in cast(Any, _one_per_load(loads)).itertuples(index=False)
    ]
    candidates = triggers.rank(view, start, ids)
    trigger = triggers.pick_trigger(candidates)
    cause, cause_reasons = outcome.cause(view, start, trigger)
    recovery = outcome.recovery(view, start, end, gap, cmax)
    ct_loads = loads.loc[loads["module"].isin(CONNTRACK_MODULES)]
    first_load = ct_loads["time"].iloc[0] if len(ct_loads) else None
    began = first_load if first_load is not None else (trigger.time if trigger else None)
    fill_seconds = (start - began).total_seconds() \
        if began is not None and cause == "module_autoload" else None
    why = explanation(cause, kernel, trigger.command if trigger else None,
                      trigger.rule if trigger else None,
                      [m.module for m in module_loads if m.module],
                      cmax, fill_seconds=fill_seconds)
    return Incident(
        host=view.host,
        start=start,
        end=end,
        drops_logged=counts.drops_logged,
        drops_suppressed=counts.drops_suppressed,
        suppressed_reasons=counts.suppressed_reasons,
        peak_drops_per_second=counts.peak_per_second,
        peak_drops_per_minute=counts.peak_per_minute,
        conntrack_max=cmax,
        conntrack_buckets=buckets,
        conntrack_count=fill,
        conntrack_count_time=fill_time,
        conntrack_count_source=fill_source,
        kernel=kernel,
        explanation=why,
        module_loads=module_loads,
        trigger=trigger,
        candidates=candidates,
        cause=cause,
        cause_reasons=cause_reasons,
        recovery=recovery,
        recommendations=remedies.recommend(cause, cmax, buckets, kernel, peak_count=fill,
                                           firewall=view.firewall()),
        timeline=timeline.build(view, start, end, trigger, first_load, recovery),
        drops_per_second=counts.drops_per_second,
    )





def _one_per_load(loads: pd.DataFrame) -> pd.DataFrame:
    """One row per module load, timed by its earliest copy.

    The same line in several sources within :data:`SAME_LOAD` is one load
    (:func:`..events.copies.one_per_event`): a syslog daemon that started late stamps a boot's
    lines late; the kernel's own ring does not. Two loads in one source stay two.
    """
    return one_per_event(loads.sort_values("time", kind="mergesort"), SAME_LOAD)


__all__ = [
    "Candidate",
    "Incident",
    "ModuleLoad",
    "Recommendation",
    "Recovery",
    "TimelineEntry",
    "correlate",
]
