"""Parse every input into one events table, resolving hosts, zones and years.

This is the engine behind :func:`conntrack_forensics.load`: it asks the input layer for sources,
reads each through its parser (:mod:`.read`), then decides for each source the host of events
that name none (:mod:`.hosts`), the time zone of zone-less times (:mod:`.zones`), the year of
yearless syslog lines (:mod:`.years`, CONTRACT section 1), the capture time of snapshots
(:mod:`.captures`), the clock skew between a host's sources (:mod:`.skew`) and the boot of
``dmesg`` seconds (:mod:`.anchor`), recording every choice, and builds the table
(:mod:`.table`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pandas as pd

from ..diagnostics import Diagnostics
from ..inputs.limits import DEFAULT_LIMITS, Limits
from ..inputs.walk import iter_sources
from ..parsers._months import month_names
from ..parsers._rfc3164 import cores
from ..parsers.base import Hints
from ..times import parse_tz, tz_name, validate_year
from .anchor import anchor_boot
from .captures import resolve_captures
from .facts import facts
from .hosts import fill_hosts
from .parsed import ParsedSource
from .pooled import frame_pooled
from .processes import read_all
from .skew import ClockSkew, align_clocks
from .table import events_table
from .years import resolve_years
from .zones import choose_zones, resolve_known_times

PathsArg = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


@dataclass
class InputSummary:
    """What was read from one input file."""

    path: str
    format: str | None
    host: str | None = None
    records: int = 0
    events: int = 0
    skipped: int = 0
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    tz: str | None = None
    tz_source: str | None = None
    year: int | None = None
    year_source: str | None = None


@dataclass
class Settings:
    """The time settings in force, and where each came from."""

    tz: str = "UTC"
    tz_source: str = "default"
    year: int | None = None
    year_source: str | None = None
    gap_seconds: float = 300
    host: str | None = None
    #: The language whose month names were read besides English (``--locale``).
    locale: str | None = None
    clock_skew: list[ClockSkew] = field(default_factory=list)


@dataclass
class LoadResult:
    """Parsed evidence: ``events, diagnostics = cf.load(...)`` unpacks the two frames.

    Attributes:
        events: one row per event (CONTRACT section 3), sorted by time.
        diagnostics: path, line, level, message, count.
        inputs: one summary per input file.
        settings: the zone and year choices.
    """

    events: pd.DataFrame
    diagnostics: pd.DataFrame
    inputs: list[InputSummary] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    diag: Diagnostics = field(default_factory=Diagnostics, repr=False)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        yield self.events
        yield self.diagnostics


def _as_list(paths: PathsArg) -> list[str | os.PathLike[str]]:
    if isinstance(paths, (str, os.PathLike)):
        return [paths]
    return list(paths)


def load(
    paths: PathsArg,
    tz: str | None = None,
    year: int | None = None,
    host: str | None = None,
    *,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
    locale: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    processes: int = 1,
) -> LoadResult:
    """Parse logs into an events DataFrame plus diagnostics, without correlating.

    Args:
        paths: files, directories, or ``-`` for standard input (one or a list).
        tz: zone for times that carry none (IANA name or ``+08:00``); default from evidence.
        year: year of the newest yearless syslog line; default inferred.
        host: host name for evidence that names none.
        full: keep every plain message as its own event; by default a run of plain messages
            of one host within one minute becomes one ``background`` event whose ``count``
            is the number of lines (the table stays small however long the logs are).
        progress: called with the size in bytes of each input once it has been read.
        locale: a language whose month names syslog lines may use besides English
            (``fr``, ``de_DE``: a program logging with ``strftime("%b")`` under that locale).
        limits: bounds on reading hostile input (line length, decompressed size and ratio,
            archive members and nesting); each one that bites is a diagnostic.
        processes: read many small files (500 or more) in this many worker processes; 0
            for one per core. The answer is the same. Workers are spawned: in a script,
            call this under ``if __name__ == "__main__":``.

    Example:
        >>> events, diagnostics = load("sample_logs/bogon-nat-listing")
        >>> events.loc[events.kind == "conntrack_drop", "host"].unique().tolist()
        ['bogon']
    """
    cli_tz = parse_tz(tz) if tz else None
    cli_year = validate_year(year)
    months = month_names(locale) if locale else None
    diag = Diagnostics()
    hints = Hints()
    workers = processes if processes > 0 else cores()
    parsed = read_all(iter_sources(_as_list(paths), diag, limits), diag, hints, full, months,
                      progress, workers)
    frame_pooled(parsed, full, diag)
    settings = Settings(host=host, locale=locale)
    events = _resolve(parsed, hints, cli_tz, cli_year, host, settings, diag)
    inputs = _summaries(parsed, events)
    return LoadResult(events, diag.to_frame(), inputs, settings, diag)




# ------------------------------------------------------------------------- resolution


def _resolve(
    parsed: list[ParsedSource],
    hints: Hints,
    cli_tz: dt.tzinfo | None,
    cli_year: int | None,
    cli_host: str | None,
    settings: Settings,
    diag: Diagnostics,
) -> pd.DataFrame:
    rows = [p for p in parsed if p.size]
    fill_hosts(rows, hints, cli_host, diag)
    zone = choose_zones(rows, hints, cli_tz, diag)
    if zone is not None:
        settings.tz, settings.tz_source = zone
    resolve_known_times(rows, diag)
    choices = resolve_years(rows, cli_year, diag, hints.dated_text)
    if cli_year is not None:
        settings.year, settings.year_source = cli_year, "cli"
    elif choices:
        settings.year, settings.year_source = Counter(
            (c.year, c.source) for c in choices).most_common(1)[0][0]
    resolve_captures(rows, diag)
    settings.clock_skew = align_clocks(rows, diag)
    for p in rows:
        if facts(p).uptime:
            anchor_boot(p, rows, diag)
    return events_table(rows)


def _summaries(parsed: list[ParsedSource], events: pd.DataFrame) -> list[InputSummary]:
    out: list[InputSummary] = []
    span: dict[str, tuple[int, pd.Timestamp | None, pd.Timestamp | None]] = {}
    if len(events):  # each source's rows and first and last time, in one grouping
        grouped = events.groupby("source", sort=False)["time"]
        table = pd.DataFrame({"n": grouped.size(), "first": grouped.min(),
                              "last": grouped.max()})
        for name, n, first, last in table.itertuples(name=None):
            span[str(name)] = (int(n), None if pd.isna(first) else first,
                               None if pd.isna(last) else last)
    for p in parsed:
        n, first, last = span.get(p.source.name, (0, None, None))
        out.append(InputSummary(
            path=p.source.name,
            format=p.fmt,
            host=p.host,
            records=p.records,
            events=n,
            skipped=p.skipped,
            first=first,
            last=last,
            tz=tz_name(p.tz) if p.kept else None,
            tz_source=p.tz_source if p.kept else None,
            year=p.year.year if p.year else None,
            year_source=p.year.source if p.year else None,
        ))
    return out


__all__ = ["InputSummary", "LoadResult", "Settings", "load"]
