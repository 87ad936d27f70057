"""Small sources framed together: one data frame for many files' rows, then cut per file.

Building a raw frame (27 typed columns) and folding its plain lines into ``background``
rows cost about as much for a file of 5 lines as for one of 5,000: pandas' cost is per call,
not per row. A tree of 10,000 small files (a fleet's rotated logs, a log server's per-host
directories) spent most of its time there. So the rows of sources that came as one small
batch (:data:`.read.POOLED_ROWS`) are gathered, up to :data:`POOL_ROWS` at a time, framed and
folded once (each source's rows a unit of their own: no run joins two files), and each source
holds its span of the pool (:attr:`.ParsedSource.raw` cuts it out when a step needs the
source's own frame, which is the frame it would have had alone). The loader's steps that
touch every source read a pooled source's columns as slices of the pool's (:func:`column`)
and write to the pool (:meth:`Pool.fill`), so a tree of small files costs no data frame per
file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from ..parsers.background import collapsed
from ..parsers.base import RawBatch
from .facts import facts_of_rows
from .parsed import ParsedSource

#: Rows framed at once: enough that pandas' cost per call fades (a pool of 20,000 rows costs
#: about what 40 single files did), few enough that framing one (its lists, its frame and the
#: folding's copies, about 1 KB a row while it lasts) stays small beside the 400 MB budget.
POOL_ROWS = 20_000


def frame_pooled(parsed: Iterable[ParsedSource], full: bool, diag: Diagnostics) -> None:
    """Give every source still ``pending`` its raw frame, framing them in pools.

    Rows a frame cannot hold (text no column can take: a lone surrogate) fail the pool; its
    sources are then framed one by one, and one that fails is said in the diagnostics as a
    parser failure, as when each file was framed as it was read.
    """
    pool: list[ParsedSource] = []
    rows = 0
    for p in parsed:
        if p.pending is None:
            continue
        pool.append(p)
        rows += len(p.pending)
        if rows >= POOL_ROWS:
            _frame_or_each(pool, full, diag)
            pool, rows = [], 0
    if pool:
        _frame_or_each(pool, full, diag)


def _frame_or_each(pool: list[ParsedSource], full: bool, diag: Diagnostics) -> None:
    batches = [p.pending for p in pool]
    try:
        _frame(pool, full)
        return
    except Exception:  # one source's rows: found and said below
        pass
    for p, batch in zip(pool, batches, strict=True):
        p.pending, p.pool = batch, None
        try:
            _frame([p], full)
        except Exception as exc:  # a parser's rows no frame can hold: said, never raised
            p.pending, p.pool = None, None
            diag.error(p.source.name, f"{p.parser} parser failed: {type(exc).__name__}: {exc}")


def _frame(pool: list[ParsedSource], full: bool) -> None:
    """Frame ``pool``'s batches as one, fold their plain lines, cut it per source."""
    merged = RawBatch()
    sizes = np.zeros(len(pool), dtype=np.int64)
    for k, p in enumerate(pool):
        assert p.pending is not None
        sizes[k] = len(p.pending)
        for name in RawBatch.COLUMNS:
            merged.cols[name].extend(p.pending.column(name))
        p.pending = None
    frame = merged.to_frame()
    if not full:
        units = np.repeat(np.arange(len(pool)), sizes)
        frame, kept = collapsed(frame, units)
        if kept is not None:
            sizes = np.bincount(units[kept], minlength=len(pool))
    bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    found = facts_of_rows(frame, sizes)
    shared = Pool(frame)
    for k, p in enumerate(pool):
        p.pool, p.span, p.facts = shared, (bounds[k], bounds[k + 1]), found[k]


class Pool:
    """Raw rows of several sources, one source's after another's."""

    def __init__(self, raw: pd.DataFrame) -> None:
        self.raw = raw
        self._columns: dict[str, Any] = {}

    def column(self, name: str) -> Any:
        """Column ``name`` as an array (kept: a slice of it costs microseconds)."""
        if name not in self._columns:
            self._columns[name] = self.raw[name].array
        return self._columns[name]

    def fill(self, name: str, spans: list[tuple[int, int]], value: str) -> None:
        """Fill the missing values of column ``name`` in rows ``spans`` with ``value``."""
        column = self.raw[name]
        rows = np.zeros(len(column), dtype=bool)
        for a, b in spans:
            rows[a:b] = True
        rows &= column.isna().to_numpy(dtype=bool)
        if rows.any():
            filled = column.to_numpy(dtype=object)
            filled[rows] = value
            self.raw[name] = pd.array(filled, dtype=cast(Any, column.dtype))
            self._columns.pop(name, None)


def joined(parts: list[ParsedSource], name: str) -> Any:
    """Column ``name`` of every source in ``parts``, one after another, as one array.

    Arrays of one type are joined as they are (text stays text: no Python object per row).
    """
    arrays = [column(p, name) for p in parts]
    if len(arrays) == 1:
        return arrays[0]
    return type(arrays[0])._concat_same_type(arrays)


def column(p: ParsedSource, name: str) -> Any:
    """Source ``p``'s column ``name`` as an array, read from its pool while it is pooled."""
    if p.pooled:
        a, b = p.span
        return p.pool.column(name)[a:b]
    assert p.raw is not None
    return p.raw[name].array
