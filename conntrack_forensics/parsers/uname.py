"""The running kernel and the host's name: ``uname -a`` (and ``uname -r`` by file name).

``uname -a`` prints ``Linux bogon 2.6.32-696.el6.x86_64 #1 SMP Tue Mar 21 19:29:05 UTC 2017
x86_64 x86_64 x86_64 GNU/Linux``: kernel name, node name, release, version (``#1 SMP`` and the
kernel's *build* date, not the capture time), machine, processor and platform (each left out
when unknown) and the operating system (``GNU/Linux``; ``Linux`` on busybox). The node name,
shortened to before its first dot, is the host's name.

``uname -r`` (``5.15.0-1051-aws``), like ``/proc/sys/kernel/osrelease``, is one release string
that only its file name (``uname*``, ``osrelease``) tells apart from any version number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._snapshot import SNAPSHOT, Facts, lines, snapshot_batch
from .base import Head, ParseContext, Parser, RawBatch
from .registry import register

_RELEASE = r"\d+\.\d+[A-Za-z0-9._+~-]*"
_UNAME_A = re.compile(
    rf"Linux\s+(?P<node>[A-Za-z0-9][A-Za-z0-9._-]*|\(none\))\s+(?P<release>{_RELEASE})\s+"
    r"(?P<version>#\S*(?:\s+\S+)*?)\s+(?P<machine>[a-z][a-z0-9_]*)"
    r"(?:\s+(?:[a-z][a-z0-9_]*|unknown)){0,2}\s+(?:GNU/)?Linux"
)
_RELEASE_ONLY = re.compile(_RELEASE)


def _named_for_release(name: str) -> bool:
    return name.startswith("uname") or name == "osrelease"


def uname_a(text: str) -> tuple[str, str, str] | None:
    """Node name, release and machine of one ``uname -a`` line.

    >>> uname_a("Linux web1.example.com 3.10.0-1160.el7.x86_64 #1 SMP Mon Oct 19 16:18:59 "
    ...         "UTC 2020 x86_64 x86_64 x86_64 GNU/Linux")
    ('web1.example.com', '3.10.0-1160.el7.x86_64', 'x86_64')
    """
    m = _UNAME_A.fullmatch(text.strip())
    if m is None:
        return None
    return m.group("node"), m.group("release"), m.group("machine")


@register
class UnameParser(Parser):
    """``uname -a`` output, or ``uname -r`` in a file named for it."""

    NAME = "uname"
    FORMAT = SNAPSHOT
    DESCRIPTION = "uname -a output (uname -r by file name): the kernel release and host name"

    def sniff(self, head: Head) -> float:
        """One ``uname -a`` line, or one release string in a file named ``uname*``."""
        if len(head.lines) != 1:
            return 0.0
        line = head.lines[0].strip()
        if uname_a(line) is not None:
            return 0.9
        if _named_for_release(head.name) and _RELEASE_ONLY.fullmatch(line):
            return 0.9
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One snapshot event with the kernel release (and the host name)."""
        named = _named_for_release(ctx.source.basename)
        found: tuple[int, str, str, str | None, str | None] | None = None
        for number, text in lines(ctx):
            stripped = text.strip()
            if not stripped:
                continue
            got = uname_a(stripped)
            if got is not None:
                ctx.ok()
                node, release, machine = got
                if found is None:
                    found = number, stripped, release, node, machine
                continue
            if named and _RELEASE_ONLY.fullmatch(stripped):
                ctx.ok()
                if found is None:
                    found = number, stripped, stripped, None, None
                continue
            ctx.skip(number, "not uname output")
        if found is None:
            return
        line, evidence, kernel, nodename, arch = found
        host = nodename.split(".")[0] if nodename and nodename != "(none)" else None
        if host:
            ctx.hint_host(host)
        said = f"uname: kernel {kernel}"
        if host:
            said += f" on {host}"
        if arch:
            said += f" ({arch})"
        yield snapshot_batch("uname", line, said, Facts(host=host), [evidence])
