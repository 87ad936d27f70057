"""Syslog files: ``/var/log/messages``, ``kern.log``, ``syslog``, ``secure``, ``cron``...

Three line layouts, detected per line:

* RFC 3164 / BSD: ``Apr 27 00:03:27 bogon kernel: msg`` (optional ``<pri>``, no year);
* RFC 3339 high precision (rsyslog ``RSYSLOG_FileFormat``):
  ``2024-03-14T09:12:03.481205+00:00 host kernel: msg``;
* RFC 5424: ``<6>1 2024-03-14T09:12:03Z host app 123 ID [sd] msg``.

A line starting with a space or a tab continues the record above it (a stack trace, journalctl's
indented lines of a multi-line message): it is part of that record (appended to its message,
after a newline, unless the record is in the block before), neither a record nor a skipped
line of its own, and the sniff does not count it. rsyslog reads files so
(``runtime/stream.c``, ``strmReadLine`` mode 2: "a log line starts at the beginning of a line,
but following lines that are indented are part of the same log entry"), as plaso and lnav do.

After the tag, rsyslog's RFC 3164 parser skips at most one space (``tools/pmrfc3164.c``: only
with ``remove.msgFirstSpace``, "Bypass first space found in MSG part"), so Debian's
``rsyslogd:  [origin ...] start`` has a message starting with a space: kept as written, and
classified from its first word (:func:`.classify.classify` ignores leading whitespace).

What stands where the host goes is never a severity, a number or a dash
(:func:`._names.is_host`): ChromeOS's ``TIME SEVERITY TAG[PID]: MSG`` is read with no host; a
pid or a dash there (OpenStack, Python logging) means the line is not syslog
(:mod:`.timestamped_text` reads those), and so does a ``YYYY-MM-DD HH:MM:SS`` time (a space for
``T``) not followed by a host and a tag (``dpkg.log``).

``last message repeated N times`` (sysklogd, rsyslog) and ``message repeated N times: [msg]``
(rsyslog 8) become an event of the repeated message's kind with ``count`` N: the host's last
message from the same program, else the host's last message (a repeat of a plain line stays
plain).

Plain RFC 3164 and RFC 3339 lines (most of a big log) are split in bulk by :mod:`._rfc3164`
and counted or kept by :mod:`._bulk`; in a full parse, so are the plain RFC 5424 lines of the
common shape (:mod:`._rfc5424`). Every other line is read here, one by one.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.blocks import Block, BlockReader
from ..model import Kind
from ._bounds import OUT_OF_RANGE, int64, iso_in_range
from ._bulk import Pending, RunRows, message_rows, run_rows
from ._dated_text import DatedTextSampler
from ._months import month_of
from ._names import LEVELS, is_host
from ._rfc3164 import Scan, scan_blocks
from ._rfc5424 import BulkLatest, Taken, take_rfc5424
from .base import Head, ParseContext, Parser, RawBatch
from .classify import PLAIN, Classified, classify
from .registry import register

MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

_BSD = re.compile(
    r"(?:<\d{1,3}>)?(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) "
    r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?P<frac>\.\d{1,9})? (?P<host>\S+) ?(?P<rest>.*)"
)
#: The same line with a month name of any language (``févr.``, ``März``): read only when a
#: locale is given, then looked up in its month names.
_BSD_LOCAL = re.compile(_BSD.pattern.replace(r"(?P<mon>[A-Z][a-z]{2})",
                                             r"(?P<mon>[^\W\d_]{3,10}\.?)"))
_ISO = re.compile(
    r"(?:<\d{1,3}>)?(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?"
    r"(?:Z|[+-]\d\d:?\d\d)?) (?P<host>\S+) ?(?P<rest>.*)"
)
_RFC5424 = re.compile(
    r"<\d{1,3}>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?"
)
_JOURNAL_BOOT = re.compile(r"-- (?:Reboot|Boot [0-9a-f]{32}) --")
_JOURNAL_NOTE = re.compile(r"-- (?:Logs begin at|Journal begins at|No entries|Journal started).*")
_TAG = re.compile(r"(?P<prog>[^\s:\[\]]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)")
_REPEAT = re.compile(r"(?:last )?message repeated (?P<n>\d+) times?(?::\s*\[\s?(?P<text>.*)\])?")


@register
class SyslogParser(Parser):
    """RFC 3164, RFC 3339 and RFC 5424 syslog files."""

    NAME = "syslog"
    DESCRIPTION = "syslog files (RFC 3164 with year inference, RFC 3339, RFC 5424)"

    def sniff(self, head: Head) -> float:
        """Share of the first lines that are syslog lines, continuation lines aside."""
        lines = [ln for ln in head.lines if not is_continuation(ln)]
        if not lines:
            return 0.0
        good = sum(1 for ln in lines if _match(ln, head.months) is not None)
        return good / len(lines)

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch | pd.DataFrame]:
        """Stream the file: plain RFC 3164 lines in bulk, every other line one by one."""
        reader = BlockReader(ctx.source, ctx.diag)
        lines = _Lines(ctx)
        pending = Pending()
        first = 1
        # counts of plain lines by host and minute, or (full) the RFC 5424 lines taken in bulk
        then: Callable[[Scan], RunRows | Taken] = run_rows if ctx.background else take_rfc5424
        dates = DatedTextSampler(_stamp)  # dates written in messages: evidence of the year
        for block, scan, runs in scan_blocks(reader, fields=not ctx.background, then=then):
            dates.block(block, scan.starts, scan.ends, first)
            if isinstance(runs, Taken):
                lines.bulk5424.block(scan, runs, first)
                runs = None
            if runs is not None:
                pending.runs.append(runs.numbered(first))
                lines.read_block(block, scan, first, scan.fast & ~runs.alone, reader,
                                 pending.batch)
            else:
                slow = RawBatch()
                lines.read_block(block, scan, first, scan.fast, reader, slow)
                pending.blocks.append(message_rows(block, scan, first, slow))
            first += len(scan)
            if ctx.background and len(pending) > _FLUSH_ROWS:
                yield pending.frame()
        lines.finish(pending.batch)
        reader.finish(first - 1)
        if found := dates.finish():
            ctx.hints.dated_text[ctx.source.name] = found
        if len(pending):
            yield pending.frame()


#: Rows held before they are handed on as one frame. Small, so that handing them on (a few
#: pandas copies) stays small beside the blocks the scanning threads hold: with 50,000 a big
#: file's peak memory rose 40 MB above a small one's, whose only frame comes at the end. A
#: full parse hands the file on whole: the loader would join its pieces anyway.
_FLUSH_ROWS = 10_000


class _Lines:
    """The line-by-line reading of the lines not taken in bulk, with what it remembers."""

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.reboot: tuple[int, str] | None = None  # a journal "-- Reboot --" awaiting its time
        # the last message read here of a host and program (and of a host: program None),
        # and its line number
        self.last: dict[tuple[str | None, str | None], Classified] = {}
        self.last_read: dict[tuple[str | None, str | None], int] = {}
        self.taken: deque[_Taken] = deque(maxlen=2)  # this block's bulk lines and the last's
        # the last row read here, its batch and the number of its (last) line: continuation
        # lines right after it are appended to its message
        self.open: tuple[RawBatch, int, int] | None = None
        self.bulk5424 = BulkLatest()  # RFC 5424 lines taken in bulk, for repeats

    def read_block(self, block: Block, scan: Scan, first: int, bulk: np.ndarray,
                   reader: BlockReader, batch: RawBatch) -> None:
        """Read the lines of ``block`` not taken in ``bulk``, in order, into ``batch``."""
        ctx = self.ctx
        # (RFC 5424 lines taken in bulk are looked back at by self.bulk5424, to the first)
        self.taken.append(_Taken(block, scan, self.bulk5424.others(bulk), first))
        slow = np.flatnonzero(~bulk)
        taken = np.cumsum(bulk)  # lines taken in bulk up to each line
        raws = [block.buf[a:e].tobytes()
                for a, e in zip(scan.starts[slow], scan.ends[slow], strict=True)]
        texts = reader.decode(raws, (first + slow).tolist())
        counted = 0
        for i, text in zip(slow.tolist(), texts, strict=True):
            if taken[i] > counted:  # the plain lines in between were records too
                ctx.ok(int(taken[i]) - counted)
                counted = int(taken[i])
                self.boot_before(scan, first, bulk, i, batch)
            self.line(first + i, text, batch)
        if len(taken) and taken[-1] > counted:
            ctx.ok(int(taken[-1]) - counted)
            self.boot_before(scan, first, bulk, len(scan), batch)

    def boot_before(self, scan: Scan, first: int, bulk: np.ndarray, stop: int,
                    batch: RawBatch) -> None:
        """A pending journal boot takes the first line taken in bulk after it, before ``stop``."""
        if self.reboot is None:
            return
        after = max(self.reboot[0] + 1 - first, 0)
        at = np.flatnonzero(bulk[after:stop])
        if not len(at):
            return
        j = after + int(at[0])
        epoch = float(scan.epoch[j]) if scan.epoch is not None else np.nan
        batch.add(self.reboot[0], self.reboot[1], host=scan.hosts[scan.host[j]],
                  kind=Kind.BOOT, evidence=self.reboot[1],
                  epoch=None if np.isnan(epoch) else epoch,
                  mdsod=None if not np.isnan(epoch) else
                  (int(scan.mon[j]), int(scan.day[j]), float(scan.sod[j])))
        self.reboot = None

    def repeated(self, host: str | None, program: str | None, lineno: int) -> Classified:
        """What a ``last message repeated`` on line ``lineno`` repeats.

        The host's last message from the same program, else the host's last message; plain
        if that line was taken in bulk.
        """
        for key in ((host, program), (host, None)):
            read_at = self.last_read.get(key, 0)
            bulk_at = max((t.latest(host, key[1], lineno, read_at) for t in self.taken),
                          default=0)
            bulk_at = max(bulk_at, self.bulk5424.latest(host, key[1], lineno))
            if bulk_at > read_at:
                return PLAIN
            if key in self.last:
                return self.last[key]
        return PLAIN

    def line(self, lineno: int, line: str, batch: RawBatch) -> None:
        """Read one line into ``batch``."""
        ctx = self.ctx
        if not line.strip():
            return
        if is_continuation(line) and ctx.records > ctx.skipped:
            self.attach(lineno, line)  # part of the record above (the module's docstring)
            return
        if line.startswith("-- "):
            if _JOURNAL_BOOT.fullmatch(line):
                ctx.ok()
                self.reboot = (lineno, line)
                return
            if _JOURNAL_NOTE.fullmatch(line):
                return  # journalctl's own notes are not records
        m = _match(line, ctx.months)
        if m is None:
            ctx.skip(lineno, "line is not in a syslog format")
            return
        if not iso_in_range(m.iso):
            ctx.skip(lineno, OUT_OF_RANGE)
            return
        ctx.ok()
        host, program, pid, msg = m.host, m.program, m.pid, m.msg
        if self.reboot is not None:
            # journalctl prints the separator before the new boot's first line
            batch.add(self.reboot[0], self.reboot[1], host=host, kind=Kind.BOOT,
                      evidence=self.reboot[1], iso=m.iso, mdsod=m.mdsod)
            self.reboot = None
        rep = _REPEAT.fullmatch(msg.lstrip())
        if rep is not None and int64(rep.group("n")) is None:
            rep = None  # no count the table can hold: an ordinary message
        if rep is not None:
            text = rep.group("text")
            if text is not None:
                cls = classify(text, program)
            else:
                cls = self.repeated(host, program, lineno)
            cls = Classified(cls.kind, cls.rule, int(rep.group("n")), cls.module)
        else:  # (a repeat repeats the message before it, not itself)
            cls = classify(msg, program)
            for key in ((host, program), (host, None)):
                self.last[key] = cls
                self.last_read[key] = lineno
        batch.add(lineno, msg, host=host, program=program, pid=pid, cls=cls, evidence=line,
                  iso=m.iso, mdsod=m.mdsod)
        self.open = (batch, len(batch) - 1, lineno)

    def attach(self, lineno: int, line: str) -> None:
        """Append continuation ``line`` to the record right above it, if it was read here.

        The fast path leaves every line followed by a continuation line to this reader, so
        the records of a block are whole whichever path reads them (a record whose
        continuation starts the next block keeps its first line only).
        """
        if self.open is None or self.open[2] != lineno - 1:
            return
        batch, row, _ = self.open
        for column in ("message", "evidence"):
            if batch.cols[column][row] is not None:
                batch.cols[column][row] += "\n" + line
        self.open = (batch, row, lineno)

    def finish(self, batch: RawBatch) -> None:
        """A journal separator at the very end still counts as a boot."""
        if self.reboot is not None:
            batch.add(self.reboot[0], self.reboot[1], kind=Kind.BOOT, evidence=self.reboot[1])
            self.reboot = None


#: Lines taken in bulk looked at, at most, to find the one a repeat repeats.
_LOOK_BACK = 1000


@dataclass
class _Taken:
    """A block's lines taken in bulk, to look back at from a ``last message repeated``."""

    block: Block
    scan: Scan
    bulk: np.ndarray
    first: int

    def latest(self, host: str | None, program: str | None, before: int, after: int) -> int:
        """Number of the last line of ``host`` taken in bulk between ``after`` and ``before``.

        Only lines from ``program`` count, unless it is None; 0 if there is none.
        """
        if host not in self.scan.hosts:
            return 0
        code = self.scan.hosts.index(host)
        lo, hi = max(after + 1 - self.first, 0), min(before - self.first, len(self.scan))
        if hi <= lo:
            return 0
        at = np.flatnonzero(self.bulk[lo:hi] & (self.scan.host[lo:hi] == code)) + lo
        if program is None:
            return self.first + int(at[-1]) if len(at) else 0
        for j in at[::-1][:_LOOK_BACK].tolist():
            line = self.block.buf[self.scan.starts[j]:self.scan.ends[j]].tobytes()
            m = _match(line.decode("ascii"))  # (bulk lines are ASCII)
            if m is not None and m.program == program:
                return self.first + j
        return 0


