"""Timeline exports checked against what other tools import (timeline_export.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pandas as pd

import conntrack_forensics as cf
from conntrack_forensics.model import EVENT_COLUMNS
from conntrack_forensics.report.timeline_export import write_timeline
from tests.conftest import SAMPLES


def _events() -> pd.DataFrame:
    return cf.load(SAMPLES / "bogon-nat-listing").events


def test_timesketch_csv_has_the_mandatory_fields_in_their_formats() -> None:
    # Timesketch's import guide: a header line; message, datetime (ISO 8601, e.g.
    # 2015-07-24T19:01:01+00:00) and timestamp_desc are mandatory; other columns are kept.
    events = _events()
    out = io.StringIO()
    left_out = write_timeline(events, "timesketch", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert left_out == int(events["time"].isna().sum())
    assert len(rows) == len(events) - left_out
    for row in rows:
        assert row["message"] != "" and row["timestamp_desc"] != ""
        when = dt.datetime.fromisoformat(row["datetime"])
        assert when.utcoffset() == dt.timedelta(0)
        assert int(row["timestamp"]) == round(when.timestamp() * 1_000_000)
    first = next(r for r in rows if r["kind"] == "command")
    assert first["timestamp_desc"] == "Command Run" and first["command"]
    drop = next(r for r in rows if r["kind"] == "conntrack_drop")
    assert drop["datetime"] == "2017-04-26T16:03:27+00:00"
    assert drop["source"].endswith("var/log/messages") and int(drop["line"]) > 0


def test_jsonl_and_csv_carry_every_column_and_every_event() -> None:
    events = _events()
    out = io.StringIO()
    assert write_timeline(events, "jsonl", out) == 0
    recs = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(recs) == len(events) and list(recs[0]) == list(EVENT_COLUMNS)
    out = io.StringIO()
    write_timeline(events, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == len(events) and list(rows[0]) == list(EVENT_COLUMNS)
    untimed = [r for r in rows if r["time"] == ""]
    assert len(untimed) == int(events["time"].isna().sum())
