"""Parse every input into one events table, resolving hosts, zones and years.

This is the engine behind :func:`conntrack_forensics.load`: it asks the input layer for sources,
the registry for a parser per source, collects raw batches, then decides for each source the
host of events that name none, the time zone of zone-less times and the year of yearless
syslog lines (CONTRACT section 1), recording every choice.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import parsers as _parsers
from .anchor import anchor_boot
from .background import collapse_background
from .captures import resolve_captures
from .diagnostics import Diagnostics
from .inputs import Source, is_binary, iter_sources, read_head
from .model import EVENT_DTYPES, TIME_QUALITIES, TimeQuality, to_frame
from .parsers.base import GiveUp, Head, Hints, ParseContext, as_frame, take_rows
from .skew import ClockSkew, align_clocks
from .timeutil import (
    YearChoice,
    localize,
    parse_tz,
    tz_name,
    validate_year,
)
from .years import resolve_years

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


@dataclass
class _Parsed:
    source: Source
    index: int
    fmt: str | None
    raw: pd.DataFrame | None
    records: int = 0
    skipped: int = 0
    host: str | None = None
    tz: dt.tzinfo = dt.timezone.utc
    tz_source: str = "default"
    year: YearChoice | None = None
    times: pd.Series | None = None  # UTC times (yearless rows filled once a year is chosen)
    dated: pd.Series | None = None  # times that needed no year decision: evidence for others
    relative: np.ndarray | None = None  # rows timed as seconds since boot plus an anchor
    zoned: np.ndarray | None = None  # rows whose time carried its own zone


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

    Example:
        >>> events, diagnostics = load("sample_logs/bogon-nat-listing")
        >>> events.loc[events.kind == "conntrack_drop", "host"].unique().tolist()
        ['bogon']
    """
    cli_tz = parse_tz(tz) if tz else None
    cli_year = validate_year(year)
    diag = Diagnostics()
    hints = Hints()
    parsed: list[_Parsed] = []
    for index, source in enumerate(iter_sources(_as_list(paths), diag)):
        try:
            parsed.append(_parse_source(source, index, diag, hints, full))
        finally:
            source.close()
        if progress is not None:
            progress(source.size)
    settings = Settings(host=host)
    events = _resolve(parsed, hints, cli_tz, cli_year, host, settings, diag)
    inputs = _summaries(parsed, events)
    return LoadResult(events, diag.to_frame(), inputs, settings, diag)


def _parse_source(
    source: Source, index: int, diag: Diagnostics, hints: Hints, full: bool = True
) -> _Parsed:
    if source.link_target is not None:
        target = source.link_target
        if source.basename == "localtime" and "zoneinfo/" in target:
            zone = target.split("zoneinfo/", 1)[1]
            hints.tz.setdefault(source.scope, (zone, source.name))
        elif _inside_archive(source.name, target):  # one folded note per archive
            diag.info(source.name.split("!/", 1)[0], "symbolic links inside the archive not "
                      "followed (a link's target is read where it is stored)")
        else:
            diag.info(source.name, f"symbolic link to {target} (outside the input) not followed")
        return _Parsed(source, index, None, None)
    head_bytes = read_head(source, diag)
    if head_bytes is None:
        return _Parsed(source, index, None, None)
    if not head_bytes.strip(b"\x00 \t\r\n"):
        diag.info(source.name, "empty file")
        return _Parsed(source, index, None, None)
    parser = _parsers.pick_binary(head_bytes)
    if parser is None:
        if is_binary(head_bytes):
            diag.warning(source.name, "binary file skipped (not a text log)")
            return _Parsed(source, index, None, None)
        parser, _score = _parsers.pick(Head.from_bytes(source.basename, head_bytes))
    if parser is None:
        diag.info(source.name, "not a recognised log format; skipped")
        return _Parsed(source, index, None, None)
    ctx = ParseContext(source, diag, hints, background=not full)
    frames: list[pd.DataFrame] = []
    try:
        for batch in parser.parse(ctx):
            frame = as_frame(batch)
            frames.append(frame if full else collapse_background(frame))
    except GiveUp as exc:
        diag.error(source.name, f"{parser.NAME} parser {exc}; the rest of the file was not read")
    except Exception as exc:  # a parser bug must not end the run: record it, go on
        diag.error(source.name, f"{parser.NAME} parser failed: {type(exc).__name__}: {exc}")
    raw = pd.concat(frames, ignore_index=True) if frames else None
    return _Parsed(source, index, parser.format, raw, ctx.records, ctx.skipped)


