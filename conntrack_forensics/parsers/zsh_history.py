r"""Zsh history (``~/.zsh_history``, ``~/.histfile``), extended or plain.

With ``EXTENDED_HISTORY`` zsh writes each entry as ``: <start epoch>:<seconds taken>;<command>``.
A command that spans lines is stored with a backslash before each embedded newline; the entry
keeps the number of its first line and its lines are joined with ``\n``. Plain zsh history (no
``: epoch:dur;`` prefix) looks like bash history without timestamps, so it is claimed only when the
file's name says zsh; its entries have no time and are bounded like untimestamped bash entries
(by the neighbouring stamped entries, else by the file's modification time).

Zsh *metafies* the bytes ``0x00`` and ``0x83``-``0xA2`` of non-ASCII text: it writes ``0x83``
followed by the byte XOR ``0x20``. The parser undoes that before decoding, so UTF-8 commands come
out as written. The user comes from the path (``root/.zsh_history``, ``home/alice/.histfile``).
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from typing import IO, Any, cast

from ..inputs.blocks import LineChunk, iter_line_chunks
from ..inputs.source import Source
from ._bounds import OUT_OF_RANGE, epoch_in_range
from ._history import HistoryRows
from .base import Head, ParseContext, Parser, RawBatch
from .bash_history import COMMAND_WORDS, user_from_path
from .registry import register

#: The extended-history prefix, as zsh's reader accepts it (it skips blanks before numbers).
_EXTENDED = re.compile(r": *(\d+):(\d+);")
#: The stricter form used for sniffing (a plausible epoch).
_SNIFF_STAMP = re.compile(r": \d{9,11}:\d+;")
#: A prefix that was meant to be a stamp but is damaged (``: 1493222601;``, ``: 14932x2601:0;``).
_BROKEN = re.compile(r": *[0-9A-Za-z]*\d[0-9A-Za-z]*(?::[0-9A-Za-z]*)?;")
#: File names zsh users give their history file (possibly rotated or compressed copies).
_ZSH_NAME = re.compile(r"\.?(?:zsh_history|zhistory|histfile)(?:[.\-_~].*)?")
_FISH_ENTRY = re.compile(r"- cmd: ")
_META = 0x83


@register
class ZshHistoryParser(Parser):
    """``.zsh_history`` files."""

    NAME = "zsh_history"
    DESCRIPTION = "zsh history, EXTENDED_HISTORY (': epoch:dur;command') or plain by file name"

    def sniff(self, head: Head) -> float:
        """Extended-history prefixes are decisive; plain history needs a zsh file name."""
        lines = head.lines
        if not lines:
            return 0.0
        starts = _entry_starts(lines)
        stamps = sum(1 for ln in starts if _SNIFF_STAMP.match(ln))
        named = _ZSH_NAME.fullmatch(head.name.rsplit("/", 1)[-1].lower()) is not None
        if stamps and (stamps * 2 >= len(starts) or named or stamps >= 2):
            return 0.95 if stamps * 2 >= len(starts) or named else 0.91
        if not named or any(_FISH_ENTRY.match(ln) for ln in starts[:20]):
            return 0.0
        commandish = sum(
            1 for ln in starts
            if ln.split(maxsplit=1)[0].rsplit("/", 1)[-1] in COMMAND_WORDS
        )
        # above bash's 0.9 for a history-named file: the name says which shell wrote it
        return 0.92 if commandish * 5 >= len(starts) else 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One ``command`` event per history entry."""
        user = user_from_path(ctx.source.name)
        state = _State(ctx, user)
        entry: list[str] = []  # the raw lines of the entry being read
        first = 0
        for chunk in _chunks(ctx):
            for i, text in enumerate(chunk.lines):
                if entry:
                    entry.append(text)  # a continuation line, even a blank one
                elif not text.strip():
                    continue
                else:
                    entry, first = [text], chunk.first + i
                if not text.endswith("\\"):
                    state.entry(first, entry)
                    entry = []
            if (batch := state.rows.take()) is not None:
                yield batch
        if entry:  # the file ends inside a continued command
            entry[-1] = entry[-1][:-1]
            state.entry(first, entry)
        state.rows.flush(ctx.source.mtime)
        if (batch := state.rows.take(1)) is not None:
            yield batch


