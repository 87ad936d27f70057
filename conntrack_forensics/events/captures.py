"""Snapshots that carry no time of their own take their tree's clock reading (``date``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from .parsed import ParsedSource


def resolve_captures(rows: Sequence[ParsedSource], diag: Diagnostics) -> None:
    """Give snapshots that carry no time the time their host's clock was read (``date``).

    A clock reading applies to its own scope (one host's tree or one sosreport): two reports
    of one host taken on different days must not lend each other their times.
    """
    clocks: dict[str, tuple[pd.Timestamp, bool, str]] = {}
    for p in rows:
        assert p.raw is not None and p.times is not None and p.zoned is not None
        is_clock = (p.raw["capture"] == "clock").fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(is_clock & p.times.notna().to_numpy()):
            when, zoned = p.times.iloc[i], bool(p.zoned[i])
            held = clocks.get(p.source.scope)
            if held is None or (zoned and not held[1]):
                clocks[p.source.scope] = (when, zoned, p.source.name)
    for p in rows:
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


