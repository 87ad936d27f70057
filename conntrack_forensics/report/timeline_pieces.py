r"""Rows of text put together from whole columns: the assembly line of the columnar writer.

A row of output is a sequence of *pieces*, each the same kind of text in every row: a
:class:`Coded` piece (text from a small table, by a code per row: a literal such as ``,`` or
``", "host": "``, a category, a boolean, a column with one value in almost every row) or a
column of text (an Arrow ``large_string`` array, one cell per row, or a
:class:`.timeline_text.Patched` one). :func:`join_rows` merges neighbouring coded pieces into
one (their tables multiply), so that a row of 23 columns costs the price of a few, and lets
Arrow join the rest row by row into buffers of bytes: the output, written as they are.

A few rows are exceptions: a cell that needs quotes or escapes, a column's rare other value.
Where they are few (:data:`SPLICE`), every row is first joined as if it were usual (a coded
piece of one text is then one literal for the whole column, not a column of copies), the
exceptional rows are joined apart, and their text takes the place of theirs as the bytes are
written. Where they are many, each piece is made whole first.

Example:
    >>> import pyarrow as pa
    >>> cells = pa.array(["a", None, "c"], pa.large_string())
    >>> kinds = Coded(("x", "y"), np.array([0, 1, 1]))
    >>> odd = Coded((";",), None, np.array([2]), pa.array(["!"], pa.large_string()))
    >>> lead, body = join_rows([Coded.literal("<"), cells, Coded.literal(","), kinds, odd,
    ...                         Coded.literal(">\\n")], 3)
    >>> lead + b"".join(body)
    b'<a,x;>\\n<,y;>\\n<c,y!>\\n'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .timeline_text import Patched

STRING = pa.large_string()
#: Most entries a merged table may have: merging two pieces multiplies their tables.
MAX_ENTRIES = 4096
#: Rows joined at a time (a few megabytes of text).
SLICE = 1 << 15
#: Most exceptional rows, as a share of all, that are joined apart and spliced in.
SPLICE = 1 / 64
_NO_ROWS = np.zeros(0, dtype=np.int64)
#: A piece of a row: a coded piece, a column of text, or one with patched rows.
Piece: TypeAlias = "Coded | Patched | pa.Array"


@dataclasses.dataclass(frozen=True)
class Coded:
    """Text per row from a small table: ``entries[codes[i]]``, except in ``rows``.

    Attributes:
        entries: the table's texts.
        codes: each row's entry (int64), or ``None`` when every row has entry 0.
        rows: rows whose text is their own (sorted, once each).
        patches: the text of each of ``rows``, in order (a large_string array, no nulls).
    """

    entries: tuple[str, ...]
    codes: np.ndarray | None = None
    rows: np.ndarray = dataclasses.field(default_factory=lambda: _NO_ROWS)
    patches: pa.Array | None = None

    @staticmethod
    def literal(text: str) -> Coded:
        """The same ``text`` in every row."""
        return Coded((text,))

    @property
    def is_literal(self) -> bool:
        """Whether every row has the same text."""
        return len(self.entries) == 1 and not len(self.rows)

    def texts_at(self, rows: np.ndarray) -> pa.Array:
        """The text of each of ``rows``."""
        codes = (self.codes[rows] if self.codes is not None
                 else np.zeros(len(rows), dtype=np.int64))
        if len(self.rows):
            at = np.minimum(np.searchsorted(self.rows, rows), len(self.rows) - 1)
            own = self.rows[at] == rows
            codes = np.where(own, len(self.entries) + at, codes)
        return self._table().take(pa.array(codes))

    def _table(self) -> pa.Array:
        table = pa.array(self.entries, STRING)
        if self.patches is not None and len(self.patches):
            table = pa.concat_arrays([table, self.patches])
        return table

    def column(self, n: int) -> pa.Array:
        """The text of every one of ``n`` rows."""
        codes = (self.codes.astype(np.int64, copy=True) if self.codes is not None
                 else np.zeros(n, dtype=np.int64))
        codes[self.rows] = len(self.entries) + np.arange(len(self.rows))
        return self._table().take(pa.array(codes))


def merge(left: Coded, right: Coded) -> Coded | None:
    """One piece for ``left`` followed by ``right``, or ``None`` when the table would be big.

    >>> merge(Coded(("a", "b"), np.array([0, 1])), Coded.literal(",")).entries
    ('a,', 'b,')
    """
    if len(left.entries) * len(right.entries) > MAX_ENTRIES:
        return None
    entries = tuple(a + b for a in left.entries for b in right.entries)
    codes = None
    if left.codes is not None:
        # a one-entry table on the right (a literal) keeps the left's codes as they are
        codes = left.codes * len(right.entries) if len(right.entries) > 1 else left.codes
        if right.codes is not None:
            codes = codes + right.codes
    elif right.codes is not None:
        codes = right.codes
    rows = (right.rows if not len(left.rows) else left.rows if not len(right.rows)
            else np.union1d(left.rows, right.rows).astype(np.int64))
    patches = None
    if len(rows):
        patches = pc.binary_join_element_wise(left.texts_at(rows), right.texts_at(rows),
                                              pa.scalar("", STRING))
    return Coded(entries, codes, rows, patches)


def _merged(pieces: list[Any]) -> list[Any]:
    out: list[Any] = []
    for piece in pieces:
        if out and isinstance(piece, Coded) and isinstance(out[-1], Coded):
            both = merge(out[-1], piece)
            if both is not None:
                out[-1] = both
                continue
        out.append(piece)
    return out


def _rows(piece: Piece) -> np.ndarray:
    return piece.rows if isinstance(piece, (Coded, Patched)) else _NO_ROWS


def _usual(piece: Piece) -> Coded | pa.Array:
    """The piece as every row but the exceptional ones has it."""
    if isinstance(piece, Coded):
        return Coded(piece.entries, piece.codes) if len(piece.rows) else piece
    return piece.cells if isinstance(piece, Patched) else piece


def _whole(piece: Piece) -> Coded | pa.Array:
    """The piece with every row's own text."""
    return piece.whole() if isinstance(piece, Patched) else piece


