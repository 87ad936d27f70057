"""Bash history (``~/.bash_history``), with or without ``HISTTIMEFORMAT`` timestamps.

With timestamps, bash writes ``#1493222601`` before each entry. Without them (CentOS's
default) an entry has no time: it keeps its place in the file, ``time`` is NaT, and the file's
modification time bounds it from above (``not_after``). An untimestamped entry between two
timestamped ones is bounded by both. The user comes from the path (``root/.bash_history``,
``home/alice/.bash_history``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from ._history import HistoryRows
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

_STAMP = re.compile(r"#(\d{9,11})")
_ZSH = re.compile(r": \d{9,11}:\d+;")
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
        if not lines or any(_ZSH.match(ln) for ln in lines[:20]):
            return 0.0
        if any(_SYSLOGISH.match(ln) for ln in lines[:20]):
            return 0.0
        stamps = sum(1 for ln in lines if _STAMP.fullmatch(ln))
        if stamps and stamps * 3 >= len(lines) and stamps * 2 <= len(lines) + 1:
            return 0.95
        commandish = sum(1 for ln in lines if ln.split(maxsplit=1)[0].rsplit("/", 1)[-1]
                         in COMMAND_WORDS)
        share = commandish / len(lines)
        named = "history" in head.name.lower()
        if named and share >= 0.2:
            return 0.9
        return 0.6 if share >= 0.6 and len(lines) >= 3 else 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One ``command`` event per history entry."""
        rows = HistoryRows("bash", user_from_path(ctx.source.name))
        stamp: float | None = None
        stamp_line = 0
        for chunk in ctx.chunks():
            for i, text in enumerate(chunk.lines):
                lineno = chunk.first + i
                if not text.strip():
                    continue
                m = _STAMP.fullmatch(text.strip())
                if m is not None:
                    if stamp is not None:
                        ctx.skip(stamp_line, "history timestamp with no command after it")
                    stamp, stamp_line = float(m.group(1)), lineno
                    rows.flush(dt.datetime.fromtimestamp(stamp, dt.timezone.utc))
                    continue
                ctx.ok()
                if stamp is not None:
                    rows.timed(lineno, text, text, stamp)
                    stamp = None
                else:
                    rows.untimed(lineno, text, text)
            if (batch := rows.take()) is not None:
                yield batch
        if stamp is not None:
            ctx.skip(stamp_line, "history timestamp with no command after it")
        rows.flush(ctx.source.mtime)
        if (batch := rows.take(1)) is not None:
            yield batch


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
