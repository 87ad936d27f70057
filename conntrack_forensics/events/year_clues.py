"""What a yearless stream says of its own year: Feb 29, dated file names, dates in its text.

A rotated set's yearless lines, oldest file first, are one :class:`Stream`. Before any outside
evidence is asked (:mod:`.years`), the stream itself may tell:

* **Feb 29** (:class:`LeapDays`): a line stamped Feb 29 was written in a leap year, so the
  year of its segment (between two December → January steps) is a leap year;
* **a dated rotation suffix** (:func:`rotation_date`): ``messages-20240303`` (or
  ``messages-2024030312``) was rotated on that date, so its last line is at or before it (a
  day's grace for logrotate's ``dateyesterday``);
* **dates written inside its lines** (:func:`year_from_text`): a full date in the message of a
  line whose own month and day are within a day of it gives that line's year.

And the two ways outside evidence is weighed: the year nearest dated evidence
(:func:`year_from_evidence`), the latest year an upper bound allows (:func:`year_not_after`).

All of it works on the stream's arrays at once, or on the few dated lines the parser kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..parsers._dated_text import DatedText
from .dated import DatedView
from .parsed import ParsedSource

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
_SUFFIX = re.compile(r"-(?P<date>\d{8})(?P<hour>\d\d)?(?:\.(?:gz|bz2|xz))?$")
#: Days a month can have in some year (Feb 29 exists in leap years only).
_MAX_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def is_leap(year: int) -> bool:
    """Whether ``year`` has a Feb 29.

    >>> [is_leap(y) for y in (1900, 2000, 2023, 2024)]
    [False, True, False, True]
    """
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@dataclass
class Part:
    """One member's yearless rows in the order of their lines.

    Plain arrays: a small file's rows are too few for a data frame's cost per call.
    """

    rows: np.ndarray  # where each stands in the member's raw frame (its positions)
    mon: np.ndarray  # int64
    day: np.ndarray  # int64
    sod: np.ndarray  # float64: seconds of the day
    line: np.ndarray  # float64 (NaN: no line number)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Stream:
    """A rotated set's yearless lines in order: each member's rows, and their year offsets."""

    members: list[ParsedSource]  # oldest file first
    parts: list[Part]  # each member's yearless rows in line order
    mon: np.ndarray  # months of every row, in order
    day: np.ndarray
    offsets: np.ndarray  # year offsets (December → January steps) of every row, in order

    def __post_init__(self) -> None:
        self.bounds = np.cumsum([0, *(len(p) for p in self.parts)])
        self._ends: tuple[int, int] | None = None  # found on the first span()
        self._ends_found = False

    @property
    def last_off(self) -> int:
        """The year offset of the newest line."""
        return int(self.offsets[-1])

    def _first_and_last(self) -> tuple[int, int] | None:
        """Rows of the stream's first and last day (a date no year has, Apr 31, left out)."""
        if not self._ends_found:
            real = (self.day >= 1) & (self.day <= _MAX_DAYS[self.mon])
            key = (self.offsets * 13 + self.mon) * 32 + self.day
            if real.any():
                self._ends = (int(np.argmin(np.where(real, key, np.iinfo(np.int64).max))),
                              int(np.argmax(np.where(real, key, -1))))
            self._ends_found = True
        return self._ends

    def span(self, base: int) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The first and last day the stream covers when its oldest segment is in ``base``."""
        ends = self._first_and_last()
        if ends is None:
            return None
        out = []
        for i in ends:
            try:
                out.append(pd.Timestamp(dt.date(base + int(self.offsets[i]), int(self.mon[i]),
                                                 int(self.day[i])), tz="UTC"))
            except ValueError:  # Feb 29 out of a leap year: the day after
                out.append(pd.Timestamp(dt.date(base + int(self.offsets[i]), 3, 1), tz="UTC"))
        return out[0], out[1]

    def last_of(self, k: int) -> tuple[int, int, float, int] | None:
        """Member ``k``'s last yearless line: month, day, second of day and year offset."""
        lo, hi = int(self.bounds[k]), int(self.bounds[k + 1])
        if hi == lo:
            return None
        part = self.parts[k]
        return (int(part.mon[-1]), int(part.day[-1]), float(part.sod[-1]),
                int(self.offsets[hi - 1]))


@dataclass(frozen=True)
class LeapDays:
    """The Feb 29 lines of a stream: the year offsets they sit at and the first of them."""

    offsets: tuple[int, ...]
    source: str = ""
    line: int = 0
    count: int = 0

    def fits(self, base: int) -> bool:
        """Whether every Feb 29 line is in a leap year when the oldest segment is in ``base``."""
        return all(is_leap(base + o) for o in self.offsets)

    @property
    def satisfiable(self) -> bool:
        """Whether some base year puts every Feb 29 line in a leap year."""
        return any(self.fits(b) for b in range(2000, 2004))

    def latest_fit(self, base: int) -> int:
        """The latest base year at or before ``base`` that fits (``base`` if none can)."""
        if not self.satisfiable:
            return base
        return next(b for b in range(base, base - 9, -1) if self.fits(b))

    def where(self) -> str:
        """Where the first Feb 29 line is, as the diagnostics say it."""
        more = f" and {self.count - 1:,} more" if self.count > 1 else ""
        return f"{self.source} line {self.line}{more}"


