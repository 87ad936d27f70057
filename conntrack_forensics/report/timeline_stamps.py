"""Times of a whole column as text: RFC 3339 (``...Z``) and pandas' ISO 8601 (``...+00:00``).

Both match their one-value writers to the byte: :func:`conntrack_forensics.times.rfc3339`
(fractions only as far as the evidence has them) and :meth:`pandas.Timestamp.isoformat` (six
digits of fraction when there are microseconds, nine when there are nanoseconds). The text is
built as a matrix of bytes, one row per time: the date comes from a table of the days the
column spans and the time of day from a table of the 86,400 seconds, so no time is formatted
on its own.

Example:
    >>> import numpy as np
    >>> ns = np.array(["2017-04-26T16:03:27", "2024-03-14T09:12:03.4812", "NaT"],
    ...               dtype="datetime64[ns]").view(np.int64)
    >>> stamps(ns, "rfc3339").to_pylist()
    ['2017-04-26T16:03:27Z', '2024-03-14T09:12:03.4812Z', None]
    >>> stamps(ns[1:2], "iso", quote='"').to_pylist()
    ['"2024-03-14T09:12:03.481200+00:00"']
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa

STRING = pa.large_string()
NAT = np.iinfo(np.int64).min
_NS = 1_000_000_000
_DAY = 86_400
#: Digits of the fraction (after the dot), by the fraction's nanoseconds: a table of
#: powers of ten, biggest first.
_POWERS = 10 ** np.arange(8, -1, -1, dtype=np.int64)


@functools.lru_cache(maxsize=1)
def _clock() -> np.ndarray:
    """``HH:MM:SS`` of every second of a day (86,400 byte strings)."""
    second = np.arange(_DAY)
    parts = (second // 3600, second // 60 % 60, second % 60)
    table = np.full((_DAY, 8), ord(":"), dtype=np.uint8)
    for i, part in enumerate(parts):
        table[:, 3 * i] = part // 10 + ord("0")
        table[:, 3 * i + 1] = part % 10 + ord("0")
    return table.view("S8").ravel()


def _dates(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``YYYY-MM-DD`` of the days (byte strings), and each day's place among them.

    The table holds every day from the first to the last: one lookup per row, no sorting;
    only when they are far apart for so few rows are the days told one by one.
    """
    first, last = int(days.min()), int(days.max())
    if last - first > 2 * len(days) + 366:
        table, place = np.unique(days, return_inverse=True)
    else:
        table, place = np.arange(first, last + 1), days - first
    # nanosecond times run from 1677 to 2262: every year has four digits
    text = np.datetime_as_string(table.astype("datetime64[D]"), unit="D").astype("S10")
    return text, place.reshape(-1)


def _part(texts: np.ndarray, start: int, width: int) -> np.ndarray:
    """Bytes ``start`` to ``start + width`` of each of a table's byte strings."""
    matrix = texts.view(np.uint8).reshape(len(texts), -1)
    return np.ascontiguousarray(matrix[:, start: start + width]).view(f"S{width}").ravel()


