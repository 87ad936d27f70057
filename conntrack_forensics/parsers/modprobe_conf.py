r"""Module configuration: ``modprobe.d`` files (``/etc/modprobe.d/*.conf``, ``/lib/modprobe.d``).

modprobe.d(5) lines: ``options MODULE PARAM=VALUE...``, ``install MODULE COMMAND...``, ``remove
MODULE COMMAND...``, ``blacklist MODULE``, ``alias WILDCARD MODULE``, ``softdep MODULE pre: ...
post: ...`` (and ``weakdep``); ``#`` starts a comment line and a ``\`` at the end of a line
continues it. ``-`` and ``_`` in module names are the same to modprobe.

This is configuration, not state: modprobe reads it at every load, so it says what a load of
the module would do, not when one happened. One ``snapshot`` event per file (program
``modprobe.d``, no time of its own: bounded by the file's modification time), and only when a
line concerns connection tracking (the conntrack, NAT and table modules), saying what each such
line does, as kmod does it:

- ``options nf_conntrack hashsize=262144``: the hash table's buckets when nf_conntrack loads,
  as a dependency too (``nf_conntrack_max`` then follows from the kernel's own rule);
- ``install nf_conntrack /bin/true`` (``/bin/false``, ``/usr/bin/true``...): modprobe runs the
  command instead of loading the module, the kernel's autoload (which calls modprobe) and loads
  as another module's dependency included: the module is blocked;
- ``blacklist nf_conntrack``: only a load through one of the module's aliases is refused;
  by name (iptables asks for ``iptable_nat`` by name) or as a dependency it still loads.

The correlator does not use these events yet (they are listed among the events and inputs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._snapshot import SNAPSHOT, Facts, lines, snapshot_batch
from .base import Head, ParseContext, Parser, RawBatch
from .lsmod import conntrack_related
from .registry import register

#: The program of every event this parser writes.
PROGRAM = "modprobe.d"
_DIRECTIVE = re.compile(
    r"(?P<verb>options|install|remove|blacklist|alias|softdep|weakdep)\s+"
    r"(?P<module>[A-Za-z0-9_\-*?\[\]:.]+)(?:\s+(?P<rest>.*?))?\s*")
_MODULE = re.compile(r"[A-Za-z0-9_\-]+")
#: Commands an ``install`` line runs to keep a module out.
_REFUSERS = frozenset({"true", "false", "/bin/true", "/bin/false", "/usr/bin/true",
                       "/usr/bin/false", "/sbin/true", "exit", ":"})
#: Modules that need (or are) conntrack besides lsmod's list: NAT chains of both tables.
_MORE = frozenset({"ip6table_nat", "nft_chain_nat", "nft_chain_nat_ipv4", "nft_chain_nat_ipv6",
                   "nf_nat_ipv4", "nf_nat_ipv6"})
_SIZE_PARAMS = ("hashsize", "expect_hashsize")


def _name(module: str) -> str:
    return module.replace("-", "_")


def relevant(module: str) -> bool:
    """Whether a module name (``nf-conntrack``, ``iptable_nat``) concerns connection tracking.

    >>> relevant("nf-conntrack"), relevant("iptable_nat"), relevant("pcspkr")
    (True, True, False)
    """
    name = _name(module)
    return conntrack_related(name) or name in _MORE


def _logical(ctx: ParseContext) -> Iterator[tuple[int, str]]:
    """Lines with their continuations joined, numbered by their first physical line."""
    held: tuple[int, str] | None = None
    for number, text in lines(ctx):
        if held is not None:
            number, text = held[0], held[1] + " " + text.lstrip()
            held = None
        if text.endswith("\\"):
            held = (number, text[:-1].rstrip())
            continue
        yield number, text
    if held is not None:
        yield held


def describe(verb: str, module: str, rest: str) -> str:
    """What one directive does to a conntrack-related module, in words.

    >>> describe("install", "nf_conntrack", "/bin/true")
    'install nf_conntrack /bin/true: modprobe runs /bin/true instead of loading nf_conntrack (blocked, as a dependency too)'
    """  # noqa: E501
    line = f"{verb} {module}" + (f" {rest}" if rest else "")
    if verb == "options":
        sizes = [p for p in rest.split() if p.partition("=")[0] in _SIZE_PARAMS]
        said = ", ".join(f"{p.partition('=')[0]} {p.partition('=')[2]}" for p in sizes)
        return f"{line}: sets {said} when {module} loads" if sizes else \
            f"{line}: parameters used when {module} loads"
    if verb == "install":
        first = rest.split()[0] if rest.split() else ""
        if first in _REFUSERS:
            return (f"{line}: modprobe runs {first} instead of loading {module} (blocked, as a "
                    "dependency too)")
        return f"{line}: modprobe runs this command instead of loading {module} directly"
    if verb == "blacklist":
        return (f"{line}: a load through {module}'s aliases is refused; by name or as a "
                "dependency it still loads")
    if verb == "remove":
        return f"{line}: modprobe -r runs this command instead of unloading {module}"
    return line


@register
class ModprobeConfParser(Parser):
    """``modprobe.d`` configuration files."""

    NAME = "modprobe_conf"
    FORMAT = SNAPSHOT
    DESCRIPTION = ("modprobe.d configuration: options (hashsize), install (blocked modules), "
                   "blacklist (snapshot)")

    def sniff(self, head: Head) -> float:
        """Every line a comment or a modprobe.d directive naming a module."""
        body: list[str] = []
        going = comment = False  # a backslash continues a comment too (see ``_logical``)
        for ln in head.lines:
            text = ln.strip()
            if going:
                if not comment:
                    body[-1] += " " + text.rstrip("\\")
            elif text and not text.startswith("#"):
                body.append(text.rstrip("\\").rstrip())
                comment = False
            else:
                comment = True
            going = text.endswith("\\")
        if not body:
            return 0.0
        hits = 0
        for text in body:
            m = _DIRECTIVE.fullmatch(text)
            if m and (m.group("verb") in ("alias", "softdep", "weakdep")
                      or _MODULE.fullmatch(m.group("module"))):
                hits += 1
        return 0.85 if hits >= 0.9 * len(body) else 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One event for the file, when a line concerns conntrack."""
        said: list[str] = []
        evidence: list[str] = []
        first = 0
        for number, text in _logical(ctx):
            stripped = text.strip()
            if not stripped or stripped.startswith("#"):
                continue
            m = _DIRECTIVE.fullmatch(stripped)
            if m is None:
                ctx.skip(number, "not a modprobe.d line")
                continue
            ctx.ok()
            verb, module, rest = m.group("verb"), m.group("module"), m.group("rest") or ""
            target = rest.split()[0] if verb == "alias" and rest.split() else module
            if not relevant(target):
                continue
            first = first or number
            evidence.append(stripped)
            said.append(describe(verb, _name(module) if verb != "alias" else module, rest))
        if not first:
            return
        yield snapshot_batch(PROGRAM, first, "modprobe configuration: " + "; ".join(said),
                             Facts(), evidence)
