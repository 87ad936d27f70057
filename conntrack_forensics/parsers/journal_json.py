"""systemd journal as JSON: ``journalctl -o json``, ``-o json-seq`` and ``-o json-pretty``.

One journal entry is one JSON object: on one line (``json``), on one line after an ASCII record
separator ``0x1E`` (``json-seq``, RFC 7464), or spread over several lines (``json-pretty``). The
file is streamed line by line; an object spread over lines is collected by counting braces
outside strings, so the file is never loaded whole.

Fields used (see :class:`~._journal_entries.JournalEntries`, shared with the export format
parser):

* ``__REALTIME_TIMESTAMP``: microseconds since 1970 (a decimal string), the event's time; an
  entry without a valid one is skipped;
* ``_HOSTNAME``, ``_PID``, ``SYSLOG_IDENTIFIER`` (else ``_COMM``) as host, pid and program;
  ``_TRANSPORT=kernel`` makes the program ``kernel`` (the kernel message rules need it);
* ``MESSAGE``: a string, an array of byte values when it is not valid UTF-8 (decoded with
  U+FFFD replacements), or ``null`` (an empty message);
* ``_BOOT_ID``: a change between consecutive entries of one host is a reboot, and adds a
  ``boot`` event ``-- Boot <id> --`` at the time of the new boot's first entry.

A field repeated in an entry is an array of its values; the first is used. ``PRIORITY`` has no
column in the event model and is not kept. ``line`` is the line the entry starts on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pandas as pd

from ._journal_entries import BATCH_ROWS, MAX_REALTIME_US, JournalEntries, field_text
from ._journal_reader import JsonReader
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

__all__ = ["BATCH_ROWS", "MAX_REALTIME_US", "JournalEntries", "JournalJsonParser", "field_text"]

_RECORD_START = re.compile(r"^[\ufeff\x1e \t]*\{", re.MULTILINE)
_REALTIME_PRETTY = re.compile(r'"__REALTIME_TIMESTAMP"\s*:\s*"[0-9]+"')
_DECODER = json.JSONDecoder()


@register
class JournalJsonParser(Parser):
    """``journalctl -o json``, ``-o json-seq`` and ``-o json-pretty`` output."""

    NAME = "journal_json"
    DESCRIPTION = "systemd journal as JSON (journalctl -o json, json-seq, json-pretty)"

    def sniff(self, head: Head) -> float:
        """Sure when an object starting one of the first lines is a journal entry.

        A journal entry has ``__REALTIME_TIMESTAMP`` or ``MESSAGE``. The first object counts
        most; a later one is looked at in case the file starts in the middle of a record.
        """
        text = head.text
        for i, start in enumerate(_RECORD_START.finditer(text)):
            if i >= 10:
                break
            try:
                obj, _ = _DECODER.raw_decode(text, start.end() - 1)
            except (ValueError, RecursionError):
                # a first entry longer than the head is cut short: look at its field names
                if i == 0 and _REALTIME_PRETTY.search(text, start.end(), start.end() + 4096):
                    return 0.8
                continue
            if isinstance(obj, dict) and ("__REALTIME_TIMESTAMP" in obj or "MESSAGE" in obj):
                return 0.95 if start.start() == 0 else 0.9
            if start.start() == 0:
                return 0.0  # the file starts with an object, and not a journal entry
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch | pd.DataFrame]:
        """Stream the file's entries as events, plain one-line ones in bulk."""
        yield from JsonReader(ctx).batches()
