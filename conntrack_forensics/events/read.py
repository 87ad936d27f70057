"""Read one input: pick its parser by content and collect the raw rows it yields.

In: a :class:`~conntrack_forensics.inputs.Source`. Out: a :class:`.ParsedSource` (``raw`` is
``None`` when the input was a link, empty, binary or of no known format: each said in the
diagnostics). A parser that fails part way keeps the rows it gave; the failure is an error
diagnostic, never an exception.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

import pandas as pd

from .. import parsers as _parsers
from ..diagnostics import Diagnostics
from ..inputs.source import Source, is_binary, read_head
from ..parsers.background import collapse_background
from ..parsers.base import SNIFF_THRESHOLD, GiveUp, Head, Hints, ParseContext, RawBatch, as_frame
from ..parsers.own_output import own_output
from .parsed import ParsedSource

#: A source whose rows come as one batch of at most this many rows is framed with others
#: (:mod:`.pooled`): building a frame costs about as much for 5 rows as for 5,000.
POOLED_ROWS = 5_000

#: A file whose first lines read this much as some format, though not enough to be taken as
#: it, is a skipped log (a warning), not a file of another kind (a note).
NEAR_MISS = 0.2


def read_source(
    source: Source, index: int, diag: Diagnostics, hints: Hints, full: bool = True,
    months: Mapping[str, int] | None = None,
) -> ParsedSource:
    """Parse ``source``, noting what the evidence hints at (host names, zones) in ``hints``.

    With ``full`` every plain message is a row; else runs of them are per-minute counts.
    """
    if source.link_target is not None:
        target = source.link_target
        if source.basename == "localtime" and "zoneinfo/" in target:
            zone = target.split("zoneinfo/", 1)[1]
            hints.tz.setdefault(source.scope, (zone, source.name))
        elif _inside_archive(source.name, target):  # one folded note per archive
            diag.info(source.name.split("!/", 1)[0], "symbolic links inside the archive not "
                      "followed (a link's target is read where it is stored)")
        else:
            diag.info(source.name, f"symbolic link to {target} (outside the input) not followed")
        return ParsedSource(source, index, None, None)
    try:
        return _read(source, index, diag, hints, full, months)
    finally:
        source.report(diag)  # what reading met: a limit that bit, a file changed meanwhile


def _read(
    source: Source, index: int, diag: Diagnostics, hints: Hints, full: bool,
    months: Mapping[str, int] | None,
) -> ParsedSource:
    head_bytes = read_head(source, diag)
    if head_bytes is None:
        return ParsedSource(source, index, None, None)
    if not head_bytes.strip(b"\x00 \t\r\n"):
        if b"\x00" in head_bytes:  # a crash leaves the blocks of a file being written zeroed
            diag.warning(source.name, f"only NUL bytes (and blanks) in its first "
                         f"{len(head_bytes):,} bytes, as a crash leaves a file being written: "
                         "skipped")
        else:
            diag.info(source.name, "empty file")
        return ParsedSource(source, index, None, None)
    ours = own_output(head_bytes)
    if ours is not None:
        diag.info(source.name, f"a {ours} written by conntrack-forensics, not evidence: skipped")
        return ParsedSource(source, index, None, None)
    parser = _parsers.pick_binary(head_bytes)
    if parser is None:
        if is_binary(head_bytes):
            diag.warning(source.name, "binary file skipped (not a text log)")
            return ParsedSource(source, index, None, None)
        head = Head.from_bytes(source.basename, head_bytes, months=months)
        parser, _score = _parsers.pick(head)
        if parser is None:
            near, score = _parsers.closest(head)
            if near is not None and score >= NEAR_MISS:
                # evidence that half reads as a log is a problem: its lines may hold drops
                diag.warning(source.name, f"skipped: only {score:.0%} of its first lines read "
                             f"as {near.NAME} (at least {SNIFF_THRESHOLD:.0%} needed), so "
                             "no parser is sure of it")
                return ParsedSource(source, index, None, None)
    if parser is None:
        diag.info(source.name, "not a recognised log format; skipped")
        return ParsedSource(source, index, None, None)
    ctx = ParseContext(source, diag, hints, background=not full, months=months)
    frames: list[pd.DataFrame] = []
    held: RawBatch | None = None  # a first batch of a few rows, not framed yet
    try:
        for batch in parser.parse(ctx):
            if not frames and held is None and isinstance(batch, RawBatch) \
                    and len(batch) <= POOLED_ROWS:
                held = batch.compact()  # (it waits for the loader to frame it with others)
                continue
            if held is not None:  # more than one batch: a file framed on its own
                frames.append(_framed(held, full))
                held = None
            frames.append(_framed(batch, full))
    except GiveUp as exc:
        diag.error(source.name, f"{parser.NAME} parser {exc}; the rest of the file was not read")
    except Exception as exc:  # a parser bug must not end the run: record it, go on
        diag.error(source.name, f"{parser.NAME} parser failed: {type(exc).__name__}: {exc}")
    if held is not None and not frames:
        return ParsedSource(source, index, parser.format, None, ctx.records, ctx.skipped,
                            pending=held, parser=parser.NAME)
    if held is not None:
        frames.append(_framed(held, full))
    raw = pd.concat(frames, ignore_index=True) if frames else None
    return ParsedSource(source, index, parser.format, raw, ctx.records, ctx.skipped)


def _framed(batch: RawBatch | pd.DataFrame, full: bool) -> pd.DataFrame:
    frame = as_frame(batch)
    return frame if full else collapse_background(frame)


def _inside_archive(name: str, target: str) -> bool:
    """Whether a link member ``archive!/dir/link`` points at another member of its archive."""
    if "!/" not in name or target.startswith("/"):
        return False
    member = name.split("!/", 1)[1]
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(member), target))
    return not resolved.startswith("..")
