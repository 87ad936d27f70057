"""Raw columns put together from pieces, in file order, without a data frame per piece.

A full parse of a big syslog file makes most of its rows in bulk (:mod:`._bulk`) and a few one
by one (:class:`.base.RawBatch`). Sorting data frames of both afterwards copies every column
twice; here a block's pieces are interleaved by line number column by column (:func:`interleave`),
and a file's blocks become one raw frame at the end (:func:`to_raw_frame`).

A column is a numpy array (``int64``/``float64`` columns), a pandas masked array (``Int64``,
``Float64``, ``boolean``), a UTC ``DatetimeArray`` (``datetime``), an Arrow string array,
:class:`Coded` strings (codes into a list of names) or :class:`Cuts`: strings still lying in a
byte buffer, gathered at the end as Arrow string views pointing into those bytes and copied out
by one cast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..inputs.blocks import BYTE_MASKS, PAD, Block
from .base import RAW_DTYPES, RawBatch, raw_column


@dataclass
class Cuts:
    """Strings ``buf[starts[i]:ends[i]]``, none missing (ASCII or UTF-8).

    The buffer goes on for at least 16 bytes past every start.
    """

    buf: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def of_arrow(cls, text: pa.Array) -> tuple[Cuts, np.ndarray | None]:
        """An Arrow string array's strings, and where it is valid (None: everywhere)."""
        text = text.cast(pa.large_string())
        n = len(text)
        _validity, offsets, data = text.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int64, count=n + 1, offset=text.offset * 8)
        buf = np.zeros(int(bounds[-1] - bounds[0]) + PAD, dtype=np.uint8)
        if data is not None and bounds[-1] > bounds[0]:
            buf[:len(buf) - PAD] = np.frombuffer(data, dtype=np.uint8)[bounds[0]:bounds[-1]]
        starts = bounds[:-1] - bounds[0]
        ends = bounds[1:] - bounds[0]
        valid = None if text.null_count == 0 else text.is_valid().to_numpy(zero_copy_only=False)
        return cls(buf, starts, ends), valid


@dataclass
class Coded:
    """Strings as codes into ``names`` (-1: missing): names that repeat, like hosts."""

    codes: np.ndarray
    names: list[str]

    def __len__(self) -> int:
        return len(self.codes)

    def arrow(self) -> pa.Array:
        """The strings as an Arrow array."""
        indices = pa.array(self.codes.astype(np.int32), mask=self.codes < 0)
        names = pa.array(self.names, pa.large_string())
        return pa.DictionaryArray.from_arrays(indices, names).dictionary_decode()


@dataclass
class Columns:
    """``n`` rows of raw columns (see the module docstring).

    A column not in ``data`` is missing throughout.
    """

    n: int
    data: dict[str, Any]

    @classmethod
    def of_batch(cls, batch: RawBatch) -> Columns:
        """The rows of a batch read one by one (columns holding nothing are left out)."""
        n = len(batch)
        return cls(n, {name: _piece(name, n, values) for name, values in batch.cols.items()
                       if any(v is not None for v in values)})


def _piece(name: str, n: int, values: Any) -> Any:
    """A column of values (a list) in the form :class:`Columns` holds."""
    dtype = RAW_DTYPES[name]
    if dtype == "string":
        return pa.array(values, type=pa.large_string())
    if dtype in ("int64", "float64"):
        return np.asarray(values, dtype=dtype)
    return raw_column(name, n, values)


def interleave(first: Columns, first_lines: np.ndarray, second: Columns,
               second_lines: np.ndarray) -> Columns:
    """The rows of both in the order of their line numbers (ascending within each)."""
    n = first.n + second.n
    at = np.searchsorted(first_lines, second_lines, side="right") + np.arange(second.n)
    others = np.ones(n, dtype=bool)
    others[at] = False
    places = (np.flatnonzero(others), at)
    data: dict[str, Any] = {}
    for name in RAW_DTYPES:
        pieces = [(where, part.data[name]) for where, part in zip(places, (first, second),
                                                                  strict=True)
                  if name in part.data]
        if pieces:
            data[name] = _scatter(name, n, pieces)
    return Columns(n, data)


def _scatter(name: str, n: int, pieces: Sequence[tuple[np.ndarray, Any]]) -> Any:
    """One column of ``n`` rows from pieces placed at the positions given; the rest missing."""
    dtype = RAW_DTYPES[name]
    if dtype == "string":
        return _strings(n, pieces)
    if dtype in ("int64", "float64"):
        out = np.zeros(n, dtype=dtype)
        for where, values in pieces:
            out[where] = values
        return out
    if dtype == "datetime":
        stamps = np.full(n, np.datetime64("NaT", "ns"))
        for where, values in pieces:
            stamps[where] = pd.DatetimeIndex(values).tz_convert(None).to_numpy("datetime64[ns]")
        return pd.DatetimeIndex(stamps).tz_localize("UTC").array
    kind: Any = {"Int64": np.int64, "Float64": np.float64, "boolean": np.bool_}[dtype]
    data: np.ndarray = np.zeros(n, dtype=kind)
    mask = np.ones(n, dtype=bool)
    for where, values in pieces:
        if isinstance(values, np.ndarray):
            data[where], mask[where] = values, False
        else:
            data[where] = values.to_numpy(dtype=kind, na_value=kind(0))
            mask[where] = values.isna()
    if dtype == "Int64":
        return pd.arrays.IntegerArray(data, mask)
    if dtype == "Float64":
        return pd.arrays.FloatingArray(data, mask)
    return pd.arrays.BooleanArray(data, mask)


