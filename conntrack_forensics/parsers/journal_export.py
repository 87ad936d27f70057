"""systemd's Journal Export Format: ``journalctl -o export``, as ``systemd-journal-remote`` reads.

An entry is a run of fields ended by an empty line. A text field is ``NAME=value`` and a line
feed; a field whose value is not printable UTF-8 (or holds a line feed) is binary: ``NAME``, a
line feed, the value's length as a 64-bit little-endian integer, the value's bytes and a line
feed. Because of binary fields the format is not text: the file is read as bytes, streamed
(``readline()`` for field lines, bounded ``read()`` for binary values), never through the
decoded line reader.

Fields mean what they mean in ``journalctl -o json`` (see :mod:`.journal_json`, whose
:class:`~._journal_entries.JournalEntries` makes the events): ``__REALTIME_TIMESTAMP`` is the time,
``_BOOT_ID`` changes make ``boot`` events, ``__CURSOR`` and ``__MONOTONIC_TIMESTAMP`` are
ignored. A repeated field keeps its first value.

``line`` is the physical line (counting every line feed read, those inside binary values
included) on which the entry's first field starts. ``evidence`` is the entry's text, one field
a line, with binary values decoded (U+FFFD for invalid UTF-8) or, above 4 KiB, summarised.
"""

from __future__ import annotations

import lzma
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from ._journal_entries import BATCH_ROWS, JournalEntries
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

#: A field line longer than this is not a journal export field (the entry is skipped).
MAX_LINE_BYTES = 1024 * 1024
#: A binary value longer than this is taken for damage (the entry is skipped).
MAX_BINARY_BYTES = 64 * 1024 * 1024
#: Binary values up to this size are shown in ``evidence``; longer ones are summarised, and
#: read past without being kept unless they are fields the events use.
SHOWN_BINARY_BYTES = 4096
_READ_BYTES = 1024 * 1024
#: What reading a (decompressed) source may raise: the events before it are kept.
READ_ERRORS = (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError)

_NAME = re.compile(rb"[A-Z_][A-Z0-9_]{0,63}")
_TEXT_FIELD = re.compile(rb"([A-Z_][A-Z0-9_]{0,63})=")
_FIELD_LINE = re.compile(r"([A-Z_][A-Z0-9_]{0,63})=")
#: Text fields only, each on its line (see :meth:`_Reader.text_entries`).
_TEXT_ENTRY = re.compile(r"(?:[A-Z_][A-Z0-9_]{0,63}=[^\n]*\n)+")
#: The fields the events use, as text field lines.
_USED_FIELD = re.compile(r"^(" + "|".join(
    re.escape(name) for name in sorted(JournalEntries.FIELDS)) + r")=(.*)$", re.MULTILINE)
#: Bytes read ahead at a time.
_AHEAD_BYTES = 4 * 1024 * 1024


@register
class JournalExportParser(Parser):
    """``journalctl -o export`` output."""

    NAME = "journal_export"
    DESCRIPTION = "systemd journal export format (journalctl -o export)"

    def sniff(self, head: Head) -> float:
        """Sure when the file starts with ``NAME=value`` fields including journal ones.

        Only the leading run of text fields counts: binary values may garble what follows.
        """
        names: set[str] = set()
        for line in head.lines[:40]:
            m = _FIELD_LINE.match(line)
            if m is None:
                break
            names.add(m.group(1))
        if "__REALTIME_TIMESTAMP" in names or "__CURSOR" in names:
            return 0.95
        if "MESSAGE" in names and any(n.startswith("_") for n in names):
            return 0.9
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """Stream the file's entries as events."""
        try:
            fh = ctx.source.open()
        except READ_ERRORS as exc:
            ctx.diag.error(ctx.source.name, f"cannot read file: {exc}")
            return
        with fh:
            # a file read as stored may be read ahead (a decompressed stream is read as it
            # goes: a damaged one must keep every entry before its damage)
            yield from export_batches(ctx, fh, f"{ctx.source.compression or 'file'} data",
                                      ahead=ctx.source.compression is None)


