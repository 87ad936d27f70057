"""The RFC 3339 time at the head of a syslog line, as rsyslog writes it, read in bulk."""

from __future__ import annotations

import numpy as np

from ..times import wall_times
from ._swar import bytes_mask, digits, is_digits, pair

# "YYYY-MM-", "DDTHH:MM", ":SS": the fixed part of an RFC 3339 time as three words
_ISO_DIGITS = ((0, 1, 2, 3, 5, 6), (0, 1, 3, 4, 6, 7), (1, 2))
_ISO_FIXED = (bytes_mask((4, 7)), bytes_mask((2, 5)), bytes_mask((0,)))
_ISO_SEPS = (bytes_mask((4, 7), 45), bytes_mask((2,), 84) | bytes_mask((5,), 58),
             bytes_mask((0,), 58))


def rfc3339_time(words: np.ndarray, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lines starting with an RFC 3339 time and a space; their UTC seconds; their hosts' starts.

    The time is ``YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+hh:mm|-hh:mm)``, as rsyslog's
    ``RSYSLOG_FileFormat`` writes it (Ubuntu's default). Other shapes (a space for ``T``,
    three or nine decimals, ``+hhmm``, no zone, a leap second) are left to the regular
    expressions.
    """
    w = [words[starts + 8 * k] for k in range(3)]
    ok = ends - starts >= 22
    for word, places, fixed, seps in zip(w, _ISO_DIGITS, _ISO_FIXED, _ISO_SEPS, strict=True):
        ok &= ((word & fixed) == seps) & is_digits(word, places)
    year = pair(w[0], 0) * 100 + pair(w[0], 2)
    month, day = pair(w[0], 5), pair(w[1], 0)
    hour, minute, second = pair(w[1], 3), pair(w[1], 6), pair(w[2], 1)
    ok &= (year >= 1970) & (year <= 2200) & (month >= 1) & (month <= 12) & (hour <= 23) \
        & (minute <= 59) & (second <= 59)
    fraction = buf[starts + 19] == 46  # "."
    count, micros = digits(words[starts + 20])
    ok &= ~fraction | (count == 6)
    zone = starts + np.where(fraction, 26, 19)
    sign = buf[zone]
    utc = sign == 90  # "Z"
    offset_word = words[zone + 1]  # "hh:mm"
    offset_hours, offset_minutes = pair(offset_word, 0), pair(offset_word, 3)
    offset = offset_hours * 3600 + offset_minutes * 60
    signed = ((sign == 43) | (sign == 45)) & is_digits(offset_word, (0, 1, 3, 4)) \
        & (((offset_word >> np.uint64(16)) & np.uint64(0xFF)) == 58) \
        & (offset_hours <= 23) & (offset_minutes <= 59)
    ok &= utc | signed
    end = np.where(utc, zone + 1, zone + 6)
    ok &= (buf[end] == 32) & (end + 1 < ends)
    sod = hour * 3600 + minute * 60 + second + np.where(fraction, micros / 1e6, 0.0)
    wall, missing = wall_times(np.where(ok, year, 1970), np.where(ok, month, 1), day, sod)
    ok &= ~missing
    nanos = wall.view(np.int64) - np.where(sign == 45, -offset, np.where(utc, 0, offset)) \
        * 1_000_000_000
    return ok, nanos / 1e9, end + 1
