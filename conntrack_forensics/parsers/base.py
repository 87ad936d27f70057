"""What every parser is: a small object with ``sniff()`` and a streaming ``parse()``.

A parser declares ``NAME`` (the value of the ``format`` column), a one-line ``DESCRIPTION``,
and implements:

* ``sniff(head)`` -> a score in [0, 1] from the first lines of a file, by content (the file name
  is only a hint); the registry gives the file to the best score of at least 0.5.
* ``parse(ctx)`` -> an iterator of :class:`RawBatch` es (or raw frames, :func:`raw_frame`),
  each a block of events whose times are not yet resolved (a syslog line has a month and day
  but no year; the loader decides). Rows come in file order (year inference and the
  counting of plain lines, ``ctx.background``, read them in that order).

Parsers report bad lines with ``ctx.skip(line, reason)``; after
:data:`MAX_CONSECUTIVE_FAILURES` in a row a parser gives up on the file, and says so.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd
import pyarrow as pa

from ..diagnostics import Diagnostics
from ..inputs.blocks import LineChunk, iter_line_chunks
from ..inputs.source import Source
from ..model import Kind
from ._dated_text import DatedText
from .classify import PLAIN, Classified

MAX_CONSECUTIVE_FAILURES = 1000
SNIFF_THRESHOLD = 0.5


@dataclass(frozen=True)
class Head:
    """The first bytes of a file, decoded, for sniffing."""

    name: str
    text: str
    lines: tuple[str, ...]
    #: Month names to read besides English (``--locale``), folded: see :mod:`._months`.
    months: Mapping[str, int] | None = None

    @classmethod
    def from_bytes(cls, name: str, data: bytes, max_lines: int = 200,
                   months: Mapping[str, int] | None = None) -> Head:
        """Decode a file's first bytes; a last partial line is dropped when more follows."""
        text = data.replace(b"\x00", b"").decode("utf-8", "replace")
        lines = text.split("\n")
        if len(lines) > 1 and not text.endswith("\n"):
            lines = lines[:-1]
        kept = tuple(ln.rstrip("\r") for ln in lines if ln.strip())[:max_lines]
        return cls(name=name, text=text, lines=kept, months=months)


class GiveUp(Exception):
    """Raised inside a parser when too many lines in a row could not be parsed."""


@dataclass
class Hints:
    """Facts the evidence gives beside its rows: a host's zone and name, dates in messages."""

    tz: dict[str, tuple[str, str]] = field(default_factory=dict)  # scope -> (zone, path)
    host: dict[str, tuple[str, str]] = field(default_factory=dict)  # scope -> (name, path)
    #: source name -> full dates written inside its yearless lines (:mod:`._dated_text`)
    dated_text: dict[str, list[DatedText]] = field(default_factory=dict)


@dataclass
class ParseContext:
    """Everything a parser may touch while reading one source."""

    source: Source
    diag: Diagnostics
    hints: Hints
    #: Plain messages may be emitted as per-host, per-minute ``background`` counts.
    background: bool = False
    #: Month names to read besides English (``--locale``), folded: see :mod:`._months`.
    months: Mapping[str, int] | None = None
    records: int = 0
    skipped: int = 0
    _run: int = 0

    def chunks(self) -> Iterator[LineChunk]:
        """The source's decoded lines, in chunks."""
        return iter_line_chunks(self.source, self.diag)

    def ok(self, n: int = 1) -> None:
        """Count ``n`` records read into events."""
        self.records += n
        self._run = 0

    def skip(self, line: int, reason: str) -> None:
        """Count one record that could not be used, folded into the diagnostics by reason.

        Raises:
            GiveUp: after too many failures in a row (the loader records it and moves on).
        """
        self.records += 1
        self.skipped += 1
        self._run += 1
        self.diag.warning(self.source.name, reason, line)
        if self._run >= MAX_CONSECUTIVE_FAILURES:
            raise GiveUp(f"gave up after {self._run} consecutive unparsable lines")

    def hint_tz(self, zone: str) -> None:
        """Record the zone this source's host is configured for."""
        self.hints.tz.setdefault(self.source.scope, (zone, self.source.name))

    def hint_host(self, name: str) -> None:
        """Record the host name this source's host is configured with."""
        self.hints.host.setdefault(self.source.scope, (name, self.source.name))


