"""Report files written safely: whole or not at all.

A report file is written to a temporary name in its own directory (``.NAME.XXXXXXXX.tmp``,
created exclusively, with the permissions a new file gets under the umask), flushed to disk,
then renamed over ``NAME`` (:func:`os.replace`, atomic on one file system). An interrupted run
(Ctrl-C, a full disk, a crash) leaves the previous ``NAME``, or none, never half a file; the
temporary file is removed on any error. A symbolic link at ``NAME`` is replaced, not written
through.

:func:`write_atomic` writes a whole text or bytes at once; :func:`open_atomic` gives a text
stream for output produced piece by piece (a timeline of millions of rows), renamed when the
``with`` block ends without an error.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import TextIO

PathArg = str | os.PathLike[str]


def _temp_name(path: str) -> str:
    head, tail = os.path.split(path)
    return os.path.join(head, f".{tail}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def _atomic_fd(path: PathArg) -> Iterator[tuple[int, str]]:
    """A new temporary file beside ``path``: its descriptor and name; renamed over ``path``."""
    target = os.fspath(path)
    while True:
        tmp = _temp_name(target)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                         0o666)
            break
        except FileExistsError:  # pragma: no cover - a 32-bit random name taken
            continue
    try:
        yield fd, tmp
        os.fsync(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: PathArg, data: str | bytes) -> None:
    r"""Write ``data`` (text as UTF-8) to ``path`` whole, or leave ``path`` as it was.

    Raises:
        OSError: the directory cannot be written (nothing is left behind).

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> write_atomic(d / "postmortem.md", "# Postmortem\n")
        >>> (d / "postmortem.md").read_text(), sorted(p.name for p in d.iterdir())
        ('# Postmortem\n', ['postmortem.md'])
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with _atomic_fd(path) as (fd, _tmp):
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view):]


@contextlib.contextmanager
def open_atomic(path: PathArg) -> Iterator[TextIO]:
    """A UTF-8 text stream (``newline=""``) whose content replaces ``path`` when the block ends.

    Nothing is renamed when the block raises: ``path`` keeps its old content.

    Raises:
        OSError: the directory cannot be written.
    """
    with _atomic_fd(path) as (fd, _tmp):
        fh = os.fdopen(os.dup(fd), "w", encoding="utf-8", newline="")
        try:
            yield fh
        finally:
            fh.close()  # flushes; an error writing the last buffer is raised here
