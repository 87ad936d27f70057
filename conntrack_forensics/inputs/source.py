"""One readable input, :class:`Source`: a file, an archive member or standard input.

A source knows where it sits (its host-root ``scope`` and rotated-set ``group``), opens its
bytes decompressed (``.gz``, ``.bz2``, ``.xz``, detected by their magic bytes) and read-only,
and gives its first bytes for sniffing (:func:`read_head`). A gzip file also keeps, in its
header, the time its original was last modified (:func:`gzip_mtime`): that time survives the
copies that lose the file's own. Nothing here writes to an input or
raises on bad evidence: problems go to :class:`~conntrack_forensics.diagnostics.Diagnostics`.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import lzma
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from ..diagnostics import Diagnostics
from .limits import DEFAULT_LIMITS, Limits
from .replay import Replayable
from .streams import Bounded, Counted, Snapshot, open_regular, os_reason

STDIN_NAME = "<stdin>"
HEAD_BYTES = 64 * 1024

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_OPENERS: dict[str, Callable[[Any], Any]] = {
    "gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),
    "bzip2": lambda f: bz2.BZ2File(f, "rb"),
    "xz": lambda f: lzma.LZMAFile(f, "rb"),
}
DECOMPRESS_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)
#: Bytes that never occur in text logs (NUL is handled apart: crashed loggers leave NUL runs).
_BINARY_BYTES = bytes(range(1, 9)) + bytes(range(14, 27)) + bytes(range(28, 32))
_BINARY_TABLE = bytes.maketrans(_BINARY_BYTES, b"\x01" * len(_BINARY_BYTES))

_ROTATED = re.compile(
    r"^(?P<base>.+?)(?:\.(?P<num>\d{1,4})|-(?P<date>\d{8}(?:\d{2})?))?(?:\.(?:gz|bz2|xz))?$"
)
#: Directory names that mark the root of a host's file system (or a sosreport) in a path.
_ROOT_MARKERS = ("var", "etc", "root", "home", "proc", "sys", "sos_commands", "run", "usr")


@dataclass
class Source:
    """One readable input: a file, a member of a rotated set, or standard input.

    Attributes:
        name: the path shown to the user and used in ``source`` columns.
        path: the file on disk (``None`` for standard input).
        scope: the directory that stands for one host's file system (see :func:`scope_of`).
        group: the rotated set this file belongs to; ``rank`` orders it, oldest first.
        mtime: the file's modification time (UTC), when known.
        size: bytes on disk (compressed size for compressed files).
        compression: ``gzip``, ``bzip2``, ``xz`` or ``None``.
        link_target: for a symbolic link that is not followed, where it points.
        header_mtime: for gzip data, the MTIME of its header (UTC), when not zero: the
            modification time of the file that was compressed (see :func:`gzip_mtime`). Read
            when the source is made from a file or standard input; an archive member's is set
            by :mod:`.archives`.
        limits: the bounds on reading it (:class:`~.limits.Limits`).
        notes: what reading it met that the diagnostics must tell (a limit that bit, a file
            that changed while read), each once; :meth:`report` hands them on.
    """

    name: str
    path: Path | None
    scope: str
    group: str
    rank: int = 0
    mtime: dt.datetime | None = None
    size: int = 0
    compression: str | None = None
    link_target: str | None = None
    header_mtime: dt.datetime | None = None
    limits: Limits = DEFAULT_LIMITS
    notes: dict[str, None] = field(default_factory=dict, repr=False)
    _spool: IO[bytes] | None = field(default=None, repr=False)
    _replay: Replayable | None = field(default=None, repr=False)

    @property
    def picklable(self) -> bool:
        """Whether it can be read in another process (a file by its path, nothing held open)."""
        return self._spool is None and self._replay is None and self.path is not None

    def __post_init__(self) -> None:
        if self.compression == "gzip" and self.header_mtime is None and self._replay is None \
                and (self.path is not None or self._spool is not None):
            try:
                with self.open_raw() as fh:
                    self.header_mtime = gzip_mtime(fh.read(GZIP_HEADER_BYTES))
            except OSError:
                self.header_mtime = None

    @property
    def basename(self) -> str:
        """The file name without directories."""
        return self.name.rsplit("/", 1)[-1]

    def open_raw(self) -> IO[bytes]:
        """Open the bytes as stored (still compressed)."""
        if self._replay is not None:
            return self._replay.reader()
        if self._spool is not None:
            self._spool.seek(0)
            return cast(IO[bytes], _Unclosable(self._spool))
        assert self.path is not None
        return cast(IO[bytes], io.BufferedReader(Snapshot(open_regular(self.path), self.note)))

    def open(self) -> IO[bytes]:
        """Open the decompressed bytes (closing the result closes everything it opened).

        Decompression stops at the size and ratio limits (a note says so, see :meth:`report`).
        """
        opener = _OPENERS.get(self.compression or "")
        if opener is None:
            return self.open_raw()
        raw = Counted(self.open_raw())
        try:
            inner = opener(raw)
        except BaseException:
            raw.close()
            raise
        return cast(IO[bytes], io.BufferedReader(Bounded(inner, raw, self.limits, self.note)))

    def note(self, message: str) -> None:
        """Keep ``message`` for the diagnostics (once however often it is met)."""
        self.notes[message] = None

    def report(self, diag: Diagnostics) -> None:
        """Hand the notes on to ``diag`` as warnings naming this source."""
        for message in self.notes:
            diag.warning(self.name, message)
        self.notes.clear()

    def close(self) -> None:
        """Release standard input's spool file, if any."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None


