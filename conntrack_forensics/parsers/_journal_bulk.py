"""Lines of ``journalctl -o json`` read in bulk: the journal JSON fast path.

A block of lines (:mod:`..inputs.blocks`) is scanned once for the lines the fast path must
leave to the line-by-line reader (:mod:`.journal_json`): those with any of the classifier's
words or a byte outside printable ASCII (:func:`._keywords.loud`), and the few shapes of JSON
where Arrow's reader and :func:`json.loads` could differ (:data:`ODD_PATTERNS`). The other
one-line objects are handed to Arrow's JSON reader together, which validates them (as strictly
as ``json.loads``) and reads the fields the events use as columns; a block Arrow rejects is read
line by line whole. What is left is the arithmetic of :class:`~._journal_entries.JournalEntries`
done on columns (:func:`entry_columns`).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from ..inputs.blocks import Block
from ..model import Kind
from ._columns import Coded, Columns
from ._keywords import _scratch, loud
from .classify import PREFILTER_WORDS

#: The fields :class:`~._journal_entries.JournalEntries` reads, as Arrow reads them.
FIELDS = ("__REALTIME_TIMESTAMP", "_HOSTNAME", "_TRANSPORT", "SYSLOG_IDENTIFIER", "_COMM",
          "_PID", "SYSLOG_PID", "MESSAGE", "_BOOT_ID", "PRIORITY")
_SCHEMA = pa.schema([(name, pa.string()) for name in FIELDS])
#: Lines the fast path leaves besides the classifier's: a ``\\u`` escape (it may spell one of
#: the classifier's words, which are looked for in the raw bytes), a tab or carriage return
#: (not allowed raw in a JSON string: Arrow would reject the whole block), an array or object
#: as a value (a byte array for text that is not UTF-8, a repeated field; ``json.loads``
#: gives up on deep nesting where Arrow may not). A value that is not a string makes Arrow
#: reject the block if it is one of :data:`FIELDS` (``json.loads`` reads ``null`` as Arrow
#: does, as no value); so does one of them given twice.
ODD_PATTERNS = [rb"\\u", rb"[\t\r]", rb":\s*[\[{]"]
if any(set(word) & set('"\\/\b\f\n\r\t') for word in PREFILTER_WORDS):
    # an escape could spell a character of one of the words: read every escape one by one
    ODD_PATTERNS.append(rb"\\")
#: Largest time taken in bulk (microseconds): up to 2**53 a float64 holds it exactly, so
#: ``us / 1e6`` in numpy is Python's correctly rounded ``us / 1_000_000``.
_EXACT_US = 1 << 53
#: An escaped UTF-16 surrogate, maybe a lone one (see :attr:`Entries.surrogates`).
SURROGATE = rb"\\u[dD][89a-fA-F]"
_SURROGATE = re.compile(SURROGATE)


@dataclass
class Lines:
    """A block's lines: ``buf[starts[i]:ends[i]]`` (line feed and one carriage return off)."""

    starts: np.ndarray
    ends: np.ndarray
    #: where each line's line feed is (or the block's end): ``buf[starts[i]:feeds[i]]`` is
    #: what :meth:`..inputs.blocks.BlockReader.decode` takes (it removes one carriage return)
    feeds: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)


def split_lines(block: Block) -> Lines:
    r"""The lines of a block, as :func:`..inputs.blocks.iter_line_chunks` splits them.

    >>> ls = split_lines(Block.of(b'{"a":"b"}\r\n\nx'))
    >>> ls.starts.tolist(), ls.ends.tolist()
    ([0, 11, 12], [9, 11, 13])
    """
    return Lines(*block.lines())


@dataclass
class Entries:
    """What the fast path read of a block's lines; columns hold a value where ``fast``."""

    fast: np.ndarray
    #: the columns of :func:`entry_columns`: the lines they hold values for, and the values
    columns: dict[str, tuple[np.ndarray, Any]]
    host: np.ndarray  # code into ``hosts`` (missing has a code too), -1 where not fast
    hosts: list[str | None]
    boot: np.ndarray  # code into ``boots``, -1 where not fast or no boot
    boots: list[str]
    #: whether the block may hold an escaped UTF-16 surrogate (``\\ud800``), maybe a lone
    #: one: ``json.loads`` makes a string of it that no UTF-8 holds (then nothing is fast)
    surrogates: bool = False