def export_batches(
    ctx: ParseContext, fh: IO[bytes], what: str, *, entry_numbers: bool = False,
    ahead: bool = False,
) -> Iterator[RawBatch]:
    """Stream an export-format byte stream's entries as events (shared with :mod:`.journal_file`).

    Every entry is counted in ``ctx`` (read, or skipped as damaged). A read error ends the
    stream with one error naming ``what`` was being read; the entries before it are kept.

    Args:
        ctx: the source's parse context.
        fh: the export-format bytes, read sequentially.
        what: what ``fh`` reads, for the read error (``gzip data``, ``journalctl output``).
        entry_numbers: ``line`` is the 1-based number of the entry in the stream instead of
            the physical line its first field starts on.
        ahead: ``fh`` may be read ahead in large pieces, whose plain entries (text fields
            only, ASCII) are read whole (:meth:`_Reader.text_entries`).
    """
    entries = JournalEntries(ctx)
    batch = RawBatch()
    try:
        for number, entry in enumerate(_entries(_Reader(fh, ahead)), 1):
            line = number if entry_numbers else entry.line
            if entry.problem is not None:
                ctx.skip(line, entry.problem)
                continue
            entries.add(batch, line, entry.fields, "\n".join(entry.shown))
            if len(batch) >= BATCH_ROWS:
                yield batch
                batch = RawBatch()
    except READ_ERRORS as exc:
        ctx.diag.error(ctx.source.name, f"{what} truncated or unreadable: {exc}; the entries "
                       "before it were read")
    if len(batch):
        yield batch


class _Reader:
    """A binary file read by lines and by counts, keeping the number of the current line.

    With ``ahead`` it also hands out whole plain entries read ahead (:meth:`text_entries`);
    the bytes read ahead and not handed out yet are served first by the other reads.
    """

    def __init__(self, fh: IO[bytes], ahead: bool = False) -> None:
        self._fh = fh
        self.line = 1  # the line the next byte is on
        self.at_line_start = True
        self.ahead = ahead
        self._back = b""  # bytes read ahead: ``_back[_at:]`` comes next
        self._at = 0

    def readline(self) -> bytes:
        if self._at < len(self._back):
            back, at = self._back, self._at
            end = back.find(b"\n", at, at + MAX_LINE_BYTES)
            if end >= 0:
                data = back[at:end + 1]
            else:
                data = back[at:at + MAX_LINE_BYTES]
            self._at = at + len(data)
            if end < 0 and len(data) < MAX_LINE_BYTES:  # the line goes on in the file
                data += self._fh.readline(MAX_LINE_BYTES - len(data))
        else:
            data = self._fh.readline(MAX_LINE_BYTES)
        if data.endswith(b"\n"):
            self.line += 1
            self.at_line_start = True
        elif data:
            self.at_line_start = False
        return data

    def _read(self, size: int) -> bytes:
        """Up to ``size`` bytes: those read ahead first, else one read of the file."""
        if self._at < len(self._back):
            data = self._back[self._at:self._at + size]
            self._at += len(data)
            return data
        return self._fh.read(size)

    def read(self, size: int) -> bytes:
        """``size`` bytes (fewer only at the end of the file)."""
        parts: list[bytes] = []
        left = size
        while left > 0:
            data = self._read(min(left, _READ_BYTES))
            if not data:
                break
            self._advance(data)
            left -= len(data)
            parts.append(data)
        return b"".join(parts)

    def skip(self, size: int) -> int:
        """Read past ``size`` bytes without keeping them; how many there were."""
        done = 0
        while done < size:
            data = self._read(min(size - done, _READ_BYTES))
            if not data:
                break
            self._advance(data)
            done += len(data)
        return done

    def _advance(self, data: bytes) -> None:
        if data:
            self.line += data.count(b"\n")
            self.at_line_start = data.endswith(b"\n")

    def text_entries(self) -> Iterator[_Entry]:
        """The plain entries from here on, read whole from bytes read ahead.

        A plain entry is ASCII text fields only (each line ``NAME=value``), ended by an empty
        line, and shorter than a field line may be: what reading it line by line makes of it
        is its fields' first values and its text. Stops before the first other entry (or where
        the bytes read ahead end), leaving it to be read line by line. Called at a line's
        start, outside an entry.
        """
        while self.ahead:
            if len(self._back) - self._at < _AHEAD_BYTES // 2:
                more = self._fh.read(_AHEAD_BYTES)
                self._back = self._back[self._at:] + more
                self._at = 0
                if not more and not self._back:
                    return
            back = self._back
            at = self._at
            while back.startswith(b"\n", at):  # empty lines between entries
                at += 1
                self.line += 1
            self._at = at
            end = back.find(b"\n\n", at)
            if end < 0 or end + 1 - at > MAX_LINE_BYTES:
                return
            raw = back[at:end + 1]
            if not raw.isascii():
                return
            text = raw.decode("ascii")
            if _TEXT_ENTRY.fullmatch(text) is None:
                return
            # a repeated field keeps its first value: the last assignment of the reversed list
            entry = _Entry(self.line, dict(reversed(_USED_FIELD.findall(text))), [text[:-1]])
            self.line += text.count("\n") + 1
            self._at = end + 2
            yield entry


