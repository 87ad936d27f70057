"""Times every stage shares: ``--tz`` and ``--year`` values, wall times, RFC 3339 output.

Zone-less times are localized here, yearless ones are built from their parts here
(:func:`wall_times`), and every time leaves the package as RFC 3339 UTC (:func:`rfc3339`). The
rules that choose a year live with the loader (:mod:`conntrack_forensics.events.years`).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

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
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
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


def rfc3339(ts: pd.Timestamp | None) -> str | None:
    """``2017-04-26T16:03:27Z``; fractions only when the evidence has them.

    >>> rfc3339(pd.Timestamp("2024-03-14 09:12:03.481200", tz="UTC"))
    '2024-03-14T09:12:03.4812Z'
    """
    if ts is None or pd.isna(ts):
        return None
    ts = pd.Timestamp(ts)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    frac = ts.microsecond * 1000 + ts.nanosecond
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"
