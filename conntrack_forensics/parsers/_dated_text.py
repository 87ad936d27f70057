"""Full dates written inside yearless syslog messages: evidence for the year of their file.

Many daemons write the date inside their messages (``anacron[812]: Anacron started on
2024-03-01``, ``ftpd[29504]: connection from 24.54.76.216 at Fri Jun 17 07:07:00 2005``,
``kernel: rtc_cmos 00:01: setting system clock to 2024-03-01 00:00:05 UTC``). The syslog parser
hands each block of a file to a :class:`DatedTextSampler`; it searches the file's first and last
blocks (the whole of a file of one or two blocks), so the cost is bounded whatever the size,
and a file gives the same dates whether its plain lines are kept or counted. The loader decides
what the dates say about the year (:mod:`conntrack_forensics.events.years`); here they are only
read: ``YYYY-MM-DD``, ``YYYY/MM/DD`` and ``ctime`` text (``Fri Mar  1 00:00:01 [ZONE] 2024``,
its weekday checked).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..inputs.blocks import Block

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Lines that may hold a date with a year (RE2, over a whole block at once).
PREFILTER = r"(?:19|20)\d\d[-/][01]\d[-/][0-3]\d|\d\d:\d\d:\d\d (?:[A-Z]{2,5} )?(?:19|20)\d\d"
#: A block this small is searched line by line by Python's ``re`` (microseconds), sparing
#: Arrow a regular expression compiled for each call (about a millisecond per small file).
_SMALL = 1 << 16
_PREFILTER = re.compile(PREFILTER.encode("ascii"))
_DATE = re.compile(
    r"(?<![\d.:/])(?P<y>(?:19|20)\d\d)(?P<sep>[-/])(?P<m>[01]\d)(?P=sep)(?P<d>[0-3]\d)"
    r"(?![\d/])"
    rf"|\b(?P<wd>{'|'.join(_DAYS)}),? (?P<cm>{'|'.join(_MONTHS)}) {{1,2}}(?P<cd>\d{{1,2}}) "
    r"\d\d:\d\d:\d\d(?: [A-Z]{2,5})? (?P<cy>(?:19|20)\d\d)(?!\d)"
)
#: Lines of one block read for dates at the most (spread over those the prefilter found).
MAX_LINES = 100


@dataclass(frozen=True)
class DatedText:
    """A date written inside a yearless line, and the line's own month and day.

    >>> DatedText(57, 2, 29, 2024, 2, 29, "2024-02-29").days_apart(2024)
    0
    """

    line: int
    mon: int  # the line's own stamp
    day: int
    year: int  # the date written in its message
    tmon: int
    tday: int
    text: str

    def days_apart(self, year: int) -> int | None:
        """Days between the line's stamp taken in ``year`` and its date (None: no such day)."""
        try:
            own = dt.date(year, self.mon, self.day)
        except ValueError:
            return None
        return abs((own - dt.date(self.year, self.tmon, self.tday)).days)


def dates_in(message: str) -> list[tuple[int, int, int, str]]:
    """The valid full dates a message holds: (year, month, day, text).

    >>> dates_in("Anacron started on 2024-03-01")
    [(2024, 3, 1, '2024-03-01')]
    >>> dates_in("connection from 24.54.76.216 at Fri Jun 17 07:07:00 2005")
    [(2005, 6, 17, 'Fri Jun 17 07:07:00 2005')]
    >>> dates_in("abrtd: Directory 'ccpp-2017-04-26-06:38:17-3788' creation detected")
    [(2017, 4, 26, '2017-04-26')]
    >>> dates_in("at Mon Jun 17 07:07:00 2005; build 2023-02-30; v1.2024-01-01; 12024-01-01")
    []
    """
    out = []
    for m in _DATE.finditer(message):
        if m.group("y"):
            y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
        else:
            y, mo, d = int(m.group("cy")), _MONTHS.index(m.group("cm")) + 1, int(m.group("cd"))
        try:
            when = dt.date(y, mo, d)
        except ValueError:
            continue
        if m.group("wd") and _DAYS[when.weekday()] != m.group("wd"):
            continue  # a ctime date whose weekday is not that date's: not a date we trust
        out.append((y, mo, d, m.group(0)))
    return out


#: What the parser says of one line: its month, day and message, or None (not yearless).
Split = Callable[[str], "tuple[int, int, str] | None"]


class DatedTextSampler:
    """Searches a file's first and last blocks for dated text, as the parser reads them."""

    def __init__(self, split: Split) -> None:
        self.split = split
        self.found: list[DatedText] = []
        self._last: tuple[Block, np.ndarray, np.ndarray, int] | None = None
        self._blocks = 0

    def block(self, block: Block, starts: np.ndarray, ends: np.ndarray, first: int) -> None:
        """Take one block of whole lines (``first``: the number of its first line)."""
        self._blocks += 1
        if self._blocks == 1:
            self._search(block, starts, ends, first)
        else:
            self._last = (block, starts, ends, first)

    def finish(self) -> list[DatedText]:
        """The dates found, in line order."""
        if self._last is not None:
            self._search(*self._last)
            self._last = None
        return self.found

    def _search(self, block: Block, starts: np.ndarray, ends: np.ndarray, first: int) -> None:
        if not len(starts):
            return
        bounds = np.append(starts, block.size).astype(np.int64)
        if block.size <= _SMALL:  # each line by Python's re: the same lines, without Arrow
            data = block.buf[:block.size].tobytes()
            hits = np.array([i for i, (a, b) in enumerate(zip(bounds[:-1].tolist(),
                                                              bounds[1:].tolist(), strict=True))
                             if _PREFILTER.search(data, a, b)], dtype=np.int64)
        else:
            lines = pa.Array.from_buffers(pa.large_binary(), len(starts),
                                          [None, pa.py_buffer(bounds), pa.py_buffer(block.buf)])
            hits = np.flatnonzero(pc.match_substring_regex(lines, PREFILTER).to_numpy(
                zero_copy_only=False))
        if len(hits) > MAX_LINES:
            hits = hits[np.linspace(0, len(hits) - 1, MAX_LINES).round().astype(np.int64)]
        for i in hits.tolist():
            text = block.buf[starts[i]:ends[i]].tobytes().decode("utf-8", "replace")
            stamp = self.split(text)
            if stamp is None:
                continue
            mon, day, message = stamp
            self.found.extend(DatedText(first + i, mon, day, y, mo, d, t)
                              for y, mo, d, t in dates_in(message))


__all__ = ["MAX_LINES", "DatedText", "DatedTextSampler", "dates_in"]
