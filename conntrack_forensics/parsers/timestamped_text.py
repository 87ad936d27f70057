"""Application logs: lines stamped ``YYYY-MM-DD HH:MM:SS[.fff]`` with no host name.

What ``dpkg.log``, ``apt/history.log``'s neighbours, Python's ``logging`` (OpenStack, Ceph,
Ansible...), Java and Go services write::

    2024-03-01 08:00:05 status installed libc6:amd64 2.36-9
    2024-03-01 08:00:05.123 12345 INFO nova.compute.manager [req-...] Took 0.52 seconds
    2024-03-01 08:00:05,123 - urllib3.connectionpool - WARNING - Retrying ...

The time (``T`` or a space between date and time, ``.`` or ``,`` before the fraction, an
optional ``Z`` or offset) is followed by the message; the line names no host, so the rows
take their tree's (host None here). A number first (OpenStack's pid) is the pid, a severity
after it is kept in the message. A line that syslog reads (a host and a tag after the time)
is not this format's: the sniff counts only lines :func:`.syslog._match` refuses, so an RFC
3339 syslog file stays syslog's.

A line without a time continues the record above it (a Python traceback, a Java stack trace:
lnav reads such logs so, and rsyslog's ``imfile`` with ``startmsg.regex``): part of that
record (appended to its message after a newline, unless the record is in the chunk of lines
before), neither a record nor a skipped line; before any record it is skipped. The sniff
counts the unindented lines only (a traceback's ``File ...`` lines are indented).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._bounds import iso_in_range
from .base import Head, ParseContext, Parser, RawBatch
from .classify import classify
from .registry import register
from .syslog import _match

_STAMP = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)"
    r" (?P<msg>\S.*)"
)
_PID = re.compile(r"(?P<pid>\d{1,9}) (?P<msg>.*)")


def _stamped(line: str) -> tuple[str, str] | None:
    """The time and message of a timestamped line that is not syslog, else None."""
    m = _STAMP.fullmatch(line)
    if m is None or not _valid(m.group("ts")) or _match(line) is not None:
        return None
    return m.group("ts"), m.group("msg")


def _valid(ts: str) -> bool:
    """A real month, day and time of day (the day's month length is the loader's to check)."""
    month, day = int(ts[5:7]), int(ts[8:10])
    hour, minute, second = int(ts[11:13]), int(ts[14:16]), int(ts[17:19])
    return (iso_in_range(ts) and 1 <= month <= 12 and 1 <= day <= 31 and hour <= 23
            and minute <= 59 and second <= 60)


@register
class TimestampedTextParser(Parser):
    """Host-less text lines stamped with a date and time: dpkg.log, Python logging..."""

    NAME = "timestamped_text"
    DESCRIPTION = ("application logs stamped YYYY-MM-DD HH:MM:SS[.fff] with no host "
                   "(dpkg.log, Python logging, OpenStack)")

    def sniff(self, head: Head) -> float:
        """Share of the first lines that are stamped and not syslog, indented lines aside."""
        lines = [ln for ln in head.lines if ln[:1] not in (" ", "\t")]
        if not lines:
            return 0.0
        return sum(1 for ln in lines if _stamped(ln) is not None) / len(lines)

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One event per stamped line; the lines after it until the next are part of it."""
        started = False
        batch = RawBatch()
        for chunk in ctx.chunks():
            for i, line in enumerate(chunk.lines):
                lineno = chunk.first + i
                if not line.strip():
                    continue
                found = _stamped(line)
                if found is None:
                    if not started:
                        ctx.skip(lineno, "line is not a timestamped text line")
                    else:  # a continuation: part of the record above
                        batch.cols["message"][-1] += "\n" + line
                    continue
                started = True
                ctx.ok()
                ts, msg = found
                pid = None
                m = _PID.fullmatch(msg)
                if m is not None:
                    pid, msg = int(m.group("pid")), m.group("msg")
                batch.add(lineno, msg, pid=pid, cls=classify(msg, None), evidence=line, iso=ts)
            if len(batch) > 1:  # the last row stays: the next chunk may continue its message
                done, batch = batch, _last_row(batch)
                yield done
        if len(batch):
            yield batch


def _last_row(batch: RawBatch) -> RawBatch:
    """Move ``batch``'s last row to a new batch (returned)."""
    out = RawBatch()
    for name, values in batch.cols.items():
        out.cols[name] = [values.pop()]
    return out
