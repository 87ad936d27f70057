"""The kernel ring buffer: ``dmesg`` in its forms, and ``/dev/kmsg`` records.

* raw: ``[12345.678901] msg`` (optionally ``<6>`` first, as ``dmesg -r`` prints);
* ``dmesg -x``: ``kern  :info  : [12345.678901] msg``;
* ``dmesg -T``: ``[Thu Apr 27 00:03:27 2017] msg`` (local wall time, no zone);
* ``/dev/kmsg``: ``6,1234,12345678901,-;msg`` (microseconds since boot), with its
  `` KEY=value`` continuation lines.

Seconds since boot are anchored to a boot time by the loader (a boot seen in the same host's
syslog or journal); such rows carry ``time_quality`` ``relative``.

The plain raw lines (most of a ring) are split in bulk by :mod:`._dmesg_bulk`; every other line
is read here, one by one, and the rows of both come out in file order, a raw frame per block.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

from ..inputs.blocks import Block, BlockReader
from ._bounds import FIRST_YEAR, LAST_YEAR
from ._columns import to_raw_frame
from ._dmesg_bulk import ring_rows, scan_ring
from .base import Head, ParseContext, Parser, RawBatch
from .classify import classify
from .registry import register

_RAW = re.compile(r"(?:<\d{1,3}>)?\[\s*(?P<up>\d+\.\d+)\]\s?(?P<msg>.*)")
_X = re.compile(r"[a-z]+\s*:[a-z]+\s*: \[\s*(?P<up>\d+\.\d+)\]\s?(?P<msg>.*)")
_T = re.compile(
    r"\[(?P<ts>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\]\s?(?P<msg>.*)"
)
_KMSG = re.compile(r"(?P<prio>\d{1,3}),(?P<seq>\d+),(?P<usec>\d+),[^;]*;(?P<msg>.*)")
_KMSG_CONT = re.compile(r" [A-Z_]+=.*")
#: Blocks smaller than this (a small file) are read line by line into one batch: the bulk
#: path's arrays cost more than they save there, and the loader frames small files' batches
#: together.
SMALL_BLOCK = 64 * 1024


def _split(line: str) -> tuple[float | None, str | None, str] | None:
    """(seconds since boot, local ISO time, message) of one ring-buffer line."""
    for rx in (_RAW, _X):
        m = rx.fullmatch(line)
        if m:
            return float(m.group("up")), None, m.group("msg")
    m = _T.fullmatch(line)
    if m:
        try:
            when = dt.datetime.strptime(" ".join(m.group("ts").split()), "%a %b %d %H:%M:%S %Y")
        except ValueError:
            return None
        if not FIRST_YEAR <= when.year <= LAST_YEAR:
            return None
        return None, when.isoformat(), m.group("msg")
    m = _KMSG.fullmatch(line)
    if m:
        return int(m.group("usec")) / 1e6, None, m.group("msg")
    return None


@register
class DmesgParser(Parser):
    """dmesg output (raw, -x, -T) and /dev/kmsg records."""

    NAME = "dmesg"
    DESCRIPTION = "kernel ring buffer: dmesg, dmesg -x, dmesg -T, /dev/kmsg records"

    def sniff(self, head: Head) -> float:
        """Share of the first lines that are ring-buffer lines."""
        lines = [ln for ln in head.lines if not _KMSG_CONT.fullmatch(ln)]
        if not lines:
            return 0.0
        return sum(1 for ln in lines if _split(ln) is not None) / len(lines)

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch | pd.DataFrame]:
        """One kernel event per line: plain raw lines in bulk, every other line one by one."""
        reader = BlockReader(ctx.source, ctx.diag)
        first = 1
        for block in reader:
            if block.size < SMALL_BLOCK:  # a few lines: one batch, as the loader pools them
                batch = RawBatch()
                lines = _decoded(reader, block, first)
                for i, line in enumerate(lines):
                    _line(ctx, first + i, line, batch)
                first += len(lines)
                if len(batch):
                    yield batch
                continue
            scan = scan_ring(block)
            bulk = scan.fast
            slow = np.flatnonzero(~bulk)
            # lines taken in bulk up to each line: they are counted in order with the others,
            # so that a run of bad lines (ctx.skip gives up after many) is broken as before
            taken = np.cumsum(bulk)
            # (with their carriage returns: decoding removes one, as for every parser)
            raws = [block.buf[a:e].tobytes()
                    for a, e in zip(scan.starts[slow], scan.line_ends[slow], strict=True)]
            texts = reader.decode(raws, (first + slow).tolist())
            batch = RawBatch()
            counted = 0
            for i, line in zip(slow.tolist(), texts, strict=True):
                if taken[i] > counted:
                    ctx.ok(int(taken[i]) - counted)
                    counted = int(taken[i])
                _line(ctx, first + i, line, batch)
            if len(taken) and taken[-1] > counted:
                ctx.ok(int(taken[-1]) - counted)
            rows = ring_rows(block, scan, first, batch)
            first += len(scan)
            if rows.n:
                yield to_raw_frame([rows])
        reader.finish(first - 1)


def _decoded(reader: BlockReader, block: Block, first: int) -> list[str]:
    """The block's lines decoded (as :func:`..inputs.blocks.iter_line_chunks` has them)."""
    data = block.data()
    raw = data.split(b"\n")
    if data.endswith(b"\n"):
        raw.pop()
    return reader.decode(raw, first)


def _line(ctx: ParseContext, lineno: int, line: str, batch: RawBatch) -> None:
    """Read one line the fast path left into ``batch``."""
    if not line.strip() or _KMSG_CONT.fullmatch(line):
        return
    parts = _split(line)
    if parts is None:
        ctx.skip(lineno, "line is not a kernel ring-buffer line")
        return
    ctx.ok()
    uptime, iso, msg = parts
    batch.add(lineno, msg, program="kernel", cls=classify(msg, "kernel"),
              evidence=line, iso=iso, uptime=uptime)
