"""Walk the paths a user names into sources, rotated sets oldest first.

Directories are walked (links to directories not followed), archives opened into their members
(:mod:`.archives`), standard input spooled; ``messages-20170416``, ``messages.2.gz``,
``messages.1``, ``messages`` come out in that order.

Example:
    >>> from conntrack_forensics.diagnostics import Diagnostics
    >>> sources = list(iter_sources(["sample_logs/bogon-nat-listing"], Diagnostics()))
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..diagnostics import Diagnostics
from ..errors import InputNotFoundError
from .archives import archive_kind, members
from .source import (
    DECOMPRESS_ERRORS,
    STDIN_NAME,
    Source,
    detect_compression,
    rotation_key,
    scope_of,
)


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


