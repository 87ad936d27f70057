r"""Text cells of a whole column at once: CSV quoting, formula neutralising, JSON escaping.

A column is an Arrow ``large_string`` array. Most log text needs no change in any format, so
each function first finds, with one pass of numpy over the column's UTF-8 bytes, the few rows
that hold a byte needing care, changes only those rows with Arrow's string kernels, and puts
them back; a column without such a byte is returned as it is, not copied.

The rules are those of the writers they replace, to the byte:

- CSV (Python's :mod:`csv`, default dialect): a cell is quoted when it holds ``,``, ``"``,
  ``\r`` or ``\n``, and its quotes are doubled; an empty cell is not quoted.
- Formula neutralising (:func:`.timeline_fields.neutralise`): a cell that starts with one of
  :data:`.timeline_fields.FORMULA_TRIGGERS` gets a ``'`` in front, before quoting.
- JSON (:func:`json.dumps` with ``ensure_ascii=False``): ``"`` and ``\`` are escaped with a
  backslash, ``\b \f \n \r \t`` by name, other characters below U+0020 as ``\u00XX``;
  everything else, U+007F and non-BMP characters included, is written as it is.

The changed rows come back apart (:class:`Patched`): the column, with those rows made null (a
new validity bitmap over the same bytes, no copy), and their new text; the writer
(:mod:`.timeline_pieces`) writes those rows apart, or makes the column whole when they are many.

Example:
    >>> import pyarrow as pa
    >>> col = pa.array(["ok", 'say "hi", then', "=1+1", None], pa.large_string())
    >>> csv_cells(col).whole().to_pylist()
    ['ok', '"say ""hi"", then"', "'=1+1", None]
    >>> json_strings(pa.array(['a\tb "c"'], pa.large_string())).whole().to_pylist()
    ['a\\tb \\"c\\"']
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .timeline_fields import FORMULA_TRIGGERS

STRING = pa.large_string()
#: Bytes that make Python's csv module quote a cell (delimiter, quote char, line terminator).
CSV_SPECIAL = (ord(","), ord('"'), ord("\r"), ord("\n"))
#: Bytes json.dumps escapes: the quote, the backslash, and everything below 0x20.
JSON_SPECIAL = (ord('"'), ord("\\"))
JSON_BELOW = 0x20
#: json.dumps's short escapes; any other control character is written ``\u00XX``.
_JSON_SHORT = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Bytes scanned at a time: small enough for the comparisons to stay in the CPU's cache.
_BLOCK = 1 << 17
#: The ASCII formula triggers as bytes; the full-width ones all start with UTF-8 0xEF.
_ASCII_TRIGGERS = np.array(sorted(ord(t) for t in FORMULA_TRIGGERS if ord(t) < 0x80),
                           dtype=np.uint8)
_WIDE_TRIGGERS = tuple(t.encode() for t in FORMULA_TRIGGERS if ord(t) >= 0x80)
#: Which first bytes are formula triggers (all but the full-width ones, which start with 0xEF).
_FIRST = np.zeros(256, dtype=bool)
_FIRST[_ASCII_TRIGGERS] = True
_NO_ROWS = np.zeros(0, dtype=np.int64)


class Patched(NamedTuple):
    """A column whose ``rows`` are null in ``cells`` and have the text ``patches`` instead.

    Attributes:
        cells: the column, with ``rows`` null.
        rows: the rows changed (sorted int64).
        patches: their new text, in order (no nulls).
    """

    cells: pa.Array
    rows: np.ndarray
    patches: pa.Array

    def whole(self) -> pa.Array:
        """The column with the new text in its rows (a copy when some row changed)."""
        if not len(self.rows):
            return self.cells
        mask = np.zeros(len(self.cells), dtype=bool)
        mask[self.rows] = True
        return pc.replace_with_mask(self.cells, pa.array(mask), self.patches)


def large_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``values`` as one ``large_string`` array (no copy when it is one already).

    >>> large_strings(pa.chunked_array([["a"], ["b"]])).type
    DataType(large_string)
    """
    if isinstance(values, pa.ChunkedArray):
        values = (values.combine_chunks() if values.num_chunks != 1 else values.chunk(0))
    if values.type != STRING:
        values = values.cast(STRING)
    return values


