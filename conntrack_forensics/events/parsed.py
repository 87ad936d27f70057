"""The record each input becomes on its way into the events table: :class:`ParsedSource`.

The loader makes one per source (:mod:`.read`); each later step (hosts, zones, years, capture
times, clock skew, boot anchoring) reads it and fills in what it decided, and the last step
(:mod:`.table`) turns it into rows of the events table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..inputs.source import Source
from ..parsers.base import RawBatch


@dataclass(frozen=True)
class YearChoice:
    """The base year of a yearless stream and why."""

    year: int
    source: str  # cli | evidence | mtime | default
    detail: str


@dataclass
class ParsedSource:
    """One input as its parser left it, and every decision taken about its times since.

    Attributes:
        source: the input it was read from.
        index: its position among the inputs (ties in the final sort keep input order).
        fmt: the parser's ``format``, or ``None`` when the input was skipped.
        frame: the parser's raw rows (``None`` when skipped or pooled): text columns plus
            the time in parts (``epoch``, ``iso``, ``mon``/``day``/``sod``, ``uptime``) not
            yet resolved. Read them as :attr:`raw`.
        records: records (lines) read.
        skipped: records that could not be parsed.
        host: the host most of its rows name, once hosts are filled in.
        tz: the zone of its zone-less times, and ``tz_source`` where that came from
            (``cli``, ``evidence`` or ``default``).
        year: the year chosen for its yearless lines, if it has any.
        times: each row's UTC time as far as it is known (yearless rows are filled once a year
            is chosen; dmesg rows once the boot is anchored). Kept as ``stamps`` (nanoseconds,
            :data:`NAT` for none) until first read: a series per small file costs more than
            the file.
        known: the times that needed no year decision, as nanoseconds: evidence for other
            sources' years.
        relative: which rows are timed as seconds since boot plus an anchor.
        zoned: which rows carried their own zone (or an epoch).
        pending: the rows of a small source until the loader frames them with others'.
        pool: the frame a small source's rows are held in with others' (:mod:`.pooled`),
            rows ``span`` of it, until a step asks for the source's own :attr:`raw`.
    """

    source: Source
    index: int
    fmt: str | None
    frame: pd.DataFrame | None
    records: int = 0
    skipped: int = 0
    host: str | None = None
    tz: dt.tzinfo = dt.timezone.utc
    tz_source: str = "default"
    year: YearChoice | None = None
    stamps: np.ndarray | None = None
    known: np.ndarray | None = None
    relative: np.ndarray | None = None
    zoned: np.ndarray | None = None
    #: rows of a small source not framed yet: the loader frames many at once (:mod:`.pooled`)
    pending: RawBatch | None = None
    #: the name of the parser that read it
    parser: str | None = None
    #: what kinds of rows it holds, once asked (:mod:`.facts`)
    facts: Any = None
    pool: Any = None
    span: tuple[int, int] = (0, 0)
    _times: pd.Series | None = None

    @property
    def times(self) -> pd.Series | None:
        """Each row's UTC time (a series made from ``stamps`` on the first call)."""
        if self._times is None and self.stamps is not None:
            self._times = utc_series(self.stamps)
            self.stamps = None  # the series is the times from now on
        return self._times

    @times.setter
    def times(self, times: pd.Series | None) -> None:
        self._times, self.stamps = times, None

    @property
    def timed(self) -> bool:
        """Whether its times were resolved (without making them a series)."""
        return self.stamps is not None or self._times is not None

    @property
    def raw(self) -> pd.DataFrame | None:
        """The source's raw rows; a pooled source's are cut from its pool on the first call.

        From then on that frame is the source's own: steps done for a whole pool at once
        leave such a source to its frame (:attr:`pooled` is False).
        """
        if self.frame is None and self.pool is not None:
            a, b = self.span
            part = self.pool.raw.iloc[a:b]
            self.frame = part.reset_index(drop=True) if a else part
        return self.frame

    @property
    def pooled(self) -> bool:
        """Whether the rows are still read from the pool (no frame of its own yet)."""
        return self.frame is None and self.pool is not None

    @property
    def kept(self) -> bool:
        """Whether its rows were kept (it was read by a parser, not skipped)."""
        return self.frame is not None or self.pool is not None

    @property
    def size(self) -> int:
        """How many raw rows it has (0 when skipped)."""
        if self.frame is not None:
            return len(self.frame)
        return self.span[1] - self.span[0] if self.pool is not None else 0


#: Not a time, as nanoseconds since 1970.
NAT = np.iinfo(np.int64).min
_UTC = pd.DatetimeTZDtype("ns", "UTC")


def utc_series(stamps: np.ndarray, index: np.ndarray | None = None) -> pd.Series:
    """Nanoseconds since 1970 (:data:`NAT`: none) as a UTC time series."""
    return pd.Series(pd.array(stamps.view("datetime64[ns]"), dtype=_UTC), index=index)
