"""JSON records in lines fed one by one: ``-o json``, ``-o json-seq`` and ``-o json-pretty``.

A record is on one line, on one line after an ASCII record separator ``0x1E`` (RFC 7464), or
spread over several lines, collected by counting braces outside strings (see
:class:`JsonRecords`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .base import ParseContext

#: A record still open after this many characters is given up on (garbage, not a journal).
MAX_RECORD_CHARS = 8 * 1024 * 1024

_RS = "\x1e"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
#: The value of a record that is not valid JSON.
INVALID = object()


class JsonRecords:
    """The JSON records of lines fed one by one; lines outside a record are skipped.

    A line starting with ``{`` or the record separator starts a record; the record ends on the
    line where its braces balance. A record still open when the next starts (or the file
    ends) is given as it is, to fail as invalid JSON (its value is ``INVALID``).
    """

    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.buf: list[str] = []
        self.start = 0
        self.depth = 0
        self.size = 0
        self.discarding = False

    def begin(self) -> Iterator[tuple[int, str, Any]]:
        """What a line starting a record does first: end the record still open, if any."""
        self.discarding = False
        if self.buf:
            yield _decoded(self.start, self.buf)
            self.buf = []

    def line(self, lineno: int, raw: str) -> Iterator[tuple[int, str, Any]]:
        """``(first line, text, decoded value)`` of the records line ``lineno`` ends."""
        ctx = self.ctx
        stripped = raw.lstrip()
        begins = stripped.startswith(("{", _RS))
        if not begins and not self.buf:
            if stripped and not self.discarding:
                ctx.skip(lineno, "line is not part of a JSON journal record")
            return
        if begins:
            yield from self.begin()
            text = stripped.lstrip(_RS + " \t")
            if not text:
                return  # a separator alone on its line: the record follows
            if text.endswith("}"):  # the usual one-line record: no need to count braces
                try:
                    yield lineno, text, json.loads(text)
                    return
                except (ValueError, RecursionError):
                    pass
            self.buf, self.start, self.depth, self.size = [text], lineno, 0, 0
        else:
            text = raw
            self.buf.append(text)
        if "{" in text or "}" in text:
            self.depth += _brace_delta(text)
        self.size += len(text)
        if self.depth <= 0:
            yield _decoded(self.start, self.buf)
            self.buf = []
        elif self.size > MAX_RECORD_CHARS:
            ctx.skip(self.start, "journal record too long; skipped to the next record")
            self.buf, self.discarding = [], True

    def finish(self) -> Iterator[tuple[int, str, Any]]:
        """The record still open at the end of the file."""
        if self.buf:
            yield _decoded(self.start, self.buf)
            self.buf = []


def _decoded(start: int, lines: list[str]) -> tuple[int, str, Any]:
    text = "\n".join(lines)
    try:
        return start, text, json.loads(text)
    except (ValueError, RecursionError):
        return start, text, INVALID


def _brace_delta(text: str) -> int:
    """Opening minus closing braces outside JSON strings (an unclosed string ends the count)."""
    if '"' in text:
        text = _STRING.sub("", text).split('"', 1)[0]
    return text.count("{") - text.count("}")
