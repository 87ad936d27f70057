"""Time zones and years: parsing ``--tz``, choosing a year for syslog lines that carry none.

Year rules (CONTRACT section 1), strongest first: the ``--year`` option; other dated evidence in
the same input (the year that puts the file's span closest to it); the file's modification
time (its last line cannot be later); else the current year, with the same "not in the future"
rule. A rotated set is one stream, so a December → January step inside it (or between its files)
moves to the next year.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import UsageError

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$")


def parse_tz(spec: str) -> dt.tzinfo:
    """An IANA zone name or a fixed offset (``+08:00``, ``-0530``, ``UTC``) as a tzinfo.

    >>> parse_tz("+08:00")
    datetime.timezone(datetime.timedelta(seconds=28800))

    Raises:
        UsageError: the text is neither.
    """
    text = spec.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return dt.timezone.utc
    m = _OFFSET.match(text)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes > 59:
            raise UsageError(f"time zone offset out of range: {spec}")
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"unknown time zone {spec!r}: give an IANA name like Asia/Shanghai or an offset "
            "like +08:00"
        ) from exc


def tz_name(tz: dt.tzinfo) -> str:
    """The name to report for a zone: the IANA key, or ``+HH:MM`` for a fixed offset."""
    if isinstance(tz, zoneinfo.ZoneInfo):
        return tz.key
    offset = tz.utcoffset(None)
    if offset is None or offset == dt.timedelta(0):
        return "UTC"
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"


def validate_year(year: int | None) -> int | None:
    """Check a ``--year`` value.

    Raises:
        UsageError: the year is outside 1970..2100.
    """
    if year is None:
        return None
    if not 1970 <= int(year) <= 2100:
        raise UsageError(f"year out of range (1970-2100): {year}")
    return int(year)


def rollover_offsets(months: np.ndarray) -> np.ndarray:
    """Year offsets for a stream of yearless months in file order.

    A step back of two or more months (December → January) starts a new year; a step back of
    one month is taken as lines slightly out of order.

    >>> rollover_offsets(np.array([11, 12, 12, 1, 2])).tolist()
    [0, 0, 0, 1, 1]
    """
    if len(months) == 0:
        return np.zeros(0, dtype=np.int64)
    steps = np.diff(months.astype(np.int64), prepend=months[0])
    return np.cumsum(steps <= -2).astype(np.int64)


@dataclass(frozen=True)
class YearChoice:
    """The base year of a yearless stream and why."""

    year: int
    source: str  # cli | evidence | mtime | default
    detail: str


def _span_for_year(
    mon: np.ndarray, day: np.ndarray, offsets: np.ndarray, base: int
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    years = base + offsets
    stamps = pd.to_datetime(
        pd.DataFrame({"year": years, "month": mon, "day": day}), errors="coerce"
    ).dropna()
    if stamps.empty:
        return None
    return stamps.min().tz_localize("UTC"), stamps.max().tz_localize("UTC")


def year_from_evidence(
    mon: np.ndarray, day: np.ndarray, offsets: np.ndarray, evidence: pd.Series
) -> int | None:
    """The base year that puts a yearless stream's span closest to dated evidence.

    Args:
        mon: months of the stream's lines in order.
        day: days of month.
        offsets: year offsets from :func:`rollover_offsets`.
        evidence: UTC times of dated events (sorted or not).
    """
    ev = evidence.dropna()
    if ev.empty or len(mon) == 0:
        return None
    years = sorted(set(ev.dt.year.tolist()))
    max_off = int(offsets.max())
    candidates = sorted({y - k for y in years for k in range(-1, max_off + 2)})
    ev_ns = np.sort(ev.astype("int64").to_numpy())
    best: tuple[float, int] | None = None
    for base in candidates:
        span = _span_for_year(mon, day, offsets, base)
        if span is None:
            continue
        lo = span[0].value - 86_400 * 10**9
        hi = span[1].value + 2 * 86_400 * 10**9
        i = int(np.searchsorted(ev_ns, lo))
        if i < len(ev_ns) and ev_ns[i] <= hi:
            dist = 0.0
        else:
            before = ev_ns[i - 1] if i > 0 else None
            after = ev_ns[i] if i < len(ev_ns) else None
            dist = min(
                float(lo - before) if before is not None else float("inf"),
                float(after - hi) if after is not None else float("inf"),
            )
        key = (dist, -base)
        if best is None or key < (best[0], -best[1]):
            best = (dist, base)
    return None if best is None else best[1]


def year_not_after(last_mon: int, last_day: int, last_sod: float, limit: dt.datetime) -> int:
    """The latest year that keeps a yearless line at or before ``limit`` (local wall time).

    >>> year_not_after(12, 31, 0.0, dt.datetime(2018, 1, 2))
    2017
    """
    year = limit.year
    last = (last_mon, last_day, last_sod)
    lim = (
        limit.month,
        limit.day,
        limit.hour * 3600 + limit.minute * 60 + limit.second + 1.0,
    )
    if last > lim:
        year -= 1
    return year


def wall_times(year: np.ndarray, month: np.ndarray, day: np.ndarray, sod: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Naive ``datetime64[ns]`` of dates and seconds of the day; NaT where no such date.

    >>> stamps, missing = wall_times(np.array([2017, 2017]), np.array([4, 2]),
    ...                              np.array([27, 29]), np.array([207.5, 0.0]))
    >>> stamps[0], missing.tolist()
    (np.datetime64('2017-04-27T00:03:27.500000000'), [False, True])
    """
    months = (np.asarray(year, dtype=np.int64) - 1970) * 12 + (month - 1)  # since 1970-01
    if not len(months):
        return np.zeros(0, dtype="datetime64[ns]"), np.zeros(0, dtype=bool)
    low = int(months.min())
    # the first day of each month in the range (and of the month after), as days since 1970
    firsts = np.arange(low, int(months.max()) + 2).astype("datetime64[M]").astype(
        "datetime64[D]").astype(np.int64)
    start = firsts[months - low]
    missing = (day < 1) | (day > firsts[months - low + 1] - start)
    # seconds of the day times 1e9 stay under 2**53: rounding gives the nearest nanosecond
    nanos = (start + day - 1) * 86_400_000_000_000 + np.round(sod * 1e9).astype(np.int64)
    stamps = nanos.view("datetime64[ns]")
    stamps[missing] = np.datetime64("NaT")
    return stamps, missing


def localize(naive: pd.Series, tz: dt.tzinfo) -> pd.Series:
    """Local wall-clock times to UTC; DST gaps shift forward, repeated hours are inferred."""
    try:
        local = naive.dt.tz_localize(tz, ambiguous="infer", nonexistent="shift_forward")
    except (ValueError, TypeError):
        local = naive.dt.tz_localize(
            tz, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")
