"""The RFC 3164 time at the head of a syslog line, ``Mmm dd hh:mm:ss ``, read in bulk."""

from __future__ import annotations

import numpy as np

from ._swar import bytes_mask, is_digits, nib, pair

_MONTHS = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct",
           b"Nov", b"Dec"]
_MONTH_CODES = np.array([int.from_bytes(m, "little") for m in _MONTHS], dtype=np.uint64)
_SORTER = np.argsort(_MONTH_CODES)

# "Mmm dd hh:mm:ss ": the header as two little-endian words, bytes 0-7 and 8-15
_DIGITS_0, _DIGITS_1 = (5, 7), (0, 2, 3, 5, 6)  # always digits (the day's tens may be a space)
_FIXED_0 = bytes_mask((3, 6))
_FIXED_1 = bytes_mask((1, 4, 7))
_SPACES_0 = bytes_mask((3, 6), 32)
_SEPS_1 = bytes_mask((1, 4), 58) | bytes_mask((7,), 32)
_MONTH_MASK = np.uint64(0xFFFFFF)


def rfc3164_time(words: np.ndarray, starts: np.ndarray, ends: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lines starting ``Mmm dd hh:mm:ss `` (day space-padded or two digits), and their values.

    Returns whether each line does, and its month (1-12), day and second of the day.
    """
    w0, w1 = words[starts], words[starts + 8]
    code = w0 & _MONTH_MASK
    at = np.minimum(np.searchsorted(_MONTH_CODES, code, sorter=_SORTER), 11)
    mon = _SORTER[at]
    ok = (_MONTH_CODES[mon] == code) & (ends - starts >= 19)
    ok &= ((w0 & _FIXED_0) == _SPACES_0) & ((w1 & _FIXED_1) == _SEPS_1)
    ok &= is_digits(w0, _DIGITS_0) & is_digits(w1, _DIGITS_1)
    tens = (w0 >> np.uint64(32)) & np.uint64(0xFF)
    ok &= (tens == 32) | ((tens >= 48) & (tens <= 51))
    day = np.where(tens == 32, 0, nib(w0, 4)) * 10 + nib(w0, 5)
    hour, minute, second = nib(w0, 7) * 10 + nib(w1, 0), pair(w1, 2), pair(w1, 5)
    ok &= (day >= 1) & (day <= 31) & (hour <= 23) & (minute <= 59) & (second <= 60)
    return ok, mon + 1, day, hour * 3600 + minute * 60 + second
