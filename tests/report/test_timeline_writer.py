"""The columnar timeline writer against the row-by-row one it replaces, byte for byte.

The oracle below is the writer as it was before it was columnar (value by value, through the
csv and json modules): every output of :class:`TimelineWriter` must equal it, for hostile
text, missing values in every column, any chunking, and both ways exceptional rows are written.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conntrack_forensics.model import EVENT_COLUMNS, EVENT_DTYPES, KINDS, to_frame
from conntrack_forensics.report import timeline_layouts, timeline_pieces
from conntrack_forensics.report.timeline_export import TimelineWriter, write_timeline
from conntrack_forensics.report.timeline_parquet import schema
from conntrack_forensics.times import rfc3339

TEXT_FORMATS = ("csv", "jsonl", "timesketch")

# --- the oracle: the row-by-row writer, as it was -------------------------------------------

_TIMES = ("time", "not_before", "not_after")
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_TS_FIELDS = ("message", "datetime", "timestamp", "timestamp_desc", "host", "kind", "source",
              "line", "format", "program", "pid", "user", "count", "time_quality", "command",
              "module", "evidence")
_DESC = {"command": "Command Run", "snapshot": "State Captured", "boot": "Boot",
         "shutdown": "Shutdown", "module_load": "Module Loaded", "login": "Login"}


def _value(col: str, v: Any) -> Any:
    if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)):
        return None
    if col in _TIMES:
        return rfc3339(v)
    if hasattr(v, "item"):
        return v.item()
    return v


def _neutralise(v: Any) -> Any:
    return "'" + v if isinstance(v, str) and v.startswith(_TRIGGERS) else v


def _records(events: pd.DataFrame) -> Any:
    cols = list(EVENT_COLUMNS)
    for row in events[cols].itertuples(index=False, name=None):
        yield {c: _value(c, v) for c, v in zip(cols, row, strict=True)}


def oracle(events: pd.DataFrame, fmt: str) -> tuple[bytes, int]:
    out = io.StringIO()
    left_out = 0
    if fmt == "jsonl":
        for rec in _records(events):
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(EVENT_COLUMNS))
        writer.writeheader()
        for rec in _records(events):
            writer.writerow({k: _neutralise(v) for k, v in rec.items()})
    else:
        writer = csv.DictWriter(out, fieldnames=list(_TS_FIELDS), extrasaction="ignore")
        writer.writeheader()
        for rec, when in zip(_records(events), events["time"], strict=True):
            if rec["time"] is None:
                left_out += 1
                continue
            rec["datetime"] = when.isoformat()
            rec["timestamp"] = when.value // 1000
            rec["timestamp_desc"] = _DESC.get(rec["kind"], "Event Logged")
            writer.writerow({k: _neutralise(v) for k, v in rec.items()})
    return out.getvalue().encode(), left_out


def written(events: pd.DataFrame, fmt: str, sizes: list[int] | None = None) -> tuple[bytes, int]:
    out = io.BytesIO()
    with TimelineWriter(fmt, out) as timeline:
        start = 0
        for size in sizes or []:
            timeline.write(events.iloc[start: start + size])
            start += size
        timeline.write(events.iloc[start:])
    return out.getvalue(), timeline.close()


@pytest.fixture(params=["spliced", "whole"])
def exceptions(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of writing the exceptional rows: joined apart and spliced in, or patched."""
    monkeypatch.setattr(timeline_pieces, "SPLICE", 1.0 if request.param == "spliced" else 0.0)
    return str(request.param)


# --- hostile rows ---------------------------------------------------------------------------

HOSTILE = ['say "hi", then', "a,b", "cr\rhere", "lf\nhere", "crlf\r\nhere", "tab\there",
           "\ttab first", "=HYPERLINK(\"x\")", "+cmd", "-2+3", "@SUM(1)", "\uff1dSUM(1)",
           "\uff0bx", "\uff0dx", "\uff20x", "\uff21 not a trigger", "nul\0inside", "\0nul first",
           "\x01\x07\x08\x0b\x0c\x1b\x1f\x7f", "back\\slash", "emoji \U0001f600 \U0001f4a5",
           "", " ", " lead", "trail ", "'quoted'", '"', '""', ",", "\r", "\n", "=", "ünïcödé",
           "\u2028\u2029", "\ufeffbom", "-", "plain text"]