def leap_days(stream: Stream) -> LeapDays:
    """The Feb 29 lines of a stream (none: a constraint every year meets)."""
    feb29 = (stream.mon == 2) & (stream.day == 29)
    if not feb29.any():
        return LeapDays(())
    first = int(np.argmax(feb29))
    k = int(np.searchsorted(stream.bounds, first, side="right")) - 1
    part = stream.parts[k]
    line = int(part.line[first - int(stream.bounds[k])])
    return LeapDays(tuple(sorted({int(o) for o in np.unique(stream.offsets[feb29])})),
                    stream.members[k].source.name, line, int(feb29.sum()))


def rotation_date(basename: str) -> dt.datetime | None:
    """The local time by which a file with a dated rotation suffix had its last line.

    logrotate's ``dateext`` names a rotated file after the day (``-%Y%m%d``, or the hour with
    ``dateformat -%Y%m%d%H``) it was rotated; ``dateyesterday`` names it after the day before,
    so a day's grace is given.

    >>> rotation_date("messages-20240303.gz"), rotation_date("messages-2024030312")
    (datetime.datetime(2024, 3, 5, 0, 0), datetime.datetime(2024, 3, 4, 13, 0))
    >>> rotation_date("messages.1") is None, rotation_date("messages-20241340") is None
    (True, True)
    """
    m = _SUFFIX.search(basename)
    if m is None:
        return None
    text = m.group("date")
    try:
        day = dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    if not 1970 <= day.year <= 2100:
        return None
    if m.group("hour") is None:
        return day + dt.timedelta(days=2)
    hour = int(m.group("hour"))
    if hour > 23:
        return None
    return day + dt.timedelta(days=1, hours=hour + 1)


#: The farthest a zone runs ahead of UTC (Kiribati's Line Islands, UTC+14).
EAST_MOST = dt.timedelta(hours=14)


def year_from_evidence(stream: Stream, evidence: DatedView, leap: LeapDays,
                       not_after: int | None = None) -> int | None:
    """The base year that puts a yearless stream's span closest to dated evidence.

    Args:
        stream: the yearless lines in order, with their year offsets.
        evidence: UTC times of dated events the stream may use (:mod:`.dated`).
        leap: the stream's Feb 29 lines: only base years that give them a leap year count.
        not_after: the latest base year an upper bound allows (a clock reading at capture):
            later ones are no candidates, the latest allowed one always is.
    """
    years = evidence.years()
    if not years or len(stream.offsets) == 0:
        return None
    max_off = int(stream.offsets.max())
    reach = 4 if leap.offsets else 1  # a leap year may be up to four years from the evidence
    candidates = sorted({y - k for y in years for k in range(-reach, max_off + reach + 1)})
    if not_after is not None:
        candidates = sorted({b for b in candidates if b <= not_after}
                            | {leap.latest_fit(not_after)})
    if leap.satisfiable:
        candidates = [b for b in candidates if leap.fits(b)]
    best: tuple[float, int] | None = None
    for base in candidates:
        span = stream.span(base)
        if span is None:
            continue
        lo = span[0].value - 86_400 * 10**9
        hi = span[1].value + 2 * 86_400 * 10**9
        dist = evidence.distance(lo, hi)
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


@dataclass(frozen=True)
class TextYears:
    """What the dates written in a stream's lines say: the base year most of them give."""

    base: int
    votes: int
    source: str
    example: DatedText
    against: int  # dates giving another base year


def year_from_text(
    stream: Stream, dated: Mapping[str, Sequence[DatedText]], leap: LeapDays
) -> TextYears | None:
    """The base year the dates written inside the stream's lines give, if they agree.

    A date counts only when the line's own month and day are within a day of it (a build date
    or a certificate's expiry on some other day says nothing of when the line was written);
    the base year most such lines give wins, if it fits the Feb 29 lines and no other base
    year has as many.
    """
    votes: Counter[int] = Counter()
    first: dict[int, tuple[str, DatedText]] = {}
    for k, p in enumerate(stream.members):
        found = dated.get(p.source.name, ())
        if not found:
            continue
        part = stream.parts[k]
        lines = part.line.astype(np.int64)
        months = part.mon
        at = np.minimum(np.searchsorted(lines, [d.line for d in found]), len(lines) - 1)
        for d, i in zip(found, at.tolist(), strict=True):
            if months[i] != d.mon:  # not the row this line stands in: no offset to trust
                continue
            near = [(gap, y) for y in (d.year - 1, d.year, d.year + 1)
                    if (gap := d.days_apart(y)) is not None and gap <= 1]
            if not near:
                continue
            base = min(near)[1] - int(stream.offsets[int(stream.bounds[k]) + i])
            votes[base] += 1
            first.setdefault(base, (p.source.name, d))
    ranked = [(n, b) for b, n in votes.items() if leap.fits(b)]
    if not ranked:
        return None
    ranked.sort(reverse=True)
    if len(ranked) > 1 and ranked[1][0] == ranked[0][0]:
        return None  # as many lines say one year as another: no answer
    n, base = ranked[0]
    source, example = first[base]
    return TextYears(base, n, source, example, sum(votes.values()) - n)


__all__ = ["EAST_MOST", "LeapDays", "Stream", "TextYears", "is_leap", "leap_days", "rotation_date",
           "year_from_evidence", "year_from_text", "year_not_after"]
