"""systemd's binary journal files: ``system.journal``, ``user-1000.journal``, ``*.journal~``.

The on-disk journal format (hash tables, entry arrays, compressed data objects, several
incompatible revisions) is not decoded here: systemd's own reader is. The file goes to
``journalctl --file <path> -o export --no-pager`` (with ``LC_ALL=C``, ``SYSTEMD_COLORS=0`` and
``SYSTEMD_PAGER=cat``), whose standard output is streamed, never read whole, through the
export format reader of :mod:`.journal_export` (:func:`~.journal_export.export_batches`); the
fields mean what they mean there and in :mod:`.journal_json`.

A journal file is recognised by its signature ``LPKSHHRH`` (:attr:`JournalFileParser.MAGIC`)
before the input layer's binary-file check. ``line`` is the 1-based number of the entry in the
journal, in journalctl's order (the file's entry order); ``evidence`` is the entry as exported.

``journalctl --file`` needs a file on disk, and one it may read at random offsets: it cannot read
a pipe. A source with no plain file of its own (an archive member, a compressed
``system.journal.gz``, standard input) is therefore first decompressed into a temporary file
(:class:`tempfile.NamedTemporaryFile`, removed afterwards; runs of zero bytes, most of a journal
file, are left as holes), and journalctl reads that.

``journalctl --file`` takes a glob pattern, not a path: a file under ``case[1]/`` would read
``case1/``'s journal, another host's, and ``*`` or ``?`` in a name could read several. No
path from the evidence is given to it: journalctl runs in a private temporary directory
(:func:`tempfile.TemporaryDirectory`) holding one symbolic link, :data:`LINK_NAME`, to the file,
and is given that bare name, which no glob changes.

What journalctl writes to standard error, and a non-zero exit (a truncated or corrupt file),
become one diagnostic for the file; the entries read before it are kept. Without journalctl on
``PATH`` (not a Linux host) the file gives no events, and one error saying how to export it
where journalctl exists.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from typing import IO

from ..inputs.source import Source
from .base import Head, ParseContext, Parser, RawBatch
from .journal_export import READ_ERRORS, export_batches
from .registry import register

#: The first eight bytes of every journal file (``struct Header.signature``).
SIGNATURE = b"LPKSHHRH"
#: How much of journalctl's standard error a diagnostic quotes.
MAX_STDERR_CHARS = 2000
_COPY_BYTES = 1024 * 1024
_ENV = {"LC_ALL": "C", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": "cat"}
#: The name journalctl is given, in a directory of its own: no glob metacharacter in it.
LINK_NAME = "conntrack-forensics-input.journal"


@register
class JournalFileParser(Parser):
    """Binary systemd journal files, read through ``journalctl -o export``."""

    NAME = "journal_file"
    DESCRIPTION = "systemd binary journal files (*.journal, *.journal~), read with journalctl"
    MAGIC = SIGNATURE

    def sniff(self, head: Head) -> float:
        """Sure only of a head that is the start of a journal file, which is never text.

        Journal files are picked by :attr:`MAGIC` before sniffing; this recognises the same
        start in a decoded head: the signature followed by binary header fields (control
        characters and bytes that are not UTF-8; the head has lost its NUL bytes).
        """
        text = head.text
        if not text.startswith(SIGNATURE.decode("ascii")):
            return 0.0
        binary = sum(1 for ch in text[8:200]
                     if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r") or ch == "\x7f")
        return 1.0 if binary >= 4 else 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """Stream the journal's entries, as journalctl exports them, as events."""
        source = ctx.source
        journalctl = shutil.which("journalctl")
        if journalctl is None:
            ctx.diag.error(source.name, _missing_journalctl(source))
            return
        with _on_disk(ctx) as path, _plain_name(path) as where:
            if where is None:
                ctx.diag.error(source.name, "binary journal file: no symbolic link could be "
                               "made to give it to journalctl by a name that is no pattern "
                               "(is the temporary directory on a file system without links?)")
                return
            yield from _run(ctx, journalctl, path, where, LINK_NAME)