class _Unclosable(io.BufferedIOBase):
    """A view of a shared spool file that closing does not close."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._inner.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self._inner.read(size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._inner.readline(-1 if size is None else size)


def scope_of(rel_parts: tuple[str, ...], prefix: str) -> str:
    """The directory standing for one host's file system that a file belongs to.

    ``logs/bogon/var/log/messages`` and ``logs/bogon/root/.bash_history`` share the scope
    ``logs/bogon``; a file outside any such layout is scoped to its own directory.
    """
    dirs = rel_parts[:-1]
    for i, part in enumerate(dirs):
        if part in _ROOT_MARKERS:
            return "/".join((prefix, *dirs[:i])) if prefix else "/".join(dirs[:i])
    return "/".join((prefix, *dirs)) if prefix else "/".join(dirs)


def rotation_key(basename: str) -> tuple[str, int]:
    """Split a file name into its rotated-set base and its age rank (higher is newer).

    >>> rotation_key("messages.2.gz"), rotation_key("messages")
    (('messages', -2), ('messages', 0))
    >>> rotation_key("messages-20170427") == ("messages", -1_000_000_000 + 20170427)
    True
    """
    m = _ROTATED.match(basename)
    if not m:
        return basename, 0
    if m.group("num") is not None:
        return m.group("base"), -int(m.group("num"))
    if m.group("date") is not None:
        return m.group("base"), -1_000_000_000 + int(m.group("date")[:8])
    return m.group("base"), 0


#: The fixed part of a gzip member header (RFC 1952 section 2.3): ID1 ID2 CM FLG MTIME XFL OS.
GZIP_HEADER_BYTES = 10


def gzip_mtime(head: bytes) -> dt.datetime | None:
    """The MTIME of a gzip header (UTC), or ``None`` when it is zero or not a gzip header.

    RFC 1952 section 2.3.1: MTIME, four bytes little-endian at offset 4, "gives the most recent
    modification time of the original file being compressed", in seconds since the epoch;
    0 means no time stamp. GNU gzip takes it from ``fstat`` of its input, standard input
    included (``treat_stdin`` in gzip.c), and logrotate's ``compressLogFile`` (logrotate.c)
    runs the compressor with the rotated file as its standard input: a ``messages-20170416.gz``
    or ``messages.2.gz`` keeps the time of the rotated file's last write, whatever happened to
    the ``.gz`` file's own time since. ``gzip -n`` writes 0.

    >>> gzip_mtime(bytes.fromhex("1f8b0800" "28c60059" "0003")).isoformat()
    '2017-04-26T16:09:12+00:00'
    >>> gzip_mtime(bytes.fromhex("1f8b0800" "00000000" "0003")) is None
    True
    >>> gzip_mtime(b"BZh91AY&SY") is None
    True
    """
    if len(head) < GZIP_HEADER_BYTES or not head.startswith(b"\x1f\x8b"):
        return None
    seconds = int.from_bytes(head[4:8], "little")
    if seconds == 0:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def detect_compression(head: bytes) -> str | None:
    """The compression format named by a file's first bytes, if any."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def is_binary(head: bytes) -> bool:
    """True when a file's first bytes are not text (NUL runs alone do not make it binary)."""
    text = head.replace(b"\x00", b"")
    if not text:
        return bool(head)
    controls = len(text) - len(text.translate(_BINARY_TABLE).replace(b"\x01", b""))
    return controls > 0.05 * len(text)


def read_head(source: Source, diag: Diagnostics, size: int = HEAD_BYTES) -> bytes | None:
    """The first decompressed bytes of a source, or ``None`` (with a diagnostic) if unreadable."""
    try:
        with source.open() as fh:
            return fh.read(size)
    except DECOMPRESS_ERRORS as exc:
        if isinstance(exc, OSError) and exc.errno is not None:  # the file, not its data
            diag.warning(source.name, f"cannot read file: {os_reason(exc)}")
            return None
        if source.compression:
            # a truncated or corrupt file may still give a usable head; read what comes
            head = _salvage_head(source, size)
            if head:
                return head
            diag.error(source.name, f"corrupt {source.compression} data: {exc}")
        else:
            diag.error(source.name, f"cannot read file: {exc}")
        return None


def _salvage_head(source: Source, size: int) -> bytes:
    out = bytearray()
    try:
        with source.open() as fh:
            while len(out) < size:
                piece = fh.read1(4096) if hasattr(fh, "read1") else fh.read(4096)
                if not piece:
                    break
                out += piece
    except DECOMPRESS_ERRORS:
        pass
    return bytes(out)
