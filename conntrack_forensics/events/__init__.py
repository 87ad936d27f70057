"""Building the events table: parsed sources in, one typed, time-sorted DataFrame out.

Each input becomes a :class:`.ParsedSource` (:mod:`.read`); hosts, zones, years, capture
times, clock skew and boot anchors are decided source by source and recorded (:mod:`.load`
runs the steps in order); :mod:`.table` builds the events table of CONTRACT section 3.
"""

from __future__ import annotations

from .load import InputSummary, LoadResult, PathsArg, Settings, load
from .parsed import ParsedSource, YearChoice

__all__ = ["InputSummary", "LoadResult", "ParsedSource", "PathsArg", "Settings", "YearChoice",
           "load"]
