"""Bounds for history lines without a time, from their neighbours in the file.

CentOS and RHEL ship bash without ``HISTTIMEFORMAT``: ``.bash_history`` holds commands only.
Their order still says something. Within one shell session (bash writes a session's commands
when it ends; ``exit`` or ``logout`` closes a session in the file) the lines are in the order
they ran, so a line whose effect the timed evidence shows anchors its neighbours:

- the same command in a timed record (sudo's log, audit, the journal) within its bounds;
- ``reboot``, ``shutdown``, ``poweroff``, ``init 6``: the shutdown that follows;
- a command whose module loads the kernel announces (``iptables -L`` loads ``ip_tables``),
  when that load is the only one in its bounds. Commands that load conntrack itself are the
  hypotheses being weighed and anchor nothing.

A line after an anchored one ran after it; a line before it ran before it. Across sessions the
order says nothing (two sessions interleave; the file keeps them end to end), so no bound
crosses an ``exit``. The file's modification time bounds every line (the history parsers set
it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from ..model import Kind
from ..parsers.classify import CONNTRACK_MODULES
from ..times import rfc3339
from .knowledge import match_command, normalize_command
from .model import command_text, ref

#: A module load this long after a command is taken as its doing.
LOAD_WINDOW = pd.Timedelta(seconds=30)
#: A reboot command is followed by the shutdown within this time.
SHUTDOWN_WINDOW = pd.Timedelta(minutes=2)
#: The same command in a timed record is the same run within this time.
TWIN_SLACK = pd.Timedelta(seconds=1)
_SESSION_END = frozenset({"exit", "logout"})
_REBOOT = re.compile(r"^(?:reboot|poweroff|halt|shutdown\b.*|init [06]|telinit [06]|"
                     r"systemctl (?:reboot|poweroff|halt))\b")


@dataclass
class Bounds:
    """What the file says about when one untimed line ran."""

    not_before: pd.Timestamp | None
    not_after: pd.Timestamp | None
    reasons: list[str] = field(default_factory=list)


@dataclass
class _Anchor:
    lo: pd.Timestamp
    hi: pd.Timestamp
    why: str


def bounds(events: pd.DataFrame, source: str, wanted: set[int]) -> dict[int, Bounds]:
    """Tightened bounds of the untimed lines ``wanted`` of the history ``source``, by line.

    ``events`` is the host's timed events plus the history's own rows (timed or not).
    """
    hist = events.loc[(events["source"] == source) & (events["kind"] == Kind.COMMAND.value)]
    hist = hist.sort_values("line", kind="stable")
    marks = events.loc[events["time"].notna() & (events["source"] != source) & events["kind"].isin(
        [Kind.COMMAND.value, Kind.SHUTDOWN.value, Kind.BOOT.value, Kind.MODULE_LOAD.value])]
    keys = pd.Series([normalize_command(command_text(r)) if r["kind"] == Kind.COMMAND.value else ""
                      for _, r in marks.iterrows()], index=marks.index, dtype=object)
    out: dict[int, Bounds] = {}
    rows = list(hist.iterrows())
    start = 0
    for i, (_index, row) in enumerate(rows):
        ends = normalize_command(command_text(row)).split(" ", 1)[0] in _SESSION_END
        if ends or i == len(rows) - 1:
            session_rows = rows[start:i + 1]
            start = i + 1
            if not any(int(r["line"]) in wanted for _j, r in session_rows):
                continue
            session = [(int(r["line"]), r, _timed(r) if not pd.isna(r["time"])
                        else _anchor(marks, keys, r, command_text(r))) for _j, r in session_rows]
            out.update({k: v for k, v in _bound_session(session).items() if k in wanted})
    return out


def _timed(row: pd.Series) -> _Anchor:
    t = row["time"]
    return _Anchor(t, t, f"its own time stamp {rfc3339(t)}")


def _anchor(marks: pd.DataFrame, keys: pd.Series, row: pd.Series, text: str) -> _Anchor | None:
    lo = row["not_before"] if not pd.isna(row["not_before"]) else None
    hi = row["not_after"] if not pd.isna(row["not_after"]) else None
    inside = ((marks["time"] >= lo - TWIN_SLACK) if lo is not None else True) \
        & ((marks["time"] <= hi + TWIN_SLACK) if hi is not None else True)
    timed = marks.loc[inside]
    key = normalize_command(text)
    same = timed.loc[keys.loc[timed.index] == key]
    if len(same):
        times = same["time"].drop_duplicates()
        if len(times) and times.max() - times.min() <= TWIN_SLACK * 5:
            t, first = times.min(), same.iloc[0]
            where = ref(first["source"], first["line"])
            return _Anchor(t - TWIN_SLACK, t + TWIN_SLACK,
                           f"the same command at {rfc3339(t)} in {where}")
    if _REBOOT.match(key):
        stops = timed.loc[timed["kind"].isin([Kind.SHUTDOWN.value, Kind.BOOT.value])]
        if len(stops):
            first = stops.iloc[0]
            return _Anchor(first["time"] - SHUTDOWN_WINDOW, first["time"],
                           f"the shutdown at {rfc3339(first['time'])} "
                           f"({ref(first['source'], first['line'])})")
    rules = match_command(text)
    if rules and not set(rules[0].loads) & CONNTRACK_MODULES:
        loads = timed.loc[(timed["kind"] == Kind.MODULE_LOAD.value)
                          & timed["module"].isin(list(rules[0].loads))]
        if hi is not None:
            loads = loads.loc[loads["time"] <= hi + LOAD_WINDOW]
        if loads["time"].nunique() == 1:
            first = loads.iloc[0]
            return _Anchor(first["time"] - LOAD_WINDOW, first["time"],
                           f"the {first['module']} load it causes at {rfc3339(first['time'])} "
                           f"({ref(first['source'], first['line'])})")
    return None


def _bound_session(session: list[tuple[int, pd.Series, _Anchor | None]]) -> dict[int, Bounds]:
    """Bounds within one session: anchors in file order, any out of order discarded."""
    kept: list[tuple[int, str, _Anchor]] = []
    for line, row, anchor in session:
        if anchor is None:
            continue
        if kept and anchor.hi < kept[-1][2].lo:
            continue  # contradicts the order: an interleaved session, or a wrong anchor
        kept.append((line, command_text(row), anchor))
    out: dict[int, Bounds] = {}
    for line, row, _ in session:
        if not pd.isna(row["time"]):
            continue
        lo = row["not_before"] if not pd.isna(row["not_before"]) else None
        hi = row["not_after"] if not pd.isna(row["not_after"]) else None
        reasons: list[str] = []
        own = next((k[2] for k in kept if k[0] == line), None)
        if own is not None:
            lo = own.lo if lo is None else max(lo, own.lo)
            hi = own.hi if hi is None else min(hi, own.hi)
            reasons.append(f"placed by {own.why}")
        before = [k for k in kept if k[0] < line]
        after = [k for k in kept if k[0] > line]
        if before:
            b_line, b_text, b = before[-1]
            if lo is None or b.lo > lo:
                lo = b.lo
                reasons.append(f"it comes after `{b_text}` (line {b_line}) in the same session, "
                               f"which ran by {rfc3339(b.hi)}: {b.why}")
        if after:
            a_line, a_text, a = after[0]
            if hi is None or a.hi < hi:
                hi = a.hi
                reasons.append(f"it comes before `{a_text}` (line {a_line}) in the same "
                               f"session: {a.why}")
        out[line] = Bounds(lo, hi, reasons)
    return out
