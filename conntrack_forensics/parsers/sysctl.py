"""Kernel settings: ``sysctl -a`` output, ``sysctl.conf`` files and single ``/proc/sys`` values.

``sysctl -a`` prints ``net.netfilter.nf_conntrack_max = 65536`` lines (``sysctl -a -N`` or
``-b`` forms are not read). The conntrack keys exist only while the module is loaded, so a
full listing also tells whether it was: ``nf_conntrack_*`` (or the 2.6.18-era
``net.ipv4.netfilter.ip_conntrack_*``) keys present means loaded, a listing of the ``net.``
tree without them means not loaded.

A ``sysctl.conf`` / ``sysctl.d`` file (``#`` comments, ``.conf`` name) is configuration, not
state: its event says what is configured but sets no table size, since when it was applied is
unknown. A ``/proc/sys/net/netfilter/nf_conntrack_max`` file (or ``..._count``,
``..._buckets``, ``ip_conntrack_max``, ``/sys/module/nf_conntrack/parameters/hashsize``) holds
one number; only the file name says which, so for these the name is the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._bounds import TOO_LARGE, int64
from ._snapshot import SNAPSHOT, Facts, describe, lines, snapshot_batch
from .base import Head, ParseContext, Parser, RawBatch
from .classify import BUCKETS_KEYS, COUNT_KEYS, MAX_KEYS
from .registry import register

_LINE = re.compile(r"(?P<key>[a-z0-9_\-]+(?:[./][A-Za-z0-9_\-]+)+)\s*=\s*(?P<value>.*)")
_NUMBER = re.compile(r"-?\d+")
#: File names of single-value files under /proc/sys and /sys/module (the last path part).
_VALUE_FILES: dict[str, str] = {
    **{k.rsplit(".", 1)[-1]: "max" for k in MAX_KEYS},
    **{k.rsplit(".", 1)[-1]: "count" for k in COUNT_KEYS},
    **{k.rsplit(".", 1)[-1]: "buckets" for k in BUCKETS_KEYS},
    "hashsize": "buckets",
}
_CONNTRACK_KEY = re.compile(r"\.(?:nf|ip)_conntrack_")


@register
class SysctlParser(Parser):
    """``sysctl -a`` output, sysctl configuration and single /proc/sys values."""

    NAME = "sysctl"
    FORMAT = SNAPSHOT
    DESCRIPTION = "sysctl -a output, sysctl.conf, /proc/sys/net/netfilter/* values (snapshot)"

    def sniff(self, head: Head) -> float:
        """Dotted ``key = value`` lines, or one number in a file named for a conntrack value."""
        body = [ln for ln in head.lines if not ln.lstrip().startswith(("#", ";"))]
        if len(body) == 1 and _NUMBER.fullmatch(body[0].strip()) and head.name in _VALUE_FILES:
            return 0.9
        if not body:
            return 0.0
        hits = sum(1 for ln in body if _LINE.fullmatch(ln.strip()))
        if hits >= 2 and hits >= 0.9 * len(body):
            return 0.8
        if hits == 1 and len(body) == 1 and _CONNTRACK_KEY.search(body[0]):
            return 0.8
        return 0.0

    def parse(self, ctx: ParseContext) -> Iterator[RawBatch]:
        """One snapshot event for the file."""
        name = ctx.source.basename
        facts = Facts()
        evidence: list[str] = []
        first = 0
        keys = 0
        net = False
        config = name.endswith(".conf")
        for number, text in lines(ctx):
            stripped = text.strip()
            if not stripped:
                continue
            if stripped.startswith(("#", ";")):
                config = True
                ctx.ok()
                continue
            if name in _VALUE_FILES and _NUMBER.fullmatch(stripped):
                if int64(stripped.lstrip("-")) is None:
                    ctx.skip(number, TOO_LARGE)
                    continue
                ctx.ok()
                _set(facts, _VALUE_FILES[name], int(stripped))
                evidence.append(f"{ctx.source.name}: {stripped}")
                first = first or number
                continue
            m = _LINE.fullmatch(stripped)
            if m is None:
                ctx.skip(number, "not a sysctl key = value line")
                continue
            if _NUMBER.fullmatch(m.group("value").strip()) \
                    and int64(m.group("value").strip().lstrip("-")) is None:
                ctx.skip(number, TOO_LARGE)
                continue
            ctx.ok()
            keys += 1
            key = m.group("key").replace("/", ".")
            value = m.group("value").strip()
            net = net or key.startswith("net.")
            if key == "kernel.hostname" and value:
                facts.host = value.split(".")[0]
            which = _which(key)
            if which is None:
                continue
            first = first or number
            evidence.append(stripped)
            if _NUMBER.fullmatch(value):
                _set(facts, which, int(value))
        if not first and not (keys and net):
            return
        if config:
            yield from self._config(ctx, first, facts, evidence)
            return
        if keys >= 50 and net and facts.conntrack_loaded is None:
            facts.conntrack_loaded = bool(evidence)
            if not evidence:
                evidence.append(f"{keys} keys, none of them nf_conntrack_* or ip_conntrack_*")
        if facts.host:
            ctx.hint_host(facts.host)
        program = "sysctl" if keys else name
        said = describe(facts) or "no conntrack settings"
        yield snapshot_batch(program, first or 1, f"{program}: {said}", facts, evidence)

    def _config(
        self, ctx: ParseContext, first: int, facts: Facts, evidence: list[str]
    ) -> Iterator[RawBatch]:
        if not evidence:
            return
        said = ", ".join(evidence)
        yield snapshot_batch("sysctl.conf", first, f"sysctl configuration: {said}",
                             Facts(), evidence)


def _which(key: str) -> str | None:
    if key in MAX_KEYS:
        return "max"
    if key in COUNT_KEYS:
        return "count"
    if key in BUCKETS_KEYS:
        return "buckets"
    if _CONNTRACK_KEY.search(key):
        return "other"
    return None


def _set(facts: Facts, which: str, value: int) -> None:
    if which == "max":
        facts.conntrack_max = value
    elif which == "count":
        facts.conntrack_count = value
    elif which == "buckets":
        facts.conntrack_buckets = value
    if which in ("max", "count", "buckets", "other"):
        facts.conntrack_loaded = True
