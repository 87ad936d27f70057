"""Archives as inputs: tar (plain or compressed) and zip, read as streams, never extracted.

Each regular member becomes a :class:`~conntrack_forensics.inputs.source.Source` named
``archive.tar.gz!/var/log/messages``. Members with absolute or ``..`` paths, links (except an
``etc/localtime`` link, which names the host's zone), devices, nested archives and absurd sizes
are refused with a diagnostic; a corrupt archive ends with an error row, keeping the members
read before the damage.

A tar member can be read only while the archive stream stands at it, so its bytes are read
through a :class:`Replayable`: the first bytes (enough to sniff the format) are kept and
replayed once for the parser, and the rest streams through.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
import zipfile
from collections.abc import Iterator

from ..diagnostics import Diagnostics
from .replay import Replayable
from .source import (
    GZIP_HEADER_BYTES,
    Source,
    detect_compression,
    gzip_mtime,
    rotation_key,
    scope_of,
)

#: Largest member accepted (declared size), and largest zip expansion ratio.
MAX_MEMBER_BYTES = 64 * 2**30
MAX_ZIP_RATIO = 1000


def archive_kind(head: bytes, decompressed_head: bytes) -> str | None:
    """``zip`` or ``tar`` when a file is an archive (by its bytes), else ``None``."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if decompressed_head[257:262] == b"ustar":
        return "tar"
    return None


def _unsafe(name: str) -> bool:
    norm = posixpath.normpath(name.replace("\\", "/"))
    return name.startswith(("/", "\\")) or norm == ".." or norm.startswith("../") or (
        len(name) > 1 and name[1] == ":")


def members(archive: Source, kind: str, diag: Diagnostics) -> Iterator[Source]:
    """The readable members of an archive as sources, in archive order."""
    if kind == "zip":
        yield from _zip_members(archive, diag)
    else:
        yield from _tar_members(archive, diag)


def _member_source(archive: Source, name: str, size: int, mtime: float | None) -> Source:
    import datetime as dt

    clean = posixpath.normpath(name.replace("\\", "/")).lstrip("./") or name
    parts = tuple(clean.split("/"))
    prefix = f"{archive.name}!"
    base, rank = rotation_key(parts[-1])
    parent = "/".join(parts[:-1])
    return Source(
        name=f"{prefix}/{clean}",
        path=None,
        scope=scope_of(parts, prefix),
        group=f"{prefix}/{parent}/{base}",
        rank=rank,
        mtime=dt.datetime.fromtimestamp(mtime, dt.timezone.utc) if mtime else None,
        size=size,
    )


def _sniff_compression(src: Source, replay: Replayable) -> None:
    """A member's compression from its first bytes, and a gzip header's MTIME.

    A ``.gz`` in a tarball keeps the time its original was written, as a ``.gz`` file does.
    """
    head = replay.reader().read(GZIP_HEADER_BYTES)
    src.compression = detect_compression(head)
    if src.compression == "gzip":
        src.header_mtime = gzip_mtime(head)


def _check(archive: Source, name: str, size: int, diag: Diagnostics) -> bool:
    label = f"{archive.name}!/{name}"
    if _unsafe(name):
        diag.warning(label, "archive member with an absolute or '..' path refused")
        return False
    if size > MAX_MEMBER_BYTES:
        diag.warning(label, f"archive member of {size:,} bytes refused (over the size limit)")
        return False
    return True


def _tar_members(archive: Source, diag: Diagnostics) -> Iterator[Source]:
    try:
        with archive.open() as raw, tarfile.open(fileobj=raw, mode="r|") as tf:
            for m in tf:
                if m.isdir():
                    continue
                if m.issym() or m.islnk():
                    src = _member_source(archive, m.name, 0, m.mtime)
                    src.link_target = m.linkname
                    if _check(archive, m.name, 0, diag):
                        yield src
                    continue
                if not m.isfile():
                    diag.info(f"{archive.name}!/{m.name}", "special file in archive skipped")
                    continue
                if not _check(archive, m.name, m.size, diag):
                    continue
                fh = tf.extractfile(m)
                if fh is None:
                    continue
                src = _member_source(archive, m.name, m.size, m.mtime)
                replay = Replayable(fh)
                src._replay = replay
                _sniff_compression(src, replay)
                yield src
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        diag.error(archive.name, f"tar archive truncated or corrupt: {exc}; the members "
                   "before it were read")


def _zip_members(archive: Source, diag: Diagnostics) -> Iterator[Source]:
    try:
        with archive.open_raw() as raw:
            seekable = raw if raw.seekable() else io.BytesIO(raw.read())
            with zipfile.ZipFile(seekable) as zf:
                for info in zf.infolist():
                    if info.is_dir() or not _check(archive, info.filename, info.file_size, diag):
                        continue
                    if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
                        diag.warning(f"{archive.name}!/{info.filename}",
                                     "archive member refused: expands over 1000 times")
                        continue
                    src = _member_source(archive, info.filename, info.file_size, None)
                    try:
                        fh = zf.open(info)
                    except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                        diag.error(src.name, f"cannot read zip member: {exc}")
                        continue
                    replay = Replayable(fh)
                    src._replay = replay
                    _sniff_compression(src, replay)
                    yield src
                    fh.close()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        diag.error(archive.name, f"zip archive truncated or corrupt: {exc}")
