"""Timeline rows written one at a time, for the chunks the columnar writer cannot take.

The columnar writer (:mod:`.timeline_layouts`) reads the columns of
:data:`~conntrack_forensics.model.EVENT_DTYPES`. A frame built another way (a column of Python
objects, a category of numbers, a time zone other than UTC) is written here instead, value by
value, exactly as the timeline was always written: this module is that behaviour's definition.

Example:
    >>> from conntrack_forensics.model import to_frame
    >>> text, left_out = rows_text(to_frame({"message": ["=1+1"]}), "timesketch")
    >>> text, left_out
    ('', 1)
    >>> rows_text(to_frame({"message": ["a,b"], "line": [7]}), "csv")[0][:16]
    ',,,"a,b",,7,,,,,'
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pandas as pd

from ..model import EVENT_COLUMNS
from ..times import rfc3339
from .timeline_fields import (
    DEFAULT_TIMESTAMP_DESC,
    TIME_COLUMNS,
    TIMESKETCH_FIELDS,
    TIMESTAMP_DESC,
    neutralise,
)


def _value(col: str, v: Any) -> Any:
    if v is None or v is pd.NA or (not isinstance(v, str) and pd.isna(v)):
        return None
    if col in TIME_COLUMNS:
        return rfc3339(v)
    if hasattr(v, "item"):
        return v.item()
    return v


def _records(events: pd.DataFrame) -> Iterator[dict[str, Any]]:
    cols = list(EVENT_COLUMNS)
    for row in events[cols].itertuples(index=False, name=None):
        yield {c: _value(c, v) for c, v in zip(cols, row, strict=True)}


def _csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: neutralise(v) for k, v in rec.items()}


def rows_text(events: pd.DataFrame, fmt: str) -> tuple[str, int]:
    """The rows of ``events`` in ``fmt`` (csv, jsonl, timesketch; no header) and rows left out.

    Raises:
        ValueError: ``fmt`` is none of the three.
    """
    out = io.StringIO()
    if fmt == "jsonl":
        for rec in _records(events):
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return out.getvalue(), 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(EVENT_COLUMNS))
        for rec in _records(events):
            writer.writerow(_csv_row(rec))
        return out.getvalue(), 0
    if fmt == "timesketch":
        writer = csv.DictWriter(out, fieldnames=list(TIMESKETCH_FIELDS), extrasaction="ignore")
        left_out = 0
        for rec, when in zip(_records(events), events["time"], strict=True):
            if rec["time"] is None:
                left_out += 1
                continue
            rec["datetime"] = when.isoformat()
            rec["timestamp"] = when.value // 1000
            rec["timestamp_desc"] = TIMESTAMP_DESC.get(rec["kind"], DEFAULT_TIMESTAMP_DESC)
            writer.writerow(_csv_row(rec))
        return out.getvalue(), left_out
    raise ValueError(f"unknown timeline format {fmt}")
