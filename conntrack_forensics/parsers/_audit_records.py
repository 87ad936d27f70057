"""Reading one audit record: the time of its stamp and its fields, unquoted and decoded.

A raw record's values are quoted, or hex-encoded when they hold special characters (the
fields of :data:`_ENCODED`, and ``EXECVE``'s arguments); auditd 3's ``ENRICHED`` format adds
the interpreted names after a group separator (``0x1d``). ``ausearch -i`` prints interpreted
values, which may hold spaces, and local dates instead of UTC epochs.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

_EPOCH = re.compile(r"(\d{1,12})(?:\.(\d{1,9}))?")
_MDY = re.compile(r"(\d\d)/(\d\d)/(\d\d|\d{4}) (\d\d):(\d\d):(\d\d)(\.\d{1,9})?")
_YMD = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d{1,9})?")
_RAW_FIELD = re.compile(r"(?<!\S)([A-Za-z_][\w\-\[\]]*)=(\"[^\"]*\"?|'[^']*'?|\S*)")
_KEY = re.compile(r"(?<!\S)([A-Za-z_][\w\-\[\]]*)=")
_INNER_MSG = re.compile(r"(?<!\S)msg='(.*)'")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_ARG = re.compile(r"a\d+(?:\[\d+\])?")
#: Fields the kernel and libaudit hex-encode (unquoted) when the value has special characters.
_ENCODED = frozenset({
    "comm", "exe", "cwd", "name", "cmd", "proctitle", "acct", "path", "key", "data", "ocomm",
    "old", "new", "watch", "dir", "root_dir",
})
#: Later stamps are corrupt (and beyond what a pandas time can hold).
_LAST_YEAR = 2261


def stamp_iso(stamp: str) -> str | None:
    """The time of a stamp as ISO text: UTC for raw epochs, local (no offset) for ausearch -i."""
    stamp = stamp.strip()
    em = _EPOCH.fullmatch(stamp)
    return _utc_iso(em.group(1), em.group(2)) if em is not None else _local_iso(stamp)


def _utc_iso(seconds: str, frac: str | None) -> str | None:
    """A raw stamp as RFC 3339 UTC text: exact to the digit, where a float epoch is not."""
    whole = _utc_second(seconds)
    if whole is None:
        return None
    return f"{whole}{'.' + frac if frac else ''}Z"


@functools.lru_cache(maxsize=1024)
def _utc_second(seconds: str) -> str | None:
    """``seconds`` since 1970 as ``YYYY-MM-DDTHH:MM:SS`` (UTC), if a time the events hold.

    Cached: the events of one second share it, and formatting a time costs more than the rest
    of reading a stamp.
    """
    try:
        when = dt.datetime.fromtimestamp(int(seconds), dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    if when.year > _LAST_YEAR:
        return None
    return f"{when:%Y-%m-%dT%H:%M:%S}"


def _local_iso(stamp: str) -> str | None:
    """``04/27/2017 00:03:21.123`` (ausearch -i, local time) as ISO text without an offset."""
    m = _MDY.fullmatch(stamp)
    if m is not None:
        mo, d, y, h, mi, s, frac = m.groups()
        year = int(y) + (2000 if len(y) == 2 else 0)
    else:
        m = _YMD.fullmatch(stamp)
        if m is None:
            return None
        y, mo, d, h, mi, s, frac = m.groups()
        year = int(y)
    if not 1970 <= year <= _LAST_YEAR:
        return None
    try:
        dt.datetime(year, int(mo), int(d), int(h), int(mi), int(s))
    except ValueError:
        return None
    return f"{year:04d}-{mo}-{d}T{h}:{mi}:{s}{frac or ''}"


def record_fields(rtype: str, body: str, interpreted: bool) -> dict[str, str]:
    """A record's fields by name (first occurrence wins), values unquoted and decoded."""
    body, _, enriched = body.partition("\x1d")
    out: dict[str, str] = {}
    if interpreted:
        m = _INNER_MSG.search(body)
        if m is not None:
            _interpreted_fields(body[:m.start()] + body[m.end():], out)
            _interpreted_fields(m.group(1), out)
        else:
            _interpreted_fields(body, out)
    else:
        _raw_fields(rtype, body, out, decode=True)
    if enriched:
        _raw_fields(rtype, enriched, out, decode=False)
    return out


def _raw_fields(rtype: str, text: str, out: dict[str, str], *, decode: bool) -> None:
    execve = decode and rtype == "EXECVE"
    for key, tok in _RAW_FIELD.findall(text):
        first = tok[:1]
        if first == "'" and key == "msg":
            _raw_fields(rtype, tok.strip("'"), out, decode=decode)
        elif key in out:
            continue
        elif first == '"' or first == "'":
            out[key] = tok[1:-1] if len(tok) >= 2 and tok[-1] == first else tok[1:]
        elif decode and (key in _ENCODED or (execve and _ARG.fullmatch(key))) \
                and _HEX.fullmatch(tok):
            out[key] = bytes.fromhex(tok).decode("utf-8", "surrogateescape")
        else:
            out[key] = tok


def _interpreted_fields(text: str, out: dict[str, str]) -> None:
    """``ausearch -i`` fields: a value runs to the next ``key=`` (values may hold spaces)."""
    keys = list(_KEY.finditer(text))
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(text)
        value = text[m.end():end].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in ("'", '"'):
            value = value[1:-1]
        out.setdefault(m.group(1), value)


def clean(text: str) -> str:
    """Text decoded from hex, made valid UTF-8 (bytes that were not become U+FFFD)."""
    if text.isascii():  # (most values: nothing to repair, and a tenth of the time)
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