def _hostile_frame() -> pd.DataFrame:
    return _HOSTILE_FRAME().copy()


@functools.lru_cache(maxsize=1)
def _HOSTILE_FRAME() -> pd.DataFrame:  # noqa: N802 - built once, copied for each test
    n = len(HOSTILE)
    texts = HOSTILE
    shifted = HOSTILE[5:] + HOSTILE[:5]
    times = pd.Series(pd.to_datetime(
        [dt.datetime(2017, 4, 26, 16, 3, i % 60, tzinfo=dt.timezone.utc) for i in range(n)]
    )).astype("datetime64[ns, UTC]")
    times.iloc[3] = pd.NaT
    times.iloc[7] = pd.Timestamp("2024-03-14 09:12:03.4812", tz="UTC")
    times.iloc[8] = pd.Timestamp("2024-03-14 09:12:03.000000001", tz="UTC")
    times.iloc[9] = pd.Timestamp("1969-12-31 23:59:59.999999", tz="UTC")
    times.iloc[10] = pd.Timestamp("2262-04-11 23:47:16.854775", tz="UTC")
    times.iloc[11] = pd.Timestamp("1677-09-21 00:12:43.145225", tz="UTC")
    ints = [None if i % 4 == 0 else (i * 7919) * (-1) ** i for i in range(n)]
    ints[1], ints[2] = 2**63 - 1, -(2**63)
    kinds = [None if i % 9 == 0 else KINDS[i % len(KINDS)] for i in range(n)]
    return to_frame({
        "time": times, "host": shifted, "kind": kinds, "message": texts, "source": texts[::-1],
        "line": ints, "format": [None if i % 5 == 0 else ("=fmt,x" if i % 2 else "syslog")
                                 for i in range(n)],
        "program": [None if i % 3 == 0 else t for i, t in enumerate(shifted)],
        "pid": ints[::-1], "user": [None] * n, "count": [1] * n,
        "time_quality": ["exact"] * (n - 1) + [None],
        "module": [None] * (n - 2) + ["nf_conntrack", "=x"],
        "conntrack_max": [None] * (n - 1) + [65536],
        "conntrack_loaded": [None if i % 3 == 0 else bool(i % 2) for i in range(n)],
        "boot_id": ["b"] * n,
        "not_before": [None] * (n - 2) + [pd.Timestamp("2017-01-01", tz="UTC"), None],
        "not_after": [pd.Timestamp("2017-01-02 00:00:00.5", tz="UTC")] * n,
        "evidence": [None if i % 2 else t for i, t in enumerate(texts)],
        "command": texts,
    })


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("sizes", [None, [1] * 50, [0, 3, 0, 7, 11], [20]])
def test_hostile_rows_are_written_as_before(fmt: str, sizes: list[int] | None,
                                            exceptions: str) -> None:
    events = _hostile_frame()
    assert written(events, fmt, sizes) == oracle(events, fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("text", HOSTILE)
def test_each_hostile_text_alone_and_in_a_crowd(fmt: str, text: str) -> None:
    # alone: a column of one value is a literal; among plain rows: a rare exception
    alone = to_frame({"message": [text] * 3, "host": [text] * 3,
                      "time": [pd.Timestamp("2017-04-26 16:03:27", tz="UTC")] * 3})
    crowd = to_frame({"message": ["plain"] * 40 + [text], "command": [text] + [None] * 40,
                      "time": [pd.Timestamp("2017-04-26 16:03:27", tz="UTC")] * 41})
    for events in (alone, crowd):
        assert written(events, fmt) == oracle(events, fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_missing_values_in_every_column(fmt: str, exceptions: str) -> None:
    empty = to_frame({}, length=5)
    assert written(empty, fmt) == oracle(empty, fmt)
    for name in EVENT_COLUMNS:  # one column missing at a time, the others set
        events = _hostile_frame().head(12)
        events[name] = events[name].astype(EVENT_DTYPES[name]).where(
            events.index % 2 == 0, None)
        assert written(events, fmt, [5]) == oracle(events, fmt), name


# --- empty input, header once ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_no_rows_at_all_still_has_the_header(fmt: str) -> None:
    none = to_frame({}, length=0)
    expected = oracle(none, fmt)
    out = io.BytesIO()
    assert TimelineWriter(fmt, out).close() == 0 and out.getvalue() == expected[0]
    assert written(none, fmt, [0, 0]) == expected
    assert expected[0] == (b"" if fmt == "jsonl" else expected[0].splitlines(True)[0])


@pytest.mark.parametrize("fmt", ["csv", "timesketch"])
def test_the_header_is_written_once_before_the_first_row(fmt: str) -> None:
    events = _hostile_frame()
    text, _ = written(events, fmt, [0, 1, 0, 2, 5])
    header = text.split(b"\r\n", 1)[0]
    assert text.count(header + b"\r\n") == 1 and text.startswith(header)


def test_timesketch_counts_the_rows_left_out_over_chunks() -> None:
    events = to_frame({"message": list("abcdef"),
                       "time": [None, pd.Timestamp("2017-01-01", tz="UTC"), None, None,
                                pd.Timestamp("2017-01-02", tz="UTC"), None]})
    assert written(events, "timesketch", [1, 2, 1])[1] == 4
    assert written(to_frame({"message": ["x"]}), "timesketch")[1] == 1


def test_write_timeline_keeps_its_text_stream_api() -> None:
    events = _hostile_frame()
    for fmt in TEXT_FORMATS:
        out = io.StringIO()
        left_out = write_timeline(events, fmt, out)
        assert (out.getvalue().encode(), left_out) == oracle(events, fmt)
    with pytest.raises(ValueError, match="unknown timeline format"):
        write_timeline(events, "xml", io.StringIO())


def test_frames_of_other_dtypes_are_written_row_by_row_alike() -> None:
    # (without the times at the ends of pandas' range, which no other zone can show)
    events = _hostile_frame().drop(index=[10, 11]).astype({"message": object,
                                                           "line": "float64"})
    events["kind"] = events["kind"].astype(object)
    events["time"] = events["time"].dt.tz_convert("Asia/Shanghai")
    for fmt in TEXT_FORMATS:
        assert written(events, fmt, [4]) == oracle(events, fmt)


def test_a_missing_column_is_an_error() -> None:
    with pytest.raises(KeyError):
        TimelineWriter("csv", io.BytesIO()).write(pd.DataFrame({"message": ["x"]}))


# --- random frames --------------------------------------------------------------------------

_ALPHABET = st.sampled_from(list('ab ,"\'\r\n\t\0\x01\x1f\x7f\\=+-@'
                                 "\uff1d\uff20\u00e9\U0001f600"))
_TEXT = st.one_of(st.none(), st.text(_ALPHABET, max_size=6), st.sampled_from(HOSTILE))
_INT = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, 7]))
_TIME = st.one_of(st.none(), st.integers(-(2**62), 2**62).map(
    lambda ns: pd.Timestamp(ns, tz="UTC")), st.sampled_from(
    [pd.Timestamp("2017-04-26 16:03:27", tz="UTC"),
     pd.Timestamp("2017-04-26 16:03:27.25", tz="UTC")]))