def _inside_archive(name: str, target: str) -> bool:
    """Whether a link member ``archive!/dir/link`` points at another member of its archive."""
    if "!/" not in name or target.startswith("/"):
        return False
    member = name.split("!/", 1)[1]
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(member), target))
    return not resolved.startswith("..")


# ------------------------------------------------------------------------- resolution


def _resolve(
    parsed: list[_Parsed],
    hints: Hints,
    cli_tz: dt.tzinfo | None,
    cli_year: int | None,
    cli_host: str | None,
    settings: Settings,
    diag: Diagnostics,
) -> pd.DataFrame:
    rows = [p for p in parsed if p.raw is not None and len(p.raw)]
    _fill_hosts(rows, hints, cli_host)
    _choose_zones(rows, hints, cli_tz, settings, diag)
    for p in rows:
        assert p.raw is not None
        p.times, p.zoned = _known_times(p.raw, p.tz)
        p.dated = p.times.dropna()
    choices = resolve_years(rows, cli_year, diag)
    if cli_year is not None:
        settings.year, settings.year_source = cli_year, "cli"
    elif choices:
        settings.year, settings.year_source = Counter(
            (c.year, c.source) for c in choices).most_common(1)[0][0]
    resolve_captures(rows, diag)
    settings.clock_skew = align_clocks(rows, diag)
    for p in rows:
        assert p.raw is not None
        if p.raw["uptime"].notna().any():
            anchor_boot(p, rows, diag)
    frames = [_final_frame(p) for p in rows]
    if not frames:
        return to_frame({})
    allrows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    # by time (untimed rows last), then input and line: a stable sort of the keys, last first
    line = allrows["line"].to_numpy(dtype="float64", na_value=np.inf)
    stamp = allrows["time"].to_numpy(dtype="int64")
    order = np.lexsort((line, allrows["_src"].to_numpy(), stamp, allrows["_nat"].to_numpy()))
    allrows = take_rows(allrows, order)
    return to_frame({c: allrows[c] for c in allrows.columns if not c.startswith("_")})


def _fill_hosts(rows: list[_Parsed], hints: Hints, cli_host: str | None) -> None:
    scope_hosts: dict[str, set[str]] = {}
    for p in rows:
        assert p.raw is not None
        scope_hosts.setdefault(p.source.scope, set()).update(p.raw["host"].dropna().unique())
    every = set().union(*scope_hosts.values()) if scope_hosts else set()
    every |= {h for h, _ in hints.host.values()}
    for p in rows:
        assert p.raw is not None
        scope = p.source.scope
        hinted = hints.host.get(scope)
        if hinted is not None:
            fill: str | None = hinted[0]
        elif len(scope_hosts.get(scope, ())) == 1:
            fill = next(iter(scope_hosts[scope]))
        elif len(every) == 1:
            fill = next(iter(every))
        else:
            fill = cli_host
        if fill is not None and p.raw["host"].isna().any():
            p.raw["host"] = p.raw["host"].fillna(fill)
        hosts = p.raw["host"].dropna()
        p.host = hosts.mode().iloc[0] if len(hosts) else fill


def _choose_zones(
    rows: list[_Parsed],
    hints: Hints,
    cli_tz: dt.tzinfo | None,
    settings: Settings,
    diag: Diagnostics,
) -> None:
    if cli_tz is not None:
        for p in rows:
            p.tz, p.tz_source = cli_tz, "cli"
        settings.tz, settings.tz_source = tz_name(cli_tz), "cli"
        return
    by_host: dict[str, tuple[str, str]] = {}
    for p in rows:
        hint = hints.tz.get(p.source.scope)
        if hint is not None and p.host is not None:
            by_host.setdefault(p.host, hint)
    used: Counter[str] = Counter()
    for p in rows:
        assert p.raw is not None
        hint = hints.tz.get(p.source.scope) or (by_host.get(p.host) if p.host else None)
        needs_zone = bool((p.raw["mon"] > 0).any() or p.raw["iso"].notna().any())
        if hint is not None:
            p.tz, p.tz_source = parse_tz(hint[0]), "evidence"
            used[hint[0]] += 1
            if needs_zone:
                diag.info(p.source.name, f"time zone {hint[0]} from {hint[1]}")
        elif needs_zone and (p.raw["mon"] > 0).any():
            diag.info(p.source.name, "no time zone in the evidence for this host: local times "
                         "taken as UTC (pass --tz to set it)")
    if used:
        settings.tz, settings.tz_source = used.most_common(1)[0][0], "evidence"


_ZONED = r"(?:[Zz]|[+-]\d\d:?\d\d)$"


