"""Syslog files: ``/var/log/messages``, ``kern.log``, ``syslog``, ``secure``, ``cron``...

Three line layouts, detected per line:

* RFC 3164 / BSD: ``Apr 27 00:03:27 bogon kernel: msg`` (optional ``<pri>``, no year);
* RFC 3339 high precision (rsyslog ``RSYSLOG_FileFormat``):
  ``2024-03-14T09:12:03.481205+00:00 host kernel: msg``;
* RFC 5424: ``<6>1 2024-03-14T09:12:03Z host app 123 ID [sd] msg``.

``last message repeated N times`` (sysklogd, rsyslog) and ``message repeated N times: [msg]``
become an event of the repeated message's kind with ``count`` N.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..classify import PLAIN, PREFILTER, Classified, classify
from ..model import Kind
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

_BSD = re.compile(
    r"(?:<\d{1,3}>)?(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) "
    r"(?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)(?P<frac>\.\d{1,9})? (?P<host>\S+) ?(?P<rest>.*)"
)
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
        """Share of the first lines that are syslog lines."""
        if not head.lines:
            return 0.0
        good = sum(1 for ln in head.lines if _match(ln) is not None)
        return good / len(head.lines)

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """Stream the file's lines as events."""
        last: dict[tuple[str | None, str | None], tuple[str, Classified]] = {}
        reboot: tuple[int, str] | None = None  # a journal "-- Reboot --" awaiting its time
        batch = RawBatch()
        runs = _Runs() if ctx.background else None
        for chunk in ctx.chunks():
            for i, line in enumerate(chunk.lines):
                lineno = chunk.first + i
                if runs is not None and runs.take(line, lineno, batch):
                    ctx.ok()
                    continue
                if not line.strip():
                    continue
                if line.startswith("-- "):
                    if _JOURNAL_BOOT.fullmatch(line):
                        ctx.ok()
                        reboot = (lineno, line)
                        continue
                    if _JOURNAL_NOTE.fullmatch(line):
                        continue  # journalctl's own notes are not records
                m = _match(line)
                if m is None:
                    ctx.skip(lineno, "line is not in a syslog format")
                    continue
                ctx.ok()
                host, program, pid, msg = m.host, m.program, m.pid, m.msg
                if reboot is not None:
                    # journalctl prints the separator before the new boot's first line
                    batch.add(reboot[0], reboot[1], host=host, kind=Kind.BOOT,
                              evidence=reboot[1], iso=m.iso, mdsod=m.mdsod)
                    reboot = None
                rep = _REPEAT.fullmatch(msg)
                if rep is not None and runs is not None and rep.group("text") is None \
                        and runs.repeat(host, int(rep.group("n")), lineno, m.mdsod, batch):
                    continue
                if runs is not None:
                    runs.interrupt(host)
                if rep is not None:
                    n = int(rep.group("n"))
                    text = rep.group("text")
                    if text is not None:
                        cls = classify(text, program)
                    else:
                        prev = last.get((host, program)) or last.get((host, None))
                        cls = prev[1] if prev else PLAIN
                    cls = Classified(cls.kind, cls.rule, n, cls.module)
                else:
                    cls = classify(msg, program)
                    last[(host, program)] = (msg, cls)
                    last[(host, None)] = (msg, cls)
                batch.add(
                    lineno, msg, host=host, program=program, pid=pid, cls=cls,
                    evidence=line, iso=m.iso, mdsod=m.mdsod,
                )
            if runs is not None:
                runs.flush(batch)
            if len(batch):
                yield batch
                batch = RawBatch()
        if reboot is not None:
            batch.add(reboot[0], reboot[1], kind=Kind.BOOT, evidence=reboot[1])
        if len(batch):
            yield batch


_FAST_BSD = re.compile(
    r"(?:<\d{1,3}>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}"
    r"(0?[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(?:\.\d{1,9})? "
    r"([^\s:]+) \S"
)
#: A line with any of the classifier's words, or a repeat, is read in full.
_LOUD = re.compile(PREFILTER.pattern + "|repeated")