@st.composite
def frames(draw: Any) -> tuple[pd.DataFrame, list[int]]:
    n = draw(st.integers(0, 40))
    columns: dict[str, Any] = {}
    for name, dtype in EVENT_DTYPES.items():
        if draw(st.booleans()) and name not in ("time", "message"):
            continue  # absent: all missing
        # a column of mostly one value now and then, to get literals and rare exceptions
        usual = draw(st.booleans())
        if name in ("time", "not_before", "not_after"):
            values = draw(st.lists(_TIME, min_size=n, max_size=n))
        elif name in ("kind",):
            values = draw(st.lists(st.one_of(st.none(), st.sampled_from(KINDS)), min_size=n,
                                   max_size=n))
        elif dtype == "Int64":
            values = draw(st.lists(_INT, min_size=n, max_size=n))
        elif dtype == "boolean":
            values = draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n))
        else:
            values = draw(st.lists(_TEXT, min_size=n, max_size=n))
        if usual and n:
            values = [values[0]] * (n - 1) + [values[-1]]
        columns[name] = values
    frame = to_frame(columns, length=n)
    sizes = draw(st.lists(st.integers(0, 12), max_size=5))
    return frame, sizes


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), st.sampled_from(TEXT_FORMATS), st.sampled_from([0.0, 1 / 64, 1.0]),
       st.sampled_from([1 / 16, 0.5]))
