"""An incident's timeline: the events that tell the story, with source links.

Everything that is not a plain message from shortly before the trigger (or the first conntrack
load, or the first drop) to shortly after the recovery; drop lines are summarised by the first
and the last, and the same line seen in two sources is shown once.
"""

from __future__ import annotations

import pandas as pd

from ..events.copies import one_per_event
from ..model import Kind
from .model import Candidate, Recovery, TimelineEntry, ref
from .view import HostView

LEAD = pd.Timedelta(minutes=5)
TAIL = pd.Timedelta(minutes=5)
MAX_ENTRIES = 200


def build(
    view: HostView,
    start: pd.Timestamp,
    end: pd.Timestamp,
    trigger: Candidate | None,
    first_load: pd.Timestamp | None,
    recovery: Recovery | None,
) -> list[TimelineEntry]:
    """The timeline of one incident."""
    ev = view.events
    t0 = min(x for x in (start, trigger.time if trigger else None, first_load) if x is not None)
    t1 = recovery.time if recovery is not None and recovery.time is not None else end
    window = ev.loc[(ev["time"] >= t0 - LEAD) & (ev["time"] <= max(t1, end) + TAIL)]
    story = window.loc[~window["kind"].isin([Kind.MESSAGE.value, Kind.BACKGROUND.value])]
    drops = story.loc[story["kind"] == Kind.CONNTRACK_DROP.value]
    supp = story.loc[story["kind"] == Kind.RATELIMIT_SUPPRESSED.value]
    keep = story.loc[~story["kind"].isin([Kind.CONNTRACK_DROP.value,
                                           Kind.RATELIMIT_SUPPRESSED.value])]
    parts = [keep]
    if len(drops):
        parts.append(drops.iloc[[0, -1]] if len(drops) > 1 else drops)
    if len(supp):
        parts.append(supp.iloc[[0]])
    rows = pd.concat(parts)
    # within one second a command comes before the kernel lines it causes
    rows = rows.assign(_cause=(rows["kind"] != Kind.COMMAND.value).astype(int))
    rows = rows.sort_values(["time", "_cause", "line"], kind="mergesort")
    rows = one_per_event(rows)  # a line several sources hold is listed once
    out = [
        TimelineEntry(
            time=r.time,
            kind=str(r.kind),
            message=_label(r),
            source=ref(r.source, r.line),
            time_quality=str(r.time_quality),
        )
        for r in rows.head(MAX_ENTRIES).itertuples(index=False)
    ]
    return out


def _label(r: object) -> str:
    program = getattr(r, "program", None)
    msg = str(getattr(r, "message", ""))
    kind = getattr(r, "kind", "")
    if kind == Kind.COMMAND.value:
        user = getattr(r, "user", None)
        who = user if isinstance(user, str) else "?"
        return f"{who}$ {msg}"
    if isinstance(program, str) and program and not msg.startswith(f"{program}: "):
        return f"{program}: {msg}"
    return msg
