"""Snapshots that carry no time of their own take their tree's clock reading (``date``).

The same readings bound the tree's yearless lines from above (:func:`latest_clocks`, used by
:mod:`.years`): whatever a tree holds was written before its clock was read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from .facts import facts
from .parsed import ParsedSource

#: How far exact times of a tree may pass its clock reading (a sosreport reads the clock when it
#: starts, and the journal it collects goes on while it runs).
CLOCK_GRACE = pd.Timedelta(days=1)


def latest_clocks(rows: Sequence[ParsedSource], diag: Diagnostics | None = None
                  ) -> dict[str, tuple[pd.Timestamp, str]]:
    """Per scope (one host's tree, one sosreport), the latest clock reading and where it is.

    A tree is collected after its last line was written, so every reading of its clock
    (``date``, ``date --utc``, ``hwclock``) is an upper bound for all its lines; the latest is
    kept, the bound that holds even if two readings were taken apart. A reading that exact times
    of its own tree (epochs, times with an offset) pass by more than :data:`CLOCK_GRACE` was
    taken by a wrong clock (an RTC reset to 1970, a clock never set): it bounds nothing, and
    ``diag`` says so.
    """
    out: dict[str, tuple[pd.Timestamp, str]] = {}
    latest_ns: dict[str, int] = {}
    for p in rows:
        if p.known is not None and len(p.known):
            top = int(p.known.max())
            if p.source.scope not in latest_ns or top > latest_ns[p.source.scope]:
                latest_ns[p.source.scope] = top
        if not facts(p).clock:
            continue
        assert p.raw is not None and p.times is not None
        is_clock = (p.raw["capture"] == "clock").fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(is_clock & p.times.notna().to_numpy()):
            when = p.times.iloc[i]
            held = out.get(p.source.scope)
            if held is None or when > held[0]:
                out[p.source.scope] = (when, p.source.name)
    latest = {scope: pd.Timestamp(ns, tz="UTC") for scope, ns in latest_ns.items()}
    for scope, (when, where) in list(out.items()):
        after = latest.get(scope)
        if after is not None and after > when + CLOCK_GRACE:
            del out[scope]
            if diag is not None:
                diag.warning(where, f"clock reading {when.isoformat()} is earlier than exact "
                             f"times of its own tree (up to {after.isoformat()}): the clock "
                             "was wrong, so it bounds no year")
    return out


def resolve_captures(rows: Sequence[ParsedSource], diag: Diagnostics) -> None:
    """Give snapshots that carry no time the time their host's clock was read (``date``).

    A clock reading applies to its own scope (one host's tree or one sosreport): two reports
    of one host taken on different days must not lend each other their times.
    """
    clocks: dict[str, tuple[pd.Timestamp, bool, str]] = {}
    for p in rows:
        if not facts(p).clock:
            continue
        assert p.raw is not None and p.times is not None and p.zoned is not None
        is_clock = (p.raw["capture"] == "clock").fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(is_clock & p.times.notna().to_numpy()):
            when, zoned = p.times.iloc[i], bool(p.zoned[i])
            held = clocks.get(p.source.scope)
            if held is None or (zoned and not held[1]):
                clocks[p.source.scope] = (when, zoned, p.source.name)
    for p in rows:
        if not facts(p).at:
            continue
        assert p.raw is not None and p.times is not None and p.zoned is not None
        at = ((p.raw["capture"] == "at").fillna(False) & p.times.isna()).to_numpy(dtype=bool)
        if not at.any():
            continue
        clock = clocks.get(p.source.scope)
        if clock is None:
            if p.source.mtime is not None:
                p.raw.loc[at, "not_after"] = pd.Timestamp(p.source.mtime)
            diag.info(p.source.name, "snapshot without a capture time: no `date` output beside "
                      "it, so it is placed at no time (bounded by the file's modification time)")
            continue
        when, zoned, where = clock
        p.times.loc[p.raw.index[at]] = when
        p.zoned[at] = zoned
        diag.info(p.source.name, f"snapshot taken at {when.isoformat()}, the time read in "
                  f"{where}")