class _Runs:
    """Plain RFC 3164 lines counted per host and minute instead of parsed one by one.

    A line none of the classifier's words occur in (:data:`~..classify.PREFILTER`) is plain;
    when its host and minute are all that is needed it is counted here. A host's run takes a
    row where its first line stands (so the rows keep the file's order, which year inference
    reads) and becomes one ``background`` row, timed and numbered by its last line, when the
    host's minute changes (as the loader does for other formats, see
    :mod:`conntrack_forensics.background`); a run of one line stays a ``message`` row with its
    text. ``last message repeated N times`` right after a host's plain line adds N to the run.
    """

    def __init__(self) -> None:
        self.open: dict[str, _Run] = {}
        self.plain_last: set[str] = set()

    def take(self, line: str, lineno: int, batch: RawBatch) -> bool:
        """Count ``line`` if it is a plain syslog line; whether it was."""
        if _LOUD.search(line):
            return False
        m = _FAST_BSD.match(line)
        if m is None:
            return False
        mon, day, hour, minute, second, host = m.groups()
        key = (mon, day, hour, minute)
        run = self.open.get(host)
        if run is not None and run.key != key:
            run.close(batch)
            run = None
        if run is None:
            run = _Run(key, len(batch), line)
            self.open[host] = run
            batch.add(lineno, line, host=host, kind=Kind.BACKGROUND,
                      mdsod=(run.minute[0], run.minute[1], run.minute[2] * 60.0))
        run.grow(batch, 1, lineno, second)
        self.plain_last.add(host)
        return True

    def repeat(self, host: str | None, n: int, lineno: int,
               mdsod: tuple[int, int, float] | None, batch: RawBatch) -> bool:
        """Add a repeat of the host's last line to its run, if that line was plain."""
        run = self.open.get(host or "")
        if run is None or host not in self.plain_last or mdsod is None \
                or (mdsod[0], mdsod[1], int(mdsod[2] // 60)) != run.minute:
            return False
        run.grow(batch, n, lineno, mdsod[2])
        return True

    def interrupt(self, host: str | None) -> None:
        """The host's last line was not plain (a repeat line then refers to it)."""
        self.plain_last.discard(host or "")

    def flush(self, batch: RawBatch) -> None:
        """Close every open run (the batch is about to be handed on)."""
        for run in self.open.values():
            run.close(batch)
        self.open.clear()


class _Run:
    """One host's plain lines in one minute, and the batch row that stands for them."""

    def __init__(self, key: tuple[str, str, str, str], row: int, first: str) -> None:
        self.key, self.row, self.first = key, row, first
        mon, day, hour, minute = key
        self.minute = (MONTHS[mon], int(day), int(hour) * 60 + int(minute))
        self.count = 0
        self.last: str | float = "0"

    def grow(self, batch: RawBatch, n: int, lineno: int, second: str | float) -> None:
        """Add ``n`` lines, the last on line ``lineno`` at ``second``.

        ``second`` is the second of the minute as the line wrote it, or of the day (a repeat).
        """
        self.count += n
        batch.cols["line"][self.row] = lineno
        self.last = second

    def close(self, batch: RawBatch) -> None:
        """Finish the row: a count of lines, or a lone line with its text."""
        c = batch.cols
        i = self.row
        last = self.last
        c["sod"][i] = self.minute[2] * 60.0 + min(int(last), 60) if isinstance(last, str) \
            else last
        m = _match(self.first) if self.count == 1 else None
        if m is not None:  # a lone plain line keeps its own row and text
            c["kind"][i] = Kind.MESSAGE.value
            c["message"][i] = m.msg
            c["program"][i] = m.program
            c["pid"][i] = m.pid
            c["evidence"][i] = None
            return
        c["count"][i] = self.count
        c["message"][i] = f"{self.count:,} plain line{'s' if self.count != 1 else ''}"
        c["evidence"][i] = None


@dataclass(frozen=True)
class _Line:
    host: str | None
    program: str | None
    pid: int | None
    msg: str
    iso: str | None = None
    mdsod: tuple[int, int, float] | None = None


def _match(line: str) -> _Line | None:
    """Split a syslog line into its time, host, program, pid and message."""
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
                host=None if host == "-" else host,
                program=None if app == "-" else app,
                pid=int(procid) if procid.isdigit() else None,
                msg=(m5.group("msg") or "").removeprefix("\ufeff"),
                iso=m5.group("ts"),
            )
    m = _BSD.fullmatch(line)
    if m is None or m.group("mon") not in MONTHS:
        return None
    day, h, mi, s = (int(m.group(g)) for g in ("day", "h", "mi", "s"))
    if not 1 <= day <= 31 or h > 23 or mi > 59 or s > 60:
        return None
    frac = m.group("frac")
    sod = h * 3600 + mi * 60 + s + (float(frac) if frac else 0.0)
    return _with_tag(m.group("host"), m.group("rest"), mdsod=(MONTHS[m.group("mon")], day, sod))


def _with_tag(
    host: str, rest: str, iso: str | None = None, mdsod: tuple[int, int, float] | None = None
) -> _Line:
    if host.endswith(":"):  # no host name in the line: what looked like one is the tag
        rest = f"{host} {rest}"
        host = ""
    t = _TAG.fullmatch(rest)
    if t is None:
        return _Line(host or None, None, None, rest, iso, mdsod)
    pid = t.group("pid")
    return _Line(host or None, t.group("prog"), int(pid) if pid else None, t.group("msg"),
                 iso, mdsod)