def layout(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (``len(values) + 1`` of them) and the UTF-8 bytes of a large_string array.

    Offsets index the bytes; a null row's span may be empty or not (Arrow allows both).

    >>> offsets, data = layout(pa.array(["ab", "c"], pa.large_string()))
    >>> offsets.tolist(), bytes(data[offsets[0]:offsets[-1]])
    ([0, 2, 3], b'abc')
    """
    n = len(values)
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[values.offset: values.offset + n + 1]
    data = (np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None
            else np.zeros(0, dtype=np.uint8))
    return offsets, data


def byte_positions(data: np.ndarray, equal: tuple[int, ...], below: int = 0) -> np.ndarray:
    r"""Positions in ``data`` of bytes in ``equal`` or less than ``below``, in order.

    >>> byte_positions(np.frombuffer(b'a,b\nc', np.uint8), (ord(","), ord("\n"))).tolist()
    [1, 3]
    """
    found = []
    hit = np.empty(min(_BLOCK, len(data)), dtype=bool)
    one = np.empty_like(hit)
    # block by block: each comparison's result stays in the cache instead of going to memory
    for start in range(0, len(data), _BLOCK):
        block = data[start: start + _BLOCK]
        mask, tmp = hit[: len(block)], one[: len(block)]
        if below:
            np.less(block, below, out=mask)
        else:
            mask[:] = False
        for value in equal:
            np.equal(block, value, out=tmp)
            mask |= tmp
        if mask.any():
            found.append(np.flatnonzero(mask) + start)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def rows_of(offsets: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The rows (sorted, once each) whose bytes hold the given byte ``positions``.

    >>> rows_of(np.array([0, 2, 2, 5]), np.array([1, 3, 4])).tolist()
    [0, 2]
    """
    if not len(positions):
        return np.zeros(0, dtype=np.int64)
    # a position belongs to the last row starting at or before it (empty rows are skipped)
    rows = np.searchsorted(offsets, positions, side="right") - 1
    # positions come in order, so their rows do: keep the first of each run
    return rows[np.concatenate(([True], rows[1:] != rows[:-1]))]


def _special_rows(values: pa.Array, equal: tuple[int, ...], below: int = 0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Valid rows of ``values`` holding a byte of the set, and the bytes found in them."""
    offsets, data = layout(values)
    used = data[offsets[0]: offsets[-1]]
    positions = byte_positions(used, equal, below) + offsets[0]
    rows = rows_of(offsets, positions)
    if values.null_count and len(rows):
        # a null row's span is not its text: leave it alone
        valid = np.asarray(values.is_valid())[rows]
        rows = rows[valid]
    return rows, np.unique(data[positions])


def formula_rows(values: pa.Array) -> np.ndarray:
    r"""Valid rows of ``values`` that start with a formula trigger.

    >>> formula_rows(pa.array(["ok", "-1", "", "\uff20x", None], pa.large_string())).tolist()
    [1, 3]
    """
    offsets, data = layout(values)
    if not len(data):
        return np.zeros(0, dtype=np.int64)
    starts = offsets[:-1]
    # the first byte of every row (the next row's, or the last byte, for an empty one): only
    # the few rows where it is a trigger are looked at closer
    first = data[np.minimum(starts, len(data) - 1)]
    hits = np.flatnonzero(_FIRST[first])
    hits = hits[offsets[hits + 1] > offsets[hits]]
    wide = np.flatnonzero(first == 0xEF)
    wide = wide[offsets[wide + 1] - offsets[wide] >= 3]
    if len(wide):
        at = starts[wide]
        prefix = np.stack([data[at], data[at + 1], data[at + 2]], axis=1)
        known = np.frombuffer(b"".join(_WIDE_TRIGGERS), dtype=np.uint8).reshape(-1, 3)
        match = (prefix[:, None, :] == known[None, :, :]).all(axis=2).any(axis=1)
        hits = np.union1d(hits, wide[match])
    if values.null_count and len(hits):
        hits = hits[np.asarray(values.is_valid())[hits]]
    return hits


def without(values: pa.Array, rows: np.ndarray) -> pa.Array:
    """``values`` with ``rows`` null: a new validity bitmap over the same bytes, no copy.

    >>> without(pa.array(["a", "b", "c"], pa.large_string()), np.array([1])).to_pylist()
    ['a', None, 'c']
    """
    if not len(rows):
        return values
    n = len(values)
    valid = np.asarray(values.is_valid()) if values.null_count else np.ones(n, dtype=bool)
    valid[rows] = False
    buffers = values.buffers()
    offsets = buffers[1].slice(values.offset * 8, (n + 1) * 8)
    return pa.Array.from_buffers(values.type, n, [
        pa.py_buffer(np.packbits(valid, bitorder="little")), offsets, buffers[2]],
        null_count=n - int(valid.sum()))


def _wrap(values: pa.Array, before: str, after: str) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(before, STRING), values,
                                       pa.scalar(after, STRING), pa.scalar("", STRING))


def quoted(values: pa.Array) -> pa.Array:
    """Each text between double quotes (nulls stay null).

    >>> quoted(pa.array(["a", None], pa.large_string())).to_pylist()
    ['"a"', None]
    """
    return _wrap(values, '"', '"')


def csv_cells(values: pa.Array) -> Patched:
    """Cells of a text column as the csv module writes them, formulas neutralised.

    Nulls stay null (written as empty cells).
    """
    quote, _found = _special_rows(values, CSV_SPECIAL)
    formulas = formula_rows(values)
    rows = np.union1d(quote, formulas)
    if not len(rows):
        return Patched(values, _NO_ROWS, pa.array([], STRING))
    cells = values.take(pa.array(rows))
    if len(formulas):
        cells = pc.if_else(pa.array(np.isin(rows, formulas)), _wrap(cells, "'", ""), cells)
    if len(quote):
        doubled = quoted(pc.replace_substring(cells, '"', '""'))
        cells = pc.if_else(pa.array(np.isin(rows, quote)), doubled, cells)
    return Patched(without(values, rows), rows, cells)


def json_strings(values: pa.Array) -> Patched:
    """The text of JSON strings (without their quotes) as json.dumps escapes them.

    Nulls stay null.
    """
    rows, found = _special_rows(values, JSON_SPECIAL, JSON_BELOW)
    if not len(rows):
        return Patched(values, _NO_ROWS, pa.array([], STRING))
    cells = values.take(pa.array(rows))
    # the backslash first: the escapes added after it have backslashes of their own
    for byte in sorted(found, key=lambda b: b != ord("\\")):
        char = chr(byte)
        escape = "\\" + char if char in '"\\' else _JSON_SHORT.get(char, f"\\u{byte:04x}")
        cells = pc.replace_substring(cells, char, escape)
    return Patched(without(values, rows), rows, cells)
