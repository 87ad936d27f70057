"""Find incidents and count them (CONTRACT section 5).

An incident is a run of ``conntrack_drop`` lines on one host with no gap longer than ``gap``
seconds; ``callbacks suppressed`` summaries between its drops (or conntrack's own up to one
ratelimit interval after the last) are counted with it, never start or extend it. The same
kernel message reaching several sources (dmesg, kern.log, messages, journal) counts once: its
copies are matched one to one by text within a tolerance (:mod:`..events.copies`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..events.copies import one_per_event
from ..model import Kind
from .knowledge import size_set
from .model import ref
from .view import FILL_WINDOW, HostView

#: The kernel's default ratelimit interval (``DEFAULT_RATELIMIT_INTERVAL``, 5 s): a conntrack
#: summary printed up to this long after the last drop may still be the burst's.
RATELIMIT_INTERVAL = pd.Timedelta(seconds=5)
#: A summary that names conntrack as its caller (``nf_conntrack: N callbacks suppressed``).
_CONNTRACK_SUMMARY = re.compile(r"\b(?:nf|ip)_conntrack:\s*\d+ callbacks suppressed")


def bursts(view: HostView, gap: float) -> Iterator[pd.DataFrame]:
    """Runs of drop lines on a host separated by more than ``gap`` seconds, with their summaries.

    Only ``conntrack_drop`` lines start, end and chain a run: ``callbacks suppressed`` summaries
    come from every subsystem that rate-limits (martian sources, TCP, ...). A summary joins a
    run when it sits between its first and last drop (the kernel prints it just before the next
    message of its ratelimit state), or, when it names conntrack as its caller, up to
    :data:`RATELIMIT_INTERVAL` after the last drop. Summaries outside are left out; the frame's
    ``attrs["suppressed_left_out"]`` holds those near the run (within ``gap``), for the report.
    """
    ev = view.events
    timed = ev.loc[ev["time"].notna()]
    drops = timed.loc[timed["kind"] == Kind.CONNTRACK_DROP.value]
    if drops.empty:
        return
    drops = drops.sort_values("time", kind="mergesort")
    supp = timed.loc[timed["kind"] == Kind.RATELIMIT_SUPPRESSED.value]
    named = supp["message"].fillna("").astype(str).str.contains(_CONNTRACK_SUMMARY, regex=True)
    ns = drops["time"].astype("int64").to_numpy()
    run = np.concatenate([[0], np.cumsum(np.diff(ns) > gap * 1e9)])
    for _, grp in drops.groupby(run, sort=True):
        first, last = grp["time"].iloc[0], grp["time"].iloc[-1]
        inside = (supp["time"] >= first) & (supp["time"] <= last)
        tail = named & (supp["time"] > last) & (supp["time"] <= last + RATELIMIT_INTERVAL)
        near = (supp["time"] >= first - pd.Timedelta(seconds=gap)) \
            & (supp["time"] <= last + pd.Timedelta(seconds=gap))
        out = pd.concat([grp, supp.loc[inside | tail]]).sort_values("time", kind="mergesort")
        out.attrs["suppressed_left_out"] = supp.loc[near & ~(inside | tail)]
        yield out


def per_second(rows: pd.DataFrame) -> pd.Series:
    """Counts per second, each event once however many sources hold it (:func:`each_once`).

    An event counts in the second of its earliest copy. Rows without a time count together,
    under ``NaT``.
    """
    if rows.empty:
        return pd.Series(dtype="int64")
    return _by_second(each_once(rows))


def each_once(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with each event once, however many sources hold it (:mod:`..events.copies`).

    Copies are matched one to one within :data:`..events.copies.COPY_TOLERANCE`, so a line the
    journal stamps at ``.999`` and kern.log at the next second is one row. A host's kernel
    prints one drop text, so drop lines are matched as one text, and a ``last message
    repeated N times`` row stands for N of them.
    """
    if rows.empty or rows["source"].nunique() <= 1:
        return rows
    drop = (rows["kind"] == Kind.CONNTRACK_DROP.value).to_numpy(dtype=bool)
    lines = rows.loc[drop]
    times = lines["count"].fillna(1).astype("int64").clip(lower=1).to_numpy()
    each = lines.iloc[np.repeat(np.arange(len(lines)), times)].assign(count=1)
    each = one_per_event(each, text=pd.Series("", index=each.index))
    rest = one_per_event(rows.loc[~drop])
    each.attrs, rest.attrs = {}, {}  # a burst's attrs hold frames pandas cannot compare
    return pd.concat([each, rest]) if len(rest) else each


def _by_second(rows: pd.DataFrame) -> pd.Series:
    sec = rows["time"].dt.floor("s")
    return rows.groupby(sec, sort=True, dropna=False)["count"].sum().astype("int64")


@dataclass
class Counts:
    """The counted facts of one burst."""

    drops_logged: int
    drops_suppressed: int
    peak_per_second: int
    peak_per_minute: int
    drops_per_second: pd.Series
    #: The first and last drop, each timed by its earliest copy.
    first_drop: pd.Timestamp
    last_drop: pd.Timestamp
    #: Which ``callbacks suppressed`` summaries were counted or left out, and why.
    suppressed_reasons: list[str] = field(default_factory=list)


