r"""Walk the paths a user names into sources, rotated sets oldest first.

Directories are walked (links to directories not followed), archives opened into their members
(:mod:`.archives`), standard input spooled; ``messages-20170416``, ``messages.2.gz``,
``messages.1``, ``messages`` come out in that order.

Whatever the file system holds is a diagnostic, never an exception: symbolic link loops,
dangling links, FIFOs, sockets and devices (never opened), unreadable files and directories,
files that vanish after they were listed, names that are not UTF-8 (shown with ``\x``
escapes).

Example:
    >>> from conntrack_forensics.diagnostics import Diagnostics
    >>> sources = list(iter_sources(["sample_logs/bogon-nat-listing"], Diagnostics()))
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..diagnostics import Diagnostics
from ..errors import InputNotFoundError
from .archives import archive_kind, members
from .limits import DEFAULT_LIMITS, Limits
from .names import display, odd_name
from .source import (
    DECOMPRESS_ERRORS,
    STDIN_NAME,
    Source,
    detect_compression,
    rotation_key,
    scope_of,
)
from .streams import file_kind, open_regular, os_reason


def iter_sources(
    paths: Iterable[str | os.PathLike[str]], diag: Diagnostics, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Source]:
    """Yield the sources named by ``paths``, rotated sets oldest first, read within ``limits``.

    Raises:
        InputNotFoundError: a path does not exist (a usage error, checked before any work).
    """
    plist = [os.fspath(p) for p in paths]
    for p in plist:
        if p != "-" and not os.path.lexists(p):
            raise InputNotFoundError(f"input path does not exist: {display(p)}")
    for p in plist:
        if p == "-":
            found: Iterable[Source] = [_stdin_source(limits)]
        elif os.path.isdir(p):  # a link to a directory named by the user is followed
            found = _walk(Path(p), diag, limits)
        else:
            one = _file_source(Path(p), Path(p).parent, diag, limits)
            found = [one] if one is not None else []
        for src in found:
            yield from _expand(src, diag)


def _expand(source: Source, diag: Diagnostics, depth: int = 0) -> Iterator[Source]:
    """A source, or the members of the archive it is (to ``max_archive_depth`` levels)."""
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
    if depth >= source.limits.max_archive_depth:
        nested = "archive inside an archive" if depth else "archive"
        diag.warning(source.name, f"{nested} not opened "
                     f"({source.limits.hint('max_archive_depth')})")
        return
    try:
        for member in members(source, kind, diag):
            yield from _expand(member, diag, depth + 1)
    finally:
        source.report(diag)
        source.close()


def _stdin_source(limits: Limits) -> Source:
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
        limits=limits,
        _spool=spool,
    )


def _walk(root: Path, diag: Diagnostics, limits: Limits) -> Iterator[Source]:
    found: list[Source] = []
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            diag.warning(display(folder.as_posix()), f"directory not read: {os_reason(exc)}; "
                         "the files in it were not read")
            continue
        subdirs: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append(path)
                continue
            src = _file_source(path, root, diag, limits, seen)
            if src is not None:
                found.append(src)
        stack.extend(reversed(subdirs))
    # rotated sets: oldest first, the live file last; sets in name order
    found.sort(key=lambda s: (s.group, s.rank, s.name))
    yield from found


def _file_source(
    path: Path, root: Path, diag: Diagnostics, limits: Limits = DEFAULT_LIMITS,
    seen: set[tuple[int, int]] | None = None,
) -> Source | None:
    """The source of one file, or ``None`` (with a diagnostic) when it is not to be read."""
    name = display(path.as_posix())
    if (odd := odd_name(path.name)) is not None:
        diag.warning(name, odd)
    try:
        rel = path.relative_to(root)
        rel_parts: tuple[str, ...] = rel.parts
        prefix = display(root.as_posix()) if root != Path(".") else ""
    except ValueError:
        rel_parts = path.parts
        prefix = ""
    scope = scope_of(tuple(display(p) for p in rel_parts), prefix)
    base, rank = rotation_key(display(path.name))
    group = f"{display(path.parent.as_posix())}/{base}"
    try:
        st = os.lstat(path)
    except OSError as exc:
        diag.warning(name, f"cannot read file: {os_reason(exc)}")
        return None
    if stat.S_ISLNK(st.st_mode):
        link = _follow(path, name, root, diag, seen is not None)
        if link is None:
            return None
        if isinstance(link, str):  # the link itself is the evidence
            return Source(name=name, path=None, scope=scope, group=group, rank=rank,
                          link_target=link, limits=limits)
        path = link
        try:
            st = os.stat(path)
        except OSError as exc:
            diag.warning(name, f"cannot read file: {os_reason(exc)}")
            return None
    if not stat.S_ISREG(st.st_mode):
        diag.warning(name, f"{file_kind(st.st_mode)}, not a regular file: skipped (never "
                     "opened)")
        return None
    if seen is not None:
        if (st.st_dev, st.st_ino) in seen:
            return None
        seen.add((st.st_dev, st.st_ino))
    try:
        fd = open_regular(path)
        try:
            magic = os.read(fd, 8)
        finally:
            os.close(fd)
    except OSError as exc:
        diag.warning(name, f"cannot read file: {os_reason(exc)}")
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
        limits=limits,
    )


def _follow(path: Path, name: str, root: Path, diag: Diagnostics, walking: bool
            ) -> Path | str | None:
    """Where a symbolic link leads.

    Returns a file inside the input to read (a path), the link's target when the link itself
    is the evidence (a zone link, a link out of the input), or ``None`` (with a diagnostic)
    when it is not followed.
    """
    try:
        target = display(os.readlink(path))
    except OSError as exc:
        diag.warning(name, f"symbolic link cannot be read: {os_reason(exc)}")
        return None
    if path.name == "localtime":  # the link's target names the zone, whether it exists here
        return target
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            diag.warning(name, f"symbolic link loop (-> {target}): not followed")
        elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
            diag.warning(name, f"dangling symbolic link (-> {target}: no such file): not "
                         "followed")
        else:
            diag.warning(name, f"symbolic link to {target} not followed: {os_reason(exc)}")
        return None
    if stat.S_ISDIR(st.st_mode):
        diag.info(name, "symbolic link to a directory not followed")
        return None
    if not stat.S_ISREG(st.st_mode):
        diag.warning(name, f"symbolic link to {target}, {file_kind(st.st_mode)}: not followed "
                     "(never opened)")
        return None
    resolved = Path(os.path.realpath(path))
    if not _is_within(resolved, Path(os.path.realpath(root))):
        return target
    if walking:  # the target is read under its own name
        diag.info(display(root.as_posix()), "symbolic links to files inside the input not "
                  "followed (each target is read under its own name)")
        return None
    return resolved


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True