def test_random_frames_are_written_as_before(case: tuple[pd.DataFrame, list[int]], fmt: str,
                                             splice: float, rare: float) -> None:
    events, sizes = case
    saved = timeline_pieces.SPLICE, timeline_layouts.RARE
    timeline_pieces.SPLICE, timeline_layouts.RARE = splice, rare
    try:
        assert written(events, fmt, sizes) == oracle(events, fmt)
    finally:
        timeline_pieces.SPLICE, timeline_layouts.RARE = saved


def test_many_rows_in_slices_join_seamlessly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline_pieces, "SLICE", 7)
    events = pd.concat([_hostile_frame()] * 5, ignore_index=True)
    rng = np.random.default_rng(17)
    for fmt in TEXT_FORMATS:
        sizes = [int(s) for s in rng.integers(0, 40, size=6)]
        assert written(events, fmt, sizes) == oracle(events, fmt)


@pytest.mark.parametrize("pieces", [3, 12])
def test_frames_put_together_from_several_are_written_alike(pieces: int) -> None:
    # pd.concat keeps each text column as several Arrow arrays: written a run at a time (a
    # few), or made one first (many)
    events = pd.concat([_hostile_frame().iloc[i::pieces] for i in range(pieces)],
                       ignore_index=True)
    for fmt in TEXT_FORMATS:
        assert written(events, fmt, [5]) == oracle(events, fmt)


# --- parquet --------------------------------------------------------------------------------

def _read_back(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def test_parquet_gives_the_events_table_back() -> None:
    events = _hostile_frame()
    out = io.BytesIO()
    with TimelineWriter("parquet", out) as timeline:
        for start in range(0, len(events), 10):
            timeline.write(events.iloc[start: start + 10])
    back = _read_back(out.getvalue())
    # A category's categories come back as pandas' default str dtype (its values are the same);
    # everything else is exactly the model's dtype
    for name in ("kind", "format", "time_quality"):
        assert isinstance(back[name].dtype, pd.CategoricalDtype)
        assert list(back[name].cat.categories) == list(events[name].cat.categories)
        back[name] = back[name].astype(events[name].dtype)
    pd.testing.assert_frame_equal(back, events.reset_index(drop=True))
    assert back.dtypes.to_dict() == events.dtypes.to_dict()


def test_parquet_has_a_row_group_per_chunk_and_typed_columns() -> None:
    import pyarrow.parquet as pq

    events = _hostile_frame()
    out = io.BytesIO()
    with TimelineWriter("parquet", out) as timeline:
        timeline.write(events.iloc[:5])
        timeline.write(events.iloc[5:5])
        timeline.write(events.iloc[5:])
    meta = pq.ParquetFile(io.BytesIO(out.getvalue()))
    assert meta.metadata.num_row_groups == 2
    arrow = meta.schema_arrow
    assert str(arrow.field("time").type) == "timestamp[ns, tz=UTC]"
    kind = arrow.field("kind").type
    assert pa.types.is_dictionary(kind) and pa.types.is_integer(kind.index_type)
    assert str(arrow.field("line").type) == "int64" and arrow.field("line").nullable
    assert str(arrow.field("message").type) == "large_string"
    assert str(arrow.field("conntrack_loaded").type) == "bool"
    assert arrow.names == schema().names == list(EVENT_COLUMNS)


def test_parquet_of_no_rows_has_the_columns() -> None:
    out = io.BytesIO()
    assert TimelineWriter("parquet", out).close() == 0
    back = _read_back(out.getvalue())
    assert list(back.columns) == list(EVENT_COLUMNS) and len(back) == 0


class _Pipe(io.RawIOBase):
    """A sink that cannot seek or tell, like a pipe."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError("not seekable")

    def write(self, b: Any) -> int:
        self.data += bytes(b)
        return len(b)


def test_parquet_streams_to_a_sink_that_cannot_seek() -> None:
    events = _hostile_frame()
    sink = _Pipe()
    with TimelineWriter("parquet", sink) as timeline:  # type: ignore[arg-type]
        timeline.write(events)
    assert len(_read_back(bytes(sink.data))) == len(events)
