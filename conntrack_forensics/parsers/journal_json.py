"""systemd journal as JSON: ``journalctl -o json``, ``-o json-seq`` and ``-o json-pretty``.

One journal entry is one JSON object: on one line (``json``), on one line after an ASCII record
separator ``0x1E`` (``json-seq``, RFC 7464), or spread over several lines (``json-pretty``). The
file is streamed line by line; an object spread over lines is collected by counting braces
outside strings, so the file is never loaded whole.

Fields used (see :class:`JournalEntries`, shared with the export format parser):

* ``__REALTIME_TIMESTAMP``: microseconds since 1970 (a decimal string), the event's time; an
  entry without a valid one is skipped;
* ``_HOSTNAME``, ``_PID``, ``SYSLOG_IDENTIFIER`` (else ``_COMM``) as host, pid and program;
  ``_TRANSPORT=kernel`` makes the program ``kernel`` (the kernel message rules need it);
* ``MESSAGE``: a string, an array of byte values when it is not valid UTF-8 (decoded with
  U+FFFD replacements), or ``null`` (an empty message);
* ``_BOOT_ID``: a change between consecutive entries of one host is a reboot, and adds a
  ``boot`` event ``-- Boot <id> --`` at the time of the new boot's first entry.

A field repeated in an entry is an array of its values; the first is used. ``PRIORITY`` has no
column in the event model and is not kept. ``line`` is the line the entry starts on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..model import Kind
from .base import Head, ParseContext, Parser, RawBatch
from .classify import classify
from .registry import register

#: Rows per yielded batch.
BATCH_ROWS = 20_000
#: A record still open after this many characters is given up on (garbage, not a journal).
MAX_RECORD_CHARS = 8 * 1024 * 1024
#: Latest accepted ``__REALTIME_TIMESTAMP`` (microseconds): 2262-04-11, the end of the
#: nanosecond timestamps the event frame holds.
MAX_REALTIME_US = 9_223_372_036_000_000

_RS = "\x1e"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_PID = re.compile(r"[0-9]{1,10}")
_REALTIME = re.compile(r"[0-9]{1,19}")
_RECORD_START = re.compile(r"^[\ufeff\x1e \t]*\{", re.MULTILINE)
_REALTIME_PRETTY = re.compile(r'"__REALTIME_TIMESTAMP"\s*:\s*"[0-9]+"')
_DECODER = json.JSONDecoder()


def field_text(value: Any) -> str | None:
    """The text of one journal field value as journalctl's JSON (or the export parser) gives it.

    A string is itself; ``bytes`` and an array of byte values (journalctl's form for values
    that are not valid UTF-8) are decoded with U+FFFD replacements; any other array is a
    repeated field, of which the first value counts; ``null`` is ``None``.

    >>> field_text([104, 105, 255]) == "hi" + chr(0xFFFD), field_text(["a", "b"])
    (True, 'a')
    """
    while isinstance(value, list):
        if all(type(b) is int and 0 <= b <= 255 for b in value):
            return bytes(value).decode("utf-8", "replace")
        value = value[0]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def realtime_epoch(value: Any) -> float | None:
    """Seconds since 1970 from a ``__REALTIME_TIMESTAMP`` value (microseconds), if valid."""
    text = field_text(value)
    if text is None or not _REALTIME.fullmatch(text):
        return None
    us = int(text)
    if not 0 < us <= MAX_REALTIME_US:
        return None
    return us / 1_000_000


class JournalEntries:
    """Turns journal entries (field name to value) into events: shared by the journal parsers.

    It keeps the last boot ID seen per host, to add a ``boot`` event where it changes.
    """

    #: The fields read; an entry's others are only evidence.
    FIELDS = frozenset({
        "__REALTIME_TIMESTAMP", "_HOSTNAME", "_TRANSPORT", "SYSLOG_IDENTIFIER", "_COMM", "_PID",
        "SYSLOG_PID", "MESSAGE", "_BOOT_ID", "PRIORITY",
    })

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self._boots: dict[str | None, str] = {}

    def add(self, batch: RawBatch, line: int, fields: Mapping[str, Any], evidence: str) -> None:
        """Count one entry, and add its event (after a ``boot`` event on a new boot) to ``batch``.

        Args:
            batch: where the events go.
            line: the entry's line in the file.
            fields: field name to value (see :func:`field_text` for the values understood).
            evidence: the entry's text as read.
        """
        epoch = realtime_epoch(fields.get("__REALTIME_TIMESTAMP"))
        if epoch is None:
            self.ctx.skip(line, "journal entry without a valid __REALTIME_TIMESTAMP")
            return
        self.ctx.ok()
        host = field_text(fields.get("_HOSTNAME")) or None
        transport = field_text(fields.get("_TRANSPORT")) or None
        if transport == "kernel":
            program: str | None = "kernel"
        else:
            program = (field_text(fields.get("SYSLOG_IDENTIFIER"))
                       or field_text(fields.get("_COMM")) or None)
        pid_text = field_text(fields.get("_PID")) or field_text(fields.get("SYSLOG_PID"))
        pid = int(pid_text) if pid_text and _PID.fullmatch(pid_text) else None
        message = field_text(fields.get("MESSAGE")) or ""
        boot = field_text(fields.get("_BOOT_ID")) or None
        if boot:
            previous = self._boots.get(host)
            self._boots[host] = boot
            if previous is not None and previous != boot:
                batch.add(line, f"-- Boot {boot} --", host=host, kind=Kind.BOOT,
                          evidence=evidence, epoch=epoch, boot_id=boot)
        prio = field_text(fields.get("PRIORITY"))
        priority = int(prio) if prio and prio.isdigit() and len(prio) == 1 else None
        # an entry of a known user-space transport without a name must not pass for the kernel
        who = program if program is not None or transport is None else transport
        batch.add(line, message, host=host, program=program, pid=pid,
                  cls=classify(message, who), evidence=evidence, epoch=epoch, boot_id=boot,
                  priority=priority)


@register
class JournalJsonParser(Parser):
    """``journalctl -o json``, ``-o json-seq`` and ``-o json-pretty`` output."""

    NAME = "journal_json"
    DESCRIPTION = "systemd journal as JSON (journalctl -o json, json-seq, json-pretty)"

    def sniff(self, head: Head) -> float:
        """Sure when an object starting one of the first lines is a journal entry.

        A journal entry has ``__REALTIME_TIMESTAMP`` or ``MESSAGE``. The first object counts
        most; a later one is looked at in case the file starts in the middle of a record.
        """
        text = head.text
        for i, start in enumerate(_RECORD_START.finditer(text)):
            if i >= 10:
                break
            try:
                obj, _ = _DECODER.raw_decode(text, start.end() - 1)
            except (ValueError, RecursionError):
                # a first entry longer than the head is cut short: look at its field names
                if i == 0 and _REALTIME_PRETTY.search(text, start.end(), start.end() + 4096):
                    return 0.8
                continue
            if isinstance(obj, dict) and ("__REALTIME_TIMESTAMP" in obj or "MESSAGE" in obj):
                return 0.95 if start.start() == 0 else 0.9
            if start.start() == 0:
                return 0.0  # the file starts with an object, and not a journal entry
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """Stream the file's entries as events."""
        entries = JournalEntries(ctx)
        batch = RawBatch()
        for line, text, obj in _records(ctx):
            if obj is _INVALID:
                ctx.skip(line, "journal record is not valid JSON")
            elif not isinstance(obj, dict):
                ctx.skip(line, "journal record is not a JSON object")
            else:
                entries.add(batch, line, obj, text)
                if len(batch) >= BATCH_ROWS:
                    yield batch
                    batch = RawBatch()
        if len(batch):
            yield batch


