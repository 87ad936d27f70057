"""The journal JSON parser's reading of a file: plain one-line entries in bulk, in order.

:class:`JsonReader` takes a file's blocks (:mod:`..inputs.blocks`) one at a time: the lines
the fast path reads (:mod:`._journal_bulk`) become rows column by column, the others are read
one by one as :mod:`.journal_json` always did (:class:`~._json_records.JsonRecords`,
:class:`~._journal_entries.JournalEntries`), and both are put in file order. What the line-by-line
reading alone would do is kept: the same rows, counts and warnings, handed on in the same
batches, and where a ``_BOOT_ID`` changes that entry is read one by one (its ``boot`` row first).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..inputs.blocks import Block, BlockReader
from ..model import Kind
from ._columns import Columns, interleave, to_raw_frame
from ._journal_bulk import Entries, bulk_columns, read_block, split_lines
from ._journal_bulk import Lines as _Lines
from ._journal_entries import BATCH_ROWS, JournalEntries
from ._json_records import INVALID, JsonRecords
from .base import RAW_DTYPES, GiveUp, ParseContext, RawBatch

#: A file of at most this many lines in one block is read line by line as one batch: the
#: loader pools a first batch this small with other small files' (:mod:`..events.read`).
POOLED_LINES = 5_000


class JsonReader:
    """One file's entries: plain one-line ones in bulk, the rest one by one, in file order.

    The rows are handed on in the batches the line-by-line reading alone made (a batch ends
    once it holds :data:`BATCH_ROWS` rows, a ``boot`` row and its entry's row together): a
    report collapses plain messages batch by batch, and the first batch of a small file is
    pooled with other files' (:mod:`..events.read`).
    """

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.entries = JournalEntries(ctx)
        self.records = JsonRecords(ctx)
        self.parts: list[Columns] = []  # rows not handed on yet, in file order
        self.joined: list[np.ndarray] = []  # per part: rows that are a boot row
        self.pending = 0  # rows in parts
        self.handed = False  # whether a batch was handed on
        #: the batch being filled once the file is read one by one (see :meth:`batches`)
        self.batch: RawBatch | None = None

    def batches(self) -> Iterator[RawBatch | pd.DataFrame]:
        """The file's rows, in the line-by-line reading's batches."""
        ctx = self.ctx
        reader = BlockReader(ctx.source, ctx.diag)
        first = 1
        blocks = iter(reader)
        block = next(blocks, None)
        while block is not None:
            after = next(blocks, None)
            lines = split_lines(block)
            small = after is None and first == 1 and len(lines) <= POOLED_LINES
            got = read_block(block, lines) if self.batch is None and not small else None
            if self.batch is None and (got is None or got.surrogates):
                # A small file is read one by one as ever. So is the rest of a file from an
                # escaped lone surrogate on: its row cannot be framed, and the loader records
                # that failure when it frames the batch holding it, ending the file there.
                yield from self._handed(final=False)
                self.batch = _frame_batch(to_raw_frame(self.parts)) if self.parts \
                    else RawBatch()
                self.parts, self.joined, self.pending = [], [], 0
            if self.batch is not None:
                yield from self._one_by_one(block, lines, first, reader)
            else:
                assert got is not None
                try:
                    self._block(block, lines, first, reader, got)
                except GiveUp:
                    yield from self._handed(final=False)
                    raise
                if self.pending >= BATCH_ROWS:
                    yield from self._handed(final=False)
            first += len(lines)
            block = after
        if self.batch is not None:
            for record in self.records.finish():
                self._record(self.batch, record)
            if len(self.batch):
                yield self.batch
        else:
            self._records_done(self.records.finish())
            yield from self._handed(final=True)
        reader.finish(first - 1)

    def _one_by_one(self, block: Block, lines: _Lines, first: int, reader: BlockReader
                    ) -> Iterator[RawBatch]:
        """A block's lines read one by one, as the parser did before the fast path."""
        assert self.batch is not None
        raws = [block.buf[a:e].tobytes() for a, e in zip(lines.starts.tolist(),
                                                          lines.feeds.tolist(), strict=True)]
        for lineno, text in enumerate(reader.decode(raws, first), first):
            for record in self.records.line(lineno, text):
                self._record(self.batch, record)
                if len(self.batch) >= BATCH_ROWS:
                    yield self.batch
                    self.batch = RawBatch()

    def _record(self, batch: RawBatch, record: tuple[int, str, Any]) -> None:
        line, text, obj = record
        if obj is INVALID:
            self.ctx.skip(line, "journal record is not valid JSON")
        elif not isinstance(obj, dict):
            self.ctx.skip(line, "journal record is not a JSON object")
        else:
            self.entries.add(batch, line, obj, text)

    def _records_done(self, records: Iterator[tuple[int, str, Any]]) -> None:
        """Rows of records read one by one after the last block's rows."""
        batch = RawBatch()
        for record in records:
            self._record(batch, record)
        self._add(Columns.of_batch(batch), _boot_rows(batch))

    def _add(self, part: Columns, joined: np.ndarray) -> None:
        if part.n:
            self.parts.append(part)
            self.joined.append(joined)
            self.pending += part.n

    def _block(self, block: Block, lines: _Lines, first: int, reader: BlockReader,
               got: Entries) -> None:
        """Read one block: its fast lines in bulk (``got``), the others one by one, in order."""
        fast = got.fast
        slow = RawBatch()
        walk = _Walk(self, got, first, slow, block, lines, reader)
        try:
            rest = np.flatnonzero(~fast)
            raws = [block.buf[a:e].tobytes() for a, e in zip(
                lines.starts[rest].tolist(), lines.feeds[rest].tolist(), strict=True)]
            texts = reader.decode(raws, (first + rest).tolist())
            at = 0
            for i, text in zip(rest.tolist(), texts, strict=True):
                walk.fast_until(at, i)
                walk.line(i, text)
                at = i + 1
            walk.fast_until(at, len(lines))
        finally:
            bulk = bulk_columns(got, first, walk.taken)
            slow_part = Columns.of_batch(slow)
            joined = np.zeros(bulk.n + slow_part.n, dtype=bool)
            if slow_part.n:
                slow_lines = np.asarray(slow.cols["line"], dtype=np.int64)
                bulk_lines = first + np.flatnonzero(walk.taken)
                part = interleave(bulk, bulk_lines, slow_part, slow_lines)
                at_slow = np.searchsorted(bulk_lines, slow_lines, side="right") \
                    + np.arange(slow_part.n)
                joined[at_slow[_boot_rows(slow)]] = True
            else:
                part = bulk
            self._add(part, joined)

    def _handed(self, final: bool) -> Iterator[pd.DataFrame | RawBatch]:
        """The pending rows in complete batches (all of them when ``final``)."""
        if not self.parts:
            return
        frame = to_raw_frame(self.parts)
        joined = np.concatenate(self.joined)
        cuts = _cuts(joined, final)
        if final and not self.handed and len(frame) <= POOLED_LINES:
            yield _frame_batch(frame)  # the loader may pool it, from its lists
            cuts = [len(frame)]
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            self.handed = True
            yield frame.iloc[a:b].reset_index(drop=True)
        done = cuts[-1]
        if final or done == len(frame):
            self.parts, self.joined, self.pending = [], [], 0
        else:
            rest = frame.iloc[done:].reset_index(drop=True)
            self.parts = [_frame_columns(rest)]
            self.joined = [joined[done:]]
            self.pending = len(rest)


def _cuts(joined: np.ndarray, final: bool) -> list[int]:
    """Where the line-by-line reading's batches of these rows end, from 0.

    A batch ends once it holds :data:`BATCH_ROWS` rows, but a ``boot`` row (``joined``)
    stays with the row after it. Without ``final`` the rows after the last full batch are
    left out.
    """
    n = len(joined)
    cuts = [0]
    while True:
        end = cuts[-1] + BATCH_ROWS
        if end > n:
            break
        if joined[end - 1]:
            end += 1
            if end > n:
                break
        cuts.append(end)
    if final and cuts[-1] < n:
        cuts.append(n)
    return cuts


def _boot_rows(batch: RawBatch) -> np.ndarray:
    """Rows of a batch that are a ``boot`` row added with the entry after it."""
    kinds = batch.cols["kind"]
    return np.array([k == Kind.BOOT.value for k in kinds], dtype=bool)


def _frame_batch(frame: pd.DataFrame) -> RawBatch:
    """A raw frame's rows as a :class:`RawBatch`, missing values as None."""
    batch = RawBatch()
    for name in RawBatch.COLUMNS:
        column = frame[name]
        if RAW_DTYPES[name] == "datetime":
            batch.cols[name] = [None if pd.isna(v) else v.to_pydatetime() for v in column]
        else:
            batch.cols[name] = [None if v is pd.NA else v
                                for v in column.astype(object).tolist()]
    return batch


def _frame_columns(frame: pd.DataFrame) -> Columns:
    """A raw frame's rows as :class:`Columns` again (rows held over to the next batch)."""
    data: dict[str, Any] = {}
    for name, dtype in RAW_DTYPES.items():
        column = frame[name]
        if dtype == "string":
            data[name] = pa.array(column.array, type=pa.large_string())
        elif dtype in ("int64", "float64"):
            data[name] = column.to_numpy()
        else:
            data[name] = column.array
    return Columns(len(frame), data)


class _Walk:
    """The lines of one block in order: runs of fast lines, and lines read one by one."""

    def __init__(self, owner: JsonReader, got: Entries, first: int, slow: RawBatch,
                 block: Block, lines: _Lines, reader: BlockReader) -> None:
        self.owner, self.got, self.first, self.slow = owner, got, first, slow
        self.block, self.lines, self.reader = block, lines, reader
        self.taken = np.zeros(len(got.fast), dtype=bool)
        self.fast_at = np.flatnonzero(got.fast)

    def line(self, i: int, text: str) -> None:
        """Line ``i`` of the block, read one by one."""
        owner = self.owner
        for record in owner.records.line(self.first + i, text):
            owner._record(self.slow, record)

    def fast_until(self, start: int, stop: int) -> None:
        """The fast lines from ``start`` to ``stop``: in bulk, but for a new boot's first."""
        got, owner = self.got, self.owner
        lo, hi = np.searchsorted(self.fast_at, [start, stop])
        while lo < hi:
            rows = self.fast_at[lo:hi]
            for record in owner.records.begin():
                owner._record(self.slow, record)
            k = _first_new_boot(got, rows, owner.entries.boots)
            upto = hi if k < 0 else lo + k
            taken = self.fast_at[lo:upto]
            if len(taken):
                self.taken[taken] = True
                owner.ctx.ok(len(taken))
                _remember_boots(got, taken, owner.entries.boots)
            if k < 0:
                return
            i = int(self.fast_at[upto])  # a new boot: read its line one by one
            raw = self.block.buf[self.lines.starts[i]:self.lines.feeds[i]].tobytes()
            self.line(i, self.reader.decode([raw], self.first + i)[0])
            lo = upto + 1


def _first_new_boot(got: Entries, rows: np.ndarray, boots: dict[str | None, str]) -> int:
    """Index in ``rows`` of the first entry whose boot ID differs from its host's last, or -1."""
    boot = got.boot[rows]
    with_boot = np.flatnonzero(boot >= 0)
    if not len(with_boot):
        return -1
    host = got.host[rows[with_boot]]
    boot = boot[with_boot]
    # each host's previous boot: the entry before it of the same host, else what is known
    order = np.argsort(host, kind="stable")
    h, b = host[order], boot[order]
    known = {name: n for n, name in enumerate(got.boots)}
    before = np.array([known.get(boots.get(name), -2) if name in boots else -1  # type: ignore[arg-type]
                       for name in got.hosts], dtype=np.int64)
    prev = np.empty(len(b), dtype=np.int64)
    prev[1:] = b[:-1]
    starts = np.ones(len(b), dtype=bool)
    starts[1:] = h[1:] != h[:-1]
    prev[starts] = before[h[starts]]
    new = (prev != -1) & (prev != b)
    if not new.any():
        return -1
    return int(with_boot[order[new]].min())


def _remember_boots(got: Entries, rows: np.ndarray, boots: dict[str | None, str]) -> None:
    """Each host's last boot ID among the entries ``rows`` (taken in bulk)."""
    boot = got.boot[rows]
    with_boot = boot >= 0
    if not with_boot.any():
        return
    host = got.host[rows[with_boot]]
    boot = boot[with_boot]
    # the last entry of each host: first of the reversed rows
    _, last = np.unique(host[::-1], return_index=True)
    for j in last.tolist():
        boots[got.hosts[host[::-1][j]]] = got.boots[boot[::-1][j]]
