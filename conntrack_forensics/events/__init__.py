"""Building the events table from what the parsers read.

In: sources and the raw rows their parsers give.
Out: one typed, time-sorted events DataFrame (CONTRACT section 3), the diagnostics, and the
zone and year settings with where each came from.

Each input becomes a :class:`.ParsedSource` (:mod:`.read`); hosts, zones, years, capture
times, clock skew and boot anchors are decided source by source and recorded (:mod:`.load`
runs the steps in order); :mod:`.table` builds the table.
"""

from __future__ import annotations

from .load import InputSummary, LoadResult, PathsArg, Settings, load
from .parsed import ParsedSource, YearChoice

__all__ = ["InputSummary", "LoadResult", "ParsedSource", "PathsArg", "Settings", "YearChoice",
           "load"]
