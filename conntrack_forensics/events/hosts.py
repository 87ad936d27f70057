"""The host of rows that name none (snapshots, histories, audit, dmesg), per host-root scope.

A host's tree (a scope, :attr:`~conntrack_forensics.inputs.source.Source.scope`) belongs to one
host, and its kernel lines say which: the kernel writes only to the machine it runs on, while
any other line of a syslog file may have been relayed from elsewhere or forged by whoever can
send to the log socket. So the host of a tree's host-less rows is, in order:

1. the name its ``etc/hostname`` (or a sosreport's ``hostname``, ``uname -a``) gives;
2. the one host its kernel lines name (program ``kernel``; a placeholder such as
   ``localhost``, which rsyslog writes before the name is set at boot, counts only when no
   real name is there): other host names on a few lines of the same files change nothing;
3. when its kernel lines name several hosts (a central log server's tree), none: ``--host``
   if given, else the rows stay without a host and a warning says how to name it;
4. a tree without kernel lines: the one host its rows name, else the one host of the whole
   input, else ``--host``.

Rows that still have no host while the input names several are said in the diagnostics: the
correlator looks at a host's evidence only, so they would otherwise go unused without a word.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostics
from ..parsers.base import Hints
from .parsed import ParsedSource
from .pooled import Pool, joined

#: Names a syslog daemon writes before the machine has its own (early boot) or for none.
PLACEHOLDERS = frozenset({"localhost", "localhost.localdomain", "localhost6",
                          "localhost6.localdomain6", "(none)", "-"})
#: How to name a host when the evidence does not.
HOW_TO_NAME = "name it with --host NAME or an etc/hostname file in the tree"


def named(hosts: Counter[str]) -> list[str]:
    """The hosts a tree's lines name, placeholders left out when a real name is there.

    >>> named(Counter({"localhost": 40, "web7": 900}))
    ['web7']
    >>> named(Counter({"localhost": 3}))
    ['localhost']
    """
    real = sorted(h for h in hosts if h.lower() not in PLACEHOLDERS)
    return real or sorted(hosts)


def fill_hosts(
    rows: list[ParsedSource], hints: Hints, cli_host: str | None,
    diag: Diagnostics | None = None,
) -> None:
    """Fill in missing host names and set each source's ``host``.

    Every source's host and program columns are read once and counted together (a tree may
    hold 10,000 small files); only a source with rows to fill is written to.
    """
    table = _host_rows(rows)
    scopes = [p.source.scope for p in rows]
    kernel: dict[str, Counter[str]] = {scope: Counter() for scope in scopes}
    anyline: dict[str, Counter[str]] = {scope: Counter() for scope in scopes}
    named_rows = table[table["host"].notna()]
    on_kernel = named_rows[named_rows["kernel"]]
    for (k, host), n in on_kernel.groupby(["src", "host"], sort=False).size().items():
        kernel[scopes[int(k)]][str(host)] += int(n)
    counts: dict[int, dict[str, int]] = {}  # per source: how many of its rows name each host
    for (k, host), n in named_rows.groupby(["src", "host"], sort=False).size().items():
        anyline[scopes[int(k)]][str(host)] += 1
        counts.setdefault(int(k), {})[str(host)] = int(n)
    every = set().union(*anyline.values()) if anyline else set()
    every |= {h for h, _ in hints.host.values()}
    decided = {scope: _scope_host(scope, kernel[scope], anyline[scope], hints, every, cli_host)
               for scope in anyline}
    missing = np.bincount(table.loc[table["host"].isna(), "src"], minlength=len(rows))
    fills: dict[tuple[int, str], tuple[Pool, list[tuple[int, int]]]] = {}
    for k, p in enumerate(rows):
        fill, why = decided[p.source.scope]
        gap = int(missing[k])
        own = counts.get(k, {})
        if fill is not None and gap:
            if p.pooled:  # written to the pool, for all its sources at once below
                fills.setdefault((id(p.pool), fill), (p.pool, []))[1].append(p.span)
            else:
                assert p.raw is not None
                p.raw["host"] = p.raw["host"].fillna(fill)
            own = {**own, fill: own.get(fill, 0) + gap}
        elif gap and why is not None and diag is not None:
            diag.warning(p.source.name, f"{gap:,} event{'s' * (gap != 1)} without a "
                         f"host name left unattributed: {why}; {HOW_TO_NAME}")
        p.host = _mode(own) if own else fill
    for (_, fill), (pool, spans) in fills.items():
        pool.fill("host", spans, fill)


def _host_rows(rows: list[ParsedSource]) -> pd.DataFrame:
    """Every row's source (its position in ``rows``), host, and whether it is a kernel line."""
    sizes = [p.size for p in rows]
    if not rows:
        return pd.DataFrame({"src": np.zeros(0, dtype=np.int64),
                             "host": pd.array([], dtype="string"),
                             "kernel": np.zeros(0, dtype=bool)})
    kernel = pd.Series(joined(rows, "program")).eq("kernel").fillna(False)
    return pd.DataFrame({"src": np.repeat(np.arange(len(sizes)), sizes),
                         "host": joined(rows, "host"),
                         "kernel": kernel.to_numpy(dtype=bool)})


def _mode(counts: dict[str, int]) -> str:
    """The most frequent name; among equals the first in sort order (as ``Series.mode``)."""
    top = max(counts.values())
    return min(name for name, n in counts.items() if n == top)


def _scope_host(
    scope: str, kernel: Counter[str], anyline: Counter[str], hints: Hints, every: set[str],
    cli_host: str | None,
) -> tuple[str | None, str | None]:
    """The host of a scope's host-less rows, or None and why none could be chosen."""
    hinted = hints.host.get(scope)
    if hinted is not None:
        return hinted[0], None
    where = f"the tree {scope}" if scope else "the input's top directory"
    if kernel:
        names = named(kernel)
        if len(names) == 1:
            return names[0], None
        if cli_host is not None:
            return cli_host, None
        listed = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        return None, (f"the kernel lines of {where} name {len(names)} hosts ({listed}), "
                      "as a central log server's do")
    names = named(anyline)
    if len(names) == 1:
        return names[0], None
    if len(every) == 1:
        return next(iter(every)), None
    if cli_host is not None:
        return cli_host, None
    if len(every) > 1:
        return None, (f"{where} holds no kernel line naming its host and the input names "
                      f"{len(every)} hosts")
    return None, None
