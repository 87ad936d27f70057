"""Timelines for other tools: CSV, JSON Lines, Timesketch's CSV import format, and Parquet.

Log text is data, and a spreadsheet opening a CSV runs any cell that looks like a formula
(``=HYPERLINK(...)``, ``@SUM(...)``, ``+cmd``, ``-2+3``). Following OWASP's CSV injection
guidance, in the CSV and Timesketch outputs a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab (0x09), a carriage return (0x0D), a line feed (0x0A) or NUL (0x00), or with the
full-width ``＝`` ``＋`` ``－`` ``＠`` (U+FF1D, U+FF0B, U+FF0D, U+FF20) that some spreadsheets
read alike, is written with a single quote ``'`` in front (:data:`FORMULA_TRIGGERS`,
:func:`neutralise`); the csv module's quoting rules then apply, so the file stays valid CSV.
Numbers (line, pid, count, timestamp) are written as numbers. JSON Lines is not for
spreadsheets: its text is exactly the evidence's. Parquet keeps every column typed
(:mod:`.timeline_parquet`); docs/timeline.md describes each format.

:class:`TimelineWriter` writes a timeline from any number of chunks of events, each formatted
a column at a time (:mod:`.timeline_layouts`), millions of rows a second; a chunk of unusual
dtypes is written row by row (:mod:`.timeline_legacy`), with the same result.

Example:
    >>> import io
    >>> from conntrack_forensics.model import to_frame
    >>> out = io.BytesIO()
    >>> with TimelineWriter("csv", out) as timeline:
    ...     timeline.write(to_frame({"message": ["=1+1"], "line": [3]}))
    >>> out.getvalue().decode().splitlines()[1]
    ",,,'=1+1,,3,,,,,,,,,,,,,,,,,"
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import IO, TextIO

import pandas as pd

from ..model import EVENT_COLUMNS
from .timeline_columns import read_columns, runs
from .timeline_fields import (
    FORMATS,
    FORMULA_TRIGGERS,
    TIMESKETCH_FIELDS,
    TIMESTAMP_DESC,
    neutralise,
)
from .timeline_layouts import render
from .timeline_legacy import rows_text
from .timeline_parquet import ParquetSink

__all__ = ["FORMATS", "FORMULA_TRIGGERS", "TIMESKETCH_FIELDS", "TIMESTAMP_DESC",
           "TimelineWriter", "neutralise", "write_timeline"]

#: The first line of each format that has one.
HEADERS = {"csv": ",".join(EVENT_COLUMNS) + "\r\n",
           "timesketch": ",".join(TIMESKETCH_FIELDS) + "\r\n"}


class TimelineWriter:
    """A timeline written chunk by chunk to a binary file object.

    Args:
        fmt: ``csv``, ``jsonl``, ``timesketch`` or ``parquet``.
        out: where to write (``sys.stdout.buffer``, a file opened ``"wb"``); a pipe will do
            for every format.

    Raises:
        ValueError: ``fmt`` is not a timeline format.

    Example:
        >>> import io
        >>> from conntrack_forensics.model import to_frame
        >>> out = io.BytesIO()
        >>> timeline = TimelineWriter("timesketch", out)
        >>> timeline.write(to_frame({"message": ["no time here"]}))
        >>> timeline.close(), out.getvalue()[:27]
        (1, b'message,datetime,timestamp,')
    """

    def __init__(self, fmt: str, out: IO[bytes]) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown timeline format {fmt}")
        self.fmt = fmt
        self._bytes: Callable[[bytes | memoryview], object] = out.write
        # text from the row-by-row writer: a text stream takes it as it is (see _TextOut)
        self._text: Callable[[str], object] = getattr(
            out, "write_text", lambda text: out.write(text.encode("utf-8")))
        self._parquet = ParquetSink(out) if fmt == "parquet" else None
        self._started = False
        self._closed = False
        self._left_out = 0

    def _start(self) -> None:
        if not self._started:
            self._started = True
            if self.fmt in HEADERS:
                self._text(HEADERS[self.fmt])

    def write(self, chunk: pd.DataFrame) -> None:
        """Write the events of ``chunk`` (a frame with every event column; may be empty).

        Raises:
            KeyError: an event column is missing.
            ValueError: the writer is closed.
        """
        if self._closed:
            raise ValueError("write to a closed timeline")
        if self._parquet is not None:
            self._parquet.write(chunk)
            return
        self._start()
        for start, stop in runs(chunk, EVENT_COLUMNS):
            self._write(chunk if (start, stop) == (0, len(chunk)) else chunk.iloc[start:stop])

    def _write(self, chunk: pd.DataFrame) -> None:
        columns = read_columns(chunk, EVENT_COLUMNS)
        if columns is not None and (self.fmt != "timesketch"
                                    or columns["kind"].kind in ("category", "null")):
            lead, body, left_out = render(columns, self.fmt, len(chunk))
            if lead:
                self._bytes(lead)
            for part in body:
                self._bytes(part)
        else:
            text, left_out = rows_text(chunk, self.fmt)
            if text:
                self._text(text)
        self._left_out += left_out

    def close(self) -> int:
        """Finish the timeline (the header of one without rows, Parquet's footer).

        Returns:
            Rows left out: events without a time, which Timesketch cannot import.
        """
        if not self._closed:
            self._closed = True
            if self._parquet is not None:
                self._parquet.close()
            else:
                self._start()
        return self._left_out

    def __enter__(self) -> TimelineWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            self.close()


class _TextOut:
    """A text stream as the binary file a :class:`TimelineWriter` writes to.

    Bytes (always whole UTF-8 rows) are decoded and text passes as it is, so the stream's
    own encoding, newline and error rules apply, as they did before timelines were binary.
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, data: bytes | memoryview) -> int:
        return self._out.write(bytes(data).decode("utf-8"))

    def write_text(self, text: str) -> int:
        return self._out.write(text)


def write_timeline(events: pd.DataFrame, fmt: str, out: TextIO) -> int:
    """Write events in ``fmt`` (csv, jsonl, timesketch) to a text stream; rows left out.

    ``parquet`` is written to the stream's binary buffer (``out.buffer``).

    Raises:
        ValueError: ``fmt`` is not a timeline format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown timeline format {fmt}")
    if fmt == "parquet":
        out.flush()  # what was written as text comes first
        writer = TimelineWriter(fmt, out.buffer)
    else:
        writer = TimelineWriter(fmt, _TextOut(out))  # type: ignore[arg-type]
    writer.write(events)
    return writer.close()
