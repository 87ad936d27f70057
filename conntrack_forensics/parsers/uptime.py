"""How long the host had been up at capture time: ``uptime`` output and ``/proc/uptime``.

``uptime`` prints `` 08:15:02 up 5 days,  3:02,  1 user,  load average: 0.00, 0.01, 0.05``
(also ``up 12 min``, ``up 1 day, 10 min``, ``up 3:02``; ``user`` may be absent);
``/proc/uptime`` holds ``432120.52 860000.10`` (seconds up, seconds idle), which only its
file name tells apart from any two numbers. The event carries the uptime as ``boot_age``: with
the capture time (the ``date`` beside it) the loader derives the boot time, which anchors
``dmesg`` seconds-since-boot taken in the same tree.

``uptime`` gives minutes, not seconds: its boot time is known to the minute, and the
wall-clock time it prints is not used (the ``date`` output is the clock).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._snapshot import SNAPSHOT, Facts, lines, snapshot_batch
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

_UPTIME = re.compile(
    r"\s*\d{1,2}:\d\d(?::\d\d)? up\s+(?:(?P<days>\d+) days?,\s*)?"
    r"(?:(?P<h>\d+):(?P<m>\d\d)|(?P<min>\d+) min)(?:,\s*\d+ users?)?,\s*"
    r"load average: (?P<load>[\d.,\s]+)"
)
_PROC = re.compile(r"(?P<up>\d+(?:\.\d+)?) (?P<idle>\d+(?:\.\d+)?)")


def uptime_seconds(text: str) -> float | None:
    """Seconds up from one ``uptime`` line.

    >>> uptime_seconds(" 08:15:02 up 5 days,  3:02,  1 user,  load average: 0.00, 0.01, 0.05")
    442920.0
    """
    m = _UPTIME.match(text)
    if m is None:
        return None
    days = int(m.group("days") or 0)
    if m.group("min") is not None:
        minutes = int(m.group("min"))
    else:
        minutes = int(m.group("h")) * 60 + int(m.group("m"))
    return float(days * 86400 + minutes * 60)


@register
class UptimeParser(Parser):
    """``uptime`` output or ``/proc/uptime``."""

    NAME = "uptime"
    FORMAT = SNAPSHOT
    DESCRIPTION = "uptime output or /proc/uptime: the boot time, with the capture time"

    def sniff(self, head: Head) -> float:
        """An ``uptime`` line, or two numbers in a file named ``uptime``."""
        if len(head.lines) != 1:
            return 0.0
        line = head.lines[0]
        if _UPTIME.match(line):
            return 0.9
        if head.name == "uptime" and _PROC.fullmatch(line.strip()):
            return 0.9
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One snapshot event with the uptime."""
        for number, text in lines(ctx):
            if not text.strip():
                continue
            secs = uptime_seconds(text)
            program = "uptime"
            if secs is None and (m := _PROC.fullmatch(text.strip())):
                secs, program = float(m.group("up")), "/proc/uptime"
            if secs is None:
                ctx.skip(number, "not an uptime reading")
                continue
            ctx.ok()
            days, rest = divmod(secs, 86400)
            said = f"{program}: up {int(days)} days {rest / 3600:.2f} hours"
            yield snapshot_batch(program, number, said, Facts(boot_age=secs), [text.strip()])
