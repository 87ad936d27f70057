"""The byte streams under a :class:`~.source.Source`: snapshots of files and bounded decompression.

:func:`open_regular` opens only regular files (never a FIFO, socket or device, and never
blocking); :class:`Snapshot` reads a file up to the size it had when opened and notes one that
changed meanwhile; :class:`Bounded` stops decompression at the :class:`~.limits.Limits`.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Callable
from typing import IO, Any

from .limits import Limits


def open_regular(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor of a regular file; ``OSError`` if ``path`` is anything else.

    Opened non-blocking, so a FIFO put where a file was listed never blocks the run, and
    checked with ``fstat`` before any byte is read (a device is never read).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise OSError(errno.ENXIO, f"not a regular file ({file_kind(mode)}); never read")
    return fd


def file_kind(mode: int) -> str:
    """What a file of ``mode`` is, in words (``FIFO``, ``socket``, ``device``, ...)."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def os_reason(exc: OSError) -> str:
    """Why a file could not be read, in words a user can act on.

    >>> os_reason(FileNotFoundError(2, "No such file or directory"))
    'it vanished (removed or rotated away after it was listed)'
    """
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied (run as a user who may read it, or copy it readable)"
    if code in (errno.ENOENT, errno.ENOTDIR):
        return "it vanished (removed or rotated away after it was listed)"
    if code == errno.ELOOP:
        return "symbolic link loop"
    return str(exc.strerror or exc)


class Snapshot(io.RawIOBase):
    """A regular file read up to the size it had when opened (a live log may grow meanwhile).

    A file that shrinks while read (truncated by logrotate's ``copytruncate``) or grew is
    noted on its source.
    """

    def __init__(self, fd: int, note: Callable[[str], None]) -> None:
        self._note, self._fd = note, fd
        self._size = os.fstat(fd).st_size
        self._pos = 0

    def readable(self) -> bool:
        """Always: a stream to read."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer``; the number of bytes read (0 at the end)."""
        want = min(len(buffer), self._size - self._pos)
        n = os.readv(self._fd, [memoryview(buffer)[:want]]) if want > 0 else 0
        self._pos += n
        if n == 0:
            self._check_size()
        return n

    def seekable(self) -> bool:
        """Always: a regular file (a zip's directory is read from its end)."""
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move to ``offset`` (from ``whence``); the new position."""
        self._pos = os.lseek(self._fd, offset, whence)
        return self._pos

    def tell(self) -> int:
        """The position."""
        return self._pos

    def _check_size(self) -> None:
        now = os.fstat(self._fd).st_size
        if self._pos < self._size:
            self._note(
                f"file shrank while being read (from {self._size:,} to {now:,} bytes: "
                f"truncated or rotated during the run); what followed byte {self._pos:,} "
                "was not read")
        elif now > self._size:
            self._note(
                f"file grew while being read (from {self._size:,} to {now:,} bytes); read up "
                "to its size when opened")

    def close(self) -> None:
        """Close what this stream opened."""
        if not self.closed:
            os.close(self._fd)
        super().close()


class Counted(io.RawIOBase):
    """A stream that counts the bytes read from it (the compressed bytes a decompressor took)."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self.count = 0

    def readable(self) -> bool:
        """Always: a stream to read."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer``; the number of bytes read (0 at the end)."""
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        """Close what this stream opened."""
        self._inner.close()
        super().close()


class Bounded(io.RawIOBase):
    """Decompressed bytes that stop at the size and ratio limits (closing closes all)."""

    def __init__(self, inner: Any, raw: Counted, limits: Limits, note: Callable[[str], None]
                 ) -> None:
        self._inner, self._raw, self._limits, self._note = inner, raw, limits, note
        self._out = 0
        self._stopped = False

    def readable(self) -> bool:
        """Always: a stream to read."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer``; the number of bytes read (0 at the end)."""
        if self._stopped:
            return 0
        limits = self._limits
        left = limits.max_decompressed_bytes - self._out
        data = self._inner.read1(min(len(buffer), left))
        n = len(data)
        buffer[:n] = data
        self._out += n
        if n and self._out >= limits.max_decompressed_bytes:
            self._stop(f"decompressed data cut after {self._out:,} bytes "
                       f"({limits.hint('max_decompressed_bytes')}); the rest was not read")
        elif self._out > limits.ratio_grace_bytes and \
                self._out > limits.max_ratio * max(self._raw.count, 1):
            self._stop(f"decompression stopped after {self._out:,} bytes from "
                       f"{self._raw.count:,} compressed bytes: it expands over "
                       f"{limits.max_ratio:,g} times, as a decompression bomb does "
                       f"({limits.hint('max_ratio')}); the rest was not read")
        return n

    def _stop(self, message: str) -> None:
        self._stopped = True
        self._note(message)

    def close(self) -> None:
        """Close what this stream opened."""
        if not self.closed:
            try:
                self._inner.close()
            finally:
                self._raw.close()
        super().close()


__all__ = ["Bounded", "Counted", "Snapshot", "file_kind", "open_regular", "os_reason"]
