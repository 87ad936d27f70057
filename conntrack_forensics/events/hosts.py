"""The host of rows that name none (snapshots, histories, dmesg), per host-root scope.

A tree's ``etc/hostname`` (or a sosreport's ``hostname``) names it; else the one host the
scope's other sources name; else the one host of the whole input; else ``--host``.
"""

from __future__ import annotations

from ..parsers.base import Hints
from .parsed import ParsedSource


def fill_hosts(rows: list[ParsedSource], hints: Hints, cli_host: str | None) -> None:
    """Fill in missing host names and set each source's ``host``."""
    scope_hosts: dict[str, set[str]] = {}
    for p in rows:
        assert p.raw is not None
        scope_hosts.setdefault(p.source.scope, set()).update(p.raw["host"].dropna().unique())
    every = set().union(*scope_hosts.values()) if scope_hosts else set()
    every |= {h for h, _ in hints.host.values()}
    for p in rows:
        assert p.raw is not None
        scope = p.source.scope
        hinted = hints.host.get(scope)
        if hinted is not None:
            fill: str | None = hinted[0]
        elif len(scope_hosts.get(scope, ())) == 1:
            fill = next(iter(scope_hosts[scope]))
        elif len(every) == 1:
            fill = next(iter(every))
        else:
            fill = cli_host
        if fill is not None and p.raw["host"].isna().any():
            p.raw["host"] = p.raw["host"].fillna(fill)
        hosts = p.raw["host"].dropna()
        p.host = hosts.mode().iloc[0] if len(hosts) else fill
