"""Timeline exports checked against what other tools import (timeline_export.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest

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


FORMULAS = ['=HYPERLINK("http://evil.example/?x","click")', "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3", "+cmd", "\tls -l"]


def _formula_evidence(tmp_path: Path) -> Path:
    """A shell history whose commands a spreadsheet would run, and a syslog line that is one."""
    lines = []
    for n, cmd in enumerate(FORMULAS):
        lines += [f"#{1493222600 + n}", cmd]
    (tmp_path / ".bash_history").write_text("\n".join(lines) + "\n")
    (tmp_path / "messages").write_text(
        "Apr 27 00:03:27 bogon kernel: nf_conntrack: table full, dropping packet.\n"
        "Apr 27 00:03:28 bogon sshd[5]: =cmd|' /C calc'!A0\n")
    return tmp_path


@pytest.mark.parametrize("fmt", ["csv", "timesketch"])
def test_csv_cells_that_spreadsheets_run_as_formulas_are_quoted(tmp_path: Path,
                                                                 fmt: str) -> None:
    events = cf.load(_formula_evidence(tmp_path), year=2017, full=True).events
    out = io.StringIO()
    write_timeline(events, fmt, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    cells = [v for r in rows for k, v in r.items() if k not in ("timestamp",)]
    # OWASP: no cell may start with = + - @ tab or CR; each is the text behind one quote
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    messages = {r["message"] for r in rows}
    assert {"'" + f for f in FORMULAS} <= messages
    assert "'=cmd|' /C calc'!A0" in messages
    commands = {r["command"] for r in rows if r["kind"] == "command"}
    assert commands == {"'" + f for f in FORMULAS}
    assert len(rows) == len(events)  # still one valid CSV row per event
    assert all(int(r["line"]) > 0 for r in rows)  # numbers stay numbers


def test_jsonl_keeps_formula_like_text_exact(tmp_path: Path) -> None:
    events = cf.load(_formula_evidence(tmp_path), year=2017, full=True).events
    out = io.StringIO()
    write_timeline(events, "jsonl", out)
    messages = {json.loads(x)["message"] for x in out.getvalue().splitlines()}
    assert set(FORMULAS) <= messages


@pytest.mark.parametrize("text", ["\rcmd", "\x00x", "\uff1dSUM(1)", "=1", "@A1"])
def test_every_documented_trigger_is_neutralised(text: str) -> None:
    from conntrack_forensics.report.timeline_export import FORMULA_TRIGGERS, neutralise

    assert text.startswith(FORMULA_TRIGGERS)
    assert neutralise(text) == "'" + text
    assert neutralise("ls -l =x") == "ls -l =x"
