"""The input layer: turn the paths a user names into readable, ordered log sources.

It walks directories, reads compressed files (``.gz``, ``.bz2``, ``.xz``, detected by their
magic bytes) transparently, orders rotated sets (``messages-20170416``, ``messages.2.gz``,
``messages.1``, ``messages``) oldest first, reads standard input, and hands every parser decoded
lines with NUL bytes and invalid UTF-8 repaired and counted. Nothing here ever writes to an
input, and nothing here raises on bad evidence: problems go to :class:`Diagnostics`.

Example:
    >>> from conntrack_forensics.diagnostics import Diagnostics
    >>> sources = list(iter_sources(["sample_logs/bogon-nat-listing"], Diagnostics()))
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import lzma
import os
import re
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from .archives import Replayable, archive_kind, members
from .diagnostics import Diagnostics
from .errors import InputNotFoundError

STDIN_NAME = "<stdin>"
HEAD_BYTES = 64 * 1024

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_OPENERS: dict[str, Callable[[Any], Any]] = {
    "gzip": lambda f: gzip.open(f, "rb"),
    "bzip2": lambda f: bz2.open(f, "rb"),
    "xz": lambda f: lzma.open(f, "rb"),
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
    _spool: IO[bytes] | None = field(default=None, repr=False)
    _replay: Replayable | None = field(default=None, repr=False)

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
        return open(self.path, "rb")

    def open(self) -> IO[bytes]:
        """Open the decompressed bytes (closing the result closes everything it opened)."""
        opener = _OPENERS.get(self.compression or "")
        if opener is None:
            return self.open_raw()
        if self._spool is not None or self._replay is not None:
            return cast(IO[bytes], opener(self.open_raw()))
        assert self.path is not None
        return cast(IO[bytes], opener(self.path))

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


def iter_sources(
    paths: Iterable[str | os.PathLike[str]], diag: Diagnostics
) -> Iterator[Source]:
    """Yield the sources named by ``paths``, rotated sets oldest first.

    Raises:
        InputNotFoundError: a path does not exist (a usage error, checked before any work).
    """
    plist = [os.fspath(p) for p in paths]
    for p in plist:
        if p != "-" and not os.path.lexists(p):
            raise InputNotFoundError(f"input path does not exist: {p}")
    for p in plist:
        if p == "-":
            found: Iterable[Source] = [_stdin_source(diag)]
        elif os.path.isdir(p):
            found = _walk(Path(p), diag)
        else:
            one = _file_source(Path(p), Path(p).parent, diag)
            found = [one] if one is not None else []
        for src in found:
            yield from _expand(src, diag)


def _expand(source: Source, diag: Diagnostics, depth: int = 0) -> Iterator[Source]:
    """A source, or the members of the archive it is (archives in archives are not opened)."""
    if source.link_target is not None:
        yield source
        return
    try:
        with source.open_raw() as raw:
            head = raw.read(8)
        with source.open() as fh:
            inner = fh.read(512)
    except DECOMPRESS_ERRORS:
        yield source  # not an archive we can open; the reader will say what is wrong
        return
    kind = archive_kind(head, inner)
    if kind is None:
        yield source
        return
    if depth > 0:
        diag.info(source.name, "archive inside an archive not opened")
        return
    try:
        for member in members(source, kind, diag):
            yield from _expand(member, diag, depth + 1)
    finally:
        source.close()


def _stdin_source(diag: Diagnostics) -> Source:
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    size = 0
    while chunk := sys.stdin.buffer.read(4 << 20):
        spool.write(chunk)
        size += len(chunk)
    spool.seek(0)
    head = spool.read(8)
    return Source(
        name=STDIN_NAME,
        path=None,
        scope=STDIN_NAME,
        group=STDIN_NAME,
        size=size,
        compression=detect_compression(head),
        _spool=spool,
    )


def _display(path: Path) -> str:
    return path.as_posix()


def _walk(root: Path, diag: Diagnostics) -> Iterator[Source]:
    found: list[Source] = []
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, onerror=None, followlinks=False):
        dirnames.sort()
        for fname in sorted(filenames):
            src = _file_source(Path(dirpath) / fname, root, diag, seen)
            if src is not None:
                found.append(src)
        for dname in list(dirnames):
            full = Path(dirpath) / dname
            if full.is_symlink():
                diag.info(_display(full), "symbolic link to a directory not followed")
    # rotated sets: oldest first, the live file last; sets in name order
    found.sort(key=lambda s: (s.group, s.rank, s.name))
    yield from found


def _file_source(
    path: Path, root: Path, diag: Diagnostics, seen: set[str] | None = None
) -> Source | None:
    name = _display(path)
    try:
        rel = path.relative_to(root)
        rel_parts: tuple[str, ...] = rel.parts
        prefix = _display(root) if root != Path(".") else ""
    except ValueError:
        rel_parts = path.parts
        prefix = ""
    scope = scope_of(rel_parts, prefix)
    base, rank = rotation_key(path.name)
    group = f"{_display(path.parent)}/{base}"
    if path.is_symlink():
        target = os.readlink(path)
        resolved = path.resolve()
        inside = _is_within(resolved, root.resolve()) and resolved.is_file()
        if not inside or path.name == "localtime":  # the link's target names the zone
            return Source(
                name=name, path=None, scope=scope, group=group, rank=rank, link_target=target
            )
        if seen is not None:  # walking a tree: the target is read under its own name
            diag.info(_display(root), "symbolic links to files inside the input not followed "
                      "(each target is read under its own name)")
            return None
        path = resolved
    try:
        st = path.stat()
        if seen is not None:
            key = f"{st.st_dev}:{st.st_ino}"
            if key in seen:
                return None
            seen.add(key)
        if not path.is_file():
            diag.info(name, "not a regular file; skipped")
            return None
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        diag.error(name, f"cannot read file: {exc.strerror or exc}")
        return None
    return Source(
        name=name,
        path=path,
        scope=scope,
        group=group,
        rank=rank,
        mtime=dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc),
        size=st.st_size,
        compression=detect_compression(magic),
    )


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def read_head(source: Source, diag: Diagnostics, size: int = HEAD_BYTES) -> bytes | None:
    """The first decompressed bytes of a source, or ``None`` (with a diagnostic) if unreadable."""
    try:
        with source.open() as fh:
            return fh.read(size)
    except DECOMPRESS_ERRORS as exc:
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
