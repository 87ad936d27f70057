r"""What a row of each text format is made of: its cells, column by column, as pieces.

:func:`render` turns the columns of a chunk (:mod:`.timeline_columns`) into the bytes of its
rows in ``csv``, ``jsonl`` or ``timesketch``, byte for byte what the row-by-row writer
(:mod:`.timeline_legacy`) writes: each column becomes one piece of the row
(:mod:`.timeline_pieces`), formatted at once for every row (:mod:`.timeline_text`,
:mod:`.timeline_stamps`). A column that has one value in every row (a host, a source file, a
column no parser fills) or a value in only a few rows becomes a table of texts, which costs
next to nothing to write.

Example:
    >>> from conntrack_forensics.model import EVENT_COLUMNS, to_frame
    >>> from conntrack_forensics.report.timeline_columns import read_columns
    >>> chunk = to_frame({"message": ['say "hi"', "=x"], "line": [1, 2]})
    >>> lead, body, left_out = render(read_columns(chunk, EVENT_COLUMNS), "jsonl", 2)
    >>> print((lead + b"".join(body)).decode().splitlines()[0][43:82])
    "message": "say \"hi\"", "source": null
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import EVENT_COLUMNS
from .timeline_columns import Column
from .timeline_fields import (
    DEFAULT_TIMESTAMP_DESC,
    TIMESKETCH_FIELDS,
    TIMESTAMP_DESC,
    neutralise,
)
from .timeline_pieces import Coded, Piece, join_rows
from .timeline_stamps import NAT, micros, stamps
from .timeline_text import STRING, Patched, csv_cells, json_strings, quoted, without

#: A column with another value than its usual one in at most this share of its rows is
#: written as a table of one text plus patches.
RARE = 1 / 16
#: Rows looked at to guess a column's usual value before counting it.
_SAMPLES = 16
#: A row's text where a column has no value: CSV leaves the cell empty, JSON writes null.
NULL = {"csv": "", "jsonl": "null", "timesketch": ""}


def csv_text(value: str) -> str:
    """One text cell as the csv module writes it, formula neutralised.

    >>> print(csv_text("=a,b"), csv_text("plain"))
    "'=a,b" plain
    """
    return csv_cells(pa.array([value], STRING)).whole()[0].as_py()


def _json_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _usual(values: pa.Array) -> tuple[object, np.ndarray] | None:
    """The value (``None`` for null) almost every row has, and the rows that have another.

    >>> _usual(pa.array([7] * 40 + [None, 8]))[0], _usual(pa.array([1, 2] * 20))
    (7, None)
    """
    n = len(values)
    if n - values.null_count <= n * RARE:
        return None, np.flatnonzero(np.asarray(values.is_valid()))
    # a guess from a few rows: a column of varied text (a message) costs nothing more
    sample = values.take(pa.array(np.linspace(0, n - 1, min(n, _SAMPLES)).astype(np.int64)))
    counts = pc.value_counts(sample.drop_null())
    if not len(counts):
        return None
    best = int(np.argmax(np.asarray(counts.field("counts"))))
    if int(counts.field("counts")[best].as_py()) < len(sample) * (1 - 2 * RARE):
        return None
    value = counts.field("values")[best]
    same = np.asarray(pc.equal(values, value).fill_null(False))
    others = np.flatnonzero(~same)
    if len(others) > n * RARE:
        return None
    return value.as_py(), others


class _Cells:
    """Cells of one format: how a value of each kind is written.

    Args:
        fmt: ``csv``, ``timesketch`` or ``jsonl``.
    """

    def __init__(self, fmt: str) -> None:
        self.json = fmt == "jsonl"
        self.null = NULL[fmt]

    def text(self, value: str) -> str:
        """One text value."""
        return _json_text(value) if self.json else csv_text(value)

    def _texts(self, values: pa.Array) -> Patched:
        return json_strings(values) if self.json else csv_cells(values)

    def whole(self, kind: str, values: pa.Array) -> pa.Array:
        """Every cell of a few rows of a text or int column (nulls too), as one column."""
        if kind == "text":
            cells = self._texts(values).whole()
            cells = quoted(cells) if self.json else cells
        else:
            cells = values.cast(STRING)
        return cells.fill_null(self.null) if cells.null_count else cells

    def _filled(self, cells: pa.Array) -> pa.Array:
        # the rows joined replace a null with "" (a patched cell's place); JSON's is null
        return cells.fill_null(self.null) if self.json and cells.null_count else cells

    def piece(self, column: Column, n: int) -> list[Piece]:
        """The pieces of a column's cells."""
        kind, values = column.kind, column.values
        if kind == "null":
            return [Coded.literal(self.null)]
        if kind == "time":
            return [self._filled(stamps(values, "rfc3339", '"' if self.json else ""))]
        if kind == "category":
            names = column.categories.to_pylist() if column.categories is not None else []
            entries = (self.null,) + tuple(self.text(c) for c in names)
            return [_coded(entries, values + 1)]
        if kind == "bool":
            words = ("false", "true") if self.json else ("False", "True")
            valid = np.asarray(values.is_valid())
            truth = np.asarray(values.fill_null(False))
            return [_coded((self.null,) + words, np.where(valid, 1 + truth, 0))]
        usual = _usual(values)
        if usual is not None:
            value, rows = usual
            text = (self.null if value is None else
                    self.text(str(value)) if kind == "text" else str(value))
            return [Coded((text,), None, rows.astype(np.int64),
                          self.whole(kind, values.take(pa.array(rows))))]
        if kind == "int":
            return [self._filled(values.cast(STRING))]
        if self.json and values.null_count:
            # the quotes in each cell, null written null; the escaped rows patched
            escaped = json_strings(values)
            cells = quoted(values).fill_null(self.null)
            return [Patched(without(cells, escaped.rows), escaped.rows,
                            quoted(escaped.patches))]
        cells = self._texts(values)
        if self.json:
            # no null: the quotes go into the literals beside the column, not into each cell
            return [Coded.literal('"'), cells, Coded.literal('"')]
        return [cells]