@dataclass(frozen=True)
class _Line:
    host: str | None
    program: str | None
    pid: int | None
    msg: str
    iso: str | None = None
    mdsod: tuple[int, int, float] | None = None


def _match(line: str, months: Mapping[str, int] | None = None) -> _Line | None:
    """Split a syslog line into its time, host, program, pid and message.

    ``months``: month names read besides English (``--locale``, :mod:`._months`).
    """
    first = line[:1]
    if first.isdigit() or first == "<":
        m = _ISO.fullmatch(line)
        if m is not None:
            return _with_tag(m.group("host"), m.group("rest"), iso=m.group("ts"))
    if first == "<":
        m5 = _RFC5424.fullmatch(line)
        if m5 is not None and m5.group("ts") != "-":
            app, procid, host = m5.group("app"), m5.group("procid"), m5.group("host")
            return _Line(
                host=host if is_host(host) else None,
                program=None if app == "-" else app,
                pid=int64(procid),
                msg=(m5.group("msg") or "").removeprefix("\ufeff"),
                iso=m5.group("ts"),
            )
    m = _BSD.fullmatch(line)
    month = MONTHS.get(m.group("mon")) if m is not None else None
    if month is None and months is not None:
        m = _BSD_LOCAL.fullmatch(line)
        month = month_of(m.group("mon"), months) if m is not None else None
    if m is None or month is None:
        return None
    day, h, mi, s = (int(m.group(g)) for g in ("day", "h", "mi", "s"))
    if not 1 <= day <= 31 or h > 23 or mi > 59 or s > 60:
        return None
    frac = m.group("frac")
    sod = h * 3600 + mi * 60 + s + (float(frac) if frac else 0.0)
    return _with_tag(m.group("host"), m.group("rest"), mdsod=(month, day, sod))


