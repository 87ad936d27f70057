r"""Bash history (``~/.bash_history``), with or without ``HISTTIMEFORMAT`` timestamps.

With timestamps, bash writes ``#1493222601`` before each entry. Without them (CentOS's
default) an entry has no time: it keeps its place in the file, ``time`` is NaT, and the file's
modification time bounds it from above (``not_after``). An untimestamped entry between two
timestamped ones is bounded by both. The user comes from the path (``root/.bash_history``,
``home/alice/.bash_history``).

Entries are delimited as bash reads the file back (``read_history_range`` in readline's
``lib/readline/histfile.c``, bash 5): when the file *starts* with a timestamp line (``#`` then
a digit, ``HIST_TIMESTAMP_START``), ``history_multiline_entries`` is set and every line up to
the next timestamp belongs to the entry that timestamp opened (``_hs_append_history_line`` in
``history.c`` appends it after a newline). So::

    #1493222601
    iptables -t nat \
      -L -n

is one entry, ``iptables -t nat \`` newline ``  -L -n``, as bash keeps it; the shell reads the
backslash-newline as a space, and so does the trigger matching (``correlate/cmdline.py``), which
sees ``iptables -t nat -L -n``. A file that does not start with a timestamp is read one line per
entry, as bash does. Empty lines are skipped, as bash skips them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from ._bounds import OUT_OF_RANGE, epoch_in_range
from ._history import HistoryRows
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

_STAMP = re.compile(r"#(\d{9,11})")
#: What bash takes for the start of a timestamp line (``HIST_TIMESTAMP_START``).
_STAMP_START = re.compile(r"#\d")
_ZSH = re.compile(r": \d{9,11}:\d+;")
#: tcsh's savehist stamp (``#+`` and ten digits): tcsh's history, not bash's.
_TCSH = re.compile(r"#\+\d{10}")
_SYSLOGISH = re.compile(r"(?:[A-Z][a-z]{2} [ \d]\d \d\d:|\d{4}-\d\d-\d\dT|\[\s*\d+\.\d+\])")
#: First words that make a line look like a shell command (for files without timestamps).
COMMAND_WORDS = frozenset(
    """
    alias apt apt-get awk bash bg cat cd chmod chown conntrack cp crontab curl cut date dd df
    diff dig dmesg dnf docker du echo env exit export fg find firewall-cmd free git grep gzip
    head history host htop id ifconfig insmod ip ip6tables ip6tables-save iptables
    iptables-restore iptables-save journalctl kill kubectl less ln logout ls lsmod lsof make man
    mkdir modinfo modprobe more mount mv nano netstat nft nohup passwd ping ps pwd python python3
    reboot rm rmmod route rpm rsync scp sed service setenforce shutdown sleep ss ssh su sudo
    sysctl systemctl tail tar tcpdump telnet top touch traceroute uname unzip uptime vi vim w
    watch wc wget which who whoami yum zcat
    """.split()
)


@register
class BashHistoryParser(Parser):
    """``.bash_history`` files."""

    NAME = "bash_history"
    DESCRIPTION = "bash history, with HISTTIMEFORMAT timestamps (#epoch lines) or without"

    def sniff(self, head: Head) -> float:
        """Timestamp lines are decisive; without them, command-looking lines and the name."""
        lines = head.lines
        if not lines or any(_ZSH.match(ln) or _TCSH.fullmatch(ln) for ln in lines[:20]):
            return 0.0
        if any(_SYSLOGISH.match(ln) for ln in lines[:20]):
            return 0.0
        stamps = sum(1 for ln in lines if _STAMP.fullmatch(ln))
        # a stamp per entry; entries of several lines when the file starts with a stamp
        if stamps and stamps * 2 <= len(lines) + 1 and (
                stamps * 3 >= len(lines) or _STAMP.fullmatch(lines[0])):
            return 0.95
        commandish = sum(1 for ln in lines if ln.split(maxsplit=1)[0].rsplit("/", 1)[-1]
                         in COMMAND_WORDS)
        share = commandish / len(lines)
        named = "history" in head.name.lower()
        if named and share >= 0.2:
            return 0.9
        return 0.6 if share >= 0.6 and len(lines) >= 3 else 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One ``command`` event per history entry (lines up to the next stamp, see above)."""
        entries = _Entries(ctx, HistoryRows("bash", user_from_path(ctx.source.name)))
        for chunk in ctx.chunks():
            for i, text in enumerate(chunk.lines):
                entries.line(chunk.first + i, text)
            if (batch := entries.rows.take()) is not None:
                yield batch
        entries.end()
        entries.rows.flush(ctx.source.mtime)
        if (batch := entries.rows.take(1)) is not None:
            yield batch


class _Entries:
    """Lines into entries: a stamp opens one; in a stamped file, lines up to the next join it."""

    def __init__(self, ctx: ParseContext, rows: HistoryRows) -> None:
        self.ctx = ctx
        self.rows = rows
        self.multiline: bool | None = None  # decided by the file's first line
        self.stamp: float | None = None  # the stamp waiting for its entry
        self.stamp_line = 0
        self.lines: list[str] = []  # the entry being read
        self.first = 0
        self.epoch: float | None = None

    def line(self, lineno: int, text: str) -> None:
        """Take one line of the file."""
        if self.multiline is None:
            self.multiline = lineno == 1 and _STAMP_START.match(text) is not None
        if not text.strip():
            return
        m = _STAMP.fullmatch(text.strip())
        if m is not None or (self.multiline and _STAMP_START.match(text)):
            self._emit()
            if self.stamp is not None:
                self.ctx.skip(self.stamp_line, "history timestamp with no command after it")
            if m is None or not epoch_in_range(float(m.group(1))):
                # bash takes any '#<digit>' line of a stamped file for a stamp
                self.ctx.skip(lineno, "damaged history timestamp" if m is None else OUT_OF_RANGE)
                self.stamp = None
                return
            self.stamp, self.stamp_line = float(m.group(1)), lineno
            self.rows.flush(dt.datetime.fromtimestamp(self.stamp, dt.timezone.utc))
            return
        if self.lines and self.multiline and self.stamp is None:
            self.lines.append(text)
            return
        self._emit()
        self.lines, self.first, self.epoch, self.stamp = [text], lineno, self.stamp, None

    def end(self) -> None:
        """The file ended: the last entry, and a stamp left without one."""
        self._emit()
        if self.stamp is not None:
            self.ctx.skip(self.stamp_line, "history timestamp with no command after it")
            self.stamp = None

    def _emit(self) -> None:
        if not self.lines:
            return
        self.ctx.ok()
        command = "\n".join(self.lines)
        if self.epoch is not None:
            self.rows.timed(self.first, command, command, self.epoch)
        else:
            self.rows.untimed(self.first, command, command)
        self.lines = []


def user_from_path(name: str) -> str | None:
    """The account a history file belongs to, from where it lies.

    >>> user_from_path("sos/root/.bash_history"), user_from_path("x/home/alice/.zsh_history")
    ('root', 'alice')
    """
    parts = name.replace("\\", "/").split("/")
    if len(parts) >= 2 and parts[-2] == "root":
        return "root"
    if len(parts) >= 3 and parts[-3] == "home":
        return parts[-2]
    return None