_INVALID = object()


def _records(ctx: ParseContext) -> Iterator[tuple[int, str, Any]]:
    """``(first line, text, decoded value)`` of each JSON record; lines outside one are skipped.

    A line starting with ``{`` or the record separator starts a record; the record ends on the
    line where its braces balance. A record still open when the next starts (or the file
    ends) is given as it is, to fail as invalid JSON (its value is ``_INVALID``).
    """
    buf: list[str] = []
    start = 0
    depth = 0
    size = 0
    discarding = False
    for chunk in ctx.chunks():
        for i, raw in enumerate(chunk.lines):
            lineno = chunk.first + i
            stripped = raw.lstrip()
            begins = stripped.startswith(("{", _RS))
            if not begins and not buf:
                if stripped and not discarding:
                    ctx.skip(lineno, "line is not part of a JSON journal record")
                continue
            if begins:
                discarding = False
                if buf:
                    yield _decoded(start, buf)
                    buf = []
                text = stripped.lstrip(_RS + " \t")
                if not text:
                    continue  # a separator alone on its line: the record follows
                if text.endswith("}"):  # the usual one-line record: no need to count braces
                    try:
                        yield lineno, text, json.loads(text)
                        continue
                    except (ValueError, RecursionError):
                        pass
                buf, start, depth, size = [text], lineno, 0, 0
            else:
                text = raw
                buf.append(text)
            if "{" in text or "}" in text:
                depth += _brace_delta(text)
            size += len(text)
            if depth <= 0:
                yield _decoded(start, buf)
                buf = []
            elif size > MAX_RECORD_CHARS:
                ctx.skip(start, "journal record too long; skipped to the next record")
                buf, discarding = [], True
    if buf:
        yield _decoded(start, buf)


def _decoded(start: int, lines: list[str]) -> tuple[int, str, Any]:
    text = "\n".join(lines)
    try:
        return start, text, json.loads(text)
    except (ValueError, RecursionError):
        return start, text, _INVALID


def _brace_delta(text: str) -> int:
    """Opening minus closing braces outside JSON strings (an unclosed string ends the count)."""
    if '"' in text:
        text = _STRING.sub("", text).split('"', 1)[0]
    return text.count("{") - text.count("}")
