"""The account database, ``/etc/passwd``: which name each numeric user id stands for.

Audit records name users by number (``auid=1000``); a sosreport or an evidence tree often holds
``etc/passwd``. Each account becomes a ``snapshot`` event (program ``passwd``) worded
``account alice uid=1000 home=/home/alice shell=/bin/bash``, timed by the tree's ``date`` when
there is one; the correlator reads the names from them (:mod:`..correlate.identity`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Kind
from ._snapshot import lines
from .base import Head, ParseContext, Parser, RawBatch
from .classify import Classified
from .registry import register

#: ``name:password:uid:gid:gecos:home:shell``.
_ACCOUNT = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*\$?):[^:]*:(?P<uid>\d+):(?P<gid>\d+):[^:]*:"
    r"(?P<home>[^:]*):(?P<shell>[^:]*)"
)


@register
class PasswdParser(Parser):
    """Accounts of ``/etc/passwd`` as name and uid."""

    NAME = "passwd"
    FORMAT = "snapshot"
    DESCRIPTION = "account database (/etc/passwd): user names of numeric ids"

    def sniff(self, head: Head) -> float:
        """Most lines are seven colon-separated fields with numeric uid and gid."""
        rows = [ln for ln in head.lines if ln.strip() and not ln.startswith("#")]
        if not rows:
            return 0.0
        good = sum(1 for ln in rows if _ACCOUNT.fullmatch(ln.rstrip()))
        has_root = any(ln.startswith("root:") for ln in rows)
        return 0.9 if good / len(rows) >= 0.9 and (has_root or good >= 3) else 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One snapshot event per account."""
        batch = RawBatch()
        for number, text in lines(ctx):
            if not text.strip() or text.startswith("#"):
                continue
            m = _ACCOUNT.fullmatch(text)
            if m is None:
                ctx.skip(number, "not an account line (name:x:uid:gid:gecos:home:shell)")
                continue
            ctx.ok()
            batch.add(number, f"account {m['name']} uid={m['uid']} home={m['home']} "
                      f"shell={m['shell']}", program="passwd", user=m["name"],
                      cls=Classified(Kind.SNAPSHOT), evidence=text, capture="at")
        yield batch