@dataclass
class _Entry:
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    shown: list[str] = field(default_factory=list)
    problem: str | None = None

    def put(self, name: str, value: str | bytes) -> None:
        old = self.fields.get(name)
        if old is None:
            self.fields[name] = value
        elif isinstance(old, list):
            old.append(value)
        else:
            self.fields[name] = [old, value]


def _entries(reader: _Reader) -> Iterator[_Entry]:
    """The file's entries; a damaged one carries its ``problem`` and is read past."""
    entry: _Entry | None = None
    while True:
        if entry is None and reader.at_line_start:
            yield from reader.text_entries()
        starts_line = reader.at_line_start
        line = reader.line
        raw = reader.readline()
        if not raw or (raw == b"\n" and starts_line):
            if entry is not None:
                yield entry
                entry = None
            if not raw:
                return
            continue
        if entry is None:
            entry = _Entry(line)
        if entry.problem is not None:
            continue  # read on to the empty line that ends the damaged entry
        entry.problem = _field(reader, raw, entry)


def _field(reader: _Reader, raw: bytes, entry: _Entry) -> str | None:
    """Read one field (its first line is ``raw``) into ``entry``; what is wrong with it, if any."""
    complete = raw.endswith(b"\n")
    body = raw[:-1] if complete else raw
    text_field = _TEXT_FIELD.match(body)
    if text_field is not None:
        if not complete and len(raw) >= MAX_LINE_BYTES:
            return "journal export field line too long"
        text = body.decode("utf-8", "replace")
        entry.put(text_field.group(1).decode("ascii"), text[text_field.end():])
        entry.shown.append(text)
        return None
    if not _NAME.fullmatch(body):
        return "line is not a journal export field"
    name = body.decode("ascii")
    if not complete:
        return "binary journal field cut short at the end of the file"
    size_bytes = reader.read(8)
    if len(size_bytes) < 8:
        return "binary journal field cut short at the end of the file"
    size = int.from_bytes(size_bytes, "little")
    if size > MAX_BINARY_BYTES:
        return "binary journal field length out of range; damaged entry skipped"
    keep = size <= SHOWN_BINARY_BYTES or name in JournalEntries.FIELDS
    value = reader.read(size) if keep else b""
    if (len(value) if keep else reader.skip(size)) < size:
        return "binary journal field cut short at the end of the file"
    end = reader.read(1)
    if end != b"\n":
        return "binary journal field not followed by a line feed"
    if keep:
        entry.put(name, value)
    if size <= SHOWN_BINARY_BYTES:
        entry.shown.append(f"{name}={value.decode('utf-8', 'replace')}")
    else:
        entry.shown.append(f"{name}=[{size} bytes of binary data]")
    return None
