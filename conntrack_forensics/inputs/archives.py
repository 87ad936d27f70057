"""Archives as inputs: tar (plain or compressed) and zip, read as streams, never extracted.

Each regular member becomes a :class:`~conntrack_forensics.inputs.source.Source` named
``archive.tar.gz!/var/log/messages``. Members with absolute or ``..`` paths, links (except an
``etc/localtime`` link, which names the host's zone), devices, nested archives and absurd sizes
are refused with a diagnostic; a corrupt archive ends with an error row, keeping the members
read before the damage. Sizes, expansion ratios and the number of members are bounded by the
archive's :class:`~.limits.Limits`.

A tar member can be read only while the archive stream stands at it, so its bytes are read
through a :class:`Replayable`: the first bytes (enough to sniff the format) are kept and
replayed once for the parser, and the rest streams through.
"""

from __future__ import annotations

import posixpath
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator

from ..diagnostics import Diagnostics
from .names import display
from .replay import Replayable
from .source import (
    GZIP_HEADER_BYTES,
    Source,
    detect_compression,
    gzip_mtime,
    rotation_key,
    scope_of,
)


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

    clean = display(posixpath.normpath(name.replace("\\", "/")).lstrip("./") or name)
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
        limits=archive.limits,
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
    label = f"{archive.name}!/{display(name)}"
    if _unsafe(name):
        diag.warning(label, "archive member with an absolute or '..' path refused")
        return False
    limits = archive.limits
    if size > limits.max_decompressed_bytes:
        diag.warning(label, f"archive member of {size:,} bytes refused (over the size "
                     f"{limits.hint('max_decompressed_bytes')})")
        return False
    return True


def _too_many(archive: Source, count: int, diag: Diagnostics) -> bool:
    """Whether the ``count``-th member is past the member limit (said once)."""
    limits = archive.limits
    if count <= limits.max_members:
        return False
    diag.warning(archive.name, f"archive has more than {limits.max_members:,} members: the "
                 f"rest were not read ({limits.hint('max_members')})")
    return True


def _tar_members(archive: Source, diag: Diagnostics) -> Iterator[Source]:
    try:
        with archive.open() as raw, tarfile.open(fileobj=raw, mode="r|") as tf:
            count = 0
            for m in tf:
                if m.isdir():
                    continue
                count += 1
                if _too_many(archive, count, diag):
                    break
                if m.issym() or m.islnk():
                    src = _member_source(archive, m.name, 0, m.mtime)
                    src.link_target = m.linkname
                    if _check(archive, m.name, 0, diag):
                        yield src
                    continue
                if not m.isfile():
                    diag.info(f"{archive.name}!/{display(m.name)}",
                              "special file in archive skipped")
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
        with archive.open_raw() as raw, tempfile.TemporaryFile() as spool:
            if not raw.seekable():  # a zip in a tar: its directory is at its end
                shutil.copyfileobj(raw, spool, 1 << 20)
            with zipfile.ZipFile(raw if raw.seekable() else spool) as zf:
                limits = archive.limits
                infos = [i for i in zf.infolist() if not i.is_dir()]
                for count, info in enumerate(infos, 1):
                    if _too_many(archive, count, diag):
                        break
                    if not _check(archive, info.filename, info.file_size, diag):
                        continue
                    if info.file_size > limits.ratio_grace_bytes and \
                            info.file_size > limits.max_ratio * max(info.compress_size, 1):
                        diag.warning(f"{archive.name}!/{display(info.filename)}",
                                     f"archive member refused: it expands over "
                                     f"{limits.max_ratio:,g} times, as a decompression bomb "
                                     f"does ({limits.hint('max_ratio')})")
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
