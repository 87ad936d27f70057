"""RFC 3339 formatting of UTC times, to the precision the evidence has."""

from __future__ import annotations

import pandas as pd


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