def _known_times(raw: pd.DataFrame, tz: dt.tzinfo) -> tuple[pd.Series, np.ndarray]:
    """UTC times of rows that need no year decision, and which of them carried a zone."""
    times = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    zoned = np.zeros(len(raw), dtype=bool)
    ep = raw["epoch"].notna().to_numpy()
    if ep.any():
        # epochs carry at most microseconds (journal); round away float noise below that
        micros = (raw.loc[ep, "epoch"].astype("float64") * 1e6).round().astype("int64")
        times[ep] = pd.to_datetime(micros, unit="us", utc=True)
        zoned |= ep
    iso_mask = raw["iso"].notna().to_numpy()
    if iso_mask.any():
        text = raw.loc[iso_mask, "iso"].str.replace(",", ".", regex=False).str.replace(
            " ", "T", regex=False)
        has_zone = text.str.contains(_ZONED, regex=True).to_numpy(dtype=bool)
        idx = raw.index[iso_mask]
        if has_zone.any():
            times[idx[has_zone]] = pd.to_datetime(
                text[has_zone], format="ISO8601", utc=True, errors="coerce")
            zoned[np.flatnonzero(iso_mask)[has_zone]] = True
        if (~has_zone).any():
            naive = pd.to_datetime(text[~has_zone], format="ISO8601", errors="coerce")
            times[idx[~has_zone]] = localize(naive, tz)
    return times, zoned


def _final_frame(p: _Parsed) -> pd.DataFrame:
    raw = p.raw
    assert raw is not None and p.times is not None and p.zoned is not None
    out = raw.drop(columns=["epoch", "iso", "mon", "day", "sod", "uptime", "capture", "boot_age"])
    out["time"] = p.times
    out["kind"] = _categories(raw["kind"], EVENT_DTYPES["kind"])
    code = {q: i for i, q in enumerate(TIME_QUALITIES)}
    quality = np.full(len(raw), code[TimeQuality.UNKNOWN.value], dtype=np.int8)
    has_time = p.times.notna().to_numpy()
    local_ok = p.tz_source in ("cli", "evidence")
    zone_q = TimeQuality.EXACT.value if local_ok else TimeQuality.ASSUMED_TZ.value
    quality[has_time] = code[zone_q]
    quality[has_time & p.zoned] = code[TimeQuality.EXACT.value]
    yearless = (raw["mon"] > 0).to_numpy() & has_time
    if p.year is not None and p.year.source != "cli":
        quality[yearless] = code[TimeQuality.INFERRED_YEAR.value]
    if p.relative is not None:
        quality[p.relative & has_time] = code[TimeQuality.RELATIVE.value]
    out["time_quality"] = pd.Categorical.from_codes(quality, dtype=EVENT_DTYPES["time_quality"])
    out["source"] = pd.array(pa.repeat(pa.scalar(p.source.name, pa.large_string()), len(raw)),
                             dtype="string")
    out["format"] = pd.Categorical.from_codes(np.zeros(len(raw), dtype=np.int8),
                                              categories=pd.Index([p.fmt], dtype="string"))
    out["_src"] = p.index
    out["_nat"] = ~has_time
    return out


def _categories(text: pd.Series, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """A text column as the categorical ``dtype`` (values outside its categories missing).

    Arrow encodes the text once; only its few distinct values are then looked up.
    """
    data = pa.array(text.array)
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    encoded = pc.dictionary_encode(data)
    table = dtype.categories.get_indexer(encoded.dictionary.to_pylist())
    # (a missing value points one past the distinct values: there, -1)
    indices = pc.fill_null(encoded.indices, len(table)).to_numpy()
    codes = np.append(table, -1)[indices]
    return pd.Categorical.from_codes(codes, dtype=dtype)


def _summaries(parsed: list[_Parsed], events: pd.DataFrame) -> list[InputSummary]:
    out: list[InputSummary] = []
    by_source = {name: grp for name, grp in events.groupby("source", sort=False)} \
        if len(events) else {}
    for p in parsed:
        grp = by_source.get(p.source.name)
        times = grp["time"].dropna() if grp is not None else pd.Series(dtype="object")
        out.append(InputSummary(
            path=p.source.name,
            format=p.fmt,
            host=p.host,
            records=p.records,
            events=0 if grp is None else len(grp),
            skipped=p.skipped,
            first=times.min() if len(times) else None,
            last=times.max() if len(times) else None,
            tz=tz_name(p.tz) if p.raw is not None else None,
            tz_source=p.tz_source if p.raw is not None else None,
            year=p.year.year if p.year else None,
            year_source=p.year.source if p.year else None,
        ))
    return out


__all__ = ["InputSummary", "LoadResult", "Settings", "load"]
