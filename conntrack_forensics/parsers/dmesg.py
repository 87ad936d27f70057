"""The kernel ring buffer: ``dmesg`` in its forms, and ``/dev/kmsg`` records.

* raw: ``[12345.678901] msg`` (optionally ``<6>`` first, as ``dmesg -r`` prints);
* ``dmesg -x``: ``kern  :info  : [12345.678901] msg``;
* ``dmesg -T``: ``[Thu Apr 27 00:03:27 2017] msg`` (local wall time, no zone);
* ``/dev/kmsg``: ``6,1234,12345678901,-;msg`` (microseconds since boot), with its
  `` KEY=value`` continuation lines.

Seconds since boot are anchored to a boot time by the loader (a boot seen in the same host's
syslog or journal); such rows carry ``time_quality`` ``relative``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from ._bounds import FIRST_YEAR, LAST_YEAR
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

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One kernel event per line."""
        for chunk in ctx.chunks():
            batch = RawBatch()
            for i, line in enumerate(chunk.lines):
                lineno = chunk.first + i
                if not line.strip() or _KMSG_CONT.fullmatch(line):
                    continue
                parts = _split(line)
                if parts is None:
                    ctx.skip(lineno, "line is not a kernel ring-buffer line")
                    continue
                ctx.ok()
                uptime, iso, msg = parts
                batch.add(lineno, msg, program="kernel", cls=classify(msg, "kernel"),
                          evidence=line, iso=iso, uptime=uptime)
            if len(batch):
                yield batch
