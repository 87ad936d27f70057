"""The host's clock read at capture time: ``date`` output (and ``hwclock``), as sosreports keep it.

Forms read (one reading per line; the first is the clock):

* ``Thu Apr 27 08:15:02 CST 2017`` (``date``, C locale) and ``Thu 27 Apr 2017 08:15:02 AM CST``
  (en_US locale); ``date --utc`` gives ``... UTC 2017``;
* ``Thu, 27 Apr 2017 08:15:02 +0800`` (``date -R``);
* ``2017-04-27T08:15:02+08:00`` (``date -Iseconds``), ``2017-04-27 08:15:02.123456+08:00``
  (``date --rfc-3339``, ``hwclock``).

A numeric offset or ``UTC``/``GMT`` makes the time exact. A zone abbreviation (``CST``) is
ambiguous (China, US Central, Cuba), so such a time is read as local wall-clock time in the
host's zone (CONTRACT section 1) and the abbreviation is kept in the message. Every other
snapshot of the same tree that has no time of its own is placed at this reading.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from ._snapshot import SNAPSHOT, Facts, lines, snapshot_batch
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MON = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_HMS = r"(?P<hms>\d{1,2}:\d\d:\d\d)"
_ZONE = r"(?P<zone>[A-Z][A-Za-z]{1,5}|[+-]\d\d)"
_FORMS = (
    re.compile(rf"{_DAY} {_MON} +(?P<day>\d{{1,2}}) {_HMS} {_ZONE} (?P<year>\d{{4}})"),
    re.compile(rf"{_DAY} (?P<day>\d{{1,2}}) {_MON} (?P<year>\d{{4}}) {_HMS}"
               rf"(?: (?P<ampm>AM|PM))? {_ZONE}(?:\s+-?\d+\.\d+ seconds)?"),
    re.compile(rf"{_DAY}, (?P<day>\d{{1,2}}) {_MON} (?P<year>\d{{4}}) {_HMS} "
               r"(?P<offset>[+-]\d{4})"),
    re.compile(r"(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?)"
               r"(?P<offset>Z|[+-]\d\d:?\d\d)?(?:\s+-?\d+\.\d+ seconds)?"),
)
_MONTHS = {m: i for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
_UTC_NAMES = {"UTC", "GMT", "UCT", "Z", "Zulu", "Universal"}


def reading(text: str) -> tuple[str, str | None] | None:
    """The ISO time of one ``date`` line and its zone abbreviation (when it is one).

    >>> reading("Thu Apr 27 08:15:02 CST 2017")
    ('2017-04-27T08:15:02', 'CST')
    >>> reading("Thu, 27 Apr 2017 08:15:02 +0800")
    ('2017-04-27T08:15:02+08:00', None)
    """
    for form in _FORMS:
        m = form.fullmatch(text.strip())
        if m is None:
            continue
        g = m.groupdict()
        if g.get("iso"):
            iso = g["iso"].replace(" ", "T").replace(",", ".")
            off = g.get("offset")
            return iso + (_colon(off) if off else ""), None
        hour, minute, second = (int(x) for x in g["hms"].split(":"))
        if g.get("ampm"):
            hour = hour % 12 + (12 if g["ampm"] == "PM" else 0)
        try:
            when = dt.datetime(int(g["year"]), _MONTHS[g["mon"]], int(g["day"]), hour, minute,
                               second)
        except ValueError:
            return None
        iso = when.isoformat()
        if g.get("offset"):
            return iso + _colon(g["offset"]), None
        zone = g["zone"]
        if zone in _UTC_NAMES:
            return iso + "+00:00", None
        if zone[0] in "+-":
            return iso + zone + ":00", None
        return iso, zone
    return None


def _colon(offset: str) -> str:
    if offset == "Z":
        return "+00:00"
    return offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"


@register
class DateParser(Parser):
    """``date`` / ``hwclock`` output: when a snapshot was taken."""

    NAME = "date"
    FORMAT = SNAPSHOT
    DESCRIPTION = "date or hwclock output: the capture time of the snapshots beside it"

    def sniff(self, head: Head) -> float:
        """One to three lines, every one a full date reading."""
        if not 1 <= len(head.lines) <= 3:
            return 0.0
        return 0.9 if all(reading(ln) for ln in head.lines) else 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One clock event per reading."""
        program = "hwclock" if ctx.source.basename.startswith("hwclock") else "date"
        for number, text in lines(ctx):
            if not text.strip():
                continue
            got = reading(text)
            if got is None:
                ctx.skip(number, "not a date reading")
                continue
            ctx.ok()
            iso, abbrev = got
            said = f"{program}: clock read {text.strip()}"
            if abbrev is not None:
                said += f" (zone abbreviation {abbrev} read as the host's local time)"
            yield snapshot_batch(program, number, said, Facts(), [text.strip()], iso=iso,
                                 clock=program == "date")
