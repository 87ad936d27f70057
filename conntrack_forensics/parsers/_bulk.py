"""Raw rows made in bulk from scanned blocks (:mod:`._rfc3164`): counts, or every line.

By default a host's plain lines within one minute become one ``background`` row
(:func:`run_rows`), standing where the first of them stands (year inference reads the rows'
order), numbered and timed by the last, ``count`` the lines; a lone plain line in its minute is
left to the line-by-line reader, which keeps its text. An RFC 3339 time goes on such a row as
its text, as the rows read line by line have it, so the loader puts both in the same minutes.
With ``full`` every plain line becomes a ``message`` row (:func:`message_rows`), timed by
seconds since 1970 where it had an RFC 3339 time, and put in file order with the block's rows
read line by line, column by column (:mod:`._columns`). :class:`Pending` gathers these and
hands them on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.blocks import Block
from ..model import Kind
from ._columns import Coded, Columns, Cuts, interleave, to_raw_frame
from ._rfc3164 import Scan
from .background import host_runs, plain_lines
from .base import RawBatch, raw_frame, take_rows

#: Rows of a file's counts handed on as a batch rather than a frame (see :meth:`Pending.frame`).
SMALL_ROWS = 2_000


@dataclass
class RunRows:
    """A block's plain lines counted per host and minute (runs of at least two lines)."""

    order: np.ndarray  # index in the block of each run's first line: where its row stands
    line: np.ndarray  # ... of its last line
    host: np.ndarray  # names
    count: np.ndarray
    mon: np.ndarray
    day: np.ndarray
    sod: np.ndarray  # of the last line
    alone: np.ndarray  # per line of the block: a plain line alone in its host's minute
    iso: np.ndarray  # the last line's RFC 3339 time (text, as the line-by-line rows have it)

    def numbered(self, first: int) -> RunRows:
        """The runs with line numbers, ``first`` being the number of the block's first line."""
        self.order = self.order + first
        self.line = self.line + first
        return self