def _fraction_digits(frac: np.ndarray) -> np.ndarray:
    """The nine digits of each fraction (nanoseconds), as a (k, 9) byte matrix."""
    return (frac[:, None] // _POWERS[None, :] % 10 + ord("0")).astype(np.uint8)


def _widths(frac: np.ndarray, style: str) -> np.ndarray:
    """Digits each fraction is written with.

    RFC 3339 drops trailing zeros; pandas' ISO format writes six digits for microseconds,
    nine for nanoseconds, none for neither.
    """
    if style == "iso":
        return np.where(frac % 1000 != 0, 9, np.where(frac != 0, 6, 0))
    width = np.full(len(frac), 9)
    for power in (10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000):
        width -= frac % power == 0
    return np.where(frac == 0, 0, width)


def stamps(ns: np.ndarray, style: str, quote: str = "") -> pa.Array:
    """The text of each time (nanoseconds since 1970, UTC; :data:`NAT` for none).

    Args:
        ns: int64 nanoseconds.
        style: ``rfc3339`` (``2017-04-26T16:03:27Z``) or ``iso`` (``...+00:00``).
        quote: put around each time (``"`` for JSON); a missing time is null, unquoted.
    """
    n = len(ns)
    valid = ns != NAT
    if not valid.any():
        return pa.nulls(n, STRING)
    if not valid.all():
        text = stamps(ns[valid], style, quote)
        # nulls take no bytes: offsets repeat where a row has none
        offsets = np.zeros(n + 1, dtype=np.int64)
        lengths = np.zeros(n, dtype=np.int64)
        lengths[valid] = np.diff(np.frombuffer(text.buffers()[1], np.int64)[: len(text) + 1])
        np.cumsum(lengths, out=offsets[1:])
        return pa.Array.from_buffers(STRING, n, [pa.py_buffer(np.packbits(
            valid, bitorder="little")), pa.py_buffer(offsets), text.buffers()[2]],
            null_count=int(n - valid.sum()))
    if not n:
        return pa.array([], STRING)
    # floor division by a number is fast in numpy (divmod and % are not)
    seconds = ns // _NS
    frac = ns - seconds * _NS
    days = seconds // _DAY
    clock = seconds - days * _DAY
    zone = b"Z" if style == "rfc3339" else b"+00:00"
    head, tail = quote.encode(), zone + quote.encode()
    # most logs have whole seconds: no fraction to measure then
    widths = _widths(frac, style) if frac.any() else np.zeros(n, dtype=np.int64)
    most = int(widths.max())
    # one record of bytes per row: quote, date, "T", clock, ".", fraction digits, zone, quote
    # (numpy copies whole fixed-width byte strings far faster than it gathers matrix rows)
    dot = len(head) + 19
    width = dot + (most + 1 if most else 0) + len(tail)
    fields = {"month": (len(head), 8), "day": (len(head) + 8, 2), "t": (len(head) + 10, 1),
              "clock": (len(head) + 11, 8),
              "tail": (width - len(tail), len(tail))}
    if head:
        fields["head"] = (0, len(head))
    if most:
        fields["dot"] = (dot, 1)
        fields["frac"] = (dot + 1, most)
    record = np.dtype({"names": list(fields), "formats": [f"S{w}" for _, w in fields.values()],
                       "offsets": [o for o, _ in fields.values()], "itemsize": width})
    rows = np.empty(n, dtype=record)
    table, day = _dates(days)
    # as 8 + 2 bytes: numpy gathers items of 8 bytes (and 2) many times faster than of 10
    rows["month"] = _part(table, 0, 8)[day]
    rows["day"] = _part(table, 8, 2)[day]
    rows["t"] = b"T"
    rows["clock"] = _clock()[clock]
    rows["tail"] = tail
    if head:
        rows["head"] = head
    if not most:
        offsets = np.arange(0, n * width + 1, width, dtype=np.int64)
        return pa.Array.from_buffers(STRING, n, [None, pa.py_buffer(offsets),
                                                 pa.py_buffer(rows)])
    rows["dot"] = b"."
    rows["frac"] = _fraction_digits(frac)[:, :most].copy().view(f"S{most}").ravel()
    # keep each row's own digits (and its dot only when it has any): drop the rest
    matrix = rows.view(np.uint8).reshape(n, width)
    keep = np.ones((n, width), dtype=bool)
    digit = np.arange(most + 1)[None, :]
    keep[:, dot: dot + most + 1] = (digit <= widths[:, None]) & (widths[:, None] > 0)
    lengths = width - (most + 1) + np.where(widths > 0, widths + 1, 0)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(STRING, n, [None, pa.py_buffer(offsets),
                                             pa.py_buffer(matrix[keep])])


def micros(ns: np.ndarray) -> np.ndarray:
    """Microseconds since 1970 of each time, rounded down as ``Timestamp.value // 1000`` is.

    >>> micros(np.array([1_500, -1_500])).tolist()
    [1, -2]
    """
    return ns // 1000
