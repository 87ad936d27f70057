"""The final step: every source's rows as one typed, time-sorted events table.

In: the :class:`.ParsedSource` records with their times resolved. Out: the events DataFrame of
CONTRACT section 3 (:func:`~conntrack_forensics.model.to_frame`), sorted by time (untimed rows
last), then input, then line.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..model import EVENT_DTYPES, TIME_QUALITIES, UTC_NS, TimeQuality, to_frame
from ..parsers.base import take_rows
from .facts import facts
from .parsed import ParsedSource, utc_series
from .pooled import column


def events_table(rows: list[ParsedSource]) -> pd.DataFrame:
    """The events table of ``rows``, in time order.

    The sources' rows are joined first and their columns built once: per source, a data
    frame's every step costs about as much for 5 rows as for 5,000, and a tree may hold
    10,000 small files.
    """
    if not rows:
        return to_frame({})
    sizes = np.array([p.size for p in rows], dtype=np.int64)
    raws = _pieces(rows)
    # (one frame: not copied; pandas copies a column only when it is written, and the
    # assignments below replace columns, they do not write into them)
    allrows = pd.concat(raws, ignore_index=True) if len(raws) > 1 else raws[0]
    allrows = allrows.drop(columns=["epoch", "iso", "mon", "day", "sod", "uptime", "capture",
                                    "boot_age"])
    times = _times(rows)
    allrows["time"] = times
    allrows["kind"] = _categories(allrows["kind"], EVENT_DTYPES["kind"])
    has_time = times.notna().to_numpy()
    allrows["time_quality"] = _quality(rows, sizes, has_time)
    allrows["source"] = pd.array(_repeated([p.source.name for p in rows], sizes),
                                 dtype="string")
    allrows["format"] = _formats([p.fmt for p in rows], sizes)
    allrows["_src"] = np.repeat(np.array([p.index for p in rows], dtype=np.int64), sizes)
    allrows["_nat"] = ~has_time
    # by time (untimed rows last), then input and line: a stable sort of the keys, last first
    line = allrows["line"].to_numpy(dtype="float64", na_value=np.inf)
    stamp = allrows["time"].to_numpy(dtype="int64")
    order = np.lexsort((line, allrows["_src"].to_numpy(), stamp, allrows["_nat"].to_numpy()))
    allrows = take_rows(allrows, order)
    return to_frame({c: allrows[c] for c in allrows.columns if not c.startswith("_")})


def _pieces(rows: list[ParsedSource]) -> list[pd.DataFrame]:
    """The sources' raw rows in order, in as few frames as can be.

    Neighbours in one pool, in the pool's order, are one slice of it.
    """
    # (a pool, start, stop), or (a source with a frame of its own, 0, 0): no span of a pool
    # stops at 0, for every source here has rows
    spans: list[tuple[Any, int, int]] = []
    for p in rows:
        if not p.pooled:
            spans.append((p, 0, 0))
            continue
        a, b = p.span
        if spans and spans[-1][0] is p.pool and spans[-1][2] == a:
            spans[-1] = (p.pool, spans[-1][1], b)
        else:
            spans.append((p.pool, a, b))
    return [owner.raw.iloc[a:b] if b else owner.raw for owner, a, b in spans]


def _times(rows: list[ParsedSource]) -> pd.Series:
    """Every source's resolved times, one after another (UTC nanoseconds)."""
    if all(p.stamps is not None or (p.times is not None and p.times.dtype == UTC_NS)
           for p in rows):
        return utc_series(np.concatenate([_nanos(p) for p in rows]))
    return pd.concat([p.times for p in rows], ignore_index=True).astype(
        pd.DatetimeTZDtype("ns", "UTC"))


def _nanos(p: ParsedSource) -> np.ndarray:
    """A source's times as nanoseconds (NaT: the smallest int64)."""
    if p.stamps is not None:
        return p.stamps
    assert p.times is not None
    return p.times.array.asi8


def _quality(rows: list[ParsedSource], sizes: np.ndarray, has_time: np.ndarray
             ) -> pd.Categorical:
    """How each row's time was known (CONTRACT section 3)."""
    code = {q: i for i, q in enumerate(TIME_QUALITIES)}
    per_source = np.array([code[TimeQuality.EXACT.value] if p.tz_source in ("cli", "evidence")
                           else code[TimeQuality.ASSUMED_TZ.value] for p in rows], dtype=np.int8)
    quality = np.full(len(has_time), code[TimeQuality.UNKNOWN.value], dtype=np.int8)
    zone_q = np.repeat(per_source, sizes)
    quality[has_time] = zone_q[has_time]
    zoned = np.concatenate([p.zoned for p in rows if p.zoned is not None])
    assert len(zoned) == len(has_time)
    quality[has_time & zoned] = code[TimeQuality.EXACT.value]
    inferred = np.repeat(np.array([p.year is not None and p.year.source != "cli"
                                   for p in rows]), sizes)
    yearless = np.concatenate([np.asarray(column(p, "mon")) > 0 if facts(p).yearless
                               else np.zeros(n, dtype=bool)
                               for p, n in zip(rows, sizes, strict=True)])
    quality[yearless & has_time & inferred] = code[TimeQuality.INFERRED_YEAR.value]
    relative = np.concatenate([p.relative if p.relative is not None
                               else np.zeros(n, dtype=bool) for p, n in zip(rows, sizes,
                                                                            strict=True)])
    quality[relative & has_time] = code[TimeQuality.RELATIVE.value]
    return pd.Categorical.from_codes(quality, dtype=EVENT_DTYPES["time_quality"])


def _formats(formats: list[str | None], sizes: np.ndarray) -> pd.Categorical | pd.Series:
    """Each row's source format: one category when all share one, as a join of them gave."""
    if len(set(formats)) == 1:
        return pd.Categorical.from_codes(np.zeros(int(sizes.sum()), dtype=np.int8),
                                         categories=pd.Index([formats[0]], dtype="string"))
    return pd.Series(pd.array(_repeated(formats, sizes), dtype="string")).astype("category")


def _repeated(values: list[str | None], sizes: np.ndarray) -> pa.Array:
    """Each source's value repeated for its rows.

    (An Arrow take of the values by each row's source is several times slower.)
    """
    pieces = [pa.repeat(pa.scalar(v, pa.large_string()), int(n))
              for v, n in zip(values, sizes, strict=True)]
    return pa.concat_arrays(pieces) if len(pieces) > 1 else pieces[0]


def _categories(text: pd.Series, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """A text column as the categorical ``dtype`` (values outside its categories missing).

    Arrow encodes the text once; only its few distinct values are then looked up.
    """
    data = pa.array(text.array)
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    encoded = pc.dictionary_encode(data)
    table = dtype.categories.get_indexer(encoded.dictionary.to_pylist())
    # (a missing value points one past the distinct values: there, -1)
    indices = pc.fill_null(encoded.indices, len(table)).to_numpy()
    codes = np.append(table, -1)[indices]
    return pd.Categorical.from_codes(codes, dtype=dtype)