def run_rows(scan: Scan) -> RunRows:
    """Count the block's plain lines (``scan.fast``) by host and minute."""
    rows = np.flatnonzero(scan.fast)
    alone = np.zeros(len(scan), dtype=bool)
    if not len(rows):
        none = np.zeros(0, dtype=np.int64)
        return RunRows(none, none, np.zeros(0, dtype=object), none, none, none,
                       none.astype(np.float64), alone, np.zeros(0, dtype=object))
    minute = (scan.mon[rows] * 32 + scan.day[rows]) * 1440 + scan.sod[rows] // 60
    if scan.epoch is not None:  # RFC 3339 lines: minutes since 1970, apart from the others
        epoch = scan.epoch[rows]
        minute = np.where(np.isnan(epoch), minute,
                          np.nan_to_num(epoch // 60).astype(np.int64) + (1 << 40))
    order, run, last = host_runs(scan.host[rows], minute)
    rows = rows[order]
    size = np.bincount(run)
    head = np.ones(len(rows), dtype=bool)
    head[1:] = last[:-1]
    alone[rows[size[run] == 1]] = True
    many = size >= 2
    starts, ends = rows[head][many], rows[last][many]
    hosts = np.array(scan.hosts + [""], dtype=object)
    return RunRows(starts, ends, hosts[scan.host[ends]], size[many],
                   scan.mon[ends], scan.day[ends], scan.sod[ends].astype(np.float64), alone,
                   _stamps(scan, ends))


def _stamps(scan: Scan, rows: np.ndarray) -> np.ndarray:
    """The RFC 3339 times of ``rows`` as text (None for the other lines)."""
    out = np.full(len(rows), None, dtype=object)
    if scan.epoch is None or scan.host_at is None or scan.buf is None:
        return out
    for k, j in enumerate(rows.tolist()):
        if not np.isnan(scan.epoch[j]):
            out[k] = bytes(scan.buf[scan.starts[j]:scan.host_at[j] - 1]).decode("ascii")
    return out


def message_rows(block: Block, scan: Scan, first: int, slow: RawBatch) -> Columns:
    """Every plain line of the block as a ``message`` row (``full``), in file order.

    ``slow`` holds the rows read one by one from the block's other lines.
    """
    rows = np.flatnonzero(scan.fast)
    assert scan.program is not None and scan.pid is not None and scan.msg_start is not None
    pid = scan.pid[rows]
    bulk = Columns(len(rows), {
        "line": first + rows,
        "host": Coded(scan.host[rows], scan.hosts),
        "program": Coded(scan.program[rows], scan.programs),
        "pid": pd.arrays.IntegerArray(pid, pid < 0),
        "message": Cuts(block.buf, scan.msg_start[rows], scan.ends[rows]),
        "kind": Coded(np.zeros(len(rows), dtype=np.int64), [Kind.MESSAGE.value]),
        "count": np.ones(len(rows), dtype=np.int64),
        "mon": scan.mon[rows],
        "day": scan.day[rows],
        "sod": scan.sod[rows].astype(np.float64),
    })
    if scan.epoch is not None:
        bulk.data["epoch"] = _seconds(scan.epoch[rows])
    if not len(slow):
        return bulk
    return interleave(bulk, first + rows, Columns.of_batch(slow),
                      np.asarray(slow.cols["line"], dtype=np.int64))


def _seconds(epoch: np.ndarray) -> pd.arrays.FloatingArray:
    """Seconds since 1970, NaN as missing."""
    missing = np.isnan(epoch)
    return pd.arrays.FloatingArray(np.where(missing, 0.0, epoch), missing)


class Pending:
    """Rows read but not yet handed on: line-by-line rows, and run rows or full blocks."""

    def __init__(self) -> None:
        self.batch = RawBatch()  # full: only rows read after the last block
        self.runs: list[RunRows] = []
        self.blocks: list[Columns] = []

    def __len__(self) -> int:
        return (len(self.batch) + sum(len(r.line) for r in self.runs)
                + sum(b.n for b in self.blocks))

    def frame(self) -> pd.DataFrame | RawBatch:
        """Everything pending as one raw frame, in file order; then nothing is pending.

        Counts of a few rows come as a :class:`RawBatch` instead: the loader frames the rows
        of many small files at once (a frame per small file cost more than reading it).
        """
        if not self.blocks and len(self) <= SMALL_ROWS:
            return self._runs_batch()
        if self.blocks:
            frame = to_raw_frame([*self.blocks, Columns.of_batch(self.batch)])
        else:
            frame = self._runs_frame()
        self.batch, self.runs, self.blocks = RawBatch(), [], []
        return frame

    def _runs_batch(self) -> RawBatch:
        """The rows read one by one and the run rows as one batch, in file order."""
        batch, runs = self.batch, self.runs
        self.batch, self.runs = RawBatch(), []
        if not any(len(r.line) for r in runs):
            return batch
        # where each row stands: its line, a run's first line (as in :meth:`_runs_frame`)
        order = np.concatenate([np.asarray(batch.cols["line"], dtype=np.int64),
                                *(r.order for r in runs)])
        for r in runs:
            for k, text in enumerate(plain_lines(r.count.tolist())):
                batch.add(int(r.line[k]), text, host=r.host[k], kind=Kind.BACKGROUND,
                          count=int(r.count[k]), iso=r.iso[k],
                          mdsod=(int(r.mon[k]), int(r.day[k]), float(r.sod[k])))
        take = np.argsort(order, kind="stable")
        if (np.diff(take) == 1).all():
            return batch
        out = RawBatch()
        for name, values in batch.cols.items():
            out.cols[name] = [values[i] for i in take.tolist()]
        return out

    def _runs_frame(self) -> pd.DataFrame:
        parts = [self.batch.to_frame(order=True)]
        if self.runs:
            count = np.concatenate([r.count for r in self.runs])
            parts.append(raw_frame(len(count), {
                "line": np.concatenate([r.line for r in self.runs]),
                "host": pd.array(np.concatenate([r.host for r in self.runs]), dtype="string"),
                "kind": Coded(np.zeros(len(count), dtype=np.int64),
                              [Kind.BACKGROUND.value]).arrow(),
                "count": count,
                "message": pd.array(plain_lines(count), dtype="string"),
                "mon": np.concatenate([r.mon for r in self.runs]),
                "day": np.concatenate([r.day for r in self.runs]),
                "sod": np.concatenate([r.sod for r in self.runs]),
                "iso": pd.array(np.concatenate([r.iso for r in self.runs]), dtype="string"),
            }, order=np.concatenate([r.order for r in self.runs])))
        parts = [p for p in parts if len(p)] or parts[:1]
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        order = frame.pop("_order").to_numpy()
        return take_rows(frame, np.argsort(order, kind="stable"))
