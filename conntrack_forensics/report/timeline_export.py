"""Timelines for other tools: CSV, JSON Lines, and Timesketch's CSV import format.

Log text is data, and a spreadsheet opening a CSV runs any cell that looks like a formula
(``=HYPERLINK(...)``, ``@SUM(...)``, ``+cmd``, ``-2+3``). Following OWASP's CSV injection
guidance, in the CSV and Timesketch outputs a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab (0x09), a carriage return (0x0D), a line feed (0x0A) or NUL (0x00), or with the
full-width ``＝`` ``＋`` ``－`` ``＠`` (U+FF1D, U+FF0B, U+FF0D, U+FF20) that some spreadsheets
read alike, is written with a single quote ``'`` in front (:data:`FORMULA_TRIGGERS`,
:func:`neutralise`); the csv module quotes it as any other cell, so the file stays valid CSV.
Numbers (line, pid, count, timestamp) are written as numbers. JSON Lines is not for
spreadsheets: its text is exactly the evidence's.
"""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

import pandas as pd

from ..model import EVENT_COLUMNS
from ..times import rfc3339

_TIME_COLUMNS = ("time", "not_before", "not_after")
#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0",
                    "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: Timesketch's CSV import: ``message``, ``datetime`` (ISO 8601 with offset) and
#: ``timestamp_desc`` are mandatory; ``timestamp`` (microseconds since 1970) is read when
#: present; any other column becomes an attribute of the event.
TIMESKETCH_FIELDS = ("message", "datetime", "timestamp", "timestamp_desc", "host", "kind",
                     "source", "line", "format", "program", "pid", "user", "count",
                     "time_quality", "command", "module", "evidence")
#: What each kind's time is, in Timesketch's ``timestamp_desc`` sense.
TIMESTAMP_DESC = {
    "command": "Command Run",
    "snapshot": "State Captured",
    "boot": "Boot",
    "shutdown": "Shutdown",
    "module_load": "Module Loaded",
    "login": "Login",
}


def _value(col: str, v: Any) -> Any:
    if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)):
        return None
    if col in _TIME_COLUMNS:
        return rfc3339(v)
    if hasattr(v, "item"):
        return v.item()
    return v


def neutralise(value: Any) -> Any:
    """``value`` with a ``'`` in front when it is text a spreadsheet would run as a formula.

    >>> neutralise("@SUM(A1)"), neutralise("-2+3"), neutralise("ok"), neutralise(-2)
    ("'@SUM(A1)", "'-2+3", 'ok', -2)
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: neutralise(v) for k, v in rec.items()}


def _records(events: pd.DataFrame) -> Any:
    cols = list(EVENT_COLUMNS)
    for row in events[cols].itertuples(index=False, name=None):
        yield {c: _value(c, v) for c, v in zip(cols, row, strict=True)}


def write_timeline(events: pd.DataFrame, fmt: str, out: TextIO) -> int:
    """Write events in ``fmt`` (csv, jsonl, timesketch); returns rows left out."""
    if fmt == "jsonl":
        for rec in _records(events):
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(EVENT_COLUMNS))
        writer.writeheader()
        for rec in _records(events):
            writer.writerow(_csv_row(rec))
        return 0
    if fmt == "timesketch":
        writer = csv.DictWriter(out, fieldnames=list(TIMESKETCH_FIELDS), extrasaction="ignore")
        writer.writeheader()
        left_out = 0
        for rec, when in zip(_records(events), events["time"], strict=True):
            if rec["time"] is None:
                left_out += 1
                continue
            rec["datetime"] = when.isoformat()
            rec["timestamp"] = when.value // 1000
            rec["timestamp_desc"] = TIMESTAMP_DESC.get(rec["kind"], "Event Logged")
            writer.writerow(_csv_row(rec))
        return left_out
    raise ValueError(f"unknown timeline format {fmt}")
