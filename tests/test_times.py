"""Shared time helpers: --tz values, wall times from their parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conntrack_forensics as cf
from conntrack_forensics.times import parse_tz, tz_name, wall_times


def test_parse_tz() -> None:
    assert tz_name(parse_tz("Asia/Shanghai")) == "Asia/Shanghai"
    assert tz_name(parse_tz("+08:00")) == "+08:00"
    assert tz_name(parse_tz("-0530")) == "-05:30"
    assert tz_name(parse_tz("UTC")) == "UTC"
    with pytest.raises(cf.UsageError):
        parse_tz("Mars/Olympus")

@pytest.mark.parametrize("spec", ["Mars/Olympus_Mons", "America", "A" * 300, "../etc/passwd"])
def test_an_unloadable_zone_given_by_the_user_is_a_usage_error(spec: str) -> None:
    """A directory of the tz database (``America``) or an over-long name raises OSError."""
    with pytest.raises(cf.UsageError):
        parse_tz(spec)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1900, 2100), st.integers(1, 12), st.integers(1, 31),
                          st.integers(0, 86400), st.integers(0, 999_999)), min_size=1))

def test_wall_times_agree_with_pandas(rows: list[tuple[int, int, int, int, int]]) -> None:
    """Dates that do not exist (Feb 29, Apr 31) are missing; a leap second runs into the
    next day, as pandas adds it; fractions are exact (pandas may be a nanosecond short)."""
    year, month, day, whole, micro = (np.array(c) for c in zip(*rows, strict=True))
    sod = whole + micro / 1e6
    stamps, missing = wall_times(year, month, day, sod)
    expected = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}),
                              errors="coerce") + pd.to_timedelta(sod, unit="s")
    assert missing.tolist() == expected.isna().tolist()
    assert pd.Series(stamps).equals(expected.dt.as_unit("ns").dt.round("us"))