def read_block(block: Block, lines: Lines) -> Entries:
    """Read the plain one-line entries of a block in bulk (see the module docstring)."""
    n = len(lines)
    buf = block.buf
    starts, ends = lines.starts, lines.ends
    fast = (ends - starts >= 2) & (buf[starts] == 123) & (buf[np.maximum(ends - 1, 0)] == 125)
    odd, surrogates = _odd(buf, block.size, starts, lines.feeds)
    if surrogates:
        return _nothing(n, surrogates=True)
    fast &= ~odd
    if fast.any():
        fast &= ~loud(buf, block.size, starts, starts)
    table = _arrow_rows(buf, lines, fast) if fast.any() else None
    if table is None:
        return _nothing(n)
    rows = np.flatnonzero(fast)
    cols = entry_columns(table)
    good = cols.pop("_good")
    if not good.all():
        fast[rows[~good]] = False
    keep = None if good.all() else np.flatnonzero(good)
    rows = rows if keep is None else rows[keep]
    columns = {name: (rows, _take(values, keep)) for name, values in cols.items()}
    host, hosts = _codes(table.column("_HOSTNAME"), n, rows, keep, empty_missing=True)
    boot, boots = _codes(table.column("_BOOT_ID"), n, rows, keep, empty_missing=True,
                         missing_code=False)
    return Entries(fast, columns, host, hosts, boot, boots)


def _nothing(n: int, surrogates: bool = False) -> Entries:
    none = np.full(n, -1, dtype=np.int64)
    return Entries(np.zeros(n, dtype=bool), {}, none, [], none, [], surrogates)


def _odd(buf: np.ndarray, size: int, starts: np.ndarray, feeds: np.ndarray
         ) -> tuple[np.ndarray, bool]:
    """Lines with any of :data:`ODD_PATTERNS`, and whether :data:`SURROGATE` is anywhere."""
    found = np.zeros(len(starts), dtype=bool)
    database = _database()
    if database is None:
        if _SURROGATE.search(memoryview(buf)[:size]) is not None:  # type: ignore[arg-type]
            return found, True
        lines = pa.Array.from_buffers(pa.large_binary(), len(starts), [
            None, pa.py_buffer(np.append(starts, feeds[-1]) if len(starts) else starts),
            pa.py_buffer(buf)])
        pattern = "|".join(p.decode("latin-1") for p in ODD_PATTERNS)
        return pc.match_substring_regex(lines, pattern).to_numpy(zero_copy_only=False), False
    ends: list[int] = []
    surrogate: list[int] = []

    def found_at(pattern: int, _from: int, to: int, _flags: int, _context: Any) -> None:
        (surrogate if pattern == len(ODD_PATTERNS) else ends).append(to)

    database.scan(memoryview(buf)[:size],  # type: ignore[arg-type]
                  match_event_handler=found_at, scratch=_scratch(database))
    if ends:
        found[np.searchsorted(starts, np.array(ends) - 1, side="right") - 1] = True
    return found, bool(surrogate)


@functools.cache
def _database() -> Any:
    """:data:`ODD_PATTERNS` and :data:`SURROGATE` compiled for Hyperscan, or None (RE2)."""
    if os.environ.get("CONNTRACK_FORENSICS_ENGINE", "").lower() == "re2":
        return None
    try:
        import hyperscan
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        patterns = [*ODD_PATTERNS, SURROGATE]
        database.compile(expressions=patterns, ids=list(range(len(patterns))),
                         elements=len(patterns), flags=[0] * len(patterns))
        return database
    except Exception:  # not installed, or a CPU it does not run on
        return None


def _arrow_rows(buf: np.ndarray, lines: Lines, fast: np.ndarray) -> pa.Table | None:
    """The fast lines read by Arrow (one row each), or None when Arrow rejects any."""
    rows = np.flatnonzero(fast)
    # runs of consecutive fast lines are contiguous bytes: join them, line feeds included
    breaks = np.flatnonzero(np.diff(rows) != 1)
    first = rows[np.append(0, breaks + 1)]
    last = rows[np.append(breaks, len(rows) - 1)]
    view = memoryview(buf)  # type: ignore[arg-type]
    data = b"".join(view[a:b] for a, b in zip(lines.starts[first].tolist(),
                                              (lines.feeds[last] + 1).tolist(), strict=True))
    try:
        table = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(
            use_threads=False, block_size=max(len(data) + 1, 1 << 20)),
            parse_options=pj.ParseOptions(explicit_schema=_SCHEMA,
                                          unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != len(rows):
        return None
    return table.combine_chunks()


def _text(table: pa.Table, name: str) -> pa.Array:
    """A field's values, the empty string as missing (``field or None``)."""
    column = table.column(name).combine_chunks()
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)