def _strings(n: int, pieces: Sequence[tuple[np.ndarray, Any]]) -> pa.Array:
    """Arrow strings from pieces (:class:`Cuts`, :class:`Coded` or Arrow); the rest missing.

    Coded strings stay codes until the end, the other pieces' strings joining their names.
    Strings still in their bytes are gathered as views pointing into those bytes, then copied
    out by one cast. Arrow arrays alone are joined and taken in order.
    """
    if any(isinstance(values, Coded) for _, values in pieces) \
            and not any(isinstance(values, Cuts) for _, values in pieces):
        return _recoded(n, pieces).arrow()
    if not any(isinstance(values, Cuts) for _, values in pieces):
        index = np.zeros(n, dtype=np.int64)
        valid = np.zeros(n, dtype=bool)
        at = 0
        for where, values in pieces:
            index[where] = np.arange(at, at + len(values))
            valid[where] = True
            at += len(values)
        joined = pa.concat_arrays([values.cast(pa.large_string()) for _, values in pieces])
        return joined.take(pa.array(index, mask=~valid))
    views = np.zeros((n, 2), dtype=np.uint64)
    valid = np.zeros(n, dtype=bool)
    buffers = []
    for number, (where, values) in enumerate(pieces):
        if isinstance(values, Cuts):
            cuts, ok = values, None
        else:
            cuts, ok = Cuts.of_arrow(values.arrow() if isinstance(values, Coded) else values)
        views[where] = views_of(cuts, number)
        valid[where] = True if ok is None else ok
        buffers.append(pa.py_buffer(cuts.buf))
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    text = pa.Array.from_buffers(pa.string_view(), n, [bitmap, pa.py_buffer(views), *buffers])
    return pc.cast(text, pa.large_string())


def _recoded(n: int, pieces: Sequence[tuple[np.ndarray, Any]]) -> Coded:
    """Coded and Arrow pieces as codes into one list of names."""
    names: list[str] = []
    known: dict[str, int] = {}

    def code(name: str) -> int:
        if name not in known:
            known[name] = len(names)
            names.append(name)
        return known[name]

    codes = np.full(n, -1, dtype=np.int64)
    for where, values in pieces:
        if isinstance(values, Coded):
            table = np.array([code(name) for name in values.names] + [-1], dtype=np.int64)
            codes[where] = table[values.codes]  # (code -1 picks the last entry: missing)
        else:
            codes[where] = [-1 if v is None else code(v) for v in values.to_pylist()]
    return Coded(codes, names)


def views_of(cuts: Cuts, buffer: int = 0) -> np.ndarray:
    """Arrow string views of ``cuts`` (their bytes being data buffer number ``buffer``).

    A view is 16 bytes: the length and either the string itself (up to 12 bytes) or its first
    4 bytes, the buffer's number and the offset in it (32 bits: a buffer holds under 2 GiB).
    """
    starts, length = cuts.starts, cuts.ends - cuts.starts
    words = Block(cuts.buf, len(cuts.buf) - PAD).words()
    first = words[starts]
    view = np.empty((len(starts), 2), dtype=np.uint64)
    view[:, 0] = length.astype(np.uint64) | (first << np.uint64(32))  # (the first 4 bytes)
    view[:, 1] = (starts.astype(np.uint64) << np.uint64(32)) | np.uint64(buffer)
    short = np.flatnonzero(length <= 12)  # held in the view, zeros after the end
    if len(short):
        size, lead = length[short], first[short]
        view[short, 0] = size.astype(np.uint64) \
            | ((lead & BYTE_MASKS[np.minimum(size, 4)]) << np.uint64(32))
        view[short, 1] = ((lead >> np.uint64(32)) | (words[starts[short] + 8] << np.uint64(32))) \
            & BYTE_MASKS[np.clip(size - 4, 0, 8)]
    return view


def to_raw_frame(parts: Sequence[Columns]) -> pd.DataFrame:
    """The parts one after another as one raw frame (see :func:`.base.raw_frame`)."""
    n = sum(p.n for p in parts)
    out: dict[str, Any] = {}
    for name, dtype in RAW_DTYPES.items():
        if not any(name in p.data for p in parts):
            out[name] = raw_column(name, n)
            continue
        if dtype == "string":
            out[name] = pd.array(pa.chunked_array(
                [_arrow(p.data[name]) if name in p.data else pa.nulls(p.n, pa.large_string())
                 for p in parts], type=pa.large_string()), dtype="string")
            continue
        pieces = [p.data[name] if name in p.data else raw_column(name, p.n) for p in parts]
        if dtype in ("int64", "float64"):
            out[name] = np.concatenate(pieces)
        else:
            arrays = [pd.array(piece, dtype=cast(Any, dtype))
                      if isinstance(piece, np.ndarray) else piece for piece in pieces]
            out[name] = type(arrays[0])._concat_same_type(arrays)
    return pd.DataFrame(out, copy=False)


def _arrow(piece: pa.Array | Cuts | Coded) -> pa.Array:
    if isinstance(piece, Cuts):
        return _strings(len(piece), [(np.arange(len(piece)), piece)])
    if isinstance(piece, Coded):
        return piece.arrow()
    return piece.cast(pa.large_string())