def _stamp(line: str) -> tuple[int, int, str] | None:
    """The month, day and message of a yearless line (None for any other line)."""
    m = _match(line)
    return None if m is None or m.mdsod is None else (m.mdsod[0], m.mdsod[1], m.msg)


def is_continuation(line: str) -> bool:
    """Whether ``line`` continues the record above it: it starts with a space or a tab."""
    return line[:1] in (" ", "\t")


def _with_tag(
    host: str, rest: str, iso: str | None = None, mdsod: tuple[int, int, float] | None = None
) -> _Line | None:
    """The line's host, tag and message; None if it is no syslog line after all.

    A severity where the host goes (ChromeOS) means no host, and a tag must follow; a pid or a
    dash there, or a space-separated ISO time with no tag after its host, is no syslog.
    """
    tagged = iso is not None and iso[10:11] == " "
    if host.endswith(":"):  # no host name in the line: what looked like one is the tag
        rest = f"{host} {rest}"
        host = ""
    elif not is_host(host):
        if host not in LEVELS:
            return None
        host, tagged = "", True
    t = _TAG.fullmatch(rest)
    if t is None or (tagged and t.group("msg") and rest[t.start("msg") - 1] != " "):
        # (dpkg's "configure libc6:amd64 ..." has no tag: a tag's colon ends a word)
        return None if tagged else _Line(host or None, None, None, rest, iso, mdsod)
    pid = t.group("pid")
    return _Line(host or None, t.group("prog"), int64(pid), t.group("msg"),
                 iso, mdsod)