def count(burst: pd.DataFrame) -> Counts:
    """Count a burst's logged and suppressed drops per CONTRACT section 5."""
    drops = burst.loc[burst["kind"] == Kind.CONNTRACK_DROP.value]
    once = each_once(drops)
    supp = burst.loc[burst["kind"] == Kind.RATELIMIT_SUPPRESSED.value]
    dps = _by_second(once) if len(once) else pd.Series(dtype="int64")
    per_min = dps.groupby(pd.DatetimeIndex(dps.index).floor("min")).sum() if len(dps) else dps
    return Counts(
        drops_logged=int(dps.sum()),
        drops_suppressed=int(per_second(supp).sum()),
        peak_per_second=int(dps.max()) if len(dps) else 0,
        peak_per_minute=int(per_min.max()) if len(per_min) else 0,
        drops_per_second=dps,
        first_drop=once["time"].min(),
        last_drop=once["time"].max(),
        suppressed_reasons=_suppressed_reasons(drops, supp,
                                               burst.attrs.get("suppressed_left_out")),
    )


def _suppressed_reasons(drops: pd.DataFrame, supp: pd.DataFrame,
                        left: pd.DataFrame | None) -> list[str]:
    """Sentences saying which suppression summaries were counted and which were left out."""
    out: list[str] = []
    if drops.empty:
        return out
    last = drops["time"].max()
    between = supp.loc[supp["time"] <= last]
    after = supp.loc[supp["time"] > last]
    if len(between):
        out.append(f"{len(between)} summary line(s) between the first and last drop counted "
                   f"({int(per_second(between).sum()):,} suppressed): the kernel prints a "
                   "summary just before the next drop")
    if len(after):
        out.append(f"{len(after)} nf_conntrack summary line(s) within "
                   f"{int(RATELIMIT_INTERVAL.total_seconds())} s after the last drop counted "
                   f"({int(per_second(after).sum()):,} suppressed): they name conntrack")
    if left is not None and len(left):
        out.append(f"{len(left)} summary line(s) near the incident left out "
                   f"({int(per_second(left).sum()):,} suppressed): outside its drops and not "
                   "conntrack's (other subsystems rate-limit too: martian sources, TCP, ...)")
    return out


def table_size(view: HostView, before: pd.Timestamp) -> tuple[int | None, int | None]:
    """``(conntrack_max, conntrack_buckets)`` in force at ``before``.

    The kernel banner gives both; a later sysctl change (logged, or a ``sysctl -w`` / ``echo N
    > /proc/...`` command, read by :func:`.knowledge.size_set`) or snapshot overrides. When
    nothing before tells, a snapshot captured later in the same boot (a sosreport taken after
    the outage) stands for the value, unless a sysctl change between the two may have altered
    it. Only the boot ``before`` falls in counts: a runtime setting does not survive a reboot.
    """
    ev = view.events
    kinds = [Kind.MODULE_LOAD.value, Kind.SYSCTL.value, Kind.SNAPSHOT.value]
    sized = pd.concat([ev.loc[ev["kind"].isin(kinds)], _size_commands(ev)])
    sized = sized.sort_values("time", kind="mergesort")
    # a size is set for one boot: a sysctl -w, a logged value or a snapshot of an earlier boot
    # says nothing of this one, nor does a snapshot taken after the next boot
    boot = view.boot_start(before)
    if boot is not None:
        sized = sized.loc[sized["time"] >= boot]
    known = sized.loc[sized["time"] <= before]
    later = sized.loc[(sized["time"] > before) & (sized["kind"] == Kind.SNAPSHOT.value)]
    later = later.loc[[view.boot_start(t) == boot for t in later["time"]]]
    changes = sized.loc[(sized["time"] > before) & (sized["kind"] == Kind.SYSCTL.value)]

    def pick(column: str) -> int | None:
        values = known[column].dropna()
        if len(values):
            return int(values.iloc[-1])
        after = later[column].dropna()
        if len(after) and (changes.empty or changes["time"].min() > later.loc[
                after.index[0], "time"]):
            return int(after.iloc[0])
        return None

    return pick("conntrack_max"), pick("conntrack_buckets")


def _size_commands(ev: pd.DataFrame) -> pd.DataFrame:
    """Timed commands that set the table size, as ``sysctl`` rows carrying the new size."""
    cmds = ev.loc[(ev["kind"] == Kind.COMMAND.value) & ev["time"].notna()
                  & ev["command"].str.contains("conntrack_max", regex=False).fillna(False)]
    sizes = pd.Series([size_set(str(c)) for c in cmds["command"]], index=cmds.index,
                      dtype="Int64")
    out = cmds.loc[sizes.notna()].copy()
    out["kind"] = Kind.SYSCTL.value
    out["conntrack_max"] = sizes.loc[sizes.notna()]
    return out


def table_fill(
    view: HostView, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[int | None, pd.Timestamp | None, str | None]:
    """Entries in the table from the snapshot nearest the incident (within a day of it).

    Returns the count, when it was captured and where (``path:line``), or ``None``s.
    """
    ev = view.events
    snaps = ev.loc[(ev["kind"] == Kind.SNAPSHOT.value) & ev["conntrack_count"].notna()
                   & ev["time"].notna()]
    if snaps.empty:
        return None, None, None
    distance = (snaps["time"] - start).abs().where(snaps["time"] < start,
                                                  (snaps["time"] - end).clip(lower=pd.Timedelta(0)))
    near = distance.loc[distance <= FILL_WINDOW]
    if near.empty:
        return None, None, None
    row = snaps.loc[near.idxmin()]
    return int(row["conntrack_count"]), row["time"], ref(row["source"], row["line"])