class RawBatch:
    """A block of parsed events with unresolved times, built row by row.

    A row gives its time one of five ways: ``epoch`` (seconds since 1970, UTC), ``iso`` (an
    RFC 3339 text, with or without offset), ``mon``/``day``/``sod`` (a yearless local time,
    ``sod`` being seconds of the day), ``uptime`` (seconds since boot, anchored by the
    loader) or ``capture="at"`` (a snapshot taken when its host's clock was read, see
    below). A row with none has no known time.

    Snapshots: a row with ``capture="clock"`` is a reading of the host's clock (``date``
    output); its time becomes the capture time of every ``capture="at"`` row in the same scope
    that has no time of its own. ``boot_age`` is the host's uptime in seconds at the row's time
    (``uptime``, ``/proc/uptime``), from which the loader derives a boot time.
    """

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "line", "host", "program", "pid", "user", "message", "kind", "count", "module",
        "conntrack_max", "conntrack_buckets", "evidence", "command", "epoch", "iso", "mon", "day",
        "sod", "uptime", "not_before", "not_after", "conntrack_count", "conntrack_loaded",
        "capture", "boot_age", "boot_id", "priority",
    )

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {c: [] for c in self.COLUMNS}

    def __len__(self) -> int:
        return len(self.cols["line"])

    def add(
        self,
        line: int,
        message: str,
        *,
        host: str | None = None,
        program: str | None = None,
        pid: int | None = None,
        user: str | None = None,
        cls: Classified = PLAIN,
        kind: Kind | None = None,
        count: int = 1,
        evidence: str | None = None,
        command: str | None = None,
        epoch: float | None = None,
        iso: str | None = None,
        mdsod: tuple[int, int, float] | None = None,
        uptime: float | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        conntrack_count: int | None = None,
        conntrack_loaded: bool | None = None,
        capture: str | None = None,
        boot_age: float | None = None,
        boot_id: str | None = None,
        priority: int | None = None,
    ) -> None:
        """Append one event.

        ``command`` defaults to what the classifier read, else to a ``command`` event's message.
        """
        c = self.cols
        k = kind or cls.kind
        c["line"].append(line)
        c["host"].append(host)
        c["program"].append(program)
        c["pid"].append(pid)
        c["user"].append(user if user is not None else cls.user)
        c["message"].append(message)
        c["kind"].append(k.value)
        c["count"].append(cls.count if cls.count is not None else count)
        c["module"].append(cls.module)
        c["conntrack_max"].append(cls.conntrack_max)
        c["conntrack_buckets"].append(cls.conntrack_buckets)
        c["evidence"].append(evidence if k is not Kind.MESSAGE else None)
        if command is None:
            command = cls.command or (message if k is Kind.COMMAND else None)
        c["command"].append(command)
        c["epoch"].append(epoch)
        c["iso"].append(iso)
        if mdsod is None:
            c["mon"].append(0)
            c["day"].append(0)
            c["sod"].append(0.0)
        else:
            c["mon"].append(mdsod[0])
            c["day"].append(mdsod[1])
            c["sod"].append(mdsod[2])
        c["uptime"].append(uptime)
        c["not_before"].append(not_before)
        c["not_after"].append(not_after)
        c["conntrack_count"].append(conntrack_count)
        c["conntrack_loaded"].append(conntrack_loaded)
        c["capture"].append(capture)
        c["boot_age"].append(boot_age)
        c["boot_id"].append(boot_id)
        c["priority"].append(priority)

    def compact(self) -> RawBatch:
        """Drop the columns holding nothing but ``None``.

        A small file's batch waits to be framed with others, and its 27 lists cost more than
        its rows; :meth:`column` and :meth:`to_frame` give the dropped columns back.
        """
        self.cols = {name: values for name, values in self.cols.items()
                     if name == "line" or any(v is not None for v in values)}
        return self

    def column(self, name: str) -> list[Any]:
        """Column ``name``'s values (``None`` throughout for a column :meth:`compact` left out)."""
        values = self.cols.get(name)
        return values if values is not None else [None] * len(self)

    def to_frame(self, order: bool = False) -> pd.DataFrame:
        """The batch as a raw frame (times unresolved); ``order`` adds ``_order`` (the line)."""
        c = self.cols
        return raw_frame(len(self), c, order=c["line"] if order else None)


