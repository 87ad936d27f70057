"""conntrack-forensics: evidence-backed postmortems of conntrack "table full" outages.

Example:
    >>> import conntrack_forensics as cf
    >>> analysis = cf.analyze("sample_logs/bogon-nat-listing")
    >>> analysis.incidents
    [<Incident bogon 2017-04-26T16:03:27Z ... drops cause=module_autoload>]
    >>> events, diagnostics = cf.load("sample_logs/bogon-nat-listing")
"""

from __future__ import annotations

from ._version import __version__
from .analysis import SCHEMA, Analysis, analyze
from .correlate import (
    Candidate,
    Incident,
    ModuleLoad,
    Recommendation,
    Recovery,
    TimelineEntry,
    correlate,
)
from .diagnostics import Diagnostics
from .errors import ConntrackForensicsError, InputNotFoundError, ReportError, UsageError
from .events.load import InputSummary, LoadResult, Settings, load
from .inputs.limits import Limits
from .model import EVENT_COLUMNS, Kind, TimeQuality
from .parsers import formats
from .plots import plot_drops, plot_event_strip, plot_host_heatmap
from .report.timeline_parquet import read_timeline

__all__ = [
    "EVENT_COLUMNS",
    "SCHEMA",
    "Analysis",
    "Candidate",
    "ConntrackForensicsError",
    "Diagnostics",
    "Incident",
    "InputNotFoundError",
    "InputSummary",
    "Kind",
    "Limits",
    "LoadResult",
    "ModuleLoad",
    "Recommendation",
    "Recovery",
    "ReportError",
    "Settings",
    "TimeQuality",
    "TimelineEntry",
    "UsageError",
    "__version__",
    "analyze",
    "correlate",
    "formats",
    "load",
    "plot_drops",
    "plot_event_strip",
    "plot_host_heatmap",
    "read_timeline",
]
