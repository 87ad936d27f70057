"""The final step: every source's rows as one typed, time-sorted events table.

In: the :class:`.ParsedSource` records with their times resolved. Out: the events DataFrame of
CONTRACT section 3 (:func:`~conntrack_forensics.model.to_frame`), sorted by time (untimed rows
last), then input, then line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..model import EVENT_DTYPES, TIME_QUALITIES, TimeQuality, to_frame
from ..parsers.base import take_rows
from .parsed import ParsedSource


def events_table(rows: list[ParsedSource]) -> pd.DataFrame:
    """The events table of ``rows``, in time order."""
    frames = [_final_frame(p) for p in rows]
    if not frames:
        return to_frame({})
    allrows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    # by time (untimed rows last), then input and line: a stable sort of the keys, last first
    line = allrows["line"].to_numpy(dtype="float64", na_value=np.inf)
    stamp = allrows["time"].to_numpy(dtype="int64")
    order = np.lexsort((line, allrows["_src"].to_numpy(), stamp, allrows["_nat"].to_numpy()))
    allrows = take_rows(allrows, order)
    return to_frame({c: allrows[c] for c in allrows.columns if not c.startswith("_")})


def _final_frame(p: ParsedSource) -> pd.DataFrame:
    raw = p.raw
    assert raw is not None and p.times is not None and p.zoned is not None
    out = raw.drop(columns=["epoch", "iso", "mon", "day", "sod", "uptime", "capture", "boot_age"])
    out["time"] = p.times
    out["kind"] = _categories(raw["kind"], EVENT_DTYPES["kind"])
    code = {q: i for i, q in enumerate(TIME_QUALITIES)}
    quality = np.full(len(raw), code[TimeQuality.UNKNOWN.value], dtype=np.int8)
    has_time = p.times.notna().to_numpy()
    local_ok = p.tz_source in ("cli", "evidence")
    zone_q = TimeQuality.EXACT.value if local_ok else TimeQuality.ASSUMED_TZ.value
    quality[has_time] = code[zone_q]
    quality[has_time & p.zoned] = code[TimeQuality.EXACT.value]
    yearless = (raw["mon"] > 0).to_numpy() & has_time
    if p.year is not None and p.year.source != "cli":
        quality[yearless] = code[TimeQuality.INFERRED_YEAR.value]
    if p.relative is not None:
        quality[p.relative & has_time] = code[TimeQuality.RELATIVE.value]
    out["time_quality"] = pd.Categorical.from_codes(quality, dtype=EVENT_DTYPES["time_quality"])
    out["source"] = pd.array(pa.repeat(pa.scalar(p.source.name, pa.large_string()), len(raw)),
                             dtype="string")
    out["format"] = pd.Categorical.from_codes(np.zeros(len(raw), dtype=np.int8),
                                              categories=pd.Index([p.fmt], dtype="string"))
    out["_src"] = p.index
    out["_nat"] = ~has_time
    return out


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
