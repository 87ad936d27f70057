"""The timeline as Parquet: columnar, typed, one row group per chunk written.

The file's schema is the event model's (:data:`conntrack_forensics.model.EVENT_DTYPES`) in
Arrow's terms: times ``timestamp[ns, tz=UTC]``, text ``large_string``, categories
``dictionary<int32, large_string>``, ``Int64`` columns ``int64`` with nulls, booleans ``bool``;
the pandas metadata Arrow stores beside it makes :func:`pandas.read_parquet` give the events
table back with its dtypes. Parquet writes its footer last and never goes back in the file,
so the output may be a pipe as well as a file.

Example:
    >>> import io
    >>> import pandas as pd
    >>> from conntrack_forensics.model import to_frame
    >>> buf = io.BytesIO()
    >>> sink = ParquetSink(buf)
    >>> sink.write(to_frame({"message": ["a"], "line": [1]}))
    >>> sink.close()
    >>> back = pd.read_parquet(io.BytesIO(buf.getvalue()))
    >>> back["line"].dtype, back["message"].iloc[0], len(back.columns)
    (Int64Dtype(), 'a', 23)
"""

from __future__ import annotations

import functools
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..model import EVENT_COLUMNS, EVENT_DTYPES, to_frame


@functools.lru_cache(maxsize=1)
def schema() -> pa.Schema:
    """The Arrow schema of a timeline file, with pandas' metadata for its dtypes."""
    base = pa.Schema.from_pandas(to_frame({}, length=0), preserve_index=False)
    for i, field in enumerate(base):
        if pa.types.is_dictionary(field.type):
            # one index type whatever a chunk's categories: every row group has one schema
            base = base.set(i, pa.field(field.name, pa.dictionary(pa.int32(), pa.large_string()),
                                        field.nullable))
        elif pa.types.is_string(field.type):
            base = base.set(i, pa.field(field.name, pa.large_string(), field.nullable))
    return base


class ParquetSink:
    """Chunks of events written to one Parquet file (or pipe), a row group each.

    Args:
        out: a binary file object.
    """

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._writer: pq.ParquetWriter | None = None

    def _open(self) -> pq.ParquetWriter:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._out, schema())
        return self._writer

    def write(self, chunk: pd.DataFrame) -> None:
        """Write the chunk's events as one row group (none when it has no rows).

        Raises:
            KeyError: an event column is missing.
        """
        table = pa.Table.from_pandas(chunk[list(EVENT_COLUMNS)], preserve_index=False)
        writer = self._open()
        if table.num_rows:
            writer.write_table(table.cast(schema()), row_group_size=table.num_rows)

    def close(self) -> None:
        """Write the footer (a file of no rows still has its schema)."""
        self._open().close()


def read_timeline(path: str | IO[bytes]) -> pd.DataFrame:
    """The events table back from a Parquet timeline, with the events table's dtypes.

    ``pandas.read_parquet`` gives back the columns and values; a category column's categories
    are then only the values the file holds. This restores the event model's
    (:data:`conntrack_forensics.model.EVENT_DTYPES`).

    Example:
        >>> import io
        >>> from conntrack_forensics import load
        >>> events = load("sample_logs/bogon-nat-listing").events
        >>> buf = io.BytesIO()
        >>> sink = ParquetSink(buf)
        >>> sink.write(events)
        >>> sink.close()
        >>> read_timeline(io.BytesIO(buf.getvalue())).equals(events)
        True
    """
    frame = pd.read_parquet(path)
    if not len(frame):
        return to_frame({})  # (as the loader's table of no events)
    out: dict[str, pd.Series] = {}
    for name, dtype in EVENT_DTYPES.items():
        column = frame[name]
        if isinstance(dtype, pd.CategoricalDtype) and dtype.categories is not None:
            column = column.astype(object).astype(dtype)  # every category, not only those here
        elif isinstance(column.dtype, pd.CategoricalDtype):  # ``format``: as the loader makes it
            column = pd.Series(column.astype(object), dtype="string").astype("category")
        out[name] = column
    return to_frame(out)
