r"""Fish history (``~/.local/share/fish/fish_history``).

Fish writes a YAML-like file (it is not YAML in general, so no YAML library reads it)::

    - cmd: iptables -t nat -L
      when: 1493222601
      paths:
        - /etc/sysconfig/iptables

Each ``- cmd:`` line starts an entry (whose line number it gives); ``when:`` is the epoch the
command ran, ``paths:`` the files it named. In the command, fish escapes a newline as ``\n`` and
a backslash as ``\\``; other backslashes are kept as they are, as fish's own reader does. An
entry without ``when:`` has no time and is bounded like an untimestamped bash entry. The user
comes from the path (``home/alice/.local/share/fish/fish_history``; fish 2.0 kept the file in
``~/.config/fish``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ._bounds import OUT_OF_RANGE, epoch_in_range
from ._history import HistoryRows
from .base import Head, ParseContext, Parser, RawBatch
from .bash_history import user_from_path
from .registry import register

_CMD = re.compile(r"- cmd:(?: (?P<cmd>.*)|)")
_WHEN = re.compile(r"\s+when:(?P<value>.*)")
_NUMBER = re.compile(r"\d{1,12}")
#: Lines of an entry after its ``- cmd:`` line: ``when:``, ``paths:``, path items, other keys.
_INDENTED = re.compile(r"\s+(?:- |[A-Za-z_]+:)")
_SNIFF_WHEN = re.compile(r"\s+when: \d{9,11}")
_ESCAPE = re.compile(r"\\([\\n])")


@register
class FishHistoryParser(Parser):
    """``fish_history`` files."""

    NAME = "fish_history"
    DESCRIPTION = "fish shell history ('- cmd:' entries with 'when:' epochs)"

    def sniff(self, head: Head) -> float:
        """``- cmd:`` entries with ``when:`` epochs, and nothing else, are decisive."""
        lines = head.lines
        if not lines:
            return 0.0
        cmds = sum(1 for ln in lines if _CMD.fullmatch(ln))
        if not cmds:
            return 0.0
        whens = sum(1 for ln in lines if _SNIFF_WHEN.fullmatch(ln))
        shaped = cmds + sum(1 for ln in lines if _INDENTED.match(ln))
        if shaped * 10 < len(lines) * 9:
            return 0.0
        return 0.95 if whens else 0.7

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One ``command`` event per history entry."""
        state = _State(ctx, fish_user(ctx.source.name))
        entry: _Entry | None = None
        for chunk in ctx.chunks():
            for i, text in enumerate(chunk.lines):
                lineno = chunk.first + i
                if not text.strip():
                    continue
                m = _CMD.fullmatch(text)
                if m is not None:
                    if entry is not None:
                        state.entry(entry)
                    entry = _Entry(lineno, (m.group("cmd") or "").lstrip(" "), [text])
                    continue
                w = _WHEN.fullmatch(text)
                if w is not None and (entry is None or entry.has_when):
                    ctx.skip(lineno, "fish history 'when:' with no '- cmd:' before it")
                elif w is not None and entry is not None:
                    entry.has_when = True
                    entry.lines.append(text)
                    value = w.group("value").strip()
                    if _NUMBER.fullmatch(value) and epoch_in_range(float(value)):
                        entry.when = float(value)
                    else:
                        entry.bad_when = lineno
                        if _NUMBER.fullmatch(value):
                            entry.why = OUT_OF_RANGE
                elif entry is not None and _INDENTED.match(text):
                    entry.lines.append(text)
                elif entry is None and _INDENTED.match(text):
                    ctx.skip(lineno, "fish history line with no '- cmd:' before it")
                else:
                    ctx.skip(lineno, "line is not in fish history format")
            if (batch := state.rows.take()) is not None:
                yield batch
        if entry is not None:
            state.entry(entry)
        state.rows.flush(ctx.source.mtime)
        if (batch := state.rows.take(1)) is not None:
            yield batch


@dataclass
class _Entry:
    """One entry being read: its first line, its escaped command, its lines so far."""

    line: int
    cmd: str
    lines: list[str]
    has_when: bool = False
    when: float | None = None
    bad_when: int | None = None
    why: str = "fish history 'when:' is not a number"


class _State:
    """Turns finished entries into rows (or skips)."""

    def __init__(self, ctx: ParseContext, user: str | None) -> None:
        self.ctx = ctx
        self.rows = HistoryRows("fish", user)

    def entry(self, e: _Entry) -> None:
        """Turn one finished entry into a row (or a skip)."""
        if e.bad_when is not None:
            self.ctx.skip(e.bad_when, e.why)
            return
        command = unescape(e.cmd)
        if not command.strip():
            self.ctx.skip(e.line, "fish history entry with no command")
            return
        self.ctx.ok()
        evidence = "\n".join(e.lines)
        if e.when is None:
            self.rows.untimed(e.line, command, evidence)
        else:
            self.rows.timed(e.line, command, evidence, e.when)


def unescape(text: str) -> str:
    r"""Undo fish's escaping of a history command: ``\n`` is a newline, ``\\`` a backslash.

    >>> unescape(r"for i in 1 2\n  echo \\$i\nend")
    'for i in 1 2\n  echo \\$i\nend'
    """
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else "\\", text)


def fish_user(name: str) -> str | None:
    """The account a fish history file belongs to, from where it lies.

    >>> fish_user("x/home/alice/.local/share/fish/fish_history"), fish_user("root/fish_history")
    ('alice', 'root')
    """
    parts = name.replace("\\", "/").split("/")
    if parts[-4:-1] == [".local", "share", "fish"]:
        parts = parts[:-4] + parts[-1:]
    elif parts[-3:-1] == [".config", "fish"]:
        parts = parts[:-3] + parts[-1:]
    return user_from_path("/".join(parts))
