"""A source's bytes as large blocks of whole lines, and the lines decoded from them.

Every parser reads through here. :class:`BlockReader` streams a source (decompressed) in blocks
of about :data:`BLOCK_BYTES`, each ending at a line end, into numpy buffers with zero padding
after the data (array code may read a little past a line without a bounds check). A parser
that splits lines itself (the syslog fast path) takes the blocks; every other parser takes
:func:`iter_line_chunks`, the same blocks as decoded lines. Decoding drops NUL bytes and
replaces invalid UTF-8, and counts both; a truncated or corrupt compressed stream ends the
source with one error row, keeping every line before the damage. A line longer than the
source's ``limits.max_line_bytes`` is cut to that many bytes and the rest of it skipped as it
streams (one warning per source, with the count), so no line is ever held whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

import numpy as np

from ..diagnostics import Diagnostics
from .longlines import cut_long_lines, first_newline, long_lines
from .memory import release_free_memory
from .source import DECOMPRESS_ERRORS as _READ_ERRORS
from .source import Source
from .streams import os_reason

#: Bytes per block (lines longer than this make a longer block).
BLOCK_BYTES = 8 * 1024 * 1024
#: Zero bytes after each block's data.
PAD = 256
_READ_BYTES = 256 * 1024
#: Blocks read between two returns of freed memory to the system (:mod:`.memory`).
_TRIM_BLOCKS = 16
#: Masks of a word's k low bytes, k = 0..8 (for :meth:`Block.words`).
BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


@dataclass
class Block:
    """Whole lines: ``buf[:size]``, followed by at least :data:`PAD` zero bytes."""

    buf: np.ndarray
    size: int

    @classmethod
    def of(cls, data: bytes) -> Block:
        """A block holding ``data`` (whole lines)."""
        buf = np.zeros(len(data) + PAD, dtype=np.uint8)
        buf[:len(data)] = np.frombuffer(data, dtype=np.uint8)
        return cls(buf, len(data))

    def words(self) -> np.ndarray:
        """The buffer as overlapping little-endian 8-byte integers, one starting at each byte.

        ``words()[i]`` holds bytes ``i`` to ``i + 7`` (a strided view: nothing is copied), so
        array code reads eight bytes of a line in one operation.
        """
        return np.ndarray(shape=(len(self.buf) - 8,), dtype="<u8", buffer=self.buf,
                          strides=(1,))

    def data(self) -> bytes:
        """The block's bytes."""
        return self.buf[:self.size].tobytes()

    def lines(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Where each line starts, ends and has its line feed (or the block's end).

        A carriage return right before the line feed is not part of the line.

        >>> [a.tolist() for a in Block.of(b"ab\r\ncd").lines()]
        [[0, 4], [2, 6], [3, 6]]
        """
        buf, size = self.buf, self.size
        nl = np.flatnonzero(buf[:size] == 10)
        starts = np.empty(len(nl) + 1, dtype=np.int64)
        starts[0] = 0
        starts[1:] = nl + 1
        feeds = np.append(nl, size).astype(np.int64)
        if starts[-1] >= size:  # the block ends with a line feed: no line after it
            starts, feeds = starts[:-1], feeds[:-1]
        ends = feeds - ((feeds > starts) & (buf[np.maximum(feeds - 1, 0)] == 13))
        return starts, ends, feeds


class BlockReader:
    r"""Stream a source as :class:`Block` s; then :meth:`finish` with the number of lines read.

    Example:
        >>> from conntrack_forensics.inputs.walk import iter_sources
        >>> diag = Diagnostics()
        >>> source = next(iter_sources(["sample_logs/bogon-nat-listing/var/log/messages"], diag))
        >>> reader = BlockReader(source, diag)
        >>> sum(b.data().count(b"\n") for b in reader) > 0
        True
    """

    def __init__(self, source: Source, diag: Diagnostics, block_bytes: int = BLOCK_BYTES
                 ) -> None:
        self.source, self.diag, self.block_bytes = source, diag, block_bytes
        self.error: str | None = None  # what ended the stream early
        self.nul_lines = self.bad_utf8 = 0
        self.first_nul: int | None = None
        self.first_bad: int | None = None
        self.cause = ""
        self.cut_lines = 0  # lines cut at the line limit, the first at byte ``first_cut``
        self.first_cut = 0

    def __iter__(self) -> Iterator[Block]:
        cap = self.source.limits.max_line_bytes
        tail = np.zeros(0, dtype=np.uint8)
        base = 0  # offset in the (decompressed) data of buf[0], always a line's start
        search = 0  # where newlines may be in buf: after the tail, unless a cut left some in it
        blocks = 0
        try:
            with self.source.open() as fh:
                while True:
                    buf = np.empty(len(tail) + self.block_bytes + PAD, dtype=np.uint8)
                    buf[:len(tail)] = tail
                    got = self._fill(fh, buf, len(tail), self.block_bytes)
                    size = len(tail) + got
                    end = size if got == 0 else _after_last_newline(buf, search, size)
                    if end == 0 and got:  # no line end yet
                        if size <= cap:  # a longer block
                            tail, search = buf[:size].copy(), size
                            continue
                        # a line over the limit: its first ``cap`` bytes, the rest skipped
                        self._cut(base, 1)
                        yield Block.of(buf[:cap].tobytes() + b"\n")
                        blocks += 1
                        tail, skipped = self._skip_line(fh)
                        base += size + skipped
                        search = 0
                        continue
                    block, cut_end = buf, end
                    if end and long_lines(buf, end, cap):
                        data, n, first = cut_long_lines(buf, end, cap)
                        if n:
                            self._cut(base + first, n)
                            block, cut_end = Block.of(data.tobytes()).buf, len(data)
                    tail = buf[end:size].copy()
                    base, search = base + end, len(tail)
                    block[cut_end:cut_end + PAD] = 0
                    if end:
                        yield Block(block, cut_end)
                        blocks += 1
                        if blocks % _TRIM_BLOCKS == 0:
                            release_free_memory()
                    if got == 0:
                        break
        except OSError as exc:
            self.error, self.cause = "cannot read file", os_reason(exc)
        if blocks >= _TRIM_BLOCKS:  # a big file read: what its reading freed goes back
            release_free_memory()

    def _cut(self, offset: int, lines: int) -> None:
        """Count ``lines`` cut at the line limit, the first starting at ``offset``."""
        if not self.cut_lines:
            self.first_cut = offset
        self.cut_lines += lines

    def _skip_line(self, fh: IO[bytes]) -> tuple[np.ndarray, int]:
        """Skip to the end of the current line.

        Returns the bytes after it read so far, and how many were skipped (its newline too).
        """
        scratch = np.empty(_READ_BYTES, dtype=np.uint8)
        skipped = 0
        while got := self._fill(fh, scratch, 0, _READ_BYTES):
            at = first_newline(scratch, got)
            if at >= 0:
                return scratch[at + 1:got].copy(), skipped + at + 1
            skipped += got
        return np.zeros(0, dtype=np.uint8), skipped

    def _fill(self, fh: IO[bytes], buf: np.ndarray, at: int, count: int) -> int:
        """Read up to ``count`` bytes into ``buf[at:]``; a read error ends the stream."""
        if self.error is not None:
            return 0
        view = memoryview(buf)[at:at + count]  # type: ignore[arg-type]
        done = 0
        try:
            # readinto1/read1: one underlying read each, so a damaged stream loses only the read
            # it breaks in (a gzip member's last good bytes are kept)
            readinto = getattr(fh, "readinto1", None)
            read = getattr(fh, "read1", fh.read)
            while done < count:
                want = min(count - done, _READ_BYTES)
                if readinto is not None:
                    n = readinto(view[done:done + want])
                else:
                    chunk = read(want)
                    n = len(chunk)
                    view[done:done + n] = chunk
                if not n:
                    break
                done += n
        except _READ_ERRORS as exc:
            self.error = f"{self.source.compression or 'file'} data truncated or corrupt"
            self.cause = str(exc)
        return done

    def decode(self, raw: Sequence[bytes], linenos: Sequence[int] | int) -> list[str]:
        """Lines as text (NUL bytes dropped, invalid UTF-8 replaced, both counted).

        ``linenos`` numbers the lines: a sequence, or the number of the first of consecutive ones.
        """
        def number(i: int) -> int:
            return linenos + i if isinstance(linenos, int) else linenos[i]

        if not raw:
            return []
        blob = b"\n".join(raw)
        if b"\x00" in blob:
            raw = list(raw)
            for i, r in enumerate(raw):
                if b"\x00" in r:
                    self.nul_lines += 1
                    self.first_nul = self.first_nul or number(i)
                    raw[i] = r.replace(b"\x00", b"")
            blob = b"\n".join(raw)
        try:
            lines = blob.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            lines = []
            for i, r in enumerate(raw):
                try:
                    lines.append(r.decode("utf-8"))
                except UnicodeDecodeError:
                    self.bad_utf8 += 1
                    self.first_bad = self.first_bad or number(i)
                    lines.append(r.decode("utf-8", "replace"))
        if blob.find(b"\r") >= 0:
            lines = [ln.removesuffix("\r") for ln in lines]
        return lines

    def finish(self, lines: int) -> None:
        """Report a read error (after ``lines`` lines) and the repairs decoding made."""
        name = self.source.name
        if self.error == "cannot read file":
            self.diag.error(name, f"{self.error}: {self.cause}")
        elif self.error is not None:
            self.diag.error(name, f"{self.error} after line {lines}: {self.cause}; the lines "
                            "before it were read")
        if self.cut_lines:
            limits = self.source.limits
            what = "decompressed data" if self.source.compression else "file"
            self.diag.warning(name, f"line longer than {limits.max_line_bytes:,} bytes cut to "
                              f"its first {limits.max_line_bytes:,} bytes (the first at byte "
                              f"{self.first_cut:,} of the {what}; "
                              f"{limits.hint('max_line_bytes')})", None, self.cut_lines)
        self.source.report(self.diag)
        if self.nul_lines:
            self.diag.warning(name, "NUL bytes removed from line", self.first_nul,
                              self.nul_lines)
        if self.bad_utf8:
            self.diag.warning(name, "invalid UTF-8 replaced with U+FFFD in line",
                              self.first_bad, self.bad_utf8)


def _after_last_newline(buf: np.ndarray, start: int, size: int) -> int:
    """Offset just past the last newline in ``buf[:size]`` searched from ``start`` on, or 0."""
    step = 1 << 16
    hi = size
    while hi > start:
        lo = max(start, hi - step)
        found = np.flatnonzero(buf[lo:hi] == 10)
        if len(found):
            return lo + int(found[-1]) + 1
        hi = lo
        step *= 4
    return 0  # (the bytes before ``start`` are a line's beginning: no newline there)


@dataclass
class LineChunk:
    """Decoded lines of a source; ``first`` is the 1-based number of ``lines[0]``."""

    first: int
    lines: list[str]


def iter_line_chunks(source: Source, diag: Diagnostics, block_bytes: int = BLOCK_BYTES
                     ) -> Iterator[LineChunk]:
    """Stream a source as chunks of decoded lines (line endings removed)."""
    reader = BlockReader(source, diag, block_bytes)
    lineno = 1
    for block in reader:
        data = block.data()
        raw = data.split(b"\n")
        if data.endswith(b"\n"):
            raw.pop()
        lines = reader.decode(raw, lineno)
        yield LineChunk(lineno, lines)
        lineno += len(lines)
    reader.finish(lineno - 1)


__all__ = ["BLOCK_BYTES", "PAD", "Block", "BlockReader", "LineChunk", "iter_line_chunks"]