def take_rows(frame: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """``frame``'s rows in ``order`` (positions), with a fresh index.

    Columns holding nothing but missing values are kept as they are (reordering them changes
    nothing), which spares most of the copying for wide frames of sparse columns.
    """
    if len(order) == len(frame) and (np.diff(order) == 1).all():
        return frame.reset_index(drop=True)
    out = {}
    for name in frame.columns:
        column = frame[name]
        out[name] = (column.reset_index(drop=True) if column.isna().all()
                     else _take(column, order))
    return pd.DataFrame(out)


def _take(column: pd.Series, order: np.ndarray) -> pd.Series:
    """One column's rows in ``order``.

    Arrow text is taken in one piece: across the pieces a concatenation leaves it is ten times
    slower.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        data = pa.array(column.array)
        if isinstance(data, pa.ChunkedArray):
            data = data.combine_chunks()
        return pd.Series(pd.array(data.take(pa.array(order)), dtype=dtype))
    return column.take(order).reset_index(drop=True)


def as_frame(batch: RawBatch | pd.DataFrame) -> pd.DataFrame:
    """What a parser yielded, as a raw frame."""
    return batch if isinstance(batch, pd.DataFrame) else batch.to_frame()


#: The raw frame's columns and their types (``datetime`` columns are UTC).
RAW_DTYPES: dict[str, str] = {
    "line": "Int64", "host": "string", "program": "string", "pid": "Int64", "user": "string",
    "message": "string", "kind": "string", "count": "Int64", "module": "string",
    "conntrack_max": "Int64", "conntrack_buckets": "Int64", "evidence": "string",
    "command": "string", "epoch": "Float64", "iso": "string", "mon": "int64", "day": "int64",
    "sod": "float64", "uptime": "Float64", "not_before": "datetime", "not_after": "datetime",
    "conntrack_count": "Int64", "conntrack_loaded": "boolean", "capture": "string",
    "boot_age": "Float64", "boot_id": "string", "priority": "Int64",
}


def raw_frame(n: int, columns: dict[str, Any], order: Any = None) -> pd.DataFrame:
    """A raw frame of ``n`` rows from the columns given (lists or arrays); the rest empty.

    ``order``, when given, becomes an ``_order`` column: where each row stands in the file.

    >>> raw_frame(2, {"line": [1, 2], "message": ["a", "b"]})[["line", "message", "mon"]]
       line message  mon
    0     1       a    0
    1     2       b    0
    """
    out: dict[str, Any] = {name: raw_column(name, n, columns.get(name)) for name in RAW_DTYPES}
    if order is not None:
        out["_order"] = np.asarray(order, dtype=np.int64)
    return pd.DataFrame(out)


def raw_column(name: str, n: int, values: Any = None) -> Any:
    """The raw frame's column ``name`` as an array; missing throughout if ``values`` is None.

    >>> raw_column("pid", 2, [7, None]).tolist()
    [7, <NA>]
    """
    dtype = RAW_DTYPES[name]
    if dtype == "datetime":
        if values is None:
            return pd.DatetimeIndex(np.full(n, np.datetime64("NaT", "ns"))).tz_localize("UTC").array
        return _utc(values).array
    if values is None:
        return _missing(n, dtype)
    return pd.array(values, dtype=cast(Any, dtype))


def _missing(n: int, dtype: str) -> Any:
    """A column of ``n`` missing values (zeros for the plain numpy types)."""
    if dtype in ("int64", "float64"):
        return np.zeros(n, dtype=dtype)
    if dtype == "string":
        return pd.array(pa.nulls(n, pa.large_string()), dtype="string")
    mask = np.ones(n, dtype=bool)
    if dtype == "Int64":
        return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), mask)
    if dtype == "Float64":
        return pd.arrays.FloatingArray(np.zeros(n, dtype=np.float64), mask)
    return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), mask)


def _utc(values: Any) -> pd.Series:
    """Optional datetimes as a nanosecond UTC column (whatever resolution they came in)."""
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True).astype(
        "datetime64[ns, UTC]")


class Parser(abc.ABC):
    """Base class of every parser; see the module docstring."""

    NAME: ClassVar[str]
    DESCRIPTION: ClassVar[str]
    #: The ``format`` column's value (defaults to ``NAME``; several snapshot parsers share one).
    FORMAT: ClassVar[str | None] = None
    #: Leading bytes of a binary format; a file starting with them goes to this parser unsniffed.
    MAGIC: ClassVar[bytes | None] = None

    @property
    def format(self) -> str:
        """The value this parser writes to the ``format`` column."""
        return self.FORMAT or self.NAME

    @abc.abstractmethod
    def sniff(self, head: Head) -> float:
        """How sure this parser is that ``head`` is its format, in [0, 1]."""

    @abc.abstractmethod
    def parse(self, ctx: ParseContext) -> Iterator[RawBatch | pd.DataFrame]:
        """Read the source, yielding batches of events (or raw frames, see :func:`raw_frame`)."""