def _at(piece: Piece, rows: np.ndarray) -> pa.Array:
    """The text of ``rows`` (sorted; every patched row of the piece among them)."""
    if isinstance(piece, Coded):
        return piece.texts_at(rows)
    if isinstance(piece, Patched):
        cells = piece.cells.take(pa.array(rows))
        if not len(piece.rows):
            return cells
        mask = np.zeros(len(rows), dtype=bool)
        mask[np.searchsorted(rows, piece.rows)] = True
        return pc.replace_with_mask(cells, pa.array(mask), piece.patches)
    return piece.take(pa.array(rows))


def _args(parts: list[Any], n: int) -> list[Any]:
    """Arguments of Arrow's join: a literal as one value, any other piece as a column."""
    return [p if not isinstance(p, Coded) else
            (pa.scalar(p.entries[0], STRING) if p.is_literal else p.column(n)) for p in parts]


def _join(args: list[Any], n: int) -> pa.Array:
    """Arrow's row-by-row join of the arguments (a null cell written as nothing)."""
    if len(args) == 1:
        one = args[0] if isinstance(args[0], pa.Array) else pa.repeat(args[0], n)
        return one.fill_null("") if one.null_count else one
    options = pc.JoinOptions(null_handling="replace", null_replacement="")
    return pc.binary_join_element_wise(*args, pa.scalar("", STRING), options=options)


def _text(joined: pa.Array) -> tuple[np.ndarray, memoryview]:
    """Offsets (from 0) and the bytes of a joined array."""
    buffers = joined.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[joined.offset:
                                                        joined.offset + len(joined) + 1]
    data = memoryview(buffers[2]) if buffers[2] is not None else memoryview(b"")
    return offsets - offsets[0], data[int(offsets[0]):]


def join_rows(pieces: list[Piece], n: int) -> tuple[bytes, Iterator[memoryview]]:
    """The ``n`` rows the pieces make, as bytes: ``lead``, then each part of the ``body``.

    The rows are joined :data:`SLICE` at a time, each part written before the next is made:
    the memory of one part is used again for the next, and a chunk of a million rows never
    needs its whole text in memory.

    Args:
        pieces: the pieces of ``n`` rows, in row order; a null cell of a column is
            written as nothing.
        n: rows.

    Returns:
        ``lead`` (bytes to write first) and the body's parts (views of Arrow's buffers).
    """
    if not n:
        return b"", iter(())
    # The text every row starts with is, in the output, the end of the row before: moved
    # there it joins the last piece's table (free) instead of being a column of its own.
    literals = [p.entries[0] if isinstance(p, Coded) and p.is_literal else None for p in pieces]
    first = next((i for i, text in enumerate(literals) if text is None), 0)
    lead = "".join(text or "" for text in literals[:first])
    pieces = list(pieces[first:]) + list(pieces[:first])
    odd = _NO_ROWS
    for piece in pieces:
        rows = _rows(piece)
        if len(rows):
            odd = rows if not len(odd) else np.union1d(odd, rows)
    spliced = bool(len(odd)) and len(odd) <= n * SPLICE
    usual = _merged([_usual(p) if spliced else _whole(p) for p in pieces])
    args = _args(usual, n)
    apart = _join([_at(p, odd) for p in pieces], len(odd)) if spliced else None
    return lead.encode(), _spliced(args, n, len(lead.encode()), odd if spliced else _NO_ROWS,
                                   apart)


def _spliced(args: list[Any], n: int, cut: int, odd: np.ndarray, apart: pa.Array | None
             ) -> Iterator[memoryview]:
    """The rows joined a slice at a time, with ``apart``'s text for rows ``odd``.

    ``cut`` bytes are left out at the very end (the lead, moved to the end of every row).
    """
    odd_offsets, odd_text = _text(apart) if apart is not None else (np.zeros(1, np.int64),
                                                                    memoryview(b""))
    pending = memoryview(b"")
    for start in range(0, n, SLICE):
        stop = min(start + SLICE, n)
        offsets, text = _text(_join([a.slice(start, SLICE) if isinstance(a, pa.Array) else a
                                     for a in args], stop - start))
        first, last = np.searchsorted(odd, [start, stop])
        at = 0
        for j in range(first, last):
            row = odd[j] - start
            for part in (text[at: offsets[row]], odd_text[odd_offsets[j]: odd_offsets[j + 1]]):
                if len(part):
                    if len(pending):
                        yield pending
                    pending = part
            at = offsets[row + 1]
        part = text[at: offsets[-1]]
        if len(part):
            if len(pending):
                yield pending
            pending = part
    if len(pending) > cut:
        yield pending[: len(pending) - cut]
