"""Raw columns put together from pieces (_columns.py) equal the raw frame built row by row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from conntrack_forensics.model import Kind
from conntrack_forensics.parsers._columns import Coded, Columns, Cuts, interleave, to_raw_frame
from conntrack_forensics.parsers.base import RawBatch

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
ROW = st.fixed_dictionaries({
    "message": TEXT,
    "host": st.none() | st.sampled_from(["bogon", "web-1", "h"]),
    "pid": st.none() | st.integers(0, 10**7),
    "evidence": st.none() | TEXT,
    "kind": st.sampled_from([Kind.MESSAGE, Kind.BOOT, Kind.CONNTRACK_DROP]),
    "count": st.integers(1, 9),
    "mdsod": st.none() | st.tuples(st.integers(1, 12), st.integers(1, 31),
                                   st.floats(0, 86400, allow_nan=False)),
    "conntrack_loaded": st.none() | st.booleans(),
    "uptime": st.none() | st.floats(0, 1e6, allow_nan=False),
    "not_before": st.none() | st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1),
                                           timezones=st.just(dt.timezone.utc)),
})


def _batch(rows: list[tuple[int, dict[str, Any]]]) -> RawBatch:
    batch = RawBatch()
    for line, row in rows:
        batch.add(line, **row)
    return batch


def _cuts(messages: list[str]) -> Cuts:
    """The messages lying in one buffer, as the fast path leaves them in a block."""
    data = [m.encode() for m in messages]
    bounds = np.cumsum([0, *(len(d) for d in data)])
    buf = np.zeros(int(bounds[-1]) + 256, dtype=np.uint8)
    buf[:bounds[-1]] = np.frombuffer(b"".join(data), dtype=np.uint8)
    return Cuts(buf, bounds[:-1].astype(np.int64), bounds[1:].astype(np.int64))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(ROW, st.booleans()), max_size=40), st.booleans())
def test_interleaved_pieces_equal_the_rows_read_in_order(
        rows: list[tuple[dict[str, Any], bool]], cut: bool) -> None:
    numbered = [(line, row) for line, (row, _) in enumerate(rows, 1)]
    first = [(line, row) for line, (row, second) in enumerate(rows, 1) if not second]
    ones = [(line, row) for line, (row, second) in enumerate(rows, 1) if second]
    expected = _batch(numbered).to_frame()
    a, b = Columns.of_batch(_batch(first)), Columns.of_batch(_batch(ones))
    if cut and first:  # the first piece as the fast path gives it: text in its bytes, codes
        a.data["message"] = _cuts([row["message"] for _, row in first])
        hosts = [row["host"] for _, row in first]
        names = sorted({h for h in hosts if h is not None})
        a.data["host"] = Coded(np.array([names.index(h) if h else -1 for h in hosts]), names)
    joined = interleave(a, np.array([ln for ln, _ in first], dtype=np.int64),
                        b, np.array([ln for ln, _ in ones], dtype=np.int64))
    got = to_raw_frame([joined, Columns.of_batch(RawBatch())])
    pd.testing.assert_frame_equal(got, expected, check_dtype=True)


def test_blocks_join_with_columns_missing_in_some() -> None:
    one = _batch([(1, {"message": "a", "host": "h", "evidence": "x", "kind": Kind.BOOT})])
    two = _batch([(2, {"message": "bé", "pid": 7,
                       "not_before": dt.datetime(2017, 4, 27, tzinfo=dt.timezone.utc)})])
    got = to_raw_frame([Columns.of_batch(one), Columns.of_batch(two)])
    expected = pd.concat([one.to_frame(), two.to_frame()], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)
    assert got["message"].tolist() == ["a", "bé"]
    assert got["evidence"].isna().tolist() == [False, True]