def entry_columns(table: pa.Table) -> dict[str, Any]:
    """:meth:`~._journal_entries.JournalEntries.add` on columns of entries read by Arrow.

    ``_good`` marks the entries whose time the fast path takes (the others are read line by
    line, which skips those without a valid one).
    """
    realtime = table.column("__REALTIME_TIMESTAMP").combine_chunks()
    digits = pc.fill_null(pc.match_substring_regex(realtime, "^[0-9]{1,16}$"), False)
    good = digits.to_numpy(zero_copy_only=False)
    us = pc.cast(pc.if_else(digits, realtime, "0"), pa.int64()).to_numpy()
    good &= (us > 0) & (us < _EXACT_US)
    host = _text(table, "_HOSTNAME")
    transport = _text(table, "_TRANSPORT")
    kernel = pc.fill_null(pc.equal(transport, "kernel"), False)
    named = pc.coalesce(_text(table, "SYSLOG_IDENTIFIER"), _text(table, "_COMM"))
    program = pc.if_else(kernel, pa.scalar("kernel", pa.string()), named)
    pid_text = pc.coalesce(_text(table, "_PID"), _text(table, "SYSLOG_PID"))
    pid_ok = pc.fill_null(pc.match_substring_regex(pid_text, "^[0-9]{1,10}$"), False)
    pid = pc.cast(pc.if_else(pid_ok, pid_text, "0"), pa.int64()).to_numpy()
    message = pc.fill_null(table.column("MESSAGE").combine_chunks(), "")
    prio = table.column("PRIORITY").combine_chunks()
    prio_ok = pc.fill_null(pc.match_substring_regex(prio, "^[0-9]$"), False)
    priority = pc.cast(pc.if_else(prio_ok, prio, "0"), pa.int64()).to_numpy()
    pid_mask = ~pid_ok.to_numpy(zero_copy_only=False)
    prio_mask = ~prio_ok.to_numpy(zero_copy_only=False)
    return {
        "_good": good,
        "host": host,
        "program": program,
        "pid": pd.arrays.IntegerArray(pid, pid_mask),
        "message": message,
        "epoch": pd.arrays.FloatingArray(us / 1e6, np.zeros(len(us), dtype=bool)),
        "boot_id": _text(table, "_BOOT_ID"),
        "priority": pd.arrays.IntegerArray(priority, prio_mask),
    }


def _take(values: Any, keep: np.ndarray | None) -> Any:
    if keep is None:
        return values
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.take(pa.array(keep))
    return values[keep]


def _codes(column: pa.ChunkedArray, n: int, rows: np.ndarray, keep: np.ndarray | None, *,
           empty_missing: bool, missing_code: bool = True) -> tuple[np.ndarray, list[Any]]:
    """Per line, a code into the names of a field's values (``field or None``).

    ``missing_code``: a missing value gets a code of its own (host None is a host);
    otherwise it is -1, like the lines not read in bulk.
    """
    values = _take(column.combine_chunks(), keep)
    if empty_missing:
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    encoded = pc.dictionary_encode(values, null_encoding="encode" if missing_code else "mask")
    names: list[Any] = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    if not missing_code:
        codes = np.where(encoded.indices.is_null().to_numpy(zero_copy_only=False), -1,
                         np.nan_to_num(codes)).astype(np.int64)
    out = np.full(n, -1, dtype=np.int64)
    out[rows] = codes
    return out, names


def bulk_columns(entries: Entries, first: int, taken: np.ndarray) -> Columns:
    """The ``message`` rows of the lines taken in bulk (``taken``, a subset of the fast lines).

    ``first`` is the number of the block's first line.
    """
    at = np.flatnonzero(taken)
    data: dict[str, Any] = {}
    for name, (rows, values) in entries.columns.items():
        # (all of them, but where a new boot's entry was read one by one)
        pick = None if len(rows) == len(at) else np.searchsorted(rows, at)
        data[name] = _take(values, pick)
    data["line"] = first + at
    data["kind"] = Coded(np.zeros(len(at), dtype=np.int64), [Kind.MESSAGE.value])
    data["count"] = np.ones(len(at), dtype=np.int64)
    return Columns(len(at), data)
