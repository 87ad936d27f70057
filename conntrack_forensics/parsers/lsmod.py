"""Loaded kernel modules: ``lsmod`` output and ``/proc/modules``, as one snapshot.

``lsmod`` prints a ``Module                  Size  Used by`` header, then one row per module
(``nf_conntrack           79758  3 nf_nat,nf_conntrack_ipv4,xt_state``; module-init-tools
leaves a trailing blank when no module uses it, kmod prints nothing). ``/proc/modules`` has
``nf_conntrack 79758 3 nf_nat,nf_conntrack_ipv4,xt_state, Live 0xffffffffa01e1000`` (``-`` for
no users, ``- -`` for refcount and users on kernels without module unloading, ``Loading`` or
``Unloading`` for the state, an address of zeros under ``kptr_restrict`` and taint flags such as
``(OE)`` at the end). Rows without the header (``lsmod | grep conntrack``) are read too, when
one of them names a conntrack module.

A header or ``/proc/modules`` means the whole list: ``nf_conntrack`` (or the 2.6.18-era
``ip_conntrack``) listed means loaded, absent means not loaded (a kernel with conntrack built
in, not as a module, would say so wrongly; its sysctl keys tell the truth). A headerless
excerpt only ever says loaded.

The event is a ``snapshot``, never a ``module_load``: a listed module was loaded at some
earlier, unknown time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ._snapshot import SNAPSHOT, Facts, lines, snapshot_batch
from .base import Head, ParseContext, Parser, RawBatch
from .classify import CONNTRACK_MODULES
from .registry import register

_HEADER = re.compile(r"Module\s+Size\s+Used\s+by")
_NAME = r"(?P<name>[A-Za-z0-9_]+)"
_USER = r"[A-Za-z0-9_]+|\[permanent\]"
_PROC = re.compile(
    rf"{_NAME}\s+(?P<size>\d+)\s+(?P<refs>-?\d+|-)\s+(?P<users>-|(?:(?:{_USER}),)+)"
    r"\s+(?P<state>Live|Loading|Unloading)\s+0x[0-9a-fA-F]+(?:\s+\((?P<taints>[A-Z]+)\))?"
)
_ROW = re.compile(
    rf"{_NAME}\s+(?P<size>\d+)\s+(?P<refs>-?\d+|-)"
    rf"(?:\s+(?P<users>(?:{_USER})(?:,(?:{_USER}))*,?))?(?:\s+\[(?P<state>Loading|Unloading)\])?"
)
#: The modules whose presence means the conntrack core itself is loaded.
_CORE = ("nf_conntrack", "ip_conntrack")
#: Modules that need conntrack besides :data:`CONNTRACK_MODULES` (helpers, NAT, nftables).
_RELATED_PREFIXES = ("nf_conntrack_", "ip_conntrack_", "nf_nat_", "ip_nat_")
_RELATED = CONNTRACK_MODULES | {"ip_nat", "nft_ct", "nft_nat", "nft_masq", "xt_nat", "xt_CT",
                                "ipt_MASQUERADE", "xt_MASQUERADE"}


def conntrack_related(name: str) -> bool:
    """Whether a module needs (or is) connection tracking.

    >>> conntrack_related("nf_conntrack_ftp"), conntrack_related("ip_tables")
    (True, False)
    """
    return name in _RELATED or name.startswith(_RELATED_PREFIXES)


@dataclass(frozen=True)
class _Module:
    name: str
    users: tuple[str, ...]
    line: int
    text: str


def _row(text: str) -> tuple[re.Match[str], bool] | None:
    """The match of one module row and whether it is a /proc/modules row."""
    m = _PROC.fullmatch(text)
    if m is not None:
        return m, True
    m = _ROW.fullmatch(text)
    return (m, False) if m is not None else None


@register
class LsmodParser(Parser):
    """``lsmod`` output or ``/proc/modules``: whether conntrack was loaded."""

    NAME = "lsmod"
    FORMAT = SNAPSHOT
    DESCRIPTION = "lsmod output or /proc/modules: whether conntrack was loaded (snapshot)"

    def sniff(self, head: Head) -> float:
        """The lsmod header, /proc/modules rows, or lsmod rows naming a conntrack module."""
        if not head.lines:
            return 0.0
        first = head.lines[0].strip()
        body = head.lines[1:] if _HEADER.fullmatch(first) else head.lines
        rows = [_row(ln.strip()) for ln in body]
        good = [r for r in rows if r is not None]
        if body is not head.lines:
            return 0.95 if len(good) >= 0.9 * len(body) else 0.0
        if not good or len(good) < 0.9 * len(rows):
            return 0.0
        if sum(1 for _m, proc in good if proc) >= 0.9 * len(rows):
            return 0.9
        if len(good) == len(rows) and any(conntrack_related(m.group("name")) for m, _ in good):
            return 0.7
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One snapshot event for the list."""
        header = proc = False
        modules: list[_Module] = []
        for number, text in lines(ctx):
            stripped = text.strip()
            if not stripped:
                continue
            if _HEADER.fullmatch(stripped):
                header = True
                ctx.ok()
                continue
            got = _row(stripped)
            if got is None:
                ctx.skip(number, "not an lsmod or /proc/modules line")
                continue
            ctx.ok()
            m, is_proc = got
            proc = proc or is_proc
            users = tuple(u for u in (m.group("users") or "").split(",") if u and u != "-")
            modules.append(_Module(m.group("name"), users, number, stripped))
        if not modules:
            return
        program = "lsmod" if header or not proc else "/proc/modules"
        related = [mod for mod in modules if conntrack_related(mod.name)]
        core = [mod for mod in related if mod.name in _CORE]
        facts = Facts(module=",".join(sorted({mod.name for mod in related})) or None)
        if core:
            facts.conntrack_loaded = True
        elif header or proc:
            facts.conntrack_loaded = False
        ordered = core + sorted((mod for mod in related if mod.name not in _CORE),
                                key=lambda mod: mod.name)
        listed = ", ".join(
            f"{mod.name} (used by {', '.join(mod.users)})" if mod.users else mod.name
            for mod in ordered
        )
        if facts.conntrack_loaded:
            said = f"conntrack loaded: {listed}"
        elif facts.conntrack_loaded is False:
            said = f"conntrack not loaded ({len(modules)} modules)"
            if listed:
                said += f", but {listed} listed"
        else:
            said = f"{listed or 'no conntrack module'} listed ({len(modules)} modules)"
        evidence = [mod.text for mod in ordered] or [
            f"{len(modules)} modules, none of them nf_conntrack or ip_conntrack"]
        line = (ordered[0] if ordered else modules[0]).line
        yield snapshot_batch(program, line, f"{program}: {said}", facts, evidence)