def _missing_journalctl(source: Source) -> str:
    name = source.basename
    if source.compression and "." in name:
        name = name.rsplit(".", 1)[0]
        after = f" (after decompressing {source.basename})"
    else:
        after = ""
    return (f"binary journal file: journalctl is not installed here; on a Linux host run "
            f"`journalctl --file {name} -o export > {name}.export`{after} and pass the "
            f".export file")


@contextlib.contextmanager
def _on_disk(ctx: ParseContext) -> Iterator[str]:
    """A path journalctl can read the source's decompressed bytes at: its own, or a spool."""
    source = ctx.source
    if source.path is not None and source.compression is None:
        yield os.fspath(source.path)
        return
    with tempfile.NamedTemporaryFile(prefix="conntrack-forensics-", suffix=".journal") as tmp:
        try:
            with source.open() as fh:
                while block := fh.read(_COPY_BYTES):
                    if block.count(0) == len(block):
                        tmp.seek(len(block), os.SEEK_CUR)  # leave a hole
                    else:
                        tmp.write(block)
        except READ_ERRORS as exc:
            ctx.diag.error(source.name, f"{source.compression or 'file'} data truncated or "
                           f"unreadable: {exc}; journalctl was given the part before it")
        tmp.truncate()  # the length of the data, trailing hole included
        tmp.flush()
        yield tmp.name


@contextlib.contextmanager
def _plain_name(path: str) -> Iterator[str | None]:
    """A private directory where :data:`LINK_NAME` is ``path``; None if no link can be made.

    ``journalctl --file`` expands its argument as a glob pattern; a path such as
    ``case[1]/system.journal`` would name ``case1/system.journal``. The directory (mode 0700,
    removed afterwards) holds only a symbolic link to the file's absolute path.
    """
    target = os.path.abspath(path)
    with tempfile.TemporaryDirectory(prefix="conntrack-forensics-") as where:
        try:
            os.symlink(target, os.path.join(where, LINK_NAME))
        except OSError:
            yield None
        else:
            yield where


def _run(ctx: ParseContext, journalctl: str, path: str, where: str,
         link: str) -> Iterator[RawBatch]:
    """Run journalctl on ``path`` (as ``link`` in ``where``), yielding the events of its output.

    Then report what it wrote to standard error and a failure.
    """
    name = ctx.source.name
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                [journalctl, "--file", link, "-o", "export", "--no-pager"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                env={**os.environ, **_ENV}, cwd=where,
            )
        except OSError as exc:
            ctx.diag.error(name, f"binary journal file: cannot run journalctl: {exc}")
            return
        before = ctx.records
        try:
            assert proc.stdout is not None
            yield from export_batches(ctx, proc.stdout, "journalctl output", entry_numbers=True)
            status = proc.wait()  # its output has ended: it is exiting
        finally:
            _end(proc)
        err.seek(0)
        message = _stderr_text(err, (os.path.join(where, link), link, path), name)
    read = ctx.records - before
    if status != 0:
        how = f"killed by signal {-status}" if status < 0 else f"exit status {status}"
        kept = (f"the {read} entries before the failure were read" if read
                else "no entries could be read")
        ctx.diag.error(name, f"journalctl could not read the whole journal file ({how}"
                       f"{': ' + message if message else ''}); {kept}")
    elif message:
        ctx.diag.warning(name, f"journalctl reported: {message}")


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Close journalctl's output; end it if it still runs (its output was not read to the end)."""
    if proc.stdout is not None:
        proc.stdout.close()
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _stderr_text(err: IO[bytes], paths: tuple[str, ...], name: str) -> str:
    """The standard error of journalctl on one line, the paths it was given shown as the source's.

    ``paths`` are the names journalctl may print, longest first (the link's full path, its bare
    name, the spool's or file's own path).
    """
    data = err.read(4 * MAX_STDERR_CHARS).decode("utf-8", "replace")
    text = "; ".join(line.strip() for line in data.splitlines() if line.strip())
    for path in paths:
        text = text.replace(path, name)
    if len(text) > MAX_STDERR_CHARS:
        text = text[:MAX_STDERR_CHARS] + "..."
    return text
