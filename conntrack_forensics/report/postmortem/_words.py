"""The small formatting helpers of the postmortem's prose: times, numbers, plurals, durations.

Every section writes its sentences with these, so the reports say a time, a count or a list of
names the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ...errors import UsageError
from ...times import parse_tz


def _ts(text: str | None) -> pd.Timestamp | None:
    return None if text is None else pd.Timestamp(text)


def _num(n: int | float | None) -> str:
    return "—" if n is None else f"{n:,}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def duration(seconds: float) -> str:
    """Seconds in words: ``6 s``, ``6 min 2 s``, ``2 h 5 min``, ``55.9 h``."""
    s = abs(seconds)
    if s < 1:
        return f"{s:.1f} s" if s >= 0.05 else "0 s"
    if s < 60:
        return f"{round(s)} s"
    if s < 3600:
        m, r = divmod(round(s), 60)
        return f"{m} min {r} s" if r else f"{m} min"
    if s < 10 * 3600:
        h, r = divmod(round(s / 60), 60)
        return f"{h} h {r} min" if r else f"{h} h"
    return f"{s / 3600:.1f} h"


def when(text: str | None, *, date: bool = True) -> str:
    """An RFC 3339 UTC time for prose: ``2017-04-26 16:03:27 UTC`` (milliseconds if any)."""
    t = _ts(text)
    if t is None:
        return "an unrecorded time"
    clock = t.strftime("%H:%M:%S")
    if t.microsecond or t.nanosecond:
        clock += f".{t.microsecond // 1000:03d}"
    return f"{t.strftime('%Y-%m-%d')} {clock} UTC" if date else f"{clock} UTC"


def _span(start: str, end: str) -> str:
    a, b = _ts(start), _ts(end)
    assert a is not None and b is not None
    if a.date() == b.date():
        return f"on {a.strftime('%Y-%m-%d')} from {when(start, date=False)[:-4]} to " \
               f"{when(end, date=False)}"
    return f"from {when(start)} to {when(end)}"


def _local(text: str | None, zone: str | None) -> str | None:
    """``from 00:03:27 on 2017-04-27 Asia/Shanghai time`` for a zone other than UTC, else None."""
    t = _ts(text)
    if t is None or not zone or zone in ("UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z"):
        return None
    try:
        local = t.tz_convert(parse_tz(zone))
    except (UsageError, TypeError, ValueError):
        return None
    if local.utcoffset() == pd.Timedelta(0):
        return None
    same_day = local.date() == t.date()
    day = "" if same_day else f" on {local.strftime('%Y-%m-%d')}"
    return f"from {local.strftime('%H:%M:%S')}{day} {zone} time"


def _join(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _code(text: str) -> str:
    """Backtick-quoted text for prose (both renderers turn it into code)."""
    return f"`{' '.join(text.split())}`"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