def _coded(entries: tuple[str, ...], codes: np.ndarray) -> Coded:
    """A coded piece, or a literal when every row has the same entry."""
    if len(codes) and codes.min() == codes.max():
        return Coded.literal(entries[int(codes[0])])
    return Coded(entries, codes.astype(np.int64))


def _csv_pieces(columns: dict[str, Column], names: tuple[str, ...], n: int,
                cells: _Cells) -> list[Piece]:
    pieces: list[Piece] = []
    for i, name in enumerate(names):
        if i:
            pieces.append(Coded.literal(","))
        pieces += cells.piece(columns[name], n)
    pieces.append(Coded.literal("\r\n"))
    return pieces


def _jsonl_pieces(columns: dict[str, Column], n: int, cells: _Cells) -> list[Piece]:
    pieces: list[Piece] = []
    for i, name in enumerate(EVENT_COLUMNS):
        pieces.append(Coded.literal(("{" if not i else ", ") + _json_text(name) + ": "))
        pieces += cells.piece(columns[name], n)
    pieces.append(Coded.literal("}\n"))
    return pieces


def _timesketch_columns(columns: dict[str, Column]) -> tuple[dict[str, Column], int, int]:
    """The columns of the rows that have a time, with Timesketch's own; rows, rows left out."""
    when = columns["time"]
    if when.kind == "null":
        return {}, 0, -1
    valid = when.values != NAT
    kept = int(valid.sum())
    if kept < len(valid):
        rows = np.flatnonzero(valid)
        columns = {name: column.take(rows) for name, column in columns.items()}
        when = columns["time"]
    out = dict(columns)
    out["timestamp"] = Column("int", pa.array(micros(when.values)))
    return out, kept, len(valid) - kept


def _timesketch_pieces(columns: dict[str, Column], n: int, cells: _Cells) -> list[Piece]:
    kind = columns["kind"]
    pieces: list[Piece] = []
    for i, name in enumerate(TIMESKETCH_FIELDS):
        if i:
            pieces.append(Coded.literal(","))
        if name == "datetime":
            pieces.append(stamps(columns["time"].values, "iso"))
        elif name == "timestamp_desc":
            # the description of each kind, neutralised and quoted like any other text
            names = (kind.categories.to_pylist()
                     if kind.kind == "category" and kind.categories is not None else [])
            descs = [DEFAULT_TIMESTAMP_DESC] + [TIMESTAMP_DESC.get(k, DEFAULT_TIMESTAMP_DESC)
                                                for k in names]
            codes = kind.values + 1 if kind.kind == "category" else None
            entries = tuple(csv_text(neutralise(d)) for d in descs)
            pieces.append(_coded(entries, codes) if codes is not None else
                          Coded.literal(entries[0]))
        else:
            pieces += cells.piece(columns[name], n)
    pieces.append(Coded.literal("\r\n"))
    return pieces


def render(columns: dict[str, Column], fmt: str, n: int
           ) -> tuple[bytes, Iterator[memoryview], int]:
    """The rows of a chunk of ``n`` rows in ``fmt``: ``lead``, the body's parts, rows left out.

    Args:
        columns: every event column of the chunk, read (:func:`.read_columns`); for
            ``timesketch`` a ``kind`` that is not a category must be all missing.
        fmt: ``csv``, ``jsonl`` or ``timesketch``.
        n: rows of the chunk.
    """
    cells = _Cells(fmt)
    left_out = 0
    if fmt == "csv":
        pieces = _csv_pieces(columns, EVENT_COLUMNS, n, cells)
    elif fmt == "jsonl":
        pieces = _jsonl_pieces(columns, n, cells)
    else:
        columns, kept, left_out = _timesketch_columns(columns)
        if left_out < 0:
            return b"", iter(()), n
        n = kept
        pieces = _timesketch_pieces(columns, n, cells)
    lead, body = join_rows(pieces, n)
    return lead, body, left_out
