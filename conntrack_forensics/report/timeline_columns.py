"""An events chunk's columns as Arrow and numpy arrays, ready to be written as text.

:func:`read_columns` takes the columns a timeline writes from a pandas chunk and returns each
as a :class:`Column` of one of six kinds, or ``None`` when some column is of a dtype the
columnar writer does not know (a column of Python objects, float numbers, a category of
numbers, a time zone other than UTC): such a chunk is written row by row
(:mod:`.timeline_legacy`), as before. Chunks built by :func:`conntrack_forensics.model.to_frame`
always read.

Example:
    >>> from conntrack_forensics.model import to_frame
    >>> cols = read_columns(to_frame({"message": ["a", None], "line": [1, 2]}),
    ...                     ["message", "line", "kind", "time"])
    >>> [(name, c.kind) for name, c in cols.items()]
    [('message', 'text'), ('line', 'int'), ('kind', 'null'), ('time', 'null')]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .timeline_stamps import NAT
from .timeline_text import STRING, large_strings

#: Names a time zone of no offset goes by, as a DatetimeTZDtype shows it.
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"})


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a chunk, by kind.

    Attributes:
        kind: ``null`` (no value in any row), ``time`` (``values``: int64 nanoseconds since
            1970 UTC, :data:`.timeline_stamps.NAT` where missing), ``text`` (a large_string
            array), ``int`` (an int64 array), ``bool`` (a bool array) or ``category``
            (``values``: int64 codes, -1 where missing; ``categories``: their large_string
            texts).
        values: the values, as said for each kind (``None`` for ``null``).
        categories: the category texts of a ``category`` column.
    """

    kind: str
    values: Any = None
    categories: pa.Array | None = None

    def take(self, rows: np.ndarray) -> Column:
        """The column's ``rows`` (int64 positions), in that order."""
        if self.kind == "null":
            return self
        if self.kind in ("time", "category"):
            return dataclasses.replace(self, values=self.values[rows])
        return dataclasses.replace(self, values=self.values.take(pa.array(rows)))


def _utc(dtype: pd.DatetimeTZDtype) -> bool:
    return dtype.tz is dt.timezone.utc or str(dtype.tz) in _UTC_NAMES


def _arrow(series: pd.Series) -> pa.Array:
    values = pa.array(series.array)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values


def read_column(series: pd.Series) -> Column | None:
    """``series`` as a :class:`Column`, or ``None`` when its dtype is not one written columnwise.

    >>> read_column(pd.Series([1.5])) is None, read_column(pd.Series([None], dtype=object)).kind
    (True, 'null')
    """
    dtype = series.dtype
    try:
        if isinstance(dtype, pd.DatetimeTZDtype):
            if not _utc(dtype):
                return None
            # nanoseconds since 1970 UTC whatever the unit, NaT as the smallest int64
            times = series.array
            values = (times if times.unit == "ns" else times.as_unit("ns")).asi8
            return Column("time", values) if (values != NAT).any() else Column("null")
        if isinstance(dtype, pd.CategoricalDtype):
            cats = dtype.categories
            if len(cats) and pd.api.types.infer_dtype(cats, skipna=False) != "string":
                return None
            codes = series.cat.codes.to_numpy(dtype=np.int64)
            if not (codes >= 0).any():
                return Column("null")
            return Column("category", codes, large_strings(pa.array(list(cats), STRING)))
        if isinstance(dtype, pd.StringDtype):
            values = large_strings(_arrow(series))
            return Column("text", values) if values.null_count < len(values) else Column("null")
        if pd.api.types.is_integer_dtype(dtype):
            values = _arrow(series).cast(pa.int64())
            return Column("int", values) if values.null_count < len(values) else Column("null")
        if pd.api.types.is_bool_dtype(dtype):
            values = _arrow(series)
            return Column("bool", values) if values.null_count < len(values) else Column("null")
        if pd.api.types.is_object_dtype(dtype) and series.isna().all():
            return Column("null")
    except (pa.ArrowException, UnicodeError):
        return None  # e.g. a lone surrogate, which UTF-8 cannot hold
    return None


def runs(chunk: pd.DataFrame, names: Sequence[str], most: int = 8) -> list[tuple[int, int]]:
    """Row ranges over which each of the chunk's Arrow columns is one array, at most ``most``.

    A frame put together from several (``pd.concat``) holds each text column as several Arrow
    arrays; written a range at a time, none has to be copied into one first. Too many ranges
    (many small frames) would cost more than the copies: then the whole chunk is one range.

    >>> from conntrack_forensics.model import to_frame
    >>> two = pd.concat([to_frame({"message": ["a", "b"]}), to_frame({"message": ["c"]})])
    >>> runs(two, ["message", "line"]), runs(two.iloc[:2], ["message"])
    ([(0, 2), (2, 3)], [(0, 2)])
    """
    n = len(chunk)
    cuts = {0, n}
    for name in names:
        if name in chunk.columns and isinstance(chunk[name].dtype, pd.StringDtype):
            values = pa.array(chunk[name].array)
            if isinstance(values, pa.ChunkedArray) and values.num_chunks > 1:
                cuts.update(np.cumsum([len(c) for c in values.chunks]).tolist())
    bounds = sorted(cuts)
    if len(bounds) - 1 > most:
        return [(0, n)]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a] or [(0, n)]


def read_columns(chunk: pd.DataFrame, names: Sequence[str]) -> dict[str, Column] | None:
    """The chunk's columns ``names`` as :class:`Column`, or ``None`` if one does not read.

    Raises:
        KeyError: a column is missing, as for ``chunk[names]``.
    """
    missing = [name for name in names if name not in chunk.columns]
    if missing:
        raise KeyError(f"{missing} not in index")
    if not chunk.columns.is_unique:
        return None
    out: dict[str, Column] = {}
    for name in names:
        column = read_column(chunk[name])
        if column is None:
            return None
        out[name] = column
    return out
