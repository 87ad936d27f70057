"""Yearless lines' wall times to UTC: a fixed offset by subtraction, as pandas localizes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from conntrack_forensics.events.years import _to_utc
from conntrack_forensics.times import localize

NAT = np.iinfo(np.int64).min


@given(st.lists(st.one_of(st.just(NAT), st.integers(0, 4_000_000_000 * 10**9)), max_size=20),
       st.integers(-14 * 60, 14 * 60))
def test_fixed_offset_matches_pandas(nanos: list[int], minutes: int) -> None:
    stamps = np.array(nanos, dtype=np.int64).view("datetime64[ns]")
    tz = dt.timezone(dt.timedelta(minutes=minutes))
    expected = localize(pd.Series(stamps, dtype="datetime64[ns]"), tz)
    pd.testing.assert_series_equal(_to_utc(stamps, tz), expected, check_index_type=False)


def test_zone_with_daylight_saving_goes_through_pandas() -> None:
    # 2024-03-31 01:30 and 03:30 in Berlin: before and after the spring change (UTC+1, +2)
    stamps = np.array(["2024-03-31T01:30", "2024-03-31T03:30"], dtype="datetime64[ns]")
    got = _to_utc(stamps, ZoneInfo("Europe/Berlin"))
    assert got.dt.strftime("%H:%M").tolist() == ["00:30", "01:30"]
