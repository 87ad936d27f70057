"""Streams read once but sniffed first: :class:`Replayable` keeps the first bytes to replay.

A tar member can be read only while the archive stream stands at it, so its first bytes
(enough to sniff the format) are kept and replayed once for the parser, and the rest streams
through.
"""

from __future__ import annotations

import io
from typing import IO, cast

#: Bytes kept for replay at the most.
REPLAY_CAP = 4 * 2**20


class Replayable:
    """A one-pass stream whose first bytes can be read again by later readers."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._kept = bytearray()
        self._read = 0  # bytes taken from the inner stream so far (kept or not)
        self._recording = True
        self._passed = False  # a reader went beyond what was kept

    def reader(self) -> IO[bytes]:
        """A new buffered reader from the start (until a reader went past the kept bytes)."""
        if self._passed:
            raise OSError("archive member can no longer be re-read")
        return cast(IO[bytes], io.BufferedReader(_ReplayReader(self)))

    def _fill(self, pos: int, size: int) -> bytes:
        kept = len(self._kept)
        if pos < kept:
            end = kept if size < 0 else min(kept, pos + size)
            return bytes(self._kept[pos:end])
        if pos != self._read:
            raise OSError("archive member read out of order")
        data = self._inner.read(size if size >= 0 else -1)
        self._read += len(data)
        if self._recording and self._read <= REPLAY_CAP:
            self._kept += data
        else:
            self._recording = False
            self._passed = True
        return data


class _ReplayReader(io.RawIOBase):
    def __init__(self, source: Replayable) -> None:
        self._src = source
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._src._fill(self._pos, len(buffer))
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n


