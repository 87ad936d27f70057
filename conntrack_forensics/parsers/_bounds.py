"""The times a parser may hand on: those the events table can hold.

The table keeps times as nanoseconds since 1970 (pandas ``datetime64[ns]``), which reach from
1677-09-21 to 2262-04-11. A damaged or hostile line can carry any year (``0757-03-01``,
``#99999999999``); such a time is not evidence of anything, so a parser counts the line as
skipped (a bad time stamp) instead of handing on a time the loader cannot convert. The years
accepted, 1678 to 2261, are whole years inside the range whatever the zone offset.
"""

from __future__ import annotations

import datetime as dt

FIRST_YEAR = 1678
LAST_YEAR = 2261
#: What a parser says of a line whose time lies outside the years above.
OUT_OF_RANGE = f"time stamp outside the years {FIRST_YEAR}-{LAST_YEAR}"

_FIRST = dt.datetime(FIRST_YEAR, 1, 1, tzinfo=dt.timezone.utc).timestamp()
_LAST = dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=dt.timezone.utc).timestamp()


def iso_in_range(iso: str | None) -> bool:
    """Whether an ISO time's year (its first four characters) is one the table holds.

    >>> iso_in_range("2024-03-01T08:00:01Z"), iso_in_range("0757-03-01T08:00:05Z")
    (True, False)
    >>> iso_in_range(None)
    True
    """
    if iso is None:
        return True
    year = iso[:4]
    return year.isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR


def epoch_in_range(seconds: float) -> bool:
    """Whether seconds since 1970 fall in the years the table holds.

    >>> epoch_in_range(1493222601.0), epoch_in_range(99999999999.0)
    (True, False)
    """
    return _FIRST <= seconds < _LAST


#: The largest number the table's integer columns (pids, counts, conntrack sizes) hold.
INT64_MAX = (1 << 63) - 1
#: What a parser says of a line whose number is too large for them.
TOO_LARGE = "number too large for a 64-bit integer"


def int64(text: str | None) -> int | None:
    """Decimal digits as an int when the table can hold it, else ``None``.

    >>> int64("4194304"), int64("99999999999999999999999"), int64(None)
    (4194304, None, None)
    """
    if text is None or not text.isdigit():
        return None
    n = int(text)
    return n if n <= INT64_MAX else None
