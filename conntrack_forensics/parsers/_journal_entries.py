"""Journal entries (field name to value) as events: shared by the journal parsers.

:mod:`.journal_json` and :mod:`.journal_export` read entries their own way; what an entry's
fields mean is here (see :mod:`.journal_json`'s docstring for the fields used).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..model import Kind
from .base import ParseContext, RawBatch
from .classify import classify

#: Rows per yielded batch.
BATCH_ROWS = 20_000
#: Latest accepted ``__REALTIME_TIMESTAMP`` (microseconds): 2262-04-11, the end of the
#: nanosecond timestamps the event frame holds.
MAX_REALTIME_US = 9_223_372_036_000_000

_PID = re.compile(r"[0-9]{1,10}")
_REALTIME = re.compile(r"[0-9]{1,19}")


def field_text(value: Any) -> str | None:
    """The text of one journal field value as journalctl's JSON (or the export parser) gives it.

    A string is itself; ``bytes`` and an array of byte values (journalctl's form for values
    that are not valid UTF-8) are decoded with U+FFFD replacements; any other array is a
    repeated field, of which the first value counts; ``null`` is ``None``.

    >>> field_text([104, 105, 255]) == "hi" + chr(0xFFFD), field_text(["a", "b"])
    (True, 'a')
    """
    if value.__class__ is str:  # (the usual value: answered before the other checks)
        return value
    while isinstance(value, list):
        if all(type(b) is int and 0 <= b <= 255 for b in value):
            return bytes(value).decode("utf-8", "replace")
        value = value[0]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def realtime_epoch(value: Any) -> float | None:
    """Seconds since 1970 from a ``__REALTIME_TIMESTAMP`` value (microseconds), if valid."""
    text = field_text(value)
    if text is None or not _REALTIME.fullmatch(text):
        return None
    us = int(text)
    if not 0 < us <= MAX_REALTIME_US:
        return None
    return us / 1_000_000


class JournalEntries:
    """Turns journal entries (field name to value) into events: shared by the journal parsers.

    It keeps the last boot ID seen per host, to add a ``boot`` event where it changes.
    """

    #: The fields read; an entry's others are only evidence.
    FIELDS = frozenset({
        "__REALTIME_TIMESTAMP", "_HOSTNAME", "_TRANSPORT", "SYSLOG_IDENTIFIER", "_COMM", "_PID",
        "SYSLOG_PID", "MESSAGE", "_BOOT_ID", "PRIORITY",
    })

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        #: The last boot ID seen per host.
        self.boots: dict[str | None, str] = {}

    def add(self, batch: RawBatch, line: int, fields: Mapping[str, Any], evidence: str) -> None:
        """Count one entry, and add its event (after a ``boot`` event on a new boot) to ``batch``.

        Args:
            batch: where the events go.
            line: the entry's line in the file.
            fields: field name to value (see :func:`field_text` for the values understood).
            evidence: the entry's text as read.
        """
        epoch = realtime_epoch(fields.get("__REALTIME_TIMESTAMP"))
        if epoch is None:
            self.ctx.skip(line, "journal entry without a valid __REALTIME_TIMESTAMP")
            return
        self.ctx.ok()
        host = field_text(fields.get("_HOSTNAME")) or None
        transport = field_text(fields.get("_TRANSPORT")) or None
        if transport == "kernel":
            program: str | None = "kernel"
        else:
            program = (field_text(fields.get("SYSLOG_IDENTIFIER"))
                       or field_text(fields.get("_COMM")) or None)
        pid_text = field_text(fields.get("_PID")) or field_text(fields.get("SYSLOG_PID"))
        pid = int(pid_text) if pid_text and _PID.fullmatch(pid_text) else None
        message = field_text(fields.get("MESSAGE")) or ""
        boot = field_text(fields.get("_BOOT_ID")) or None
        if boot:
            previous = self.boots.get(host)
            self.boots[host] = boot
            if previous is not None and previous != boot:
                batch.add(line, f"-- Boot {boot} --", host=host, kind=Kind.BOOT,
                          evidence=evidence, epoch=epoch, boot_id=boot)
        prio = field_text(fields.get("PRIORITY"))
        priority = int(prio) if prio and prio.isdigit() and len(prio) == 1 else None
        # an entry of a known user-space transport without a name must not pass for the kernel
        who = program if program is not None or transport is None else transport
        batch.add(line, message, host=host, program=program, pid=pid,
                  cls=classify(message, who), evidence=evidence, epoch=epoch, boot_id=boot,
                  priority=priority)
