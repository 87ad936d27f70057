r"""Tcsh history (``~/.history``, or the file ``$histfile`` names), as ``savehist`` writes it.

With ``set savehist`` tcsh saves its history on exit through ``history -hT`` (``rechist`` in
tcsh's ``sh.hist.c``): before each event it writes the time the event was entered as a
comment line, ``#+`` and the epoch in ten digits, zero-padded (``xprintf("#+%010lu\n", ...)``
in ``phist``), then the event's words::

    #+1493222380
    iptables -L
    #+1493222601
    iptables -t nat -L

When tcsh loads the file (``source -h``), its lexer reads the ``#+`` comment into ``Htime``
(``sh.lex.c``) and gives it to the next event; each other line is an event of its own, and a
line ending in a backslash goes on on the next line. So here: a stamp gives its time to the
line after it; a line without a stamp before it is an event without a time (``#+0000000000``,
tcsh's "no time", too), bounded like an untimestamped bash entry (by the stamped events around
it, else by the file's modification time); backslash-continued lines are one event, joined with
``\n`` (the trigger matching reads the backslash-newline as the shell does). The user comes
from the path (``root/.history``, ``home/alice/.history``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from ._bounds import OUT_OF_RANGE, epoch_in_range
from ._history import HistoryRows
from .base import Head, ParseContext, Parser, RawBatch
from .bash_history import user_from_path
from .registry import register

#: A stamp line as tcsh reads it (it takes the eleven characters after ``#``).
_STAMP = re.compile(r"#\+(\d{1,11})")
#: A stamp as tcsh writes it, for sniffing.
_SNIFF_STAMP = re.compile(r"#\+\d{10}")
#: A line meant as a stamp but damaged (``#+14932x2601``).
_BROKEN = re.compile(r"#\+\S*")


@register
class TcshHistoryParser(Parser):
    """tcsh ``savehist`` files."""

    NAME = "tcsh_history"
    DESCRIPTION = "tcsh history as savehist writes it ('#+epoch' lines before each command)"

    def sniff(self, head: Head) -> float:
        """``#+`` ten-digit stamps before most commands are decisive (above bash's 0.9)."""
        lines = [ln for ln in head.lines if ln.strip()]
        if not lines:
            return 0.0
        stamps = sum(1 for ln in lines if _SNIFF_STAMP.fullmatch(ln))
        if stamps and stamps * 3 >= len(lines) and stamps * 2 <= len(lines) + 1:
            return 0.95
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One ``command`` event per history event."""
        rows = HistoryRows("tcsh", user_from_path(ctx.source.name))
        stamp: float | None = None  # the stamp waiting for its event (0: a stamp of no time)
        stamp_line = 0
        entry: list[str] = []  # lines of a backslash-continued event
        first = 0
        for chunk in ctx.chunks():
            for i, text in enumerate(chunk.lines):
                lineno = chunk.first + i
                if not entry:
                    if not text.strip():
                        continue
                    m = _STAMP.fullmatch(text.strip())
                    if m is not None or _BROKEN.fullmatch(text.strip()):
                        if stamp is not None:
                            ctx.skip(stamp_line, "history timestamp with no command after it")
                        if m is None or not epoch_in_range(float(m.group(1))):
                            ctx.skip(lineno, "damaged tcsh history timestamp" if m is None
                                     else OUT_OF_RANGE)
                            stamp = None
                            continue
                        stamp, stamp_line = float(m.group(1)), lineno
                        if stamp:
                            rows.flush(dt.datetime.fromtimestamp(stamp, dt.timezone.utc))
                        continue
                    first = lineno
                entry.append(text)
                if text.endswith("\\"):
                    continue
                _event(ctx, rows, first, entry, stamp)
                entry, stamp = [], None
            if (batch := rows.take()) is not None:
                yield batch
        if entry:  # the file ends inside a continued event
            entry[-1] = entry[-1][:-1]
            _event(ctx, rows, first, entry, stamp)
        elif stamp is not None:
            ctx.skip(stamp_line, "history timestamp with no command after it")
        rows.flush(ctx.source.mtime)
        if (batch := rows.take(1)) is not None:
            yield batch


def _event(ctx: ParseContext, rows: HistoryRows, line: int, lines: list[str],
           stamp: float | None) -> None:
    """One event's row: timed by its stamp unless it has none (or tcsh's 0, no time)."""
    ctx.ok()
    command = "\n".join(lines)
    if stamp:
        rows.timed(line, command, command, stamp)
    else:
        rows.untimed(line, command, command)