class _State:
    """Turns raw entries into rows (or skips)."""

    def __init__(self, ctx: ParseContext, user: str | None) -> None:
        self.ctx = ctx
        self.rows = HistoryRows("zsh", user)

    def entry(self, line: int, raw: list[str]) -> None:
        """Turn one entry's raw lines into a row (or a skip)."""
        evidence = "\n".join(raw)
        parts = [r[:-1] for r in raw[:-1]] + [raw[-1]]
        m = _EXTENDED.match(parts[0])
        if m is None and _BROKEN.match(parts[0]):
            self.ctx.skip(line, "zsh history entry with a damaged ': epoch:duration;' prefix")
            return
        if m is not None and not epoch_in_range(float(m.group(1))):
            self.ctx.skip(line, OUT_OF_RANGE)
            return
        if m is not None:
            parts[0] = parts[0][m.end():]
        command = "\n".join(parts)
        if not command.strip():
            self.ctx.skip(line, "zsh history timestamp with no command after it")
            return
        self.ctx.ok()
        if m is None:
            self.rows.untimed(line, command, evidence)
        else:
            self.rows.timed(line, command, evidence, float(m.group(1)))


def _entry_starts(lines: tuple[str, ...]) -> list[str]:
    """The lines that begin an entry (not continuations of a backslash-ended line)."""
    starts: list[str] = []
    continued = False
    for ln in lines:
        if not continued:
            starts.append(ln)
        continued = ln.endswith("\\")
    return starts


# ------------------------------------------------------------------------- metafied bytes


def unmetafy(data: bytes, pending: bool = False) -> tuple[bytes, bool]:
    r"""Undo zsh's metafication of a block of bytes.

    ``pending`` says the previous block ended with a Meta byte; the second value returned says
    whether this one does. A Meta byte before a newline is left alone (zsh never writes one; a
    damaged file must not have its lines merged).

    >>> unmetafy(b"echo \xc3\x83\xbc")
    (b'echo \xc3\x9c', False)
    """
    if _META not in data and not pending:
        return data, False
    out = bytearray()
    i = 0
    if pending and data:
        if data[0] == 0x0A:
            out.append(_META)
        else:
            out.append(data[0] ^ 0x20)
            i = 1
    n = len(data)
    while True:
        j = data.find(_META, i)
        if j < 0:
            out += data[i:]
            return bytes(out), False
        out += data[i:j]
        if j + 1 == n:
            return bytes(out), True
        nxt = data[j + 1]
        if nxt == 0x0A:
            out.append(_META)
            i = j + 1
        else:
            out.append(nxt ^ 0x20)
            i = j + 2


class _UnmetafyReader(io.BufferedIOBase):
    """A read-only stream that un-metafies another as it is read."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._read = getattr(inner, "read1", inner.read)
        self._pending = False

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        while True:
            block = self._read(size)
            if not block:
                if self._pending:  # a Meta byte at the very end: keep it, it is not ours
                    self._pending = False
                    return bytes([_META])
                return b""
            out, self._pending = unmetafy(block, self._pending)
            if out:
                return out

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while block := self.read1(_READ_BYTES):
                parts.append(block)
            return b"".join(parts)
        return self.read1(size)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


_READ_BYTES = 256 * 1024


@dataclasses.dataclass
class _UnmetafiedSource(Source):
    """A source whose decompressed bytes are un-metafied."""

    def open(self) -> IO[bytes]:
        """Open the decompressed, un-metafied bytes."""
        return cast(IO[bytes], _UnmetafyReader(super().open()))


def _chunks(ctx: ParseContext) -> Iterator[LineChunk]:
    """The source's lines, decoded after un-metafying."""
    src = ctx.source
    fields: dict[str, Any] = {
        f.name: getattr(src, f.name) for f in dataclasses.fields(src) if f.init
    }
    return iter_line_chunks(_UnmetafiedSource(**fields), ctx.diag)
